/**
 * ETags of the simulated Redfish resources and the If-Match check
 * (DSP0266 §8.3; RFC 9110 §13.1.1). Pure functions.
 * Invariant: the ETag is a hash of the document as it reads now, without
 * its own @odata.etag, so it changes exactly when the resource does.
 */
import { createHash } from 'node:crypto'
import type { Doc } from './odata.js'

/** A strong ETag over the document's JSON. */
export function etagOf(doc: Doc): string {
  return `"${createHash('sha256').update(JSON.stringify(doc)).digest('hex').slice(0, 16)}"`
}

/** If-Match: absent, "*" or a list that holds the current ETag (weak or strong form). */
export function ifMatchPasses(header: string | undefined, etag: string): boolean {
  if (header === undefined) return true
  return header.split(',').map((t) => t.trim().replace(/^W\//, '')).some((t) => t === '*' || t === etag)
}

/**
 * A Redfish error answer as our error: the HTTP status picks the code, the
 * body's `error.@Message.ExtendedInfo` (Redfish DSP0266 §9.6, "Error
 * responses") is kept in details as JSON text (details hold scalars only).
 * Pure. Secrets the request carried (our password, a new account's
 * password) are blanked wherever a BMC echoes them back in a message or
 * its arguments, so they never reach an error, a log or a client.
 */
import { ServiceError, type ErrorCode } from '../errors.js'
import type { ErrorDetails } from '../ipmi/errors.js'

export const REDACTED = '***'

export interface ExtendedInfo {
  MessageId?: string
  Message?: string
  Severity?: string
  MessageSeverity?: string
  Resolution?: string
  MessageArgs?: unknown[]
}

/** The status families, in the order they are tested. */
export function codeForStatus(status: number): ErrorCode {
  if (status === 401) return 'BMC_AUTH_FAILED'
  if (status === 403) return 'BMC_PRIVILEGE_REFUSED'
  if (status === 405 || status === 501) return 'BMC_NOT_SUPPORTED'
  if (status === 429 || status === 503) return 'BMC_BUSY'
  return 'BMC_COMMAND_FAILED'
}

function blank(text: string, secrets: readonly string[]): string {
  let out = text
  for (const s of secrets) if (s !== '') out = out.split(s).join(REDACTED)
  return out
}

/** The ExtendedInfo array of an error body, or of a success body's `@Message.ExtendedInfo`. */
export function extendedInfo(body: unknown): ExtendedInfo[] {
  if (body === null || typeof body !== 'object') return []
  const b = body as Record<string, unknown>
  const err = b.error !== null && typeof b.error === 'object' ? (b.error as Record<string, unknown>) : b
  const info = err['@Message.ExtendedInfo']
  return Array.isArray(info) ? info.filter((i): i is ExtendedInfo => i !== null && typeof i === 'object') : []
}

/** Only the fields an operator needs, secrets blanked. */
function cleanInfo(info: readonly ExtendedInfo[], secrets: readonly string[]): ExtendedInfo[] {
  return info.map((i) => {
    const out: ExtendedInfo = {}
    if (typeof i.MessageId === 'string') out.MessageId = i.MessageId
    if (typeof i.Message === 'string') out.Message = blank(i.Message, secrets)
    const sev = i.MessageSeverity ?? i.Severity
    if (typeof sev === 'string') out.MessageSeverity = sev
    if (typeof i.Resolution === 'string') out.Resolution = i.Resolution
    if (Array.isArray(i.MessageArgs)) out.MessageArgs = i.MessageArgs.map((a) => (typeof a === 'string' ? blank(a, secrets) : a))
    return out
  })
}

export interface HttpFailure {
  method: string
  /** The path without query. */
  path: string
  status: number
  body: unknown
  /** Values that must never appear in the error (passwords sent with the request). */
  secrets: readonly string[]
}

export function httpError(f: HttpFailure): ServiceError {
  const code = codeForStatus(f.status)
  const info = cleanInfo(extendedInfo(f.body), f.secrets)
  const b = f.body !== null && typeof f.body === 'object' ? (f.body as Record<string, unknown>) : {}
  const top = b.error !== null && typeof b.error === 'object' ? (b.error as Record<string, unknown>) : {}
  const first = info[0]
  const summary = first?.Message ?? (typeof top.message === 'string' ? blank(top.message, f.secrets) : undefined)
  const details: ErrorDetails = { httpStatus: f.status, method: f.method, path: f.path }
  if (first?.MessageId !== undefined) details.messageId = first.MessageId
  if (typeof top.code === 'string') details.redfishCode = top.code
  if (info.length > 0) details.extendedInfo = JSON.stringify(info)
  const msg = `${f.method} ${f.path}: HTTP ${f.status}${summary !== undefined ? `: ${summary}` : ''}`
  return new ServiceError(code, msg, { details })
}

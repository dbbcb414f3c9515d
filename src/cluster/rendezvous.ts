/**
 * Rendezvous (highest random weight) hashing: a node belongs to the member
 * whose hash of (member id, node name) is highest. Every instance computes the
 * same answer from the same member list, with no coordination; a member that
 * joins takes from each other member only the nodes it now scores highest on
 * (about 1/N of all), and a member that leaves gives away only its own.
 */
import { createHash } from 'node:crypto'

/** Bytes of the SHA-256 digest used as a score: 48 bits, exact in a double. */
const SCORE_BYTES = 6

/** The score of `member` for `node`; ties (practically never) go to the smaller member id. */
export function score(member: string, node: string): number {
  return createHash('sha256').update(member).update('\0').update(node).digest().readUIntBE(0, SCORE_BYTES)
}

/** The member that owns `node` among `members`, or undefined when there are none. */
export function ownerOf(node: string, members: readonly string[]): string | undefined {
  let best: string | undefined
  let bestScore = -1
  for (const m of members) {
    const s = score(m, node)
    if (s > bestScore || (s === bestScore && best !== undefined && m < best)) {
      best = m
      bestScore = s
    }
  }
  return best
}

/** Every node's owner among `members`. */
export function assign(nodes: readonly string[], members: readonly string[]): Map<string, string> {
  const out = new Map<string, string>()
  if (members.length === 0) return out
  for (const n of nodes) out.set(n, ownerOf(n, members)!)
  return out
}

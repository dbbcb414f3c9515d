/**
 * Which nodes a member may run, from the live members (membership.ts): a node
 * is owned by the rendezvous winner among the live members that are not
 * draining, and may be started only when no other live member's applied list
 * still makes that member its owner (it has not stopped the node yet).
 */
import type { Member } from './membership.js'
import { ownerOf } from './rendezvous.js'

/** The members nodes are hashed over: live and not draining, sorted by id. */
export function candidates(members: readonly Member[]): string[] {
  return members.filter((m) => !m.draining).map((m) => m.id).sort()
}

/** True when `other` may still be running `node` by its own applied list. */
export function claims(other: Member, node: string): boolean {
  return other.applied.includes(other.id) && ownerOf(node, other.applied) === other.id
}

/** The nodes `self` owns under `view` that no other live member still claims. */
export function runnable(nodes: readonly string[], self: string, view: readonly string[], others: readonly Member[]): Set<string> {
  const out = new Set<string>()
  for (const n of nodes) {
    if (ownerOf(n, view) !== self) continue
    if (others.some((o) => o.id !== self && claims(o, n))) continue
    out.add(n)
  }
  return out
}

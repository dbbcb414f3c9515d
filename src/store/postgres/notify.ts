/**
 * Node configuration changes as PostgreSQL notifications: every change the
 * PostgreSQL store commits (a node added, updated or removed, a group's
 * settings changed) carries one notification on NODE_CHANNEL, delivered to
 * every listening connection at commit. The payload is JSON: which change,
 * which node or group, its revision after the change (before it, for a
 * removal), and the id of the store instance that made it.
 */
/** The one channel name (LISTEN and pg_notify both use it). */
export const NODE_CHANNEL = 'bmcvisor_nodes'

export const NODE_CHANGE_OPS = ['added', 'updated', 'removed', 'group'] as const
export type NodeChangeOp = (typeof NODE_CHANGE_OPS)[number]

export type NodeChange =
  | { op: 'added' | 'updated' | 'removed'; name: string; revision: number; origin: string }
  | { op: 'group'; name: string; origin: string }

/** A change as the store states it, before it adds its own origin. */
export type NodeChangeBody = NodeChange extends infer C ? (C extends NodeChange ? Omit<C, 'origin'> : never) : never

export function changePayload(c: NodeChange): string {
  return JSON.stringify(c)
}

/** The change a payload describes, or undefined for one this version does not know (a newer instance's). */
export function parseChange(payload: string | undefined): NodeChange | undefined {
  let v: unknown
  try {
    v = JSON.parse(payload ?? '')
  } catch {
    return undefined
  }
  if (v === null || typeof v !== 'object') return undefined
  const o = v as Record<string, unknown>
  if (typeof o.name !== 'string' || typeof o.origin !== 'string' || !(NODE_CHANGE_OPS as readonly unknown[]).includes(o.op)) return undefined
  const op = o.op as NodeChangeOp
  if (op === 'group') return { op, name: o.name, origin: o.origin }
  return typeof o.revision === 'number' ? { op, name: o.name, revision: o.revision, origin: o.origin } : undefined
}

/**
 * Keeps the ConsoleManager's sessions equal to the store's nodes, as
 * node-sync.ts does for the supervisor. Start it before syncNodes(): a
 * node's ConsoleSession (buffer, log) must exist before its worker can send
 * the first byte (DESIGN lesson 7). A change of console settings reaches the
 * session at once; a logging change alone never drops the connection.
 */
import type { ConsoleManager } from '../console/index.js'
import type { NodeConsoleConfig } from '../console/types.js'
import type { Logger } from '../log.js'
import type { NodeRecord, NodeRepo } from '../store/types.js'

export interface ConsoleSync {
  stop(): void
  /** Re-reads one node (a change another instance committed, which raises no local event). */
  refresh(name: string): Promise<void>
  /** Re-reads every node: after a lost change feed, whose missed notifications are gone. */
  resync(): Promise<void>
}

/** The node's console configuration, or undefined for console.method none. */
export function consoleOf(n: NodeRecord): NodeConsoleConfig | undefined {
  const { method, ...rest } = n.console
  return method === 'none' ? undefined : { ...rest, method }
}

/** Resolves once every stored node has its session (a store that cannot list its nodes rejects, subscribing nothing). */
export async function syncConsoles(nodes: NodeRepo, consoles: ConsoleManager, logger: Logger): Promise<ConsoleSync> {
  const guard = (node: string, what: string, fn: () => unknown) => {
    try {
      const r = fn()
      if (r instanceof Promise) r.catch((err: unknown) => logger.error({ err, node }, `console ${what} failed`))
    } catch (err) {
      logger.error({ err, node }, `console ${what} failed`)
    }
  }
  // A node with console.method none has no console session at all (a Redfish node by default).
  const add = (n: NodeRecord) => guard(n.name, 'add', () => {
    const c = consoleOf(n)
    if (c === undefined) return consoles.has(n.name) ? consoles.remove(n.name) : undefined
    return consoles.has(n.name) ? consoles.update(n.name, c) : consoles.add(n.name, c)
  })
  const update = add
  const removeName = (name: string) => guard(name, 'remove', () => consoles.remove(name))
  const remove = (n: NodeRecord) => removeName(n.name)
  // Subscribed before the list is read, so no change is missed meanwhile (an add seen twice is an update).
  nodes.on('node:added', add)
  nodes.on('node:updated', update)
  nodes.on('node:removed', remove)
  const stop = () => {
    nodes.off('node:added', add)
    nodes.off('node:updated', update)
    nodes.off('node:removed', remove)
  }
  const resync = async () => {
    const listed = await nodes.list()
    const names = new Set(listed.map((n) => n.name))
    for (const n of listed) add(n)
    for (const name of consoles.nodes) if (!names.has(name)) removeName(name)
  }
  const refresh = async (name: string) => {
    const n = await nodes.get(name)
    if (n !== undefined) add(n)
    else if (consoles.has(name)) removeName(name)
  }
  try {
    for (const n of await nodes.list()) add(n)
  } catch (e) {
    stop()
    throw e
  }
  return { stop, refresh, resync }
}

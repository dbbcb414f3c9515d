/**
 * Keeps the supervisor's children equal to the store's nodes: every node at
 * start, then each store event becomes Supervisor.add / update / remove.
 * A node's configuration reaches its worker only through update(), which
 * cancels the worker's old watcher before arming a new one (DESIGN lesson 2),
 * and only when the mapped BmcConfig really changed: a change of groups or
 * console logging alone must not drop a live session. A change of console
 * watch patterns (the node's, or a group's: `group:updated`) reaches the
 * worker through setWatch, without a reconnect either.
 *
 * Events for one node are applied in order (a remove that is still closing
 * the BMC session finishes before a re-add of the same name starts).
 */
import type { Logger } from '../log.js'
import type { NodeRecord, NodeRepo } from '../store/types.js'
import { loadGroupWatch, sameBmcConfig, sameWatch, toBmcConfig, type BmcDefaults, type GroupWatch } from './node-config.js'
import type { SupervisorPort } from './ports.js'
import type { LearnedProfile } from '../bridge/profile.js'

export interface NodeSync {
  /** Resolves when every queued change has been applied (tests, shutdown). */
  idle(): Promise<void>
  stop(): void
  /**
   * Re-reads every stored node and makes the supervisor run exactly those
   * `runs` accepts (ownership changed; a change feed reconnected): resolves
   * once applied.
   */
  reconcile(): Promise<void>
  /**
   * Stops every running node `runs` no longer accepts, without reading the
   * store (it may be unreachable: a lost cluster lease): resolves once their
   * workers have exited, so their BMC sessions and consoles are gone; a
   * worker still there at `deadlineMs` is terminated.
   */
  stopUnowned(deadlineMs?: number): Promise<void>
  /** Re-reads one node and applies it (a change another instance made). */
  refresh(name: string): Promise<void>
  /** Re-reads a group's overrides (a change another instance made). */
  refreshGroup(group: string): void
}

export interface SyncOptions {
  /** Whether this instance runs the node (cluster ownership); every node when absent. */
  runs?: (name: string) => boolean
}

/**
 * Resolves once every stored node was handed to the supervisor (a store that cannot list its nodes rejects, subscribing nothing).
 * `profileOf`: the node's learned profile as last stored (profile-sync's cache), passed to its worker's configuration.
 */
export async function syncNodes(nodes: NodeRepo, sup: SupervisorPort, logger: Logger, defaults: Partial<BmcDefaults> = {}, profileOf: (node: string) => LearnedProfile | undefined = () => undefined, so: SyncOptions = {}): Promise<NodeSync> {
  const runs = so.runs ?? (() => true)
  /** The record each running node's configuration came from (to tell a real change on refresh). */
  const applied = new Map<string, NodeRecord>()
  const queues = new Map<string, Promise<void>>()
  const failed = (err: unknown, name: string) => logger.error({ err, node: name }, 'applying a node change to the supervisor failed')
  const enqueue = (name: string, step: () => Promise<void> | void) => {
    const prev = queues.get(name)
    let next: Promise<void>
    if (prev === undefined) {
      // Nothing pending for this node: apply now, so a request right after the store change finds the worker.
      try {
        const r = step()
        if (r === undefined) return
        next = r.catch((err: unknown) => failed(err, name))
      } catch (err) {
        failed(err, name)
        return
      }
    } else next = prev.then(step).catch((err: unknown) => failed(err, name))
    queues.set(name, next)
    void next.then(() => {
      if (queues.get(name) === next) queues.delete(name)
    })
  }
  // The group overrides as last read: read at start and again on each group:updated, so that a node
  // change is applied at once, with no store read between the change and the supervisor.
  let groupWatch: GroupWatch = () => undefined
  let groupReads: Promise<void> = Promise.resolve()
  const configOf = (n: NodeRecord) => toBmcConfig(n, defaults, groupWatch, profileOf(n.name))
  const add = (n: NodeRecord) => enqueue(n.name, () => {
    if (!runs(n.name)) return
    const config = configOf(n)
    applied.set(n.name, n)
    if (sup.has(n.name)) sup.update(n.name, config)
    else sup.add(n.name, config)
  })
  const update = (n: NodeRecord, prev: NodeRecord) => enqueue(n.name, () => {
    if (!runs(n.name)) return
    const next = configOf(n)
    applied.set(n.name, n)
    if (!sup.has(n.name)) return sup.add(n.name, next)
    const before = configOf(prev)
    if (!sameBmcConfig(next, before)) sup.update(n.name, next)
    else if (!sameWatch(next, before)) sup.setWatch(n.name, next.watch ?? [])
  })
  // A group's override changed: each member's patterns, as they are now (the previous ones are gone from the store).
  // Reads run one after another, so the last change's overrides are the ones kept.
  const groupUpdated = (group: string) => {
    groupReads = groupReads.then(async () => {
      const [names, read] = await Promise.all([nodes.inGroup(group), loadGroupWatch(nodes)])
      groupWatch = read
      for (const name of names) {
        enqueue(name, async () => {
          const n = await nodes.get(name)
          if (n !== undefined && sup.has(name)) sup.setWatch(name, toBmcConfig(n, defaults, groupWatch).watch ?? [])
        })
      }
    }).catch((err: unknown) => failed(err, `@${group}`))
  }
  const removeName = (name: string) => enqueue(name, async () => {
    applied.delete(name)
    if (sup.has(name)) await sup.remove(name)
  })
  const remove = (n: NodeRecord) => removeName(n.name)
  const apply = (n: NodeRecord | undefined, name: string) => {
    if (n === undefined || !runs(name)) return removeName(name)
    const prev = applied.get(name)
    return prev === undefined || !sup.has(name) ? add(n) : update(n, prev)
  }

  // Subscribed before the list is read, so no change is missed meanwhile (an add seen twice is an update).
  nodes.on('node:added', add)
  nodes.on('node:updated', update)
  nodes.on('node:removed', remove)
  nodes.on('group:updated', groupUpdated)
  const stop = () => {
    nodes.off('node:added', add)
    nodes.off('node:updated', update)
    nodes.off('node:removed', remove)
    nodes.off('group:updated', groupUpdated)
  }
  const idle = async () => {
    await groupReads
    while (queues.size > 0) await Promise.all([...queues.values()])
  }
  try {
    const [list, read] = await Promise.all([nodes.list(), loadGroupWatch(nodes)])
    groupWatch = read
    for (const n of list) add(n)
  } catch (e) {
    stop()
    throw e
  }
  await idle()
  const reconcile = async () => {
    const list = await nodes.list()
    const stored = new Set(list.map((n) => n.name))
    for (const s of sup.status()) if (!stored.has(s.node)) removeName(s.node)
    for (const n of list) {
      if (runs(n.name) !== sup.has(n.name)) apply(n, n.name)
    }
    await idle()
  }
  // Not through the node queues: a queued step may be waiting on the store, and this stop must not.
  // A step queued behind it asks runs() again and does nothing.
  const stopUnowned = async (deadlineMs?: number) => {
    const gone = sup.status().map((s) => s.node).filter((name) => !runs(name))
    for (const name of gone) applied.delete(name)
    await Promise.all(gone.map((name) => (sup.has(name) ? sup.remove(name, deadlineMs) : undefined)))
  }
  const refresh = async (name: string) => {
    apply(await nodes.get(name), name)
    await idle()
  }
  return { idle, stop, reconcile, stopUnowned, refresh, refreshGroup: groupUpdated }
}

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
}

/**
 * Resolves once every stored node was handed to the supervisor (a store that cannot list its nodes rejects, subscribing nothing).
 * `profileOf`: the node's learned profile as last stored (profile-sync's cache), passed to its worker's configuration.
 */
export async function syncNodes(nodes: NodeRepo, sup: SupervisorPort, logger: Logger, defaults: Partial<BmcDefaults> = {}, profileOf: (node: string) => LearnedProfile | undefined = () => undefined): Promise<NodeSync> {
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
    const config = configOf(n)
    if (sup.has(n.name)) sup.update(n.name, config)
    else sup.add(n.name, config)
  })
  const update = (n: NodeRecord, prev: NodeRecord) => enqueue(n.name, () => {
    const next = configOf(n)
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
  const remove = (n: NodeRecord) => enqueue(n.name, async () => {
    if (sup.has(n.name)) await sup.remove(n.name)
  })

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
  return { idle, stop }
}

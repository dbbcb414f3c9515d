/**
 * Keeps the supervisor's children equal to the store's nodes: every node at
 * start, then each store event becomes Supervisor.add / update / remove.
 * A node's configuration reaches its worker only through update(), which
 * cancels the worker's old watcher before arming a new one (DESIGN lesson 2),
 * and only when the mapped BmcConfig really changed: a change of groups or
 * console logging alone must not drop a live session.
 *
 * Events for one node are applied in order (a remove that is still closing
 * the BMC session finishes before a re-add of the same name starts).
 */
import type { Logger } from '../log.js'
import type { NodeRecord, NodeRepo } from '../store/types.js'
import { sameBmcConfig, toBmcConfig, type BmcDefaults } from './node-config.js'
import type { SupervisorPort } from './ports.js'

export interface NodeSync {
  /** Resolves when every queued change has been applied (tests, shutdown). */
  idle(): Promise<void>
  stop(): void
}

export function syncNodes(nodes: NodeRepo, sup: SupervisorPort, logger: Logger, defaults: Partial<BmcDefaults> = {}): NodeSync {
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
  const add = (n: NodeRecord) => enqueue(n.name, () => {
    if (sup.has(n.name)) sup.update(n.name, toBmcConfig(n, defaults))
    else sup.add(n.name, toBmcConfig(n, defaults))
  })
  const update = (n: NodeRecord, prev: NodeRecord) => enqueue(n.name, () => {
    const next = toBmcConfig(n, defaults)
    if (!sup.has(n.name)) sup.add(n.name, next)
    else if (!sameBmcConfig(next, toBmcConfig(prev, defaults))) sup.update(n.name, next)
  })
  const remove = (n: NodeRecord) => enqueue(n.name, async () => {
    if (sup.has(n.name)) await sup.remove(n.name)
  })

  for (const n of nodes.list()) add(n)
  nodes.on('node:added', add)
  nodes.on('node:updated', update)
  nodes.on('node:removed', remove)
  return {
    async idle() {
      while (queues.size > 0) await Promise.all([...queues.values()])
    },
    stop() {
      nodes.off('node:added', add)
      nodes.off('node:updated', update)
      nodes.off('node:removed', remove)
    },
  }
}

/**
 * One instance's part in the cluster: its membership (membership.ts) and the
 * set of nodes it runs (ownership.ts), recomputed after every renewal and
 * whenever the store's nodes change. A step, for a new member list, is:
 *   1. stop every node this instance no longer owns under the new list;
 *   2. publish the list as applied, reading the others' applied lists in the
 *      same transaction (Membership.publish);
 *   3. start the nodes it owns that no other live member still claims.
 * A renewal whose member list (ids, epochs, draining, applied lists) is the
 * one the last step applied, with no node change since, changes nothing: the
 * step is skipped, with no store read and no publish, so the database's load
 * does not grow with the fleet; a full step still runs every FULL_STEP_MS
 * (option fullStepMs).
 * Losing the lease stops every node at once, outside the step queue (a step
 * may be waiting on an unreachable database) and without reading the store,
 * terminating any worker not gone within half the lease margin; the
 * membership joins again only after that stop has finished.
 */
import { EventEmitter } from 'node:events'
import { performance } from 'node:perf_hooks'
import type { Logger } from '../log.js'
import type { PgDb } from '../store/postgres/db.js'
import { Membership, setDraining, liveMembers, type Member, type MembershipOptions } from './membership.js'
import { candidates, claims } from './ownership.js'
import { ownerOf } from './rendezvous.js'

export interface ClusterOptions extends Omit<MembershipOptions, 'beforeRejoin'> {
  db: PgDb
  logger: Logger
  /** Every node name in the store. */
  nodes: () => Promise<string[]>
  /** Makes the supervisor run exactly the nodes runs() accepts; resolves once stops and starts were applied. */
  apply: () => Promise<void>
  /**
   * Stops the nodes runs() no longer accepts without reading the store (it may be unreachable);
   * resolves once their workers are gone; a worker still there at `deadlineMs` is terminated.
   */
  stop: (deadlineMs?: number) => Promise<void>
  /** The longest it goes without a full step while nothing seems to change (default FULL_STEP_MS). */
  fullStepMs?: number
}

/**
 * The part of the lease margin a stop after a lost lease may take before its
 * workers are terminated: the rest covers a late timer and the terminate itself.
 */
export const LOST_LEASE_STOP_SHARE = 0.5

/** The longest a member goes without a full step (node list read, publish) while nothing seems to change. */
export const FULL_STEP_MS = 60_000

/** What a step derives the owned set from: the members' ids, epochs, draining flags and applied lists. */
function stepKey(members: readonly Member[]): string {
  return JSON.stringify([...members].sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0)).map((m) => [m.id, m.epoch, m.draining, m.applied]))
}

export interface ClusterEvents {
  /** A node started here that another member ran before (where its earlier console log is). */
  moved: [node: string, from: Member]
  /** The owned set changed: `gained` nodes may start here, `lost` were stopped here (metrics: bmcvisor_cluster_ownership_changes_total). */
  ownership: [gained: number, lost: number]
  /** A step applied a member list (ownerOf may answer differently now): console sockets follow their owners (forward-console.ts). */
  owners: []
}

export interface ClusterStatus {
  self: string
  epoch: number | undefined
  held: boolean
  members: Member[]
  /** Node -> the member that owns it under the current list. */
  owners: Record<string, string>
}

export class Cluster extends EventEmitter<ClusterEvents> {
  readonly membership: Membership
  readonly #o: ClusterOptions
  #allowed = new Set<string>()
  #view: string[] = []
  #others: Member[] = []
  #members: Member[] = []
  /** True from a full step's node list read until its publish: nodes not already running may not start. */
  #transitioning = true
  /** The step key of the last full step that completed; undefined: the next step is a full one. */
  #lastKey: string | undefined
  #lastFullMs = 0
  /** A node changed, or one of ours was refused, since the last full step began. */
  #dirty = true
  /** Full steps run (node list reads): the skip is observable in tests. */
  #fullSteps = 0
  #steps: Promise<void> = Promise.resolve()
  #stopping: Promise<void> | undefined
  #closed = false

  constructor(o: ClusterOptions) {
    super()
    this.#o = o
    this.membership = new Membership(o.db, { ...o, beforeRejoin: () => this.#stopping ?? Promise.resolve() })
    this.membership.on('view', (members) => this.#enqueue(members))
    this.membership.on('lost', (reason) => {
      o.logger.error({ reason }, 'cluster lease lost: stopping every BMC session and console')
      this.#stopAll()
    })
    this.membership.on('error', (err) => o.logger.warn({ err }, 'cluster lease renewal failed'))
  }

  get id(): string {
    return this.membership.id
  }

  /** Whether this instance should run `node` now. */
  runs = (node: string): boolean => {
    if (!this.membership.held) return false
    if (this.#allowed.has(node)) return true
    // A node the store gained since the last step: started at once when nobody else can hold it, and
    // from then on one of ours, so that the next step stops it (before publishing) if it moves away.
    if (ownerOf(node, this.#view) !== this.id) return false
    if (this.#transitioning || this.#others.some((m) => claims(m, node))) {
      // Ours, but not yet: the next step reads the nodes again and starts it then.
      this.#dirty = true
      return false
    }
    this.#allowed.add(node)
    this.emit('ownership', 1, 0)
    return true
  }

  /** The live member that owns `node` under the current list (undefined: none is live). */
  ownerOf(node: string): Member | undefined {
    const id = ownerOf(node, this.#view)
    return this.#members.find((m) => m.id === id)
  }

  get owned(): number {
    return this.#allowed.size
  }

  get members(): Member[] {
    return this.#members
  }

  /** Live members at the last step; 0 while no lease is held (metrics). */
  memberCount(): number {
    return this.membership.held ? this.#members.length : 0
  }

  async start(): Promise<void> {
    await this.membership.start()
    await this.#steps
  }

  /** Re-applies ownership now (a store change, a resubscription). */
  refresh(): Promise<void> {
    this.#dirty = true
    this.#enqueue(this.#members)
    return this.#steps
  }

  /** The store's nodes changed (one added or removed here or by another instance): the next step reads them again. */
  nodesChanged(): void {
    this.#dirty = true
  }

  /** How many full steps (node list read and publish) this member has run. */
  get fullSteps(): number {
    return this.#fullSteps
  }

  async status(): Promise<ClusterStatus> {
    const members = await liveMembers(this.#o.db)
    // The map this instance forwards by (ownerOf): the member list of its last step, not a fresher read.
    const owners: Record<string, string> = {}
    for (const n of await this.#o.nodes()) {
      const o = ownerOf(n, this.#view)
      if (o !== undefined) owners[n] = o
    }
    return { self: this.id, epoch: this.membership.epoch, held: this.membership.held, members, owners }
  }

  /** Marks `id` as draining: its nodes move to the others; false when it is not a live member. */
  drain(id: string, draining = true): Promise<boolean> {
    return setDraining(this.#o.db, id, draining)
  }

  #enqueue(members: Member[]): void {
    this.#steps = this.#steps.then(() => this.#step(members)).catch((err: unknown) => this.#o.logger.warn({ err }, 'cluster ownership step failed; retried at the next renewal'))
  }

  async #step(members: Member[]): Promise<void> {
    if (this.#closed || !this.membership.held) return
    const key = stepKey(members)
    if (!this.#dirty && key === this.#lastKey && performance.now() - this.#lastFullMs < (this.#o.fullStepMs ?? FULL_STEP_MS)) {
      this.#members = members
      return
    }
    this.#dirty = false
    this.#lastKey = undefined // set again only when this step completes
    this.#lastFullMs = performance.now()
    this.#fullSteps++
    const before = this.#members
    this.#members = members
    const view = candidates(members)
    const previous = this.#view
    // From the list read on: a node the store gains meanwhile might be missing from the list, so it waits for
    // the next step (runs() marks it) rather than joining a set this step is about to replace.
    this.#transitioning = true
    const names = await this.#o.nodes()
    // 1: stop what is no longer ours.
    this.#view = view
    const keep = new Set([...this.#allowed].filter((n) => ownerOf(n, view) === this.id))
    const lost = this.#allowed.size - keep.size
    this.#allowed = keep
    if (lost > 0) await this.#o.stop()
    // 2: publish what this instance now derives its nodes from.
    const others = await this.membership.publish(view)
    if (others === undefined || !this.membership.held) return
    this.#others = others
    // 3: start what is ours and nobody else's.
    const next = new Set<string>()
    for (const n of names) if (ownerOf(n, view) === this.id && !others.some((m) => claims(m, n))) next.add(n)
    const gained = [...next].filter((n) => !this.#allowed.has(n))
    this.#allowed = next
    this.#transitioning = false
    for (const n of gained) {
      const was = ownerOf(n, previous)
      const from = was === this.id ? undefined : before.find((m) => m.id === was)
      if (from !== undefined) this.emit('moved', n, from)
    }
    if (gained.length > 0) await this.#o.apply()
    if (lost > 0 || gained.length > 0) this.emit('ownership', gained.length, lost)
    // The next renewal shows this member's applied list as just published: the key that step will see.
    this.#lastKey = stepKey(members.map((m) => (m.id === this.id ? { ...m, applied: view } : m)))
    this.emit('owners')
  }

  #stopAll(): void {
    this.#lastKey = undefined
    const count = this.#allowed.size
    this.#allowed = new Set()
    this.#transitioning = true
    this.#stopping = this.#o.stop(Math.round(this.membership.marginMs * LOST_LEASE_STOP_SHARE)).catch((err: unknown) => this.#o.logger.error({ err }, 'stopping nodes after a lost lease failed'))
    if (count > 0) this.emit('ownership', 0, count)
  }

  /** Stops every node, then leaves (the others take the nodes over at once). */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#stopAll()
    await this.#stopping
    await this.#steps.catch(() => undefined)
    await this.membership.stop(true).catch((err: unknown) => this.#o.logger.warn({ err }, 'leaving the cluster failed; the lease expires on its own'))
  }
}

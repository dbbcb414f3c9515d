/**
 * Cluster membership on PostgreSQL (docs/cluster.md): one `members` row per
 * live instance with a lease judged by the database's clock. The instance
 * renews every RENEW_MS; a renewal succeeds only while the database still
 * holds the lease (expires_at > now()) for this instance's epoch, so a member
 * the database already gave up on must join again, under a new epoch.
 *
 * Locally, the lease is held until `send + LEASE_MS - LEASE_MARGIN_MS` on the
 * monotonic clock, where `send` is when the last successful renewal was sent:
 * the database's now() for that renewal came later, so this local deadline
 * always passes before the database can consider the lease expired. At that
 * deadline (or at once, when a renewal finds the lease gone) the membership
 * emits 'lost' and its owner stops every BMC session and console.
 *
 * A member's `applied` column is the member list its running nodes are
 * derived from: it is written (publish()) only after the nodes it no longer
 * owns under that list were stopped, and before any node it gains is started.
 * A node may start on a member only when no other live member's applied list
 * makes that member its owner (ownership.ts); publish() and that check run in
 * one transaction under an advisory lock, so two members never both pass it
 * for one node.
 */
import { EventEmitter } from 'node:events'
import { performance } from 'node:perf_hooks'
import type pg from 'pg'
import type { QueryResultRow } from 'pg'
import type { PgDb } from '../store/postgres/db.js'
import { ADVISORY_LOCK_CLASS } from '../store/postgres/migrations.js'

/** How long a lease lasts past each renewal, on the database's clock. */
export const LEASE_MS = 9_000
/** How often a member renews: three chances per lease. */
export const RENEW_MS = LEASE_MS / 3
/** How much sooner than the lease the member stops its sessions (scheduling delays, clock rate differences). */
export const LEASE_MARGIN_MS = 2_000
/** Second advisory lock key: publishing an applied member list (first key: ADVISORY_LOCK_CLASS). */
export const MEMBERSHIP_LOCK = 2

export interface Member {
  id: string
  epoch: number
  /** The URL other instances forward requests for its nodes to. */
  address: string
  draining: boolean
  /** The member list its running nodes derive from (publish()). */
  applied: string[]
  /** Milliseconds since its last renewal, on the database's clock. */
  renewedAgoMs: number
  /** Milliseconds until its lease expires, on the database's clock. */
  leaseLeftMs: number
}

export interface MembershipOptions {
  id: string
  address: string
  leaseMs?: number
  renewMs?: number
  marginMs?: number
  /** Awaited before every join after the first (after a lost lease): stop every node first. */
  beforeRejoin?: () => Promise<void>
}

export interface MembershipEvents {
  /** After every successful renewal: the live members (this one included). */
  view: [members: Member[]]
  /** The lease is no longer held: stop every node now. */
  lost: [reason: string]
  /** A renewal or join failed (the lease may still be held until its local deadline). */
  error: [err: unknown]
}

interface MemberRow {
  id: string
  epoch: string
  address: string
  draining: boolean
  applied: string[]
  renewed_ago_ms: number
  lease_left_ms: number
}

const MEMBER_COLUMNS = `id, epoch, address, draining, applied,
  (extract(epoch FROM now() - renewed_at) * 1000)::float8 AS renewed_ago_ms,
  (extract(epoch FROM expires_at - now()) * 1000)::float8 AS lease_left_ms`

function toMember(r: MemberRow): Member {
  return { id: r.id, epoch: Number(r.epoch), address: r.address, draining: r.draining, applied: r.applied, renewedAgoMs: r.renewed_ago_ms, leaseLeftMs: r.lease_left_ms }
}

/** The live members, as the database sees them now. */
export async function liveMembers(db: PgDb): Promise<Member[]> {
  return (await db.query<MemberRow>(`SELECT ${MEMBER_COLUMNS} FROM members WHERE expires_at > now() ORDER BY id`)).rows.map(toMember)
}

/** Marks a live member as draining (its nodes move away) or not; false when there is no such live member. */
export async function setDraining(db: PgDb, id: string, draining: boolean): Promise<boolean> {
  return ((await db.query('UPDATE members SET draining = $2 WHERE id = $1 AND expires_at > now()', [id, draining])).rowCount ?? 0) === 1
}

export class Membership extends EventEmitter<MembershipEvents> {
  readonly id: string
  readonly address: string
  readonly leaseMs: number
  readonly renewMs: number
  readonly marginMs: number
  #db: PgDb
  #beforeRejoin: (() => Promise<void>) | undefined
  #epoch: number | undefined
  /** Local monotonic deadline of the lease (performance.now()), undefined when not held. */
  #deadline: number | undefined
  #deadlineTimer: NodeJS.Timeout | undefined
  #renewTimer: NodeJS.Timeout | undefined
  #inFlight: Promise<void> | undefined
  #stopped = false
  /** Joins and renewals have a connection of their own: a pool busy with the nodes' queries must not delay them. */
  #conn: Promise<pg.Client> | undefined

  constructor(db: PgDb, o: MembershipOptions) {
    super()
    this.#db = db
    this.#beforeRejoin = o.beforeRejoin
    this.id = o.id
    this.address = o.address
    this.leaseMs = o.leaseMs ?? LEASE_MS
    this.renewMs = o.renewMs ?? this.leaseMs / 3
    this.marginMs = o.marginMs ?? LEASE_MARGIN_MS
    if (!(this.marginMs < this.leaseMs && this.renewMs < this.leaseMs - this.marginMs)) throw new RangeError('membership timing: need renew < lease - margin')
  }

  /** This member's epoch while it holds its lease (the fencing token of its writes). */
  get epoch(): number | undefined {
    return this.held ? this.#epoch : undefined
  }

  get held(): boolean {
    return this.#deadline !== undefined && performance.now() < this.#deadline
  }

  /** Joins (a new epoch) and renews from now on; resolves with the first view. */
  async start(): Promise<Member[]> {
    const members = await this.#join()
    this.#schedule()
    return members
  }

  async #query<R extends QueryResultRow>(text: string, values: unknown[]): Promise<pg.QueryResult<R>> {
    this.#conn ??= this.#db.client().then((c) => {
      c.on('error', () => undefined) // the query in flight rejects with it
      return c
    })
    const conn = this.#conn
    try {
      return await (await conn).query<R>(text, values)
    } catch (e) {
      if (this.#conn === conn) this.#conn = undefined
      void conn.then((c) => c.end()).catch(() => undefined)
      throw this.#db.wrap(e)
    }
  }

  async #join(): Promise<Member[]> {
    const sent = performance.now()
    const rows = (await this.#query<MemberRow>(
      `INSERT INTO members (id, epoch, address, joined_at, renewed_at, expires_at)
       VALUES ($1, nextval('member_epoch'), $2, now(), now(), now() + make_interval(secs => $3::float8 / 1000))
       ON CONFLICT (id) DO UPDATE SET epoch = excluded.epoch, address = excluded.address, joined_at = excluded.joined_at,
         renewed_at = excluded.renewed_at, expires_at = excluded.expires_at, draining = false, applied = '{}'
       RETURNING epoch`,
      [this.id, this.address, this.leaseMs],
    )).rows
    this.#epoch = Number(rows[0]!.epoch)
    this.#hold(sent)
    const members = (await this.#query<MemberRow>(`SELECT ${MEMBER_COLUMNS} FROM members WHERE expires_at > now() ORDER BY id`, [])).rows.map(toMember)
    this.emit('view', members)
    return members
  }

  /** One renewal; a lease the database no longer holds is lost at once, then joined anew on the next tick. */
  async #renew(): Promise<void> {
    if (this.#epoch === undefined || !this.held) {
      await this.#beforeRejoin?.()
      await this.#join()
      return
    }
    const sent = performance.now()
    const r = await this.#query<MemberRow & { renewed: boolean }>(
      `WITH r AS (UPDATE members SET renewed_at = now(), expires_at = now() + make_interval(secs => $3::float8 / 1000)
                  WHERE id = $1 AND epoch = $2 AND expires_at > now() RETURNING id)
       SELECT ${MEMBER_COLUMNS}, EXISTS (SELECT 1 FROM r) AS renewed FROM members WHERE expires_at > now() ORDER BY id`,
      [this.id, this.#epoch, this.leaseMs],
    )
    const renewed = r.rows[0]?.renewed ?? false
    if (!renewed) {
      this.#release('the database no longer holds this instance\'s lease')
      return
    }
    this.#hold(sent)
    // The rows were read in the statement's snapshot, before this renewal: show this member's fresh lease.
    this.emit('view', r.rows.map((row) => (row.id === this.id ? { ...toMember(row), renewedAgoMs: 0, leaseLeftMs: this.leaseMs } : toMember(row))))
  }

  #hold(sent: number): void {
    this.#deadline = sent + this.leaseMs - this.marginMs
    clearTimeout(this.#deadlineTimer)
    this.#deadlineTimer = setTimeout(() => this.#release('no renewal reached the database in time'), Math.max(0, this.#deadline - performance.now()))
  }

  #release(reason: string): void {
    clearTimeout(this.#deadlineTimer)
    const was = this.#deadline !== undefined
    this.#deadline = undefined
    if (was && !this.#stopped) this.emit('lost', reason)
  }

  #schedule(): void {
    if (this.#stopped) return
    this.#renewTimer = setTimeout(() => {
      this.#inFlight = this.#renew().catch((err: unknown) => void this.emit('error', err)).finally(() => {
        this.#inFlight = undefined
        this.#schedule()
      })
    }, this.renewMs)
  }

  /**
   * Records `applied` as the member list this member's nodes derive from and
   * returns the other live members as they are now, in one transaction under
   * the membership lock (see the top of this file). Undefined when the lease
   * is not held: nothing may start then.
   */
  async publish(applied: readonly string[]): Promise<Member[] | undefined> {
    const epoch = this.epoch
    if (epoch === undefined) return undefined
    return this.#db.tx(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1, $2)', [ADVISORY_LOCK_CLASS, MEMBERSHIP_LOCK])
      const w = await c.query('UPDATE members SET applied = $3 WHERE id = $1 AND epoch = $2 AND expires_at > now()', [this.id, epoch, applied])
      if ((w.rowCount ?? 0) !== 1) return undefined
      return (await c.query<MemberRow>(`SELECT ${MEMBER_COLUMNS} FROM members WHERE expires_at > now() AND id <> $1 ORDER BY id`, [this.id])).rows.map(toMember)
    })
  }

  /**
   * Stops renewing. With `release`, deletes this member's row (call it after
   * every node was stopped: the others may take them over at once).
   */
  async stop(release: boolean): Promise<void> {
    this.#stopped = true
    clearTimeout(this.#renewTimer)
    await this.#inFlight
    const epoch = this.#epoch
    this.#release('stopped')
    try {
      if (release && epoch !== undefined) await this.#query('DELETE FROM members WHERE id = $1 AND epoch = $2', [this.id, epoch])
    } finally {
      const conn = this.#conn
      this.#conn = undefined
      await conn?.then((c) => c.end()).catch(() => undefined)
    }
  }
}

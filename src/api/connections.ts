/**
 * Live connections per token (the console WebSockets), so that what a token
 * may do is enforced on connections it already holds, not only on new
 * requests:
 * - at most `maxPerToken` at once (TOO_MANY_CONNECTIONS beyond);
 * - revoking the token ends them all (4010), its expiry passing ends them
 *   all (4011), lowering its role below what a connection was granted ends
 *   that connection (4012: reconnect with what the role still allows);
 * - this process's revoke/role changes arrive as token repo events at once;
 *   another process's (`bmcvisor token revoke` on the same data directory)
 *   are found by re-checking every live token each `recheckMs`.
 * Owns one expiry timer per token with connections and one recheck timer
 * while any connection is open, all unref'd and cleared with the last one.
 */
import { assertNever } from '../bridge/messages.js'
import { ServiceError } from '../errors.js'
import type { Role, TokenRepo } from '../store/types.js'
import { ENV_TOKEN_ID, roleAllows, type Principal } from './auth.js'

export type EndReason = 'revoked' | 'expired' | 'downgraded'

/** WebSocket close codes and reasons for each EndReason (docs/console.md). */
export const TOKEN_CLOSE = {
  revoked: { code: 4010, reason: 'token revoked' },
  expired: { code: 4011, reason: 'token expired' },
  downgraded: { code: 4012, reason: 'token role lowered' },
} as const satisfies Record<EndReason, { code: number; reason: string }>

export const DEFAULT_CONNECTIONS_PER_TOKEN = 32
export const DEFAULT_TOKEN_RECHECK_MS = 5_000
/** setTimeout's longest delay; a later expiry re-arms. */
const MAX_TIMER_MS = 2 ** 31 - 1

export interface ConnectionLease {
  /** False once the registry ended the connection. */
  readonly live: boolean
  /** How the registry ends this connection (replaces the one given to open()). */
  onEnd(end: (why: EndReason) => void): void
  /** The connection is gone; idempotent. */
  release(): void
}

export interface ConnectionRegistryOptions {
  tokens: TokenRepo
  maxPerToken?: number
  /** 0: only this process's events and expiry timers. */
  recheckMs?: number
  now?: () => number
}

interface Lease extends ConnectionLease {
  needs: Role
  end: (why: EndReason) => void
  live: boolean
}

interface TokenEntry {
  leases: Set<Lease>
  expiresAt: number | null
  timer: NodeJS.Timeout | undefined
}

export class ConnectionRegistry {
  private readonly byToken = new Map<string, TokenEntry>()
  private readonly maxPerToken: number
  private readonly recheckMs: number
  private readonly now: () => number
  private recheckTimer: NodeJS.Timeout | undefined
  private rechecking = false
  private readonly onRevoked = (id: string) => this.endAll(id, 'revoked')
  private readonly onUpdated = (info: { id: string; role: Role }) => this.lowered(info.id, info.role)

  constructor(private readonly o: ConnectionRegistryOptions) {
    this.maxPerToken = o.maxPerToken ?? DEFAULT_CONNECTIONS_PER_TOKEN
    this.recheckMs = o.recheckMs ?? DEFAULT_TOKEN_RECHECK_MS
    this.now = o.now ?? Date.now
    if (!Number.isInteger(this.maxPerToken) || this.maxPerToken < 1) throw new ServiceError('VALIDATION_FAILED', 'connections per token must be at least 1', { details: { field: 'ws-per-token' } })
    o.tokens.on('token:revoked', this.onRevoked)
    o.tokens.on('token:updated', this.onUpdated)
  }

  /** Live connections of a token. */
  count(tokenId: string): number {
    return this.byToken.get(tokenId)?.leases.size ?? 0
  }

  /** Live connections in all. */
  get size(): number {
    let n = 0
    for (const e of this.byToken.values()) n += e.leases.size
    return n
  }

  /**
   * Registers a connection that needs `needs` to stay as it is, or throws
   * TOO_MANY_CONNECTIONS. `end` is how to end it until onEnd() replaces it.
   */
  open(p: Principal, needs: Role, end: (why: EndReason) => void): ConnectionLease {
    let entry = this.byToken.get(p.tokenId)
    if (entry !== undefined && entry.leases.size >= this.maxPerToken) {
      throw new ServiceError('TOO_MANY_CONNECTIONS', `this token already holds ${entry.leases.size} connections (at most ${this.maxPerToken})`, { details: { limit: this.maxPerToken } })
    }
    const fresh = entry === undefined
    if (entry === undefined) {
      entry = { leases: new Set(), expiresAt: p.expiresAt === null ? null : Date.parse(p.expiresAt), timer: undefined }
      this.byToken.set(p.tokenId, entry)
    }
    const leases = entry.leases
    const lease: Lease = {
      needs, end, live: true,
      onEnd: (fn) => void (lease.end = fn),
      release: () => {
        if (!leases.delete(lease)) return
        this.forget(p.tokenId)
      },
    }
    leases.add(lease)
    this.armRecheck()
    // After the lease is in: a token that expired since it was verified ends it at once.
    if (fresh) this.armExpiry(p.tokenId, entry)
    return lease
  }

  /** Stops the timers and the event subscriptions (the app closes; sockets close on their own). */
  close(): void {
    this.o.tokens.off('token:revoked', this.onRevoked)
    this.o.tokens.off('token:updated', this.onUpdated)
    for (const e of this.byToken.values()) clearTimeout(e.timer)
    this.byToken.clear()
    clearInterval(this.recheckTimer)
    this.recheckTimer = undefined
  }

  private endAll(tokenId: string, why: EndReason, which: (l: Lease) => boolean = () => true): void {
    const entry = this.byToken.get(tokenId)
    if (entry === undefined) return
    for (const lease of [...entry.leases]) {
      if (!which(lease)) continue
      lease.live = false
      entry.leases.delete(lease)
      lease.end(why)
    }
    this.forget(tokenId)
  }

  private lowered(tokenId: string, role: Role): void {
    this.endAll(tokenId, 'downgraded', (l) => !roleAllows(role, l.needs))
  }

  private forget(tokenId: string): void {
    const entry = this.byToken.get(tokenId)
    if (entry === undefined || entry.leases.size > 0) return
    clearTimeout(entry.timer)
    this.byToken.delete(tokenId)
    if (this.byToken.size === 0) {
      clearInterval(this.recheckTimer)
      this.recheckTimer = undefined
    }
  }

  private armExpiry(tokenId: string, entry: TokenEntry): void {
    if (entry.expiresAt === null) return
    const left = entry.expiresAt - this.now()
    if (left <= 0) return this.endAll(tokenId, 'expired')
    entry.timer = setTimeout(() => this.armExpiry(tokenId, entry), Math.min(left, MAX_TIMER_MS))
    entry.timer.unref()
  }

  private armRecheck(): void {
    if (this.recheckMs === 0 || this.recheckTimer !== undefined) return
    this.recheckTimer = setInterval(() => this.recheck(), this.recheckMs)
    this.recheckTimer.unref()
  }

  /**
   * Finds what another process changed: revoked, expired or lowered tokens.
   * One pass at a time; a pass the store cannot answer (a shared store that
   * is unreachable) changes nothing and the next tick tries again.
   */
  private recheck(): void {
    if (this.rechecking) return
    this.rechecking = true
    this.recheckOnce().then(
      () => (this.rechecking = false),
      () => (this.rechecking = false),
    )
  }

  private async recheckOnce(): Promise<void> {
    for (const tokenId of [...this.byToken.keys()]) {
      if (tokenId === ENV_TOKEN_ID) continue
      const s = await this.o.tokens.state(tokenId)
      switch (s.state) {
        case 'valid':
          this.lowered(tokenId, s.info.role)
          break
        case 'expired':
          this.endAll(tokenId, 'expired')
          break
        case 'revoked':
        case 'unknown':
          this.endAll(tokenId, 'revoked')
          break
        default:
          assertNever(s)
      }
    }
  }
}

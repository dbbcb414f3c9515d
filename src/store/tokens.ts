/**
 * API tokens: `bmv_<id>_<secret>` where id (8 hex digits) names the token in
 * listings and the audit log and the whole string is the credential. Only
 * SHA-256 of the token is stored; the token itself is shown once, at
 * creation. A token may carry an expiry, after which it is refused. Revoked
 * tokens stay listed-out but kept for the audit trail. revoke() and
 * setRole() emit events so that connections held by the token can be
 * closed or downgraded at once (src/api/connections.ts).
 */
import { createHash, randomBytes } from 'node:crypto'
import { EventEmitter } from 'node:events'
import type { Database, Statement } from 'better-sqlite3'
import { ServiceError } from '../errors.js'
import type { Role, TokenInfo, TokenRepo, TokenState, TokenStoreEvents } from './types.js'

/** A tokens row without its hash (revoked_at only where asked for). */
export interface TokenRow {
  id: string
  name: string
  role: Role
  created_at: string
  last_used_at: string | null
  expires_at: string | null
  revoked_at?: string | null
}

const TOKEN_RE = /^bmv_([0-9a-f]{8})_[A-Za-z0-9_-]{43}$/
/** last_used_at is refreshed at most this often, so verification stays a read. */
export const TOUCH_EVERY_MS = 60_000
export const TOKEN_COLUMNS = 'id, name, role, created_at, last_used_at, expires_at'

/** Units of a token lifetime: `30d`, `12h`, `90m`, `2w`, `3600s`. */
const DURATION_UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const
export const DURATION_PATTERN = `^[1-9][0-9]{0,5}[${Object.keys(DURATION_UNIT_MS).join('')}]$`
/** The longest lifetime a token may be given (ten years). */
export const MAX_TOKEN_TTL_MS = 3650 * DURATION_UNIT_MS.d

/** Milliseconds of a duration such as `30d`; VALIDATION_FAILED on `field` otherwise. */
export function parseDuration(s: string, field: string): number {
  if (!new RegExp(DURATION_PATTERN).test(s)) throw new ServiceError('VALIDATION_FAILED', `${field} is a duration such as 30d, 12h, 90m or 2w`, { details: { field } })
  const ms = Number(s.slice(0, -1)) * DURATION_UNIT_MS[s.slice(-1) as keyof typeof DURATION_UNIT_MS]
  if (ms > MAX_TOKEN_TTL_MS) throw new ServiceError('VALIDATION_FAILED', `${field} is at most 3650d`, { details: { field } })
  return ms
}

/** A checked expiry time (ISO): in the future and within MAX_TOKEN_TTL_MS. */
export function checkExpiry(iso: string, field: string, now = Date.now()): string {
  const t = Date.parse(iso)
  if (!Number.isFinite(t)) throw new ServiceError('VALIDATION_FAILED', `${field} is not a date and time`, { details: { field } })
  if (t <= now) throw new ServiceError('VALIDATION_FAILED', `${field} is in the past`, { details: { field } })
  if (t - now > MAX_TOKEN_TTL_MS) throw new ServiceError('VALIDATION_FAILED', `${field} is more than 3650 days away`, { details: { field } })
  return new Date(t).toISOString()
}

export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest()
}

/** A fresh token and its id (the store refuses an id already taken: draw again). */
export function newToken(): { id: string; token: string } {
  const id = randomBytes(4).toString('hex')
  return { id, token: `bmv_${id}_${randomBytes(32).toString('base64url')}` }
}

/** Whether a verified token's last_used_at is due for a refresh (TOUCH_EVERY_MS). */
export function touchDue(r: TokenRow, now: number): boolean {
  return r.last_used_at === null || now - Date.parse(r.last_used_at) > TOUCH_EVERY_MS
}

export const tokenNotFound = (id: string): ServiceError => new ServiceError('NOT_FOUND', `no token with id ${id}`, { details: { token: id } })

export function looksLikeToken(s: string): boolean {
  return TOKEN_RE.test(s)
}

export function expired(r: TokenRow, now: number): boolean {
  return r.expires_at !== null && Date.parse(r.expires_at) <= now
}

export class SqliteTokenRepo extends EventEmitter<TokenStoreEvents> implements TokenRepo {
  private readonly q: {
    insert: Statement<[string, string, Role, Buffer, string, string | null]>
    byHash: Statement<[Buffer], TokenRow>
    byId: Statement<[string], TokenRow>
    list: Statement<[], TokenRow>
    revoke: Statement<[string, string]>
    setRole: Statement<[Role, string]>
    touch: Statement<[string, string]>
    count: Statement<[], { n: number }>
  }

  constructor(db: Database, private readonly now: () => number = Date.now) {
    super()
    this.q = {
      insert: db.prepare('INSERT INTO tokens (id, name, role, hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)'),
      byHash: db.prepare(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE hash = ? AND revoked_at IS NULL`),
      byId: db.prepare(`SELECT ${TOKEN_COLUMNS}, revoked_at FROM tokens WHERE id = ?`),
      list: db.prepare(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE revoked_at IS NULL ORDER BY created_at, id`),
      revoke: db.prepare('UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
      setRole: db.prepare('UPDATE tokens SET role = ? WHERE id = ? AND revoked_at IS NULL'),
      touch: db.prepare('UPDATE tokens SET last_used_at = ? WHERE id = ?'),
      count: db.prepare('SELECT count(*) AS n FROM tokens WHERE revoked_at IS NULL'),
    }
  }

  async create(opts: { name: string; role: Role; expiresAt?: string | undefined }): Promise<{ token: string; info: TokenInfo }> {
    const expiresAt = opts.expiresAt === undefined ? null : new Date(Date.parse(opts.expiresAt)).toISOString()
    for (;;) {
      const { id, token } = newToken()
      const now = new Date(this.now()).toISOString()
      try {
        this.q.insert.run(id, opts.name, opts.role, hashToken(token), now, expiresAt)
      } catch (e) {
        if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') continue // id collision: draw again
        throw e
      }
      return { token, info: { id, name: opts.name, role: opts.role, createdAt: now, lastUsedAt: null, expiresAt } }
    }
  }

  async verify(token: string): Promise<TokenInfo | undefined> {
    if (!looksLikeToken(token)) return undefined
    const row = this.q.byHash.get(hashToken(token))
    const now = this.now()
    if (row === undefined || expired(row, now)) return undefined
    if (touchDue(row, now)) {
      row.last_used_at = new Date(now).toISOString()
      this.q.touch.run(row.last_used_at, row.id)
    }
    return toInfo(row)
  }

  async state(id: string): Promise<TokenState> {
    const row = this.q.byId.get(id)
    if (row === undefined) return { state: 'unknown' }
    if (row.revoked_at !== null && row.revoked_at !== undefined) return { state: 'revoked' }
    if (expired(row, this.now())) return { state: 'expired' }
    return { state: 'valid', info: toInfo(row) }
  }

  async list(): Promise<TokenInfo[]> {
    return this.q.list.all().map(toInfo)
  }

  async revoke(id: string): Promise<void> {
    if (this.q.revoke.run(new Date(this.now()).toISOString(), id).changes === 0) throw tokenNotFound(id)
    this.emit('token:revoked', id)
  }

  async setRole(id: string, role: Role): Promise<TokenInfo> {
    if (this.q.setRole.run(role, id).changes === 0) throw tokenNotFound(id)
    const info = toInfo(this.q.byId.get(id)!)
    this.emit('token:updated', info)
    return info
  }

  async count(): Promise<number> {
    return this.q.count.get()!.n
  }
}

export function toInfo(r: TokenRow): TokenInfo {
  return { id: r.id, name: r.name, role: r.role, createdAt: r.created_at, lastUsedAt: r.last_used_at, expiresAt: r.expires_at }
}

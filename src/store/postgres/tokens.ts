/**
 * API tokens in PostgreSQL, shared by every instance: the SQLite
 * repository's semantics (../tokens.ts: hashes only, expiry, revoke and role
 * change events in the process that made them; other instances find those
 * through state(), as they find the CLI's with SQLite).
 */
import { EventEmitter } from 'node:events'
import { expired, hashToken, looksLikeToken, newToken, toInfo, TOKEN_COLUMNS, tokenNotFound, touchDue, type TokenRow } from '../tokens.js'
import type { Role, TokenInfo, TokenRepo, TokenState, TokenStoreEvents } from '../types.js'
import type { PgDb } from './db.js'

export class PgTokenRepo extends EventEmitter<TokenStoreEvents> implements TokenRepo {
  constructor(private readonly db: PgDb, private readonly now: () => number = Date.now) {
    super()
  }

  async create(opts: { name: string; role: Role; expiresAt?: string | undefined }): Promise<{ token: string; info: TokenInfo }> {
    const expiresAt = opts.expiresAt === undefined ? null : new Date(Date.parse(opts.expiresAt)).toISOString()
    for (;;) {
      const { id, token } = newToken()
      const now = new Date(this.now()).toISOString()
      const r = await this.db.query('INSERT INTO tokens (id, name, role, hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING', [
        id, opts.name, opts.role, hashToken(token), now, expiresAt,
      ])
      if (r.rowCount === 0) continue // id collision: draw again
      return { token, info: { id, name: opts.name, role: opts.role, createdAt: now, lastUsedAt: null, expiresAt } }
    }
  }

  async verify(token: string): Promise<TokenInfo | undefined> {
    if (!looksLikeToken(token)) return undefined
    const row = (await this.db.query<TokenRow>(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE hash = $1 AND revoked_at IS NULL`, [hashToken(token)])).rows[0]
    const now = this.now()
    if (row === undefined || expired(row, now)) return undefined
    if (touchDue(row, now)) {
      row.last_used_at = new Date(now).toISOString()
      await this.db.query('UPDATE tokens SET last_used_at = $1 WHERE id = $2', [row.last_used_at, row.id])
    }
    return toInfo(row)
  }

  async state(id: string): Promise<TokenState> {
    const row = (await this.db.query<TokenRow>(`SELECT ${TOKEN_COLUMNS}, revoked_at FROM tokens WHERE id = $1`, [id])).rows[0]
    if (row === undefined) return { state: 'unknown' }
    if (row.revoked_at !== null && row.revoked_at !== undefined) return { state: 'revoked' }
    if (expired(row, this.now())) return { state: 'expired' }
    return { state: 'valid', info: toInfo(row) }
  }

  async list(): Promise<TokenInfo[]> {
    return (await this.db.query<TokenRow>(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE revoked_at IS NULL ORDER BY created_at, id`)).rows.map(toInfo)
  }

  async revoke(id: string): Promise<void> {
    const r = await this.db.query('UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [new Date(this.now()).toISOString(), id])
    if (r.rowCount === 0) throw tokenNotFound(id)
    this.emit('token:revoked', id)
  }

  async setRole(id: string, role: Role): Promise<TokenInfo> {
    const row = (await this.db.query<TokenRow>(`UPDATE tokens SET role = $1 WHERE id = $2 AND revoked_at IS NULL RETURNING ${TOKEN_COLUMNS}`, [role, id])).rows[0]
    if (row === undefined) throw tokenNotFound(id)
    const info = toInfo(row)
    this.emit('token:updated', info)
    return info
  }

  async count(): Promise<number> {
    return (await this.db.query<{ n: number }>('SELECT count(*)::integer AS n FROM tokens WHERE revoked_at IS NULL')).rows[0]!.n
  }
}

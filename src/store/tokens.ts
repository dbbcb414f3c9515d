/**
 * API tokens: `bmv_<id>_<secret>` where id (8 hex digits) names the token in
 * listings and the audit log and the whole string is the credential. Only
 * SHA-256 of the token is stored; the token itself is shown once, at
 * creation. Revoked tokens stay listed-out but kept for the audit trail.
 */
import { createHash, randomBytes } from 'node:crypto'
import type { Database, Statement } from 'better-sqlite3'
import { ServiceError } from '../errors.js'
import type { Role, TokenInfo, TokenRepo } from './types.js'

interface Row {
  id: string
  name: string
  role: Role
  created_at: string
  last_used_at: string | null
}

const TOKEN_RE = /^bmv_([0-9a-f]{8})_[A-Za-z0-9_-]{43}$/
/** last_used_at is refreshed at most this often, so verification stays a read. */
const TOUCH_EVERY_MS = 60_000

export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest()
}

export function looksLikeToken(s: string): boolean {
  return TOKEN_RE.test(s)
}

export class SqliteTokenRepo implements TokenRepo {
  private readonly q: {
    insert: Statement<[string, string, Role, Buffer, string]>
    byHash: Statement<[Buffer], Row>
    list: Statement<[], Row>
    revoke: Statement<[string, string]>
    touch: Statement<[string, string]>
    count: Statement<[], { n: number }>
  }

  constructor(db: Database) {
    this.q = {
      insert: db.prepare('INSERT INTO tokens (id, name, role, hash, created_at) VALUES (?, ?, ?, ?, ?)'),
      byHash: db.prepare('SELECT id, name, role, created_at, last_used_at FROM tokens WHERE hash = ? AND revoked_at IS NULL'),
      list: db.prepare('SELECT id, name, role, created_at, last_used_at FROM tokens WHERE revoked_at IS NULL ORDER BY created_at, id'),
      revoke: db.prepare('UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
      touch: db.prepare('UPDATE tokens SET last_used_at = ? WHERE id = ?'),
      count: db.prepare('SELECT count(*) AS n FROM tokens WHERE revoked_at IS NULL'),
    }
  }

  create(opts: { name: string; role: Role }): { token: string; info: TokenInfo } {
    for (;;) {
      const id = randomBytes(4).toString('hex')
      const token = `bmv_${id}_${randomBytes(32).toString('base64url')}`
      const now = new Date().toISOString()
      try {
        this.q.insert.run(id, opts.name, opts.role, hashToken(token), now)
      } catch (e) {
        if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') continue // id collision: draw again
        throw e
      }
      return { token, info: { id, name: opts.name, role: opts.role, createdAt: now, lastUsedAt: null } }
    }
  }

  verify(token: string): TokenInfo | undefined {
    if (!looksLikeToken(token)) return undefined
    const row = this.q.byHash.get(hashToken(token))
    if (row === undefined) return undefined
    const now = Date.now()
    if (row.last_used_at === null || now - Date.parse(row.last_used_at) > TOUCH_EVERY_MS) {
      row.last_used_at = new Date(now).toISOString()
      this.q.touch.run(row.last_used_at, row.id)
    }
    return toInfo(row)
  }

  list(): TokenInfo[] {
    return this.q.list.all().map(toInfo)
  }

  revoke(id: string): void {
    if (this.q.revoke.run(new Date().toISOString(), id).changes === 0) throw new ServiceError('NOT_FOUND', `no token with id ${id}`, { details: { token: id } })
  }

  count(): number {
    return this.q.count.get()!.n
  }
}

function toInfo(r: Row): TokenInfo {
  return { id: r.id, name: r.name, role: r.role, createdAt: r.created_at, lastUsedAt: r.last_used_at }
}

/** The audit log in PostgreSQL, one log for every instance: the SQLite repository's semantics (../audit.ts, details scrubbed). */
import { detailText, listLimit, toEntry, type AuditRow } from '../audit.js'
import type { AuditEntry, AuditInput, AuditRepo } from '../types.js'
import type { PgDb } from './db.js'

export class PgAuditRepo implements AuditRepo {
  constructor(private readonly db: PgDb) {}

  async append(e: AuditInput): Promise<number> {
    const r = await this.db.query<{ id: string }>('INSERT INTO audit (at, actor, token_id, action, target, detail, outcome) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id', [
      e.at ?? new Date().toISOString(), e.actor, e.tokenId, e.action, e.target, detailText(e.detail), e.outcome,
    ])
    return Number(r.rows[0]!.id)
  }

  async prune(before: string): Promise<number> {
    return (await this.db.query('DELETE FROM audit WHERE at < $1', [before])).rowCount ?? 0
  }

  async list(opts: { limit?: number; beforeId?: number; target?: string } = {}): Promise<AuditEntry[]> {
    const where: string[] = []
    const args: (string | number)[] = []
    if (opts.beforeId !== undefined) {
      args.push(opts.beforeId)
      where.push(`id < $${args.length}`)
    }
    if (opts.target !== undefined) {
      args.push(opts.target)
      where.push(`target = $${args.length}`)
    }
    args.push(listLimit(opts.limit))
    const sql = `SELECT * FROM audit ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${args.length}`
    return (await this.db.query<AuditRow>(sql, args)).rows.map(toEntry)
  }
}

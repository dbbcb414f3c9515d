/**
 * The audit log: who (token name and id), what (a dotted action), on what
 * (target), when, with a small detail object and the outcome. Details are
 * scrubbed of secrets here, whatever the caller passed: any key named like
 * a password, K_G or token is replaced before the row is written.
 */
import type { Database, Statement } from 'better-sqlite3'
import type { AuditEntry, AuditInput, AuditRepo } from './types.js'

const SECRET_KEY = /^(password|newpassword|kg|token|secret|authorization|access_?token)$/i
const MAX_DETAIL_CHARS = 4096

/** A copy of `v` with every secret-named key censored (depth-limited, cycle-safe). */
export function scrub(v: unknown, depth = 0): unknown {
  if (depth > 6) return '[depth]'
  if (Array.isArray(v)) return v.slice(0, 100).map((x) => scrub(x, depth + 1))
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(v)) out[k] = SECRET_KEY.test(k) ? '[redacted]' : scrub(x, depth + 1)
    return out
  }
  return v
}

/** An audit row as both stores return it. */
export interface AuditRow {
  id: number
  at: string
  actor: string
  token_id: string | null
  action: string
  target: string | null
  detail: string | null
  outcome: string | null
}

export class SqliteAuditRepo implements AuditRepo {
  private readonly q: {
    insert: Statement<[string, string, string | null, string, string | null, string | null, string | null]>
    prune: Statement<[string]>
  }

  constructor(private readonly db: Database) {
    this.q = {
      insert: db.prepare('INSERT INTO audit (at, actor, token_id, action, target, detail, outcome) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      prune: db.prepare('DELETE FROM audit WHERE at < ?'),
    }
  }

  async append(e: AuditInput): Promise<number> {
    const r = this.q.insert.run(e.at ?? new Date().toISOString(), e.actor, e.tokenId, e.action, e.target, detailText(e.detail), e.outcome)
    return Number(r.lastInsertRowid)
  }

  async prune(before: string): Promise<number> {
    return this.q.prune.run(before).changes
  }

  async list(opts: { limit?: number; beforeId?: number; target?: string } = {}): Promise<AuditEntry[]> {
    const where: string[] = []
    const args: (string | number)[] = []
    if (opts.beforeId !== undefined) {
      where.push('id < ?')
      args.push(opts.beforeId)
    }
    if (opts.target !== undefined) {
      where.push('target = ?')
      args.push(opts.target)
    }
    const sql = `SELECT * FROM audit ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`
    args.push(listLimit(opts.limit))
    return (this.db.prepare(sql).all(...args) as AuditRow[]).map(toEntry)
  }
}

/** The detail column: scrubbed JSON, or a note of its size when it is longer than MAX_DETAIL_CHARS. */
export function detailText(detail: AuditEntry['detail']): string | null {
  const text = detail === null ? null : JSON.stringify(scrub(detail))
  return text !== null && text.length > MAX_DETAIL_CHARS ? JSON.stringify({ truncated: true, size: text.length }) : text
}

/** Rows one list() returns: 100 unless asked, 1 to 1000. */
export function listLimit(limit: number | undefined): number {
  return Math.max(1, Math.min(1000, limit ?? 100))
}

export function toEntry(r: AuditRow): AuditEntry {
  return {
    id: Number(r.id),
    at: r.at,
    actor: r.actor,
    tokenId: r.token_id,
    action: r.action,
    target: r.target,
    detail: r.detail === null ? null : (JSON.parse(r.detail) as Record<string, unknown>),
    outcome: r.outcome,
  }
}

export const DAY_MS = 86_400_000
export const DEFAULT_AUDIT_RETENTION_DAYS = 365
export const MAX_AUDIT_RETENTION_DAYS = 36_500

export interface AuditRetentionEvents {
  pruned(removed: number, before: string): void
  failed(err: unknown): void
}

/**
 * Keeps `days` of audit log: prunes older rows now and then once a day (an
 * unref'd timer, so it never holds the process up). A failed prune is
 * reported, never thrown. stop() ends it.
 */
export function keepAudit(repo: AuditRepo, days: number, on: AuditRetentionEvents, now: () => number = Date.now): { stop(): void } {
  const prune = () => {
    const before = new Date(now() - days * DAY_MS).toISOString()
    repo.prune(before).then(
      (removed) => {
        if (removed > 0) on.pruned(removed, before)
      },
      (e: unknown) => on.failed(e),
    )
  }
  prune()
  const timer = setInterval(prune, DAY_MS)
  timer.unref()
  return { stop: () => clearInterval(timer) }
}

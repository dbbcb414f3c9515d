/**
 * Console log search across the fleet, a plugin that buildApp() registers
 * under /api/v1 (src/main.ts passes `consoleSearchPlugin(...)`):
 *   GET /noderange/{expr}/console/log?grep=REGEX&flags=&since=&until=&context=N&limit=N   (viewer)
 * Every console log file of every node in the range (the current one and the
 * rotated ones, gzipped or not) is scanned on the search pool
 * (src/console/search-pool.ts), one task per file, a few files in flight per
 * request. The answer is NDJSON (docs/api.md "Console log search"), in order:
 * nodes in natural order, each node's files oldest first, lines in file
 * order; each file's matches are sent as soon as that file (and every file
 * before it) is done. One line per match, then one summary line. The client
 * going away aborts the request's tasks (their threads are ended by piscina).
 * Viewer, like the console log download (routes/web.ts); expensive, like
 * every range route (rate-limit.ts). Audited once per request.
 */
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { ServiceError, toWire } from '../../errors.js'
import { compilePattern, MAX_CONTEXT_LINES, MAX_PATTERN_CHARS, PATTERN_FLAGS, type ScanResult, type ScanTask } from '../../console/log-scan.js'
import type { SearchPool } from '../../console/search-pool.js'
import { audit } from '../auth.js'
import { MAX_EXPR_CHARS, resolveNoderange, type NoderangeSource } from '../noderange.js'
import { forwardClaim, type Forwarder } from '../../cluster/forward.js'
import { searchAnywhere } from '../search-forward.js'

/** Matches sent when the request names no limit, and the most it may ask for. */
export const DEFAULT_SEARCH_LIMIT = 1000
export const MAX_SEARCH_LIMIT = 100_000
/** Files in flight per request, per pool thread. */
const FILES_IN_FLIGHT_PER_THREAD = 2
/** Relative times: `90s`, `30m`, `2h`, `1d`. */
const RELATIVE_UNITS_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const
const RELATIVE_TIME = new RegExp(`^(\\d{1,9})([${Object.keys(RELATIVE_UNITS_MS).join('')}])$`)
/** `<node>.log`, `<node>.log.<stamp>`, `<node>.log.<stamp>.gz` (console-log.ts names them; node names may hold dots, so the end decides). */
const LOG_FILE = /^(.+)\.log(?:\.(\d{8}T\d{6}\.\d{3}Z(?:-\d+)?)(\.gz)?)?$/
const GZ = '.gz'
export const NDJSON = 'application/x-ndjson'

export interface ConsoleSearchOptions {
  pool: SearchPool
  /** The console log directory; undefined: no console is logged to disk (every search is NOT_FOUND). */
  logDir: () => string | undefined
  nodes: NoderangeSource
  /** Time source for relative since/until (tests). */
  now?: () => number
  /** In a cluster: every other live member searches its own disk too (src/api/search-forward.ts). */
  forward?: Forwarder
}

const Query = Type.Object({
  grep: Type.String({ minLength: 1, maxLength: MAX_PATTERN_CHARS, description: 'A JavaScript regular expression, tried on each line alone (grep semantics).' }),
  flags: Type.Optional(Type.String({ maxLength: PATTERN_FLAGS.length, description: `Pattern flags: any of ${PATTERN_FLAGS.join(', ')}.` })),
  since: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Lines at or after: an ISO time or a relative one (30m, 2h, 1d: that long ago).' })),
  until: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Lines at or before: an ISO time or a relative one.' })),
  context: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_CONTEXT_LINES, description: 'Lines of context before and after each match.' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_SEARCH_LIMIT, description: `Most matches sent (default ${DEFAULT_SEARCH_LIMIT}).` })),
}, { additionalProperties: false })
type QueryT = { grep: string; flags?: string; since?: string; until?: string; context?: number; limit?: number }

/** One line of the answer. */
export type SearchLine =
  /** `member`: in a cluster, the member whose disk holds the file (src/api/search-forward.ts). */
  | { type: 'match'; node: string; file: string; line: number; time: string | null; text: string; before: string[]; after: string[]; member?: string }
  | { type: 'summary'; matches: number; truncated: boolean; nodes: number; files: number; bytesScanned: number; errors: SearchError[] }
/** `member`: in a cluster, the member that reported it; an unreachable member's entry names no node. */
export interface SearchError { node?: string; member?: string; file?: string; code: string; message: string }

interface LogFile { node: string; name: string; log: string; journal: string }

/** An ISO time, or a relative one counted back from `now`; VALIDATION_FAILED naming `field` otherwise. */
export function parseSearchTime(value: string, field: string, now: number): number {
  const rel = RELATIVE_TIME.exec(value)
  if (rel !== null) return now - Number(rel[1]) * RELATIVE_UNITS_MS[rel[2] as keyof typeof RELATIVE_UNITS_MS]
  // Date.parse takes many forms; only ISO 8601 (a date, optionally a time) is promised.
  const t = /^\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$/.test(value) ? Date.parse(value) : Number.NaN
  if (Number.isNaN(t)) throw new ServiceError('VALIDATION_FAILED', `${field} must be an ISO time (2026-01-31T12:00:00Z) or a relative one (30m, 2h, 1d)`, { details: { field } })
  return t
}

/** The log files of `nodes` in `dir`, per node: rotated ones by stamp (oldest first), then the current one. */
export async function listLogFiles(dir: string, nodes: ReadonlySet<string>): Promise<Map<string, LogFile[]>> {
  let names: string[]
  try {
    names = await readdir(dir)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new Map()
    throw e
  }
  const present = new Set(names)
  const found = new Map<string, Map<string, { stamp: string | null; gz: boolean }>>()
  for (const name of names) {
    const m = LOG_FILE.exec(name)
    if (m === null || !nodes.has(m[1]!)) continue
    const node = m[1]!
    const stamp = m[2] ?? null
    const key = stamp ?? ''
    const byStamp = found.get(node) ?? new Map<string, { stamp: string | null; gz: boolean }>()
    // Mid-compression both names exist; the .gz is complete (renamed into place), so it wins.
    if (!(byStamp.get(key)?.gz ?? false)) byStamp.set(key, { stamp, gz: m[3] !== undefined })
    found.set(node, byStamp)
  }
  const out = new Map<string, LogFile[]>()
  for (const [node, byStamp] of found) {
    const files = [...byStamp.values()].sort((a, b) => compareStamps(a.stamp, b.stamp)).map(({ stamp, gz }): LogFile => {
      if (stamp === null) return { node, name: `${node}.log`, log: join(dir, `${node}.log`), journal: join(dir, `${node}.jnl`) }
      const name = `${node}.log.${stamp}${gz ? GZ : ''}`
      // The journal as listed: plain while its compression is pending (scanFile tries its .gz if it goes meanwhile).
      const plain = `${node}.jnl.${stamp}`
      return { node, name, log: join(dir, name), journal: join(dir, present.has(plain) ? plain : plain + GZ) }
    })
    out.set(node, files)
  }
  return out
}

/** Rotated stamps in time order (`-N` for several in one millisecond), the current file (null) last. */
function compareStamps(a: string | null, b: string | null): number {
  if (a === b) return 0
  if (a === null) return 1
  if (b === null) return -1
  const [sa, na] = a.split('-')
  const [sb, nb] = b.split('-')
  return sa! < sb! ? -1 : sa! > sb! ? 1 : Number(na ?? 0) - Number(nb ?? 0)
}

export function consoleSearchPlugin(o: ConsoleSearchOptions): FastifyPluginAsync {
  return async (app) => {
    app.get('/noderange/:expr/console/log', {
      config: { role: 'viewer', expensive: true },
      schema: {
        summary: 'Search the console logs of a noderange (current and rotated files; NDJSON: one line per match, then a summary)', tags: ['console'],
        params: Type.Object({ expr: Type.String({ minLength: 1, maxLength: MAX_EXPR_CHARS }) }, { additionalProperties: false }),
        querystring: Query,
      },
    }, async (req: FastifyRequest, reply: FastifyReply) => search(req, reply, o))
  }
}

async function search(req: FastifyRequest, reply: FastifyReply, o: ConsoleSearchOptions): Promise<FastifyReply> {
  const { expr } = req.params as { expr: string }
  const q = req.query as QueryT
  const flags = q.flags ?? ''
  for (const f of flags) {
    if (!(PATTERN_FLAGS as readonly string[]).includes(f)) throw new ServiceError('VALIDATION_FAILED', `unknown pattern flag ${JSON.stringify(f)}; any of ${PATTERN_FLAGS.join(', ')}`, { details: { field: 'flags' } })
  }
  compilePattern(q.grep, flags, 'grep')
  const now = (o.now ?? Date.now)()
  const sinceMs = q.since === undefined ? null : parseSearchTime(q.since, 'since', now)
  const untilMs = q.until === undefined ? null : parseSearchTime(q.until, 'until', now)
  if (sinceMs !== null && untilMs !== null && sinceMs > untilMs) throw new ServiceError('VALIDATION_FAILED', 'since is later than until', { details: { field: 'since' } })
  const { names, known } = await resolveNoderange(expr, o.nodes)
  const dir = o.logDir()
  if (dir === undefined) throw new ServiceError('NOT_FOUND', 'this server keeps no console logs on disk')
  const inFlight = o.pool.threads * FILES_IN_FLIGHT_PER_THREAD
  if (!o.pool.admits(inFlight)) throw new ServiceError('SEARCH_BUSY', 'the console log search queue is full; retry shortly')
  const files = await listLogFiles(dir, new Set(names.filter((n) => known.has(n))))
  const abort = new AbortController()
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) abort.abort(new ServiceError('SHUTTING_DOWN', 'the client went away'))
  })
  const claim = forwardClaim(req)
  const cluster = claim === undefined ? o.forward?.cluster : undefined
  const self = cluster?.self()
  const others = self === undefined ? [] : cluster!.members().filter((m) => m.id !== self.id)
  const auditSearch = (outcome: string, detail: Record<string, unknown>) => audit(req, 'console.search', { target: expr, outcome, grep: q.grep, ...detail })
  const plan: Plan = {
    names, known, files, flags, sinceMs, untilMs, inFlight,
    pattern: q.grep, context: q.context ?? 0, limit: q.limit ?? DEFAULT_SEARCH_LIMIT,
    // A share of another member's search is audited there, once; a cluster-wide search once it is merged.
    finish: claim?.share === true || others.length > 0 ? () => undefined : auditSearch,
  }
  const out = others.length === 0 ? lines(o.pool, plan, abort.signal) : searchAnywhere(o.forward!, req, others, self!.id, lines(o.pool, plan, abort.signal), names, plan.limit, auditSearch)
  return reply.type(NDJSON).header('cache-control', 'no-store').send(Readable.from(out))
}

/** A search: what every file's task shares (ScanTask without the file), and which files. */
interface Plan extends Omit<ScanTask, 'log' | 'journal'> {
  names: string[]
  known: ReadonlySet<string>
  files: Map<string, LogFile[]>
  inFlight: number
  finish: (outcome: string, detail: Record<string, unknown>) => void
}

/**
 * The answer's lines. Files are submitted in order, at most `inFlight` at a
 * time, and answered in the same order. Each task's limit is what is left
 * when it is submitted (0 once the limit is reached: the scan then only
 * tells whether there is one more, so `truncated` is exact).
 */
async function* lines(pool: SearchPool, p: Plan, signal: AbortSignal): AsyncGenerator<string> {
  const errors: SearchError[] = []
  for (const node of p.names) if (!p.known.has(node)) errors.push({ node, code: 'NODE_NOT_FOUND', message: `no node named ${node}` })
  const queue = p.names.flatMap((n) => p.files.get(n) ?? [])
  let matches = 0
  let truncated = false
  let bytes = 0
  let next = 0
  const window: { file: LogFile; result: Promise<ScanResult> }[] = []
  // Ends the tasks still in flight once the limit is known to be passed.
  const stop = new AbortController()
  const tasks = AbortSignal.any([signal, stop.signal])
  const submit = () => {
    while (!truncated && window.length < p.inFlight && next < queue.length) {
      const file = queue[next++]!
      const task: ScanTask = { log: file.log, journal: file.journal, pattern: p.pattern, flags: p.flags, sinceMs: p.sinceMs, untilMs: p.untilMs, context: p.context, limit: Math.max(0, p.limit - matches) }
      const result = pool.scan(task, tasks)
      // Settled in order below; a rejection waiting its turn is not unhandled.
      result.catch(() => undefined)
      window.push({ file, result })
    }
  }
  let outcome = 'ok'
  try {
    submit()
    while (window.length > 0) {
      const { file, result } = window.shift()!
      let r: ScanResult
      try {
        r = await result
      } catch (e) {
        if (signal.aborted) throw e
        const w = toWire(e)
        errors.push({ node: file.node, file: file.name, code: w.code, message: w.message })
        submit()
        continue
      }
      bytes += r.bytes
      for (const m of r.matches) {
        if (matches === p.limit) {
          truncated = true
          break
        }
        matches++
        const line: SearchLine = { type: 'match', node: file.node, file: file.name, ...m }
        yield JSON.stringify(line) + '\n'
      }
      if (r.truncated) truncated = true
      if (truncated) break
      submit()
    }
  } catch (e) {
    outcome = signal.aborted ? 'aborted' : 'failed'
    throw e
  } finally {
    // Tasks still in flight past the limit, or when the client went away, are ended, not waited for.
    stop.abort()
    p.finish(outcome === 'ok' ? `${matches} matches${truncated ? ' (truncated)' : ''}` : outcome, { nodes: p.names.length, bytesScanned: bytes })
  }
  const summary: SearchLine = { type: 'summary', matches, truncated, nodes: p.names.length, files: queue.length, bytesScanned: bytes, errors }
  yield JSON.stringify(summary) + '\n'
}

// Console log search over a noderange (routes/console-search.ts on the piscina
// search pool): 50 nodes' logs written by the real ConsoleLog with a fake
// clock, each rotated twice (the rotated pairs gzipped), plus one plain
// rotated pair a crash left behind; a marker on every node is found in every
// file with the time it was written. Invalid patterns and times are 400 with
// the field; limit and truncated are exact; a client that goes away ends the
// scan (the one search thread is free again for the next search); a full
// queue is SEARCH_BUSY, a file past the per-file deadline SEARCH_TIMEOUT in
// the summary; and `bmcvisor console-grep` against the same server.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { request as httpRequest } from 'node:http'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { ConsoleLog } from '../../src/console/index.js'
import type { ConsoleClock } from '../../src/console/types.js'
import { SEARCH_NICE_INCREMENT, SearchPool } from '../../src/console/search-pool.js'
import { consoleSearchPlugin, type SearchLine } from '../../src/api/routes/console-search.js'
import type { ApiPlugin } from '../../src/api/app.js'
import { waitUntil } from '../lab/net.js'
import { consoleGrepCommand } from '../../src/cli/console-grep.js'
import { nodeBody, testApi, type TestApi } from './helpers.js'

const NODES = 50
const BASE = Date.parse('2026-03-01T00:00:00.000Z')
const HOUR = 3_600_000
/** The marker's three writes per node: before each rotation, and in the current file. */
const MARKER_TIMES = [BASE + 10_000, BASE + HOUR + 10_000, BASE + 2 * HOUR + 10_000]
const NOW = BASE + 2 * HOUR + 60_000
const name = (i: number) => `n${String(i).padStart(2, '0')}`
/** A line that makes `(a+)+$` backtrack for longer than any test runs: the scan only ends when its thread is ended. */
const BACKTRACK_LINE = 'a'.repeat(40) + 'b\n'

class ManualClock implements ConsoleClock {
  t = BASE
  now(): number {
    return this.t
  }
  setTimeout(): unknown {
    return undefined // flushes are explicit here
  }
  clearTimeout(): void {}
}

async function writeLogs(dir: string): Promise<void> {
  for (let i = 1; i <= NODES; i++) {
    const clock = new ManualClock()
    const log = new ConsoleLog({ dir, node: name(i), clock, maxBytes: 256, keep: 5 })
    for (const [k, t] of MARKER_TIMES.entries()) {
      clock.t = t - 5000
      log.append(Buffer.from(`boot phase ${k}\n${'filler line\n'.repeat(25)}`))
      clock.t = t
      log.append(Buffer.from(`kernel: PANIC-MARKER node=${name(i)} phase=${k}\nafter ${k}\n`))
      await log.flush()
      clock.t = t + 60_000
    }
    await log.close()
  }
  // A plain rotated pair left by a crash mid-compression, for n01.
  writeFileSync(join(dir, 'n01.log.20260228T000000.000Z'), 'old PANIC-MARKER node=n01 phase=crash\n')
  writeFileSync(join(dir, 'n01.jnl.20260228T000000.000Z'), JSON.stringify({ time: '2026-02-28T00:00:00.000Z', type: 'data', offset: 0, length: 38 }) + '\n')
}

function parse(body: string): { matches: Extract<SearchLine, { type: 'match' }>[]; summary: Extract<SearchLine, { type: 'summary' }> } {
  const lines = body.trim().split('\n').map((l) => JSON.parse(l) as SearchLine)
  const summary = lines.pop()!
  assert.equal(summary.type, 'summary', body.slice(-500))
  return { matches: lines as Extract<SearchLine, { type: 'match' }>[], summary: summary as Extract<SearchLine, { type: 'summary' }> }
}

describe('GET /api/v1/noderange/{expr}/console/log', () => {
  let t: TestApi
  let pool: SearchPool
  let logDir: string
  let port: number
  const url = (q: string, expr = 'n[01-50]') => `/api/v1/noderange/${encodeURIComponent(expr)}/console/log?${q}`

  before(async () => {
    logDir = mkdtempSync(join(tmpdir(), 'bmcvisor-search-'))
    await writeLogs(logDir)
    // One thread: the abort test shows the thread is free again afterwards.
    pool = new SearchPool({ threads: 1, taskTimeoutMs: 120_000 })
    const plugin = consoleSearchPlugin({
      pool, logDir: () => logDir, now: () => NOW,
      nodes: { names: () => t.store.nodes.names(), inGroup: (g) => t.store.nodes.inGroup(g) },
    }) as ApiPlugin
    t = await testApi({ plugins: [plugin], limits: { expensive: { perSecond: 1000, burst: 1000 } } })
    for (let i = 1; i <= NODES; i++) await t.store.nodes.create(nodeBody(name(i)) as never)
    await t.store.nodes.create(nodeBody('slow') as never)
    writeFileSync(join(logDir, 'slow.log'), BACKTRACK_LINE)
    await t.app.listen({ host: '127.0.0.1', port: 0 })
    port = (t.app.server.address() as { port: number }).port
  })
  after(async () => {
    await t.close()
    await pool.close()
    rmSync(logDir, { recursive: true, force: true })
  })

  it('the logs on disk: two gzipped rotated pairs per node and the current pair', () => {
    const files = readdirSync(logDir).filter((f) => f.startsWith('n07.'))
    assert.equal(files.filter((f) => /^n07\.log\.\d{8}T\d{6}\.\d{3}Z\.gz$/.test(f)).length, 2, files.join(' '))
    assert.equal(files.filter((f) => /^n07\.jnl\.\d{8}T\d{6}\.\d{3}Z\.gz$/.test(f)).length, 2, files.join(' '))
    assert.ok(files.includes('n07.log') && files.includes('n07.jnl'))
  })

  it('finds the marker on all 50 nodes, in every file, with the times it was written', async () => {
    const res = await t.app.inject({ url: url('grep=PANIC-MARKER&context=1'), headers: t.auth('viewer') })
    assert.equal(res.statusCode, 200, res.body)
    assert.match(String(res.headers['content-type']), /application\/x-ndjson/)
    const { matches, summary } = parse(res.body)
    assert.equal(matches.length, NODES * 3 + 1)
    assert.deepEqual({ ...summary, bytesScanned: 0 }, { type: 'summary', matches: NODES * 3 + 1, truncated: false, nodes: NODES, files: NODES * 3 + 1, bytesScanned: 0, errors: [] })
    assert.ok(summary.bytesScanned > NODES * 3 * 256)
    // In order: nodes naturally, each node's files oldest first.
    assert.deepEqual([...new Set(matches.map((m) => m.node))], Array.from({ length: NODES }, (_, i) => name(i + 1)))
    const n01 = matches.filter((m) => m.node === 'n01')
    assert.deepEqual(n01.map((m) => [m.time, m.text]), [
      ['2026-02-28T00:00:00.000Z', 'old PANIC-MARKER node=n01 phase=crash'],
      ...MARKER_TIMES.map((tm, k) => [new Date(tm).toISOString(), `kernel: PANIC-MARKER node=n01 phase=${k}`]),
    ])
    for (let i = 1; i <= NODES; i++) {
      const mine = matches.filter((m) => m.node === name(i) && !m.text.includes('crash'))
      assert.deepEqual(mine.map((m) => m.time), MARKER_TIMES.map((tm) => new Date(tm).toISOString()), name(i))
      assert.deepEqual(mine.map((m) => m.text), [0, 1, 2].map((k) => `kernel: PANIC-MARKER node=${name(i)} phase=${k}`))
      assert.ok(mine[0]!.file.endsWith('.gz') && mine[1]!.file.endsWith('.gz') && mine[2]!.file === `${name(i)}.log`, mine.map((m) => m.file).join(' '))
      assert.deepEqual([mine[2]!.before, mine[2]!.after], [['filler line'], ['after 2']])
      assert.equal(mine[2]!.line, 27, 'line numbers count within the file (boot line, 25 fillers, the marker)')
    }
  })

  it('since and until, ISO and relative, pick the lines by their journal time', async () => {
    const rel = parse((await t.app.inject({ url: url('grep=PANIC-MARKER&since=90m'), headers: t.auth('viewer') })).body)
    assert.equal(rel.matches.length, NODES * 2)
    assert.ok(rel.matches.every((m) => Date.parse(m.time!) >= NOW - 90 * 60_000))
    const iso = parse((await t.app.inject({ url: url(`grep=PANIC-MARKER&until=${new Date(MARKER_TIMES[0]!).toISOString()}`, 'n01,n02'), headers: t.auth('viewer') })).body)
    assert.deepEqual(iso.matches.map((m) => m.text), ['old PANIC-MARKER node=n01 phase=crash', 'kernel: PANIC-MARKER node=n01 phase=0', 'kernel: PANIC-MARKER node=n02 phase=0'])
    const ci = parse((await t.app.inject({ url: url('grep=panic-marker.*phase%3D1$&flags=i', 'n03'), headers: t.auth('viewer') })).body)
    assert.deepEqual(ci.matches.map((m) => m.text), ['kernel: PANIC-MARKER node=n03 phase=1'])
  })

  it('limit caps the matches and truncated says exactly whether there were more', async () => {
    const ten = parse((await t.app.inject({ url: url('grep=PANIC-MARKER&limit=10'), headers: t.auth('viewer') })).body)
    assert.equal(ten.matches.length, 10)
    assert.equal(ten.summary.truncated, true)
    const all = NODES * 3 + 1
    const exact = parse((await t.app.inject({ url: url(`grep=PANIC-MARKER&limit=${all}`), headers: t.auth('viewer') })).body)
    assert.deepEqual([exact.matches.length, exact.summary.truncated], [all, false])
    const oneLess = parse((await t.app.inject({ url: url(`grep=PANIC-MARKER&limit=${all - 1}`), headers: t.auth('viewer') })).body)
    assert.deepEqual([oneLess.matches.length, oneLess.summary.truncated], [all - 1, true])
  })

  it('an invalid pattern, flag or time is 400 VALIDATION_FAILED naming the field; unknown nodes are summary errors', async () => {
    for (const [q, field] of [['grep=(unclosed', 'grep'], ['grep=x&flags=g', 'flags'], ['grep=x&since=yesterday', 'since'], ['grep=x&until=5y', 'until'], ['grep=x&since=1h&until=2h', 'since']] as const) {
      const res = await t.app.inject({ url: url(q), headers: t.auth('viewer') })
      assert.equal(res.statusCode, 400, `${q}: ${res.body}`)
      const body = res.json<{ error: { code: string; details: { field: string } } }>()
      assert.equal(body.error.code, 'VALIDATION_FAILED', q)
      assert.equal(body.error.details.field, field, q)
    }
    assert.equal((await t.app.inject({ url: url('grep=x'), headers: {} })).statusCode, 401)
    const { summary } = parse((await t.app.inject({ url: url('grep=PANIC-MARKER', 'n01,ghost'), headers: t.auth('viewer') })).body)
    assert.deepEqual(summary.errors.map((e) => [e.node, e.code]), [['ghost', 'NODE_NOT_FOUND']])
    assert.equal(summary.matches, 4)
  })

  it('a client that goes away ends the scan: no task left, and the one thread serves the next search at once', async () => {
    const req = httpRequest({ host: '127.0.0.1', port, path: url('grep=(a%2B)%2B$', 'slow'), headers: t.auth('viewer') })
    req.on('error', () => undefined)
    req.end()
    await waitUntil(() => pool.active === 1, { timeoutMs: 10_000 })
    // The thread scanning runs nicer than the service's own threads (Linux).
    const nice = (stat: string) => Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16])
    const base = nice(readFileSync('/proc/self/stat', 'utf8'))
    const threads = readdirSync('/proc/self/task').map((tid) => { try { return nice(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')) } catch { return base } })
    assert.ok(threads.includes(base + SEARCH_NICE_INCREMENT), `thread nice values ${threads.join(',')}, the process's ${base}`)
    req.destroy()
    // Well inside the per-file deadline (120 s): only the client's going away can end the task this soon.
    await waitUntil(() => pool.active === 0, { timeoutMs: 10_000 })
    // The backtracking scan would hold the only thread for far longer than this test; its thread was ended.
    const started = performance.now()
    const next = parse((await t.app.inject({ url: url('grep=phase=2', 'n05'), headers: t.auth('viewer') })).body)
    assert.equal(next.matches.length, 1)
    assert.ok(performance.now() - started < 10_000, `next search took ${performance.now() - started} ms`)
  })

  describe('bmcvisor console-grep', () => {
    const run = async (...argv: string[]) => {
      const out: string[] = []
      const err: string[] = []
      const sink = (into: string[]) => new Writable({ write(c: Buffer, _e, cb) { into.push(c.toString()); cb() } })
      const env = { BMCVISOR_URL: `http://127.0.0.1:${port}`, BMCVISOR_TOKEN: t.tokens.viewer }
      const code = await consoleGrepCommand(argv, { stdout: sink(out), stderr: sink(err), env })
      return { code, out: out.join(''), err: err.join('') }
    }

    it('prints node, time and line per match, grep-like, and exits 0', async () => {
      const r = await run('n[01-50]', 'PANIC-MARKER')
      assert.equal(r.code, 0, r.err)
      const lines = r.out.trimEnd().split('\n')
      assert.equal(lines.length, NODES * 3 + 1)
      assert.equal(lines[0], 'n01 2026-02-28T00:00:00.000Z old PANIC-MARKER node=n01 phase=crash')
      assert.equal(lines[3], `n01 ${new Date(MARKER_TIMES[2]!).toISOString()} kernel: PANIC-MARKER node=n01 phase=2`)
      assert.equal(r.err, '')
    })

    it('context lines carry - for the time, groups are separated by --; -i ignores case', async () => {
      const r = await run('n02', 'panic-marker.*phase=2', '-i', '-C', '1')
      assert.equal(r.code, 0, r.err)
      assert.deepEqual(r.out.trimEnd().split('\n'), [
        `n02 ${'-'.padEnd(24)} filler line`,
        `n02 ${new Date(MARKER_TIMES[2]!).toISOString()} kernel: PANIC-MARKER node=n02 phase=2`,
        `n02 ${'-'.padEnd(24)} after 2`,
      ])
      const two = await run('n02,n03', 'phase=2', '--context', '1')
      assert.equal(two.out.split('\n').filter((l) => l === '--').length, 1)
    })

    it('exit 1 when nothing matches, 2 on an invalid pattern or a missing node; --limit says what was left out', async () => {
      assert.equal((await run('n[01-50]', 'NOT-THERE')).code, 1)
      const bad = await run('n01', '(unclosed')
      assert.equal(bad.code, 2)
      assert.match(bad.err, /^bmcvisor: VALIDATION_FAILED: /)
      const ghost = await run('n01,ghost', 'PANIC-MARKER')
      assert.equal(ghost.code, 2)
      assert.match(ghost.err, /NODE_NOT_FOUND: ghost/)
      const capped = await run('n[01-50]', 'PANIC-MARKER', '--limit', '5', '--since', '2026-03-01T00:00:00Z')
      assert.equal(capped.code, 0)
      assert.equal(capped.out.trimEnd().split('\n').length, 5)
      assert.match(capped.err, /5 matches shown; there are more/)
      assert.equal((await run('n01', 'x', '--limit', 'many')).code, 2)
    })

    it('--ndjson passes the lines on, --json prints one object', async () => {
      const nd = await run('n04,n05', 'phase=1', '--ndjson')
      const lines = nd.out.trimEnd().split('\n').map((l) => JSON.parse(l) as SearchLine)
      assert.deepEqual(lines.map((l) => l.type), ['match', 'match', 'summary'])
      const js = JSON.parse((await run('n04,n05', 'phase=1', '--json')).out) as { matches: { node: string }[]; summary: { matches: number } }
      assert.deepEqual([js.matches.map((m) => m.node), js.summary.matches], [['n04', 'n05'], 2])
    })
  })
})

describe('the search pool when full', () => {
  it('a task past maxQueue is SEARCH_BUSY at once (503, retryable), and so is a search that would not fit', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'bmcvisor-busy-'))
    writeFileSync(join(dir, 'slow.log'), BACKTRACK_LINE)
    const pool = new SearchPool({ threads: 1, maxQueue: 1, taskTimeoutMs: 120_000 })
    const api = await testApi({
      plugins: [consoleSearchPlugin({ pool, logDir: () => dir, nodes: { names: async () => ['slow'], inGroup: async () => [] } }) as ApiPlugin],
    })
    const stop = new AbortController()
    t.after(async () => {
      stop.abort()
      await api.close()
      await pool.close()
      rmSync(dir, { recursive: true, force: true })
    })
    const task = { log: join(dir, 'slow.log'), journal: null, pattern: '(a+)+$', flags: '', sinceMs: null, untilMs: null, context: 0, limit: 1 }
    const running = pool.scan(task, stop.signal).catch((e: unknown) => e)
    await waitUntil(() => pool.active === 1 && pool.queued === 0, { timeoutMs: 10_000 })
    const waiting = pool.scan(task, stop.signal).catch((e: unknown) => e)
    assert.equal(pool.queued, 1)
    await assert.rejects(pool.scan(task, stop.signal), (e: { code?: string; retryable?: boolean }) => e.code === 'SEARCH_BUSY' && e.retryable === true)
    const res = await api.app.inject({ url: '/api/v1/noderange/slow/console/log?grep=x', headers: api.auth('viewer') })
    assert.equal(res.statusCode, 503, res.body)
    assert.equal(res.json<{ error: { code: string } }>().error.code, 'SEARCH_BUSY')
    stop.abort()
    await Promise.all([running, waiting])
    await waitUntil(() => pool.active === 0, { timeoutMs: 10_000 })
  })
})

/**
 * The per-file deadline of the test below: far past a one-line scan (and the
 * thread's start, which it includes, on a loaded machine), far short of the
 * backtracking one.
 */
const DEADLINE_TEST_MS = 10_000

describe('the per-file deadline', () => {
  it('a file that takes too long is SEARCH_TIMEOUT in the summary; the rest of the search goes on', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'bmcvisor-deadline-'))
    writeFileSync(join(dir, 'slow.log'), BACKTRACK_LINE)
    writeFileSync(join(dir, 'fast.log'), 'aaaa\n')
    // At the service's own priority: this test is about the deadline, not about yielding to busy cores.
    const pool = new SearchPool({ threads: 1, taskTimeoutMs: DEADLINE_TEST_MS, niceIncrement: 0 })
    const api = await testApi({
      plugins: [consoleSearchPlugin({ pool, logDir: () => dir, nodes: { names: async () => ['fast', 'slow'], inGroup: async () => [] } }) as ApiPlugin],
    })
    t.after(async () => {
      await api.close()
      await pool.close()
      rmSync(dir, { recursive: true, force: true })
    })
    // The thread starts with the first task (under tsx it compiles the scanner): a search first, so the
    // deadline below measures scans, not a thread start on a loaded machine.
    assert.equal(parse((await api.app.inject({ url: '/api/v1/noderange/fast/console/log?grep=a', headers: api.auth('viewer') })).body).matches.length, 1)
    const res = await api.app.inject({ url: '/api/v1/noderange/slow,fast/console/log?grep=(a%2B)%2B$', headers: api.auth('viewer') })
    const { matches, summary } = parse(res.body)
    assert.deepEqual(matches.map((m) => [m.node, m.text]), [['fast', 'aaaa']])
    assert.deepEqual(summary.errors.map((e) => [e.node, e.file, e.code]), [['slow', 'slow.log', 'SEARCH_TIMEOUT']])
  })
})

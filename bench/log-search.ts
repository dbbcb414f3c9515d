// Console log search throughput: the search pool (src/console/search-pool.ts,
// as GET /noderange/{expr}/console/log drives it: files in order, threads x 2
// in flight) against `grep -r` and `zgrep` over the same files.
//
// Writes N nodes' logs into a temp directory in console-log.ts's layout: per
// node the current `<node>.log` with its journal and one rotated pair
// gzipped (`<node>.log.<stamp>.gz`, `<node>.jnl.<stamp>.gz`), boot-log-like
// lines with a journal record per 4 KiB, and a kernel panic line in every
// 100th node. MB/s is uncompressed bytes per second of wall time. The main
// thread's loop gaps (between 5 ms timer ticks, p99 and max) during each run
// show what the search costs the loop that carries consoles and commands
// (not shown for the tools: they run as child processes, waited for in sync).
//
// Run: node --import tsx bench/log-search.ts [--nodes 1000] [--kib 128] [--runs 3]
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { listLogFiles } from '../src/api/routes/console-search.js'
import { scanFile, type ScanTask } from '../src/console/log-scan.js'
import { SearchPool, searchThreads } from '../src/console/search-pool.js'
import { STAMP, writeNodeLogs } from './console-logs.js'

const { values } = parseArgs({ options: { nodes: { type: 'string', default: '1000' }, kib: { type: 'string', default: '128' }, runs: { type: 'string', default: '3' } } })
const NODES = Number(values.nodes)
const KIB = Number(values.kib)
const RUNS = Number(values.runs)
const PATTERN = 'Kernel panic - not syncing'
function writeFleet(dir: string): { names: string[]; plainBytes: number; gzBytes: number; uncompressed: number } {
  const names: string[] = []
  let plainBytes = 0
  let gzBytes = 0
  for (let i = 1; i <= NODES; i++) {
    const node = `n${String(i).padStart(4, '0')}`
    names.push(node)
    const sizes = writeNodeLogs(dir, node, i, KIB * 1024, i % 100 === 0 ? PATTERN : undefined)
    plainBytes += sizes.plain
    gzBytes += sizes.rotated
  }
  return { names, plainBytes, gzBytes, uncompressed: plainBytes + gzBytes }
}

async function ours(dir: string, names: string[], threads: number): Promise<{ ms: number; matches: number; bytes: number }> {
  const pool = new SearchPool({ threads })
  try {
    const files = [...(await listLogFiles(dir, new Set(names))).values()].flat()
    const t0 = performance.now()
    let matches = 0
    let bytes = 0
    let next = 0
    const inFlight = threads * 2
    const worker = async () => {
      while (next < files.length) {
        const f = files[next++]!
        const task: ScanTask = { log: f.log, journal: f.journal, pattern: PATTERN, flags: '', sinceMs: null, untilMs: null, context: 0, limit: 1000 }
        const r = await pool.scan(task)
        matches += r.matches.length
        bytes += r.bytes
      }
    }
    await Promise.all(Array.from({ length: inFlight }, worker))
    return { ms: performance.now() - t0, matches, bytes }
  } finally {
    await pool.close()
  }
}

/** The same scans in this thread, one after another: the scanner's own cost, without the pool. */
async function inline(dir: string, names: string[], only?: 'plain' | 'gz'): Promise<{ ms: number; matches: number }> {
  const files = [...(await listLogFiles(dir, new Set(names))).values()].flat().filter((f) => only === undefined || (only === 'gz') === f.log.endsWith('.gz'))
  const t0 = performance.now()
  let matches = 0
  for (const f of files) matches += (await scanFile({ log: f.log, journal: f.journal, pattern: PATTERN, flags: '', sinceMs: null, untilMs: null, context: 0, limit: 1000 })).matches.length
  return { ms: performance.now() - t0, matches }
}

function tool(cmd: string, args: string[]): { ms: number; matches: number } {
  const t0 = performance.now()
  let out = ''
  try {
    out = execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  } catch (e) {
    // grep exits 1 when nothing matched
    out = (e as { stdout?: string }).stdout ?? ''
  }
  return { ms: performance.now() - t0, matches: out.split('\n').filter((l) => l !== '').length }
}

/** Gaps between the ticks of a TICK_MS timer on the main thread, sorted: how long its loop was held (a blocked loop shows as one long gap). */
const TICK_MS = 5
function loopGaps(): { stop(): Promise<number[]> } {
  const gaps: number[] = []
  let last = performance.now()
  const timer = setInterval(() => {
    const now = performance.now()
    gaps.push(now - last)
    last = now
  }, TICK_MS)
  return {
    async stop() {
      // One more tick after the run, so a run that held the loop to its end is counted.
      await new Promise((r) => setTimeout(r, TICK_MS * 2))
      clearInterval(timer)
      return gaps.sort((a, b) => a - b)
    },
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

const dir = mkdtempSync(join(tmpdir(), 'bmcvisor-logsearch-'))
try {
  const fleet = writeFleet(dir)
  const mb = (b: number) => b / 1e6
  const gzFiles = fleet.names.map((n) => join(dir, `${n}.log.${STAMP}.gz`))
  // Warm the page cache once for everyone.
  tool('cat', [...fleet.names.map((n) => join(dir, `${n}.log`)), ...gzFiles])
  const rows: { name: string; bytes: number; ms: number[]; matches: number; p99: number[]; max: number[] }[] = []
  const add = (name: string, bytes: number, run: () => Promise<{ ms: number; matches: number }> | { ms: number; matches: number }) => ({ name, bytes, run })
  const cases = [
    add(`search pool, default size: ${searchThreads()} thread(s) (all files)`, fleet.uncompressed, () => ours(dir, fleet.names, searchThreads())),
    add('search pool, 1 thread (all files)', fleet.uncompressed, () => ours(dir, fleet.names, 1)),
    add('scanFile in the main thread, no pool (plain files)', fleet.plainBytes, () => inline(dir, fleet.names, 'plain')),
    add('scanFile in the main thread, no pool (the .gz files)', fleet.gzBytes, () => inline(dir, fleet.names, 'gz')),
    add('`grep -r --include=*.log` (plain files)', fleet.plainBytes, () => tool('grep', ['-r', '--include=*.log', '-F', PATTERN, dir])),
    add('`zgrep` (the .gz files)', fleet.gzBytes, () => tool('zgrep', ['-F', PATTERN, ...gzFiles])),
    add('`zgrep` (all files)', fleet.uncompressed, () => tool('zgrep', ['-F', PATTERN, ...fleet.names.map((n) => join(dir, `${n}.log`)), ...gzFiles])),
  ]
  for (const c of cases) rows.push({ name: c.name, bytes: c.bytes, ms: [], matches: 0, p99: [], max: [] })
  for (let r = 0; r < RUNS; r++) {
    for (const [i, c] of cases.entries()) {
      const loop = loopGaps()
      const res = await c.run()
      const gaps = await loop.stop()
      rows[i]!.ms.push(res.ms)
      rows[i]!.matches = res.matches
      rows[i]!.p99.push(gaps[Math.floor(gaps.length * 0.99)] ?? 0)
      rows[i]!.max.push(gaps[gaps.length - 1] ?? 0)
    }
  }
  console.log(`${NODES} nodes, ${KIB} KiB current + ${KIB} KiB rotated (gzipped) each: ${mb(fleet.uncompressed).toFixed(0)} MB uncompressed; ${availableParallelism()} cores, load ${loadavg()[0]!.toFixed(1)}; median of ${RUNS}`)
  console.log('| search | MB scanned | median s | MB/s | matches | main loop gap p99 / max ms |')
  console.log('|---|---|---|---|---|---|')
  for (const r of rows) {
    const s = median(r.ms) / 1000
    console.log(`| ${r.name} | ${mb(r.bytes).toFixed(0)} | ${s.toFixed(2)} | ${(mb(r.bytes) / s).toFixed(0)} | ${r.matches} | ${r.name.startsWith('`') ? '-' : `${median(r.p99).toFixed(0)} / ${median(r.max).toFixed(0)}`} |`)
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}

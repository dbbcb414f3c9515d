// What a fleet-wide console log search costs the commands of nodes it does
// not search (issue 17: p99 within 1.2x of the quiet figure). One
// bmcvisor server in this process (startServer, defaults: the search pool
// has cores - 1 threads) over ipmi_sim BMCs whose hosts print a line every
// 100 ms to open consoles; half the nodes have a large console log history
// on disk (console-logs.ts layout, half of it in rotated .gz files). Every
// measured node runs `GET /api/v1/nodes/{node}/power` in a loop (one at a
// time per node, over keep-alive), in alternating phases: quiet, and with
// searches of the logged nodes' whole history back to back (a pattern that
// matches once per node, so every byte is scanned). Prints p50/p99 per phase
// and the ratio of the search phases' p99 to the quiet phases'.
//
// Run: node --import tsx bench/log-search-load.ts [--nodes 20] [--mib 1024] [--phase-s 20] [--rounds 3] [--nice N]
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { parseArgs } from 'node:util'
import { createLogger } from '../src/log.js'
import { startServer } from '../src/main.js'
import { CONSOLE_LOG_DIR } from '../src/console/index.js'
import { SEARCH_NICE_INCREMENT, searchThreads } from '../src/console/search-pool.js'
import { startIpmiSim, type IpmiSim } from '../test/lab/sim.js'
import { writeNodeLogs } from './console-logs.js'

const { values } = parseArgs({ options: { nodes: { type: 'string', default: '20' }, mib: { type: 'string', default: '1024' }, 'phase-s': { type: 'string', default: '20' }, rounds: { type: 'string', default: '3' }, nice: { type: 'string' } } })
const NODES = Number(values.nodes)
const TOTAL_MIB = Number(values.mib)
const PHASE_MS = Number(values['phase-s']) * 1000
const ROUNDS = Number(values.rounds)
/** The search threads' nice increment (default the service's, SEARCH_NICE_INCREMENT). */
const NICE = values.nice === undefined ? SEARCH_NICE_INCREMENT : Number(values.nice)
const ADMIN = 'bench-search-load-admin-token-0123'
const MARKER = 'Kernel panic - not syncing'
const HOST_LINE_MS = 100
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? NaN

const logged = Array.from({ length: NODES / 2 }, (_, i) => `l${String(i + 1).padStart(2, '0')}`)
const measured = Array.from({ length: NODES / 2 }, (_, i) => `q${String(i + 1).padStart(2, '0')}`)
const data = mkdtempSync(join(tmpdir(), 'bmcvisor-bench-search-load-'))
const sims: IpmiSim[] = []
try {
  const logDir = join(data, CONSOLE_LOG_DIR)
  mkdirSync(logDir, { recursive: true })
  // Each logged node: a current log and a rotated one of the same size (uncompressed).
  const perFile = Math.floor((TOTAL_MIB * 1024 * 1024) / logged.length / 2)
  let bytes = 0
  for (const [i, node] of logged.entries()) {
    const s = writeNodeLogs(logDir, node, i, perFile, MARKER)
    bytes += s.plain + s.rotated
  }
  for (let i = 0; i < NODES; i++) sims.push(await startIpmiSim({ powerOn: true, startTimeoutMs: 60_000 }))
  const server = await startServer({
    listen: '127.0.0.1:0', dataDir: data, adminToken: ADMIN, search: { niceIncrement: NICE },
    logger: createLogger({ level: 'warn', destination: new Writable({ write: (_c, _e, cb) => cb() }) }),
    prepareStore: async (store) => {
      for (const [i, name] of [...logged, ...measured].entries()) {
        await store.nodes.create({
          name, groups: [],
          bmc: { host: sims[i]!.host, port: sims[i]!.port, username: 'admin', password: 'password', cipherSuite: 3, privilege: 'administrator' },
          // The logged nodes' history stays as written (no live appends, no rotation during the run).
          console: { method: 'ipmi', logging: name.startsWith('l') ? 'memory' : 'full' },
        })
      }
    },
  })
  const headers = { authorization: `Bearer ${ADMIN}` }
  // Every console connected, then the hosts start printing.
  const t0 = performance.now()
  while (server.supervisor.status().some((s) => s.console?.state !== 'connected')) {
    if (performance.now() - t0 > 120_000) throw new Error('consoles not connected after 120 s')
    await new Promise((r) => setTimeout(r, 200))
  }
  let printing = true
  const printers = sims.map(async (sim, i) => {
    for (let n = 0; printing; n++) {
      await sim.solBackend.write(`host ${i} line ${n}\n`).catch(() => undefined)
      await new Promise((r) => setTimeout(r, HOST_LINE_MS))
    }
  })

  const phase = async (searching: boolean): Promise<{ latencies: number[]; searches: number; searchMs: number; matches: number }> => {
    const latencies: number[] = []
    const end = performance.now() + PHASE_MS
    const loops = measured.map(async (node) => {
      while (performance.now() < end) {
        const s = performance.now()
        const r = await fetch(`${server.url}/api/v1/nodes/${node}/power`, { headers })
        await r.arrayBuffer()
        if (r.status !== 200) throw new Error(`power status of ${node}: HTTP ${r.status}`)
        latencies.push(performance.now() - s)
      }
    })
    let searches = 0
    let searchMs = 0
    let matches = 0
    const searcher = (async () => {
      while (searching && performance.now() < end) {
        const s = performance.now()
        const r = await fetch(`${server.url}/api/v1/noderange/l[01-${String(logged.length).padStart(2, '0')}]/console/log?grep=${encodeURIComponent(MARKER)}&limit=100000`, { headers })
        const text = await r.text()
        if (r.status !== 200) throw new Error(`search: HTTP ${r.status} ${text.slice(0, 200)}`)
        matches = text.split('\n').filter((l) => l.includes('"type":"match"')).length
        searches++
        searchMs += performance.now() - s
      }
    })()
    await Promise.all([...loops, searcher])
    return { latencies, searches, searchMs, matches }
  }

  const quiet: number[][] = []
  const busy: number[][] = []
  let searches = 0
  let searchMs = 0
  let matches = 0
  for (let r = 0; r < ROUNDS; r++) {
    quiet.push((await phase(false)).latencies)
    const b = await phase(true)
    busy.push(b.latencies)
    searches += b.searches
    searchMs += b.searchMs
    matches = b.matches
  }
  printing = false
  await Promise.all(printers)
  console.log(`${NODES} ipmi_sim nodes (${measured.length} measured, ${logged.length} searched: ${(bytes / 2 ** 30).toFixed(2)} GiB of console logs, half gzipped); ${availableParallelism()} cores, ${searchThreads()} search thread(s) at nice +${NICE}, load ${loadavg()[0]!.toFixed(1)}; hosts print a line every ${HOST_LINE_MS} ms; ${ROUNDS} rounds of ${PHASE_MS / 1000} s quiet then ${PHASE_MS / 1000} s searching`)
  console.log(`searches: ${searches}, ${(searchMs / searches / 1000).toFixed(1)} s each, ${((bytes / 1e6) / (searchMs / searches / 1000)).toFixed(0)} MB/s, ${matches} matches each`)
  console.log('| round | quiet p50 / p99 ms (n) | searching p50 / p99 ms (n) | p99 ratio |')
  console.log('|---|---|---|---|')
  for (let r = 0; r < ROUNDS; r++) {
    const q = quiet[r]!
    const b = busy[r]!
    console.log(`| ${r + 1} | ${pct(q, 0.5).toFixed(1)} / ${pct(q, 0.99).toFixed(1)} (${q.length}) | ${pct(b, 0.5).toFixed(1)} / ${pct(b, 0.99).toFixed(1)} (${b.length}) | ${(pct(b, 0.99) / pct(q, 0.99)).toFixed(2)} |`)
  }
  const all = (xs: number[][]) => xs.flat()
  console.log(`| all | ${pct(all(quiet), 0.5).toFixed(1)} / ${pct(all(quiet), 0.99).toFixed(1)} | ${pct(all(busy), 0.5).toFixed(1)} / ${pct(all(busy), 0.99).toFixed(1)} | ${(pct(all(busy), 0.99) / pct(all(quiet), 0.99)).toFixed(2)} |`)
  await server.close()
} finally {
  await Promise.all(sims.map((s) => s.stop()))
  rmSync(data, { recursive: true, force: true })
}

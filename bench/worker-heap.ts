// Worker heaps over time (issue 18's soak finding): the whole service
// (startServer: SQLite store, one worker per BMC, console logs "full")
// against --bmcs simulated BMCs in another process (bench/scale-sim.ts) whose
// hosts print --rate bytes per second with the simulator's shipped SOL timing
// (50 ms accumulate, 128-byte threshold). Every --sample-s it prints the
// median and largest worker heap in use (as the workers last reported it) and
// the process's RSS, for --minutes. With --v8-flags the flags are set
// process-wide (v8.setFlagsFromString) before any worker starts: each worker
// isolate created afterwards reads them.
// Reproduce: npm run build, then
//   BMCVISOR_WORKER_FILE=... node --import tsx bench/worker-heap.ts --bmcs 20 --minutes 8 [--v8-flags=--initial-old-space-size=8]
import { fork } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import v8 from 'node:v8'
import { createLogger } from '../src/log.js'
import { startServer } from '../src/main.js'
import { openStore } from '../src/store/sqlite.js'
import type { FromSim, ToSim } from './scale-sim.js'

const { values: a } = parseArgs({
  options: {
    bmcs: { type: 'string', default: '20' },
    rate: { type: 'string', default: '64' },
    minutes: { type: 'string', default: '8' },
    'sample-s': { type: 'string', default: '30' },
    'v8-flags': { type: 'string', default: '' },
    'base-port': { type: 'string', default: '26000' },
  },
})
const N = Number(a.bmcs)
const KEY = 'd'.repeat(64)
/** The simulator's shipped SOL timing (src/sim): what a quiet host's BMC sends. */
const SOL = { accumulateMs: 50, sendThreshold: 128, maxSendData: 250, tickMs: 25 }
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const mb = (b: number) => (b / 1048576).toFixed(1)
const rssBytes = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'latin1'))![1]) * 1024

for (const f of a['v8-flags'].split(/\s+/).filter(Boolean)) v8.setFlagsFromString(f)

const sim = fork(fileURLToPath(new URL('./scale-sim.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
const ask = (m: ToSim) => new Promise<FromSim>((resolve, reject) => {
  sim.once('message', (r: FromSim) => (r.type === 'error' ? reject(new Error(r.message)) : resolve(r)))
  sim.send(m)
})
const dataDir = mkdtempSync(join(tmpdir(), 'bmcvisor-heap-'))
try {
  const ready = await ask({ type: 'start', count: N, basePort: Number(a['base-port']), rate: Number(a.rate), ...SOL })
  if (ready.type !== 'ready') throw new Error('simulator did not start')
  const store = openStore({ dataDir, secretKey: KEY })
  for (const [i, b] of ready.bmcs.entries()) await store.nodes.create({ name: `h${i}`, groups: [], bmc: { host: b.host, port: b.port, username: b.username, password: b.password, cipherSuite: 3, privilege: 'administrator' }, console: { method: 'ipmi', logging: 'full' } })
  await store.close()
  const rss0 = rssBytes()
  const server = await startServer({ listen: '127.0.0.1:0', dataDir, secretKey: KEY, logger: createLogger({ level: 'error' }) })
  console.log(`bmcs ${N}, host output ${a.rate} B/s, v8 flags "${a['v8-flags']}", Node ${process.version}`)
  console.log('| minute | worker heap used, MB: median | max | RSS per BMC, MB | load |')
  console.log('|---|---|---|---|---|')
  const t0 = performance.now()
  const end = t0 + Number(a.minutes) * 60_000
  while (performance.now() < end) {
    await sleep(Number(a['sample-s']) * 1000)
    const heaps = server.supervisor.status().map((s) => s.heapUsedBytes).filter((h) => h > 0).sort((x, y) => x - y)
    const med = heaps[Math.floor(heaps.length / 2)] ?? 0
    console.log(`| ${((performance.now() - t0) / 60_000).toFixed(1)} | ${mb(med)} | ${mb(heaps.at(-1) ?? 0)} | ${mb((rssBytes() - rss0) / N)} | ${loadavg()[0]!.toFixed(1)} |`)
  }
  await server.close()
} finally {
  await ask({ type: 'stop' }).catch(() => undefined)
  sim.kill()
  rmSync(dataDir, { recursive: true, force: true })
}

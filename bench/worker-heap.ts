// Worker heaps over time (issue 18's soak finding): the whole service
// (startServer: SQLite store, one worker per BMC, console logs "full")
// against --bmcs simulated BMCs in another process (bench/scale-sim.ts) whose
// hosts print --rate bytes per second with the simulator's shipped SOL timing
// (50 ms accumulate, 128-byte threshold). Every --sample-s it prints the
// median and largest worker heap in use (as the workers last reported it) and
// the process's RSS, for --minutes. With --v8-flags the flags are set
// process-wide (v8.setFlagsFromString) before any worker starts: each worker
// isolate created afterwards reads them.
// With --snapshot-minutes (e.g. 1,6) it takes a heap snapshot of node h0's
// worker (Worker#getHeapSnapshot: a full GC in that isolate first) at those
// minutes and prints the live size, the heap in use the worker reports on its
// next ping, and the constructors whose live bytes changed most between the
// first and the last snapshot.
// Reproduce: npm run build, then
//   BMCVISOR_WORKER_FILE=... node --import tsx bench/worker-heap.ts --bmcs 20 --minutes 8 [--v8-flags=--initial-old-space-size=8] [--snapshot-minutes 1,6]
import { fork } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import v8 from 'node:v8'
import type { Worker } from 'node:worker_threads'
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
    'snapshot-minutes': { type: 'string', default: '' },
  },
})
const N = Number(a.bmcs)
const KEY = 'd'.repeat(64)
/** The simulator's shipped SOL timing (src/sim): what a quiet host's BMC sends. */
const SOL = { accumulateMs: 50, sendThreshold: 128, maxSendData: 250, tickMs: 25 }
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const mb = (b: number) => (b / 1048576).toFixed(1)
const rssBytes = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'latin1'))![1]) * 1024

/** Live bytes and object count per "type:name" (for objects, the constructor) of a .heapsnapshot. */
interface HeapCensus { liveBytes: number; nodes: number; by: Map<string, { bytes: number; count: number }> }
function census(json: string): HeapCensus {
  const snap = JSON.parse(json) as { snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } }; nodes: number[]; strings: string[] }
  const f = snap.snapshot.meta.node_fields
  const width = f.length
  const [typeAt, nameAt, sizeAt] = [f.indexOf('type'), f.indexOf('name'), f.indexOf('self_size')]
  const types = snap.snapshot.meta.node_types[0]
  const by = new Map<string, { bytes: number; count: number }>()
  let liveBytes = 0
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + typeAt]!]!
    const size = snap.nodes[i + sizeAt]!
    liveBytes += size
    // Strings and numbers by type only: their "name" is their content.
    const key = type === 'object' || type === 'closure' || type === 'native' ? `${type}:${snap.strings[snap.nodes[i + nameAt]!]}` : type
    const e = by.get(key) ?? { bytes: 0, count: 0 }
    e.bytes += size
    e.count++
    by.set(key, e)
  }
  return { liveBytes, nodes: snap.nodes.length / width, by }
}
/** Bench-only: the supervisor keeps its Worker private, and this needs it. */
async function snapshotOf(server: Awaited<ReturnType<typeof startServer>>, node: string): Promise<HeapCensus> {
  const w = (server.supervisor.handleOf(node) as unknown as { worker?: Worker } | undefined)?.worker
  if (w === undefined) throw new Error(`no worker for ${node}`)
  const chunks: Buffer[] = []
  for await (const c of await w.getHeapSnapshot()) chunks.push(c as Buffer)
  return census(Buffer.concat(chunks).toString('utf8'))
}

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
  const snapAt = a['snapshot-minutes'].split(',').filter(Boolean).map(Number)
  const snaps: { minute: number; c: HeapCensus; heapBefore: number; heapAfter: number }[] = []
  while (performance.now() < end) {
    await sleep(Number(a['sample-s']) * 1000)
    const minute = (performance.now() - t0) / 60_000
    if (snapAt.length > 0 && minute >= snapAt[0]!) {
      snapAt.shift()
      const heapBefore = server.supervisor.handleOf('h0')?.heapUsedBytes ?? 0
      const c = await snapshotOf(server, 'h0')
      await sleep(6000) // pings go out every 2.5 s by default: the next report is after the snapshot's GC
      const heapAfter = server.supervisor.handleOf('h0')?.heapUsedBytes ?? 0
      snaps.push({ minute, c, heapBefore, heapAfter })
      console.log(`snapshot h0 at ${minute.toFixed(1)} min: live ${mb(c.liveBytes)} MB, ${c.nodes} objects; heap in use reported ${mb(heapBefore)} MB before, ${mb(heapAfter)} MB after`)
    }
    const heaps = server.supervisor.status().map((s) => s.heapUsedBytes).filter((h) => h > 0).sort((x, y) => x - y)
    const med = heaps[Math.floor(heaps.length / 2)] ?? 0
    console.log(`| ${((performance.now() - t0) / 60_000).toFixed(1)} | ${mb(med)} | ${mb(heaps.at(-1) ?? 0)} | ${mb((rssBytes() - rss0) / N)} | ${loadavg()[0]!.toFixed(1)} |`)
  }
  if (snaps.length >= 2) {
    const [first, last] = [snaps[0]!, snaps.at(-1)!]
    console.log(`live size h0: ${mb(first.c.liveBytes)} MB at ${first.minute.toFixed(1)} min -> ${mb(last.c.liveBytes)} MB at ${last.minute.toFixed(1)} min`)
    console.log('| type:constructor | bytes first | bytes last | delta | count first | count last |')
    console.log('|---|---|---|---|---|---|')
    const keys = new Set([...first.c.by.keys(), ...last.c.by.keys()])
    const rows = [...keys].map((k) => ({ k, x: first.c.by.get(k) ?? { bytes: 0, count: 0 }, y: last.c.by.get(k) ?? { bytes: 0, count: 0 } }))
    rows.sort((p, q) => Math.abs(q.y.bytes - q.x.bytes) - Math.abs(p.y.bytes - p.x.bytes))
    for (const r of rows.slice(0, 15)) console.log(`| ${r.k} | ${r.x.bytes} | ${r.y.bytes} | ${r.y.bytes - r.x.bytes} | ${r.x.count} | ${r.y.count} |`)
  }
  await server.close()
} finally {
  await ask({ type: 'stop' }).catch(() => undefined)
  sim.kill()
  rmSync(dataDir, { recursive: true, force: true })
}

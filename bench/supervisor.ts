// Benchmark: one worker per BMC at scale, against real ipmi_sim BMCs.
//  - RSS per BMC and time until every session and console is up, for 10, 100 and 500 nodes;
//  - time from a worker crash to serving again (p50, p99);
//  - p99 command latency on healthy nodes while one node's worker crashes every
//    second, against the same run without crashes.
// Runs the compiled service (dist/) so workers start as in production:
//   npm run build && node --import tsx bench/supervisor.ts [--sizes 10,100,500]
import { parseArgs } from 'node:util'
import { fileURLToPath } from 'node:url'
import { startIpmiSim, type IpmiSim } from '../test/lab/sim.js'
import { bmcConfig } from '../test/integration/supervisor/fleet.js'
import type * as SupervisorTypes from '../src/supervisor/supervisor.js'

type SupervisorModule = typeof SupervisorTypes
const dist = fileURLToPath(new URL('../dist/src/supervisor/supervisor.js', import.meta.url))
const { Supervisor } = (await import(dist)) as SupervisorModule

const { values } = parseArgs({ options: { sizes: { type: 'string', default: '10,100,500' }, seconds: { type: 'string', default: '15' } } })
const sizes = values.sizes.split(',').map(Number)
const mb = (b: number) => (b / 1048576).toFixed(1)
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? NaN
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const gc = () => (globalThis as { gc?: () => void }).gc?.()

async function sims(n: number, have: IpmiSim[]): Promise<IpmiSim[]> {
  while (have.length < n) {
    const batch = await Promise.all(Array.from({ length: Math.min(20, n - have.length) }, () => startIpmiSim({ powerOn: true, startTimeoutMs: 60_000 })))
    have.push(...batch)
  }
  return have.slice(0, n)
}

const pool: IpmiSim[] = []
const rows: string[] = []
try {
  for (const n of sizes) {
    const fleet = await sims(n, pool)
    await sleep(500)
    gc()
    const base = process.memoryUsage().rss
    const sup = new Supervisor({ startConcurrency: 8, heartbeatMs: 2000, heartbeatTimeoutMs: 10_000 })
    const names = fleet.map((_, i) => `n${i}`)
    const up = new Set<string>()
    const allUp = new Promise<void>((resolve) => {
      sup.on('console:state', (node, m) => {
        if (m.state === 'connected') up.add(node)
        if (up.size === n) resolve()
      })
    })
    const t0 = performance.now()
    // Production settings (session timing defaults, 10 s console liveness), not the tests' fast ones.
    names.forEach((name, i) => sup.add(name, bmcConfig(fleet[i]!, { reconnect: { initialMs: 500, maxMs: 5000 }, timing: {}, consoleLivenessMs: 10_000 })))
    await allUp
    const tUp = performance.now() - t0
    await sleep(3000)
    gc()
    const rss = process.memoryUsage().rss - base
    const cpu0 = process.cpuUsage()
    await sleep(5000)
    const cpu = process.cpuUsage(cpu0)
    const idlePct = ((cpu.user + cpu.system) / 1000 / 5000) * 100
    rows.push(`| ${n} | ${(tUp / 1000).toFixed(1)} | ${mb(rss)} | ${mb(rss / n)} | ${idlePct.toFixed(1)} |`)
    console.error(rows.at(-1))
    await sup.shutdown(10_000)
  }
  console.log('| nodes | all sessions and consoles up (s) | RSS added (MB) | RSS per BMC (MB) | idle CPU (% of one core) |\n|---|---|---|---|---|')
  console.log(rows.join('\n'))

  // Crash -> serving again, and latency on healthy nodes with and without a crashing neighbour.
  const n = 20
  const fleet = await sims(n, pool)
  const sup = new Supervisor({ heartbeatMs: 500, heartbeatTimeoutMs: 3000, restart: { baseDelayMs: 100, maxDelayMs: 1000, intensity: 1000 } })
  const names = fleet.map((_, i) => `c${i}`)
  names.forEach((name, i) => sup.add(name, bmcConfig(fleet[i]!, { console: false, reconnect: { initialMs: 100, maxMs: 1000 } })))
  await Promise.all(names.map((name) => sup.run(name, 'power.status', {}, { timeoutMs: 60_000 })))
  const recover: number[] = []
  for (let i = 0; i < 30; i++) {
    const victim = names[i % n]!
    const exited = new Promise<void>((r) => sup.once('worker:exited', () => r()))
    const t = performance.now()
    sup.injectFault(victim, 'crash')
    await exited
    await sup.run(victim, 'power.status', {}, { timeoutMs: 30_000 })
    recover.push(performance.now() - t)
    await sleep(1200) // let the restart-policy window see distinct crashes
  }
  const seconds = Number(values.seconds)
  async function latencies(crashing: boolean): Promise<number[]> {
    const out: number[] = []
    let running = true
    const healthy = names.slice(1)
    const loops = healthy.map(async (name) => {
      while (running) {
        const t = performance.now()
        await sup.run(name, 'power.status', {}, { timeoutMs: 10_000 })
        out.push(performance.now() - t)
      }
    })
    const crasher = (async () => {
      while (running && crashing) {
        if (sup.status(names[0]!)[0]?.state === 'running') sup.injectFault(names[0]!, 'crash')
        await sleep(1000)
      }
    })()
    await sleep(seconds * 1000)
    running = false
    await Promise.all([...loops, crasher])
    return out
  }
  const calm = await latencies(false)
  const stormy = await latencies(true)
  await sup.shutdown(5000)
  console.log()
  console.log('| measurement | p50 ms | p99 ms | samples |\n|---|---|---|---|')
  console.log(`| worker crash -> serving again (power status answered) | ${pct(recover, 0.5).toFixed(0)} | ${pct(recover, 0.99).toFixed(0)} | ${recover.length} |`)
  console.log(`| power status on 19 healthy nodes, no crashes | ${pct(calm, 0.5).toFixed(2)} | ${pct(calm, 0.99).toFixed(2)} | ${calm.length} |`)
  console.log(`| power status on 19 healthy nodes, node 0's worker crashing every second | ${pct(stormy, 0.5).toFixed(2)} | ${pct(stormy, 0.99).toFixed(2)} | ${stormy.length} |`)
  console.log(`\nratio p99 with crashes / without: ${(pct(stormy, 0.99) / pct(calm, 0.99)).toFixed(2)}x`)
} finally {
  await Promise.all(pool.map((s) => s.stop()))
}

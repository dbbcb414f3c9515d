// Benchmark: reading every sensor of one BMC (SDR walk + Get Sensor Reading
// per sensor) with our client, cold (SDR not cached) and warm (SdrCache hit:
// Get SDR Repository Info + the readings), against `ipmitool -C 3 sdr list`
// run as a process, and against ipmitool's own warm path (`exec` running
// `sdr list` repeatedly in one process, where its SDR list stays in memory).
// Starts its own ipmi_sim from test/lab (11 sensors, 14 SDRs; ipmi_sim
// refuses whole-record Get SDR reads, so both clients read in parts).
// Run: node --import tsx bench/sensors.ts [--n 200]
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { IpmiClient } from '../src/session/client.js'
import { readSensors } from '../src/bmc/sensors.js'
import { SdrCache } from '../src/bmc/sdr.js'
import type { CommandRunner } from '../src/bmc/runner.js'
import { startIpmiSim } from '../test/lab/sim.js'

const { values } = parseArgs({ options: { n: { type: 'string', default: '200' }, procs: { type: 'string', default: '30' } } })
const N = Number(values.n)
const PROCS = Number(values.procs)

interface Stats { p50: number; p99: number; mean: number; cpuMs: number }
function stats(ms: number[], cpuMs: number): Stats {
  const s = [...ms].sort((a, b) => a - b)
  return { p50: s[Math.floor(s.length / 2)]!, p99: s[Math.min(s.length - 1, Math.floor(s.length * 0.99))]!, mean: ms.reduce((a, b) => a + b, 0) / ms.length, cpuMs }
}

async function timed(n: number, f: () => Promise<unknown> | unknown, warmup = 5): Promise<Stats> {
  for (let i = 0; i < warmup; i++) await f()
  const ms: number[] = []
  const cpu0 = process.cpuUsage()
  for (let i = 0; i < n; i++) {
    const t = performance.now()
    await f()
    ms.push(performance.now() - t)
  }
  const cpu = process.cpuUsage(cpu0)
  // This process's CPU (user + system, all threads) per operation: an upper bound for our own code.
  return stats(ms, (cpu.user + cpu.system) / 1000 / n)
}

/** Counts the requests a read sends. */
function counting(r: CommandRunner): CommandRunner & { n: number } {
  const c = { n: 0, run: ((cmd, req, o) => { c.n++; return r.run(cmd, req, o) }) as CommandRunner['run'] }
  return c
}

const sim = await startIpmiSim()
const dir = mkdtempSync(join(tmpdir(), 'bmcvisor-bench-sensors-'))
try {
  const target = { host: sim.host, port: sim.port }
  const config = { username: 'admin', password: 'password', cipherSuite: 3 }
  const tool = ['-I', 'lanplus', '-H', sim.host, '-p', String(sim.port), '-U', 'admin', '-P', 'password', '-C', '3']

  const c = new IpmiClient(target, config)
  await c.connect()
  const sensorsSeen = (await readSensors(c)).sensors.length

  // Requests per read (ours counted at the runner; ipmitool's from its -vvv trace).
  const coldCount = counting(c)
  await readSensors(coldCount)
  const warmCache = new SdrCache()
  await readSensors(c, { cache: warmCache })
  const warmCount = counting(c)
  await readSensors(warmCount, { cache: warmCache })
  // ipmitool -vvv writes its trace to stderr.
  const trace = execFileSync('sh', ['-c', `ipmitool ${tool.join(' ')} -vvv sdr list 2>&1 >/dev/null`], { encoding: 'utf8' })
  const toolRequests = (trace.match(/>> Sending IPMI command payload/g) ?? []).length

  // Ours: cold = a new SdrCache per read (full walk), on the warm session.
  const cold = await timed(N, () => readSensors(c))
  // Ours: warm = the same cache (Get SDR Repository Info, then the readings).
  const cache = new SdrCache()
  const warm = await timed(N, () => readSensors(c, { cache }))
  const warmSerial = await timed(N, () => readSensors(c, { cache, concurrency: 1 }))
  await c.close()
  // Ours, cold including login and Close Session: what a process like ipmitool pays.
  const coldLogin = await timed(Math.min(N, 50), async () => {
    const k = new IpmiClient(target, config)
    try {
      await readSensors(k)
    } finally {
      await k.close()
    }
  })

  // ipmitool as a process per read, and ipmitool exec (one process, one session, N x sdr list).
  const toolProc = await timed(PROCS, () => execFileSync('ipmitool', [...tool, 'sdr', 'list'], { stdio: 'pipe' }), 2)
  const script = join(dir, 'cmds')
  writeFileSync(script, 'sdr list\n'.repeat(N))
  const t0 = performance.now()
  execFileSync('ipmitool', [...tool, 'exec', script], { stdio: 'pipe' })
  const toolExec = (performance.now() - t0) / N

  const f = (x: number) => x.toFixed(2)
  console.log(`${sensorsSeen} sensors, ${N} reads per bmcvisor row, ${PROCS} ipmitool processes`)
  console.log('| measurement | p50 ms | p99 ms | our CPU ms per read | requests per read |\n|---|---|---|---|---|')
  const row = (name: string, s: Stats | number, req: number | string, cpu = true) =>
    console.log(`| ${name} | ${typeof s === 'number' ? f(s) : f(s.p50)} | ${typeof s === 'number' ? '-' : f(s.p99)} | ${typeof s === 'number' || !cpu ? '-' : f(s.cpuMs)} | ${req} |`)
  row('bmcvisor cold: SDR walk + readings, warm session', cold, coldCount.n)
  row('bmcvisor warm: cached SDR (repository info) + readings, 4 in flight', warm, warmCount.n)
  row('bmcvisor warm, one reading at a time', warmSerial, warmCount.n)
  row('bmcvisor cold including login + Close Session (fresh client)', coldLogin, `${coldCount.n} + login`)
  row('ipmitool process: `ipmitool -C 3 sdr list` (login + walk + readings)', toolProc, `${toolRequests} + login`, false)
  row('ipmitool exec, one process: `sdr list` repeated (its SDR list stays in memory), per run', toolExec, '-')
  console.log()
  console.log(`ratios (ipmitool process p50 / ours p50): cold ${(toolProc.p50 / cold.p50).toFixed(1)}x, warm ${(toolProc.p50 / warm.p50).toFixed(1)}x, ` +
    `cold with login ${(toolProc.p50 / coldLogin.p50).toFixed(1)}x; ipmitool exec per run / ours warm = ${(toolExec / warm.p50).toFixed(2)}x`)
} finally {
  rmSync(dir, { recursive: true, force: true })
  await sim.stop()
}

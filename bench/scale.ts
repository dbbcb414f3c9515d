// Scale benchmark: the whole service (startServer from dist/: store, one
// worker per BMC, console sessions with logs, metrics, REST) against 100,
// 500 and 1,000 simulated BMCs in a separate process (bench/scale-sim.ts),
// every console open (logging "full", the default). Per size it measures:
//  - RSS per BMC (service process RSS after all consoles connected and --settle s
//    of settling, minus the RSS before start, divided by N);
//  - time from start (a data directory already holding the N nodes) until
//    every console is connected;
//  - CPU of the service (and of the simulator) at idle and with every
//    console printing RATE bytes/s, plus the console bytes that arrived;
//  - fleet-wide power status through the range API (GET
//    /api/v1/noderange/.../power) against FreeIPMI ipmipower --stat over the
//    same BMCs (a fresh process and sessions each time, as ipmipower runs);
//  - recovery after killing 10% of the workers at once (fault 'exit'): time
//    until each victim's console is connected again.
// Reproduce: npm run build && node --expose-gc --import tsx bench/scale.ts [--sizes 100,500,1000]
// (--idle-only: start, idle CPU and wake-ups only, no power status, streaming or recovery)
import { fork, execFile, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import type { FromSim, ToSim } from './scale-sim.js'
import type * as MainModule from '../src/main.js'
import type * as StoreModule from '../src/store/sqlite.js'
import type * as LogModule from '../src/log.js'

const dist = (p: string) => fileURLToPath(new URL(`../dist/src/${p}`, import.meta.url))
const { startServer } = (await import(dist('main.js'))) as typeof MainModule
const { openStore } = (await import(dist('store/sqlite.js'))) as typeof StoreModule
const { createLogger } = (await import(dist('log.js'))) as typeof LogModule

const { values: a } = parseArgs({
  options: {
    sizes: { type: 'string', default: '100,500,1000' },
    rate: { type: 'string', default: '1024' },
    seconds: { type: 'string', default: '10' },
    'base-port': { type: 'string', default: '21000' },
    'accumulate-ms': { type: 'string', default: '200' },
    threshold: { type: 'string', default: '255' },
    'max-data': { type: 'string', default: '250' },
    'tick-ms': { type: 'string', default: '25' },
    'start-concurrency': { type: 'string', default: '8' },
    'cipher-suite': { type: 'string', default: '3' },
    runs: { type: 'string', default: '5' },
    // Seconds between "every console connected" and the idle measurements: a freshly started thread keeps
    // V8 busy in the background (compilation, GC) for a while, which is start-up cost, not idle cost.
    settle: { type: 'string', default: '20' },
    // Worker V8 limits; unset = the supervisor's defaults (old 64 MB, young 8 MB).
    'young-mb': { type: 'string' },
    'old-mb': { type: 'string' },
    // Stop after the idle measurement (no power status, streaming or recovery): for idle-cost work.
    'idle-only': { type: 'boolean', default: false },
    // `power`: only the fleet-wide power status (start, --settle, then range API and ipmipower runs
    // alternating); no idle, streaming or recovery phase.
    only: { type: 'string' },
    'profile-power': { type: 'string' },
  },
})
if (a.only !== undefined && a.only !== 'power') throw new Error(`--only ${a.only}: only "power" is known`)
const ONLY_POWER = a.only === 'power'
const sizes = a.sizes.split(',').map(Number)
const RATE = Number(a.rate)
const SECONDS = Number(a.seconds)
const RUNS = Number(a.runs)
const TOKEN = 'bench-admin-token-0123456789abcdef'
const KEY = 'a'.repeat(64)
const mb = (b: number) => (b / 1048576).toFixed(1)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const gc = () => (globalThis as { gc?: () => void }).gc?.()
const load = () => loadavg().map((x) => x.toFixed(1)).join(' ')
const pct = (xs: number[], p: number) => [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? NaN
const log = (s: string) => process.stderr.write(`[scale ${new Date().toISOString().slice(11, 19)} load ${load()}] ${s}\n`)

/** The simulator process: one request at a time over IPC. */
function simProcess(): { ask(m: ToSim): Promise<FromSim>; child: ChildProcess } {
  const child = fork(fileURLToPath(new URL('./scale-sim.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  let waiting: ((m: FromSim) => void) | undefined
  child.on('message', (m: FromSim) => waiting?.(m))
  return {
    child,
    ask: (m) => new Promise((resolve, reject) => {
      waiting = (r) => (r.type === 'error' ? reject(new Error(r.message)) : resolve(r))
      child.send(m)
    }),
  }
}

/** CPU ms of the main thread alone (Linux: utime + stime of /proc/self/task/PID, 100 ticks/s). */
function mainThreadCpuMs(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'latin1')
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(f[11]) + Number(f[12])) * 10
  } catch {
    return NaN
  }
}

/**
 * Wake-ups of this process's threads (Linux: voluntary context switches in /proc/self/task/TID/status,
 * i.e. times a thread blocked and was woken again), the main thread apart; a count that does not
 * depend on how loaded the machine is. Threads that ended meanwhile are not counted.
 */
function wakeCounts(): { all: number; main: number; byThread: Map<string, number> } {
  let all = 0
  let main = 0
  const byThread = new Map<string, number>()
  for (const tid of readdirSync('/proc/self/task')) {
    let st: string
    try {
      st = readFileSync(`/proc/self/task/${tid}/status`, 'latin1')
    } catch {
      continue // the thread ended
    }
    const v = Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(st)?.[1] ?? 0)
    all += v
    byThread.set(tid, v)
    if (Number(tid) === process.pid) main = v
  }
  return { all, main, byThread }
}

/**
 * The idle window's wake-ups split by thread: the threads this process had before the service started
 * (V8's platform workers, libuv's pool when it existed: shared by every worker) apart from those that
 * started with it (one per BMC, plus libuv's pool when it was created later), as a median per thread.
 */
function wakeSplit(before: Set<string>, w0: ReturnType<typeof wakeCounts>, w1: ReturnType<typeof wakeCounts>, seconds: number): { shared: number; perThreadMedian: number; newThreads: number } {
  let shared = 0
  const fresh: number[] = []
  for (const [tid, v] of w1.byThread) {
    const d = v - (w0.byThread.get(tid) ?? 0)
    if (Number(tid) === process.pid) continue
    if (before.has(tid)) shared += d
    else fresh.push(d)
  }
  return { shared: shared / seconds, perThreadMedian: pct(fresh, 0.5) / seconds, newThreads: fresh.length }
}

/** % of one core used by the whole process, and by its main thread, since the meter was made. */
function cpuMeter(): () => { all: number; main: number } {
  const c0 = process.cpuUsage()
  const m0 = mainThreadCpuMs()
  const t0 = performance.now()
  return () => {
    const c = process.cpuUsage(c0)
    const wall = performance.now() - t0
    return { all: ((c.user + c.system) / 1000 / wall) * 100, main: ((mainThreadCpuMs() - m0) / wall) * 100 }
  }
}

async function simCpu(sim: ReturnType<typeof simProcess>, ms: number): Promise<{ pct: number; bytes: number; packetsPerSecond: number; stats: Extract<FromSim, { type: 'stats' }> }> {
  const s0 = (await sim.ask({ type: 'stats' })) as Extract<FromSim, { type: 'stats' }>
  await sleep(ms)
  const s1 = (await sim.ask({ type: 'stats' })) as Extract<FromSim, { type: 'stats' }>
  const packets = s1.received + s1.sent - s0.received - s0.sent
  return { pct: (s1.cpuMs / s1.wallMs) * 100, bytes: s1.bytesAccepted - s0.bytesAccepted, packetsPerSecond: packets / (s1.wallMs / 1000), stats: s1 }
}

function ipmipower(bmcs: { host: string; port: number }[]): Promise<{ ms: number; on: number; lines: number }> {
  const t = performance.now()
  const h = bmcs.map((b) => `${b.host}:${b.port}`).join(',')
  return new Promise((resolve) => {
    execFile('ipmipower', ['-D', 'LAN_2_0', '-u', 'admin', '-p', 'password', '-h', h, '--stat', '-F', String(Math.min(1024, bmcs.length))], { maxBuffer: 1 << 24, timeout: 120_000 }, (_e, stdout) => {
      const lines = stdout.trim().split('\n').filter((l) => l !== '')
      resolve({ ms: performance.now() - t, on: lines.filter((l) => l.endsWith(': on')).length, lines: lines.length })
    })
  })
}

async function rangePower(url: string, expr: string, n: number): Promise<{ ms: number; ok: number }> {
  const t = performance.now()
  const res = await fetch(`${url}/api/v1/noderange/${encodeURIComponent(expr)}/power`, { headers: { authorization: `Bearer ${TOKEN}` } })
  const body = (await res.json()) as { results?: Record<string, { ok: boolean }> }
  const ms = performance.now() - t
  const ok = Object.values(body.results ?? {}).filter((r) => r.ok).length
  if (ok !== n) log(`range power: ${ok}/${n} ok (HTTP ${res.status}) ${JSON.stringify(body).slice(0, 300)}`)
  return { ms, ok }
}

/**
 * The power phase alone: RUNS rounds, each a range request then an ipmipower run over the same BMCs
 * (alternating, so both see the same load). Beside the wall times, counts that do not depend on the
 * machine's load: CPU per range request of the service's main thread and of the whole service (every
 * worker thread too) and of the simulator process. With --profile-power DIR, the main thread's CPU profile of the range requests.
 */
async function powerOnly(sim: ReturnType<typeof simProcess>, url: string, expr: string, n: number, bmcs: { host: string; port: number }[]): Promise<string> {
  await rangePower(url, expr, n)
  const range: number[] = []
  const mainCpu: number[] = []
  const allCpu: number[] = []
  const sysCpu: number[] = []
  const simMs: number[] = []
  const ipp: number[] = []
  let ippOn = 0
  const profiler = a['profile-power'] === undefined ? undefined : await startProfiler()
  for (let i = 0; i < RUNS; i++) {
    await sim.ask({ type: 'stats' })
    await profiler?.resume()
    const c0 = mainThreadCpuMs()
    const p0 = process.cpuUsage()
    range.push((await rangePower(url, expr, n)).ms)
    const p = process.cpuUsage(p0)
    allCpu.push((p.user + p.system) / 1000)
    sysCpu.push(p.system / 1000)
    mainCpu.push(mainThreadCpuMs() - c0)
    await profiler?.pause()
    simMs.push(((await sim.ask({ type: 'stats' })) as Extract<FromSim, { type: 'stats' }>).cpuMs)
    const r = await ipmipower(bmcs)
    ipp.push(r.ms)
    ippOn = r.on
  }
  if (profiler !== undefined) log(`main-thread profile of the range requests: ${await profiler.write(a['profile-power']!, n)}`)
  const l = load()
  const ms = (xs: number[]) => `${pct(xs, 0.5).toFixed(0)} (max ${Math.max(...xs).toFixed(0)})`
  return `| ${n} | ${ms(range)} | ${ms(mainCpu)} | ${ms(allCpu)}, of it system ${pct(sysCpu, 0.5).toFixed(0)} | ${ms(simMs)} | ${ms(ipp)}; ${ippOn}/${n} on | [${l}] |`
}

/**
 * The main thread's V8 profiler, on only while a range request runs: samples are kept between
 * pause and resume by stopping and starting it, and the profiles are written one per request.
 */
async function startProfiler(): Promise<{ resume(): Promise<void>; pause(): Promise<void>; write(dir: string, n: number): Promise<string> }> {
  const { Session } = await import('node:inspector/promises')
  const session = new Session()
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.setSamplingInterval', { interval: 100 })
  const profiles: unknown[] = []
  return {
    resume: async () => void (await session.post('Profiler.start')),
    pause: async () => void profiles.push((await session.post('Profiler.stop')).profile),
    write: async (dir, n) => {
      mkdirSync(dir, { recursive: true })
      for (const [i, p] of profiles.entries()) writeFileSync(join(dir, `range-${n}-${i}.cpuprofile`), JSON.stringify(p))
      session.disconnect()
      return `${profiles.length} files in ${dir}`
    },
  }
}

const rows: string[] = []
for (const n of sizes) {
  log(`N=${n}: starting simulators`)
  const sim = simProcess()
  const ready = await sim.ask({ type: 'start', count: n, basePort: Number(a['base-port']), rate: 0, accumulateMs: Number(a['accumulate-ms']), sendThreshold: Number(a.threshold), maxSendData: Number(a['max-data']), tickMs: Number(a['tick-ms']) })
  if (ready.type !== 'ready') throw new Error('simulator did not start')
  const width = String(n - 1).length
  const names = ready.bmcs.map((_, i) => `n${String(i).padStart(width, '0')}`)
  const expr = `n[${'0'.padStart(width, '0')}-${String(n - 1)}]`
  const dataDir = mkdtempSync(join(tmpdir(), 'bmcvisor-scale-'))
  const store = openStore({ dataDir, secretKey: KEY })
  for (const [i, b] of ready.bmcs.entries()) await store.nodes.create({
    name: names[i]!, groups: ['bench'],
    bmc: { host: b.host, port: b.port, username: b.username, password: b.password, cipherSuite: Number(a['cipher-suite']), privilege: 'administrator' },
    console: { method: 'ipmi', logging: 'full' },
  })
  await store.close()
  await sleep(1000)
  gc()
  const rss0 = process.memoryUsage().rss
  const threadsBefore = new Set(readdirSync('/proc/self/task'))
  const connected = new Set<string>()
  const t0 = performance.now()
  const server = await startServer({
    listen: '127.0.0.1:0', dataDir, secretKey: KEY, adminToken: TOKEN, enableFaultInjection: true,
    logger: createLogger({ level: 'warn', destination: process.stderr }),
    supervisor: {
      startConcurrency: Number(a['start-concurrency']), heartbeatMs: 2000, heartbeatTimeoutMs: 15_000, startTimeoutMs: 60_000,
      ...(a['young-mb'] !== undefined || a['old-mb'] !== undefined ? { resourceLimits: { maxYoungGenerationSizeMb: Number(a['young-mb'] ?? 8), maxOldGenerationSizeMb: Number(a['old-mb'] ?? 64) } } : {}),
    },
  })
  const sup = server.supervisor
  const teardown = async () => {
    await server.close()
    await sim.ask({ type: 'stop' }).catch(() => undefined)
    sim.child.kill()
    rmSync(dataDir, { recursive: true, force: true })
    gc()
  }
  const startCpu = cpuMeter()
  // Start timeline: workers running, sessions up, console failures (each one costs a reconnect backoff).
  const running = new Set<string>()
  const sessionsUp = new Set<string>()
  const failures = new Map<string, number>()
  let tRunning = NaN
  let tSessions = NaN
  sup.on('worker:state', (node, st) => {
    if (st === 'running') running.add(node)
    if (running.size === n && Number.isNaN(tRunning)) tRunning = (performance.now() - t0) / 1000
  })
  sup.on('session:state', (node, m) => {
    if (m.state === 'connected') sessionsUp.add(node)
    if (sessionsUp.size === n && Number.isNaN(tSessions)) tSessions = (performance.now() - t0) / 1000
  })
  sup.on('console:state', (_node, m) => {
    if (m.state === 'error' || m.state === 'disconnected') failures.set(m.reason ?? m.state, (failures.get(m.reason ?? m.state) ?? 0) + 1)
  })
  let consoleBytes = 0
  sup.on('console:data', (_node, d) => (consoleBytes += d.length))
  sup.on('console:state', (node, m) => {
    if (m.state === 'connected') connected.add(node)
    else connected.delete(node)
  })
  // Workers start while startServer() is still building the app: take what happened before we listened.
  for (const st of sup.status()) {
    if (st.state === 'running') running.add(st.node)
    if (st.session?.state === 'connected') sessionsUp.add(st.node)
    if (st.console?.state === 'connected') connected.add(st.node)
  }
  let lastReport = 0
  while (connected.size < n) {
    if (performance.now() - t0 > 600_000) throw new Error(`only ${connected.size}/${n} consoles after 600 s`)
    await sleep(100)
    if (performance.now() - lastReport > 5000) {
      lastReport = performance.now()
      log(`N=${n}: ${connected.size} consoles connected after ${((lastReport - t0) / 1000).toFixed(1)} s`)
    }
  }
  const tUp = (performance.now() - t0) / 1000
  const loadUp = load()
  const upCpu = startCpu()
  log(`N=${n}: CPU from start until every console was connected: ${upCpu.all.toFixed(0)}% of one core (main thread ${upCpu.main.toFixed(0)}%) = ${((upCpu.all / 100) * tUp * 1000 / n).toFixed(0)} ms of CPU per BMC`)
  log(`N=${n}: all consoles connected in ${tUp.toFixed(1)} s; all workers running at ${tRunning.toFixed(1)} s, all sessions up at ${tSessions.toFixed(1)} s; console failures on the way: ${JSON.stringify(Object.fromEntries(failures))}`)
  await sleep(Number(a.settle) * 1000)
  gc()
  await sleep(500)
  const rss = process.memoryUsage().rss - rss0
  if (ONLY_POWER) {
    rows.push(await powerOnly(sim, server.url, expr, n, ready.bmcs))
    log(rows.at(-1)!)
    await teardown()
    continue
  }
  const simIdleStats = (await sim.ask({ type: 'stats' })) as Extract<FromSim, { type: 'stats' }>

  // Idle: consoles open, nothing printing.
  const idleCpu = cpuMeter()
  const w0 = wakeCounts()
  const tw = performance.now()
  const simIdle = await simCpu(sim, SECONDS * 1000)
  const idle = idleCpu()
  const w1 = wakeCounts()
  const ws = (performance.now() - tw) / 1000
  const wakes = { perBmc: (w1.all - w1.main - (w0.all - w0.main)) / ws / n, main: (w1.main - w0.main) / ws }
  const split = wakeSplit(threadsBefore, w0, w1, ws)
  log(`N=${n}: idle wake-ups per second: ${wakes.perBmc.toFixed(2)} per BMC (all threads but the main one, divided by N), main thread ${wakes.main.toFixed(0)}; median of the ${split.newThreads} threads started with the service ${split.perThreadMedian.toFixed(2)}, threads shared from before ${split.shared.toFixed(0)}`)
  const loadIdle = load()
  if (a['idle-only']) {
    rows.push(`| ${n} | ${mb(rss / n)} idle | ${tUp.toFixed(1)} [${loadUp}] | ${idle.all.toFixed(1)} (main ${idle.main.toFixed(1)}) / sim ${simIdle.pct.toFixed(1)}; wake-ups/s ${wakes.perBmc.toFixed(2)} per BMC (median worker thread ${split.perThreadMedian.toFixed(2)}, shared threads ${split.shared.toFixed(0)}), main ${wakes.main.toFixed(0)}; sim UDP packets/s ${simIdle.packetsPerSecond.toFixed(0)} [${loadIdle}] | | | | |`)
    log(rows.at(-1)!)
    await teardown()
    continue
  }

  // Power status, fleet-wide: the range API (warm sessions) vs ipmipower (a process, new sessions).
  await rangePower(server.url, expr, n)
  const range: number[] = []
  for (let i = 0; i < RUNS; i++) range.push((await rangePower(server.url, expr, n)).ms)
  const ipp: number[] = []
  let ippOn = 0
  for (let i = 0; i < RUNS; i++) {
    const r = await ipmipower(ready.bmcs)
    ipp.push(r.ms)
    ippOn = r.on
  }
  const loadPower = load()

  // Streaming: every console prints RATE bytes/s.
  await sim.ask({ type: 'rate', rate: RATE })
  await sleep(3000)
  const bytes0 = consoleBytes
  const busyCpu = cpuMeter()
  const tb = performance.now()
  const simBusy = await simCpu(sim, SECONDS * 1000)
  const busy = busyCpu()
  const received = (consoleBytes - bytes0) / ((performance.now() - tb) / 1000)
  const rssBusy = process.memoryUsage().rss - rss0
  const loadBusy = load()
  const rangeBusy: number[] = []
  for (let i = 0; i < RUNS; i++) rangeBusy.push((await rangePower(server.url, expr, n)).ms)

  // Recovery, at idle again (at 1,000 consoles streaming saturates the machine and would measure that
  // instead): 10% of the workers exit at once; time until each console is connected again.
  const downBeforeRecovery = names.filter((x) => !connected.has(x)).length
  await sim.ask({ type: 'rate', rate: 0 })
  // Consoles that could not keep up have a backlog in the simulated hosts: wait until it has drained
  // (no console byte for 2 s), so that recovery is measured at idle, not during the drain.
  const tDrain = performance.now()
  for (let last = -1; last !== consoleBytes && performance.now() - tDrain < 300_000;) {
    last = consoleBytes
    await sleep(2000)
  }
  log(`N=${n}: console backlog drained ${((performance.now() - tDrain) / 1000).toFixed(1)} s after output stopped`)
  const victims = names.filter((_, i) => i % 10 === 0)
  const back = new Map<string, number>()
  const gone = new Set(victims)
  // The victims' timeline: worker running again, session up, console failures on the way back.
  const vRunning = new Map<string, number>()
  const vSession = new Map<string, number>()
  const vFailures = new Map<string, number>()
  const onState = (node: string, m: { state: string; reason?: string }) => {
    if (!gone.has(node)) return
    if (m.state === 'connected' && !back.has(node)) back.set(node, performance.now())
    if (m.state === 'error' || m.state === 'disconnected') vFailures.set(m.reason ?? m.state, (vFailures.get(m.reason ?? m.state) ?? 0) + 1)
  }
  const onWorker = (node: string, st: string) => {
    if (gone.has(node) && st === 'running' && !vRunning.has(node)) vRunning.set(node, performance.now())
  }
  const onSession = (node: string, m: { state: string }) => {
    if (gone.has(node) && m.state === 'connected' && !vSession.has(node)) vSession.set(node, performance.now())
  }
  const exited = new Set<string>()
  const onExit = (node: string) => exited.add(node)
  sup.on('console:state', onState)
  sup.on('worker:state', onWorker)
  sup.on('session:state', onSession)
  sup.on('worker:exited', onExit)
  const tk = performance.now()
  for (const v of victims) sup.injectFault(v, 'exit')
  while (back.size < victims.length && performance.now() - tk < 300_000) await sleep(50)
  sup.off('console:state', onState)
  sup.off('worker:state', onWorker)
  sup.off('session:state', onSession)
  sup.off('worker:exited', onExit)
  const rec = victims.map((v) => (back.get(v) ?? NaN) - tk)
  const p50s = (m: Map<string, number>) => (pct(victims.map((v) => (m.get(v) ?? NaN) - tk), 0.5) / 1000).toFixed(1)
  log(`N=${n}: recovery timeline p50: worker running ${p50s(vRunning)} s, session up ${p50s(vSession)} s, console ${p50s(back)} s; console failures on the way: ${JSON.stringify(Object.fromEntries(vFailures))}`)
  const othersDown = names.filter((x) => !gone.has(x) && !connected.has(x)).length
  const downAfterStreaming = downBeforeRecovery
  const loadRec = load()

  rows.push([
    `| ${n} | ${mb(rss / n)} idle, ${mb(rssBusy / n)} streaming (${mb(Math.max(rss, rssBusy))} total) | ${tUp.toFixed(1)} [${loadUp}] | ${idle.all.toFixed(1)} (main ${idle.main.toFixed(1)}) / sim ${simIdle.pct.toFixed(1)}; wake-ups/s ${wakes.perBmc.toFixed(2)} per BMC, main ${wakes.main.toFixed(0)} [${loadIdle}]`,
    `| ${busy.all.toFixed(1)} (main ${busy.main.toFixed(1)}) / sim ${simBusy.pct.toFixed(1)}; ${(received / n).toFixed(0)} B/s per console [${loadBusy}]`,
    `| ${pct(range, 0.5).toFixed(0)} (max ${Math.max(...range).toFixed(0)}); streaming ${pct(rangeBusy, 0.5).toFixed(0)} | ${pct(ipp, 0.5).toFixed(0)} (max ${Math.max(...ipp).toFixed(0)}; ${ippOn}/${n} on) [${loadPower}]`,
    `| p50 ${(pct(rec, 0.5) / 1000).toFixed(1)}, max ${(Math.max(...rec) / 1000).toFixed(1)} (${exited.size}/${victims.length} exited, ${back.size} back; others down: ${othersDown}; down after streaming: ${downAfterStreaming}) [${loadRec}] |`,
  ].join(' '))
  log(rows.at(-1)!)
  log(`N=${n}: sim idle RSS ${mb(simIdleStats.rssBytes)} MB, sessions ${simIdleStats.sessions}; UDP packets/s at the sims idle ${simIdle.packetsPerSecond.toFixed(0)}, streaming ${simBusy.packetsPerSecond.toFixed(0)}; SOL retransmits ${simBusy.stats.retransmits}, given up ${simBusy.stats.givenUp}`)
  await teardown()
}

if (ONLY_POWER) {
  console.log(`--only power, ${RUNS} rounds (range request, then ipmipower); [load average 1/5/15 min]`)
  console.log('| BMCs | range API power status, ms p50 (max) | CPU per range request, main thread, ms | CPU per range request, whole service, ms | CPU of the simulated BMCs per range request, ms | ipmipower --stat, ms p50 (max) | load |')
  console.log('|---|---|---|---|---|---|---|')
  console.log(rows.join('\n'))
  process.exit(0)
}
console.log(`RATE=${RATE} B/s per console; SOL accumulate ${a['accumulate-ms']} ms, threshold ${a.threshold}; cipher suite ${a['cipher-suite']}; worker limits young ${a['young-mb'] ?? 'default'} MB, old ${a['old-mb'] ?? 'default'} MB; [load average 1/5/15 min]`)
console.log('| BMCs | RSS per BMC, MB | all consoles connected, s | CPU idle, % of one core: service (its main thread) / sim; wake-ups per second | CPU streaming, same; console bytes received per console | range API power status, ms p50 | ipmipower --stat, ms p50 | recovery after killing 10% of workers, s |')
console.log('|---|---|---|---|---|---|---|---|')
console.log(rows.join('\n'))

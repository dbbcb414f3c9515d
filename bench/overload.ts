// Graceful overload (issue 18): the whole service (startServer: store, one
// worker per BMC, console logs "full", REST, /metrics) against BMCS simulated
// BMCs (bench/overload-sim.ts, another process) whose hosts all print RATE
// bytes per second at once, more than the CPU can deliver. Every console is
// connected first; then for STREAM s it watches every console and session
// state event, scrapes /metrics every 2 s on its own (as Prometheus would,
// timeout 60 s so a slow answer is measured, not cut) and asks one node's
// power status through REST every COMMAND ms. Then the hosts go quiet, the
// service closes (console logs flushed) and each console log is compared with
// what its BMC says the console took (ACKed): the same byte count, lines in
// order, none twice, none of another host (bench/soak-log.ts).
// Reproduce: node --import tsx bench/overload.ts [--bmcs 200] [--rate 20480] [--stream-s 60] [--check-logs]
// (with BMCVISOR_WORKER_FILE set to the bundled worker, see scripts/bundle-worker.mjs).
import { fork } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { createLogger } from '../src/log.js'
import { startServer, type RunningServer } from '../src/main.js'
import { openStore } from '../src/store/sqlite.js'
import { verifySoakLog, type LogVerdict } from './soak-log.js'
import { METRICS_DEADLINE_MS, METRICS_EVERY_MS } from './soak.js'
import type { FromOverloadSim, OverloadSimBmc, ToOverloadSim } from './overload-sim.js'

export interface OverloadOptions {
  bmcs: number
  /** Console bytes per second each host prints while streaming. */
  rate: number
  streamMs: number
  /** One REST power status every this many ms (on a node picked in turn). */
  commandEveryMs: number
  /** Compare every console log with its BMC's count (costs reading every log at the end). */
  checkLogs: boolean
  /** The simulated BMCs' SOL packets: data bytes, send threshold, accumulate interval (default: the simulator's). */
  sol?: { maxSendData?: number; sendThreshold?: number; accumulateMs?: number }
  log?: (s: string) => void
}

export interface LeftConnected {
  t: number
  node: string
  subject: 'console' | 'session'
  state: string
  reason?: string | undefined
}

export interface OverloadResult {
  bmcs: number
  /** Fewest consoles connected at any state change or sample while streaming. */
  minConnected: number
  /** Every console or session state change away from connected while streaming. */
  left: LeftConnected[]
  metrics: { scrapes: number; over10s: number; maxMs: number; p50Ms: number; failed: number }
  commands: { count: number; failed: number; p50Ms: number; p99Ms: number; maxMs: number; errors: string[] }
  /** Console bytes per second per console the service took while streaming (mean over consoles). */
  deliveredPerConsole: number
  /** Host bytes the simulated BMCs dropped for want of buffer (transmit overrun), all BMCs. */
  overrunBytes: number
  /** SOL packets the BMCs gave up after their retries (their bytes lost), all BMCs. */
  packetsGivenUp: number
  sessionsAtEnd: number
  /** CPU of this process (service and test driver), % of one core, while streaming. */
  serviceCpuPct: number
  /** bmcvisor_console_output_withheld_total at the last scrape (undefined: the service has no such metric). */
  withheldPackets: number | undefined
  logs?: {
    total: LogVerdict
    /** Bytes a BMC says its console took that are not in the console log (lost by us), all nodes. */
    missingBytes: number
    /** Bytes in the console logs beyond what the BMCs sent (doubled by us), all nodes. */
    extraBytes: number
    /** Nodes whose log and BMC count differ. */
    mismatched: string[]
  }
  failures: string[]
}

const TOKEN = 'overload-admin-token-0123456789abcdef'
const KEY = 'c'.repeat(64)
const CONNECT_TIMEOUT_MS = 240_000
/**
 * After the hosts go quiet the BMCs still hold a backlog (up to their 16 KiB buffer each): the counts are
 * compared once no BMC has had a byte taken for this long (packets in flight, held ones, retries).
 */
const QUIET_MS = 3000
/** Longest wait for that backlog to drain. */
const DRAIN_TIMEOUT_MS = 120_000
/** Bytes of one numbered line (bench/soak-log.ts), for sizing the boot logs. */
const LINE_BYTES = 26

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const sum = (xs: OverloadSimBmc[], k: keyof Omit<OverloadSimBmc, 'host'>) => xs.reduce((a, b) => a + b[k], 0)
const quantile = (xs: number[], q: number) => {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!
}

export async function runOverload(o: OverloadOptions): Promise<OverloadResult> {
  const say = o.log ?? (() => undefined)
  const sim = fork(fileURLToPath(new URL('./overload-sim.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const ask = async <T extends FromOverloadSim['type']>(m: ToOverloadSim, want: T): Promise<Extract<FromOverloadSim, { type: T }>> => {
    let onExit: ((c: number | null) => void) | undefined
    const reply = new Promise<FromOverloadSim>((res, rej) => {
      sim.once('message', res)
      onExit = (c) => rej(new Error(`overload sim exited (${c})`))
      sim.once('exit', onExit)
    })
    sim.send(m)
    const r = await reply.finally(() => sim.off('exit', onExit!))
    if (r.type === 'error') throw new Error(`overload sim: ${r.message}`)
    if (r.type !== want) throw new Error(`overload sim answered ${r.type}, not ${want}`)
    return r as Extract<FromOverloadSim, { type: T }>
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'bmcvisor-overload-'))
  let server: RunningServer | undefined
  try {
    // Enough numbered lines that no host starts over while streaming (that would read as disorder).
    const lines = Math.ceil((o.rate * (o.streamMs + 10_000)) / 1000 / LINE_BYTES) + 100
    const ready = await ask({ type: 'start', count: o.bmcs, lines, sol: o.sol ?? {} }, 'ready')
    const names = ready.bmcs.map((b) => b.name)
    const store = openStore({ dataDir, secretKey: KEY })
    for (const b of ready.bmcs) await store.nodes.create({
      name: b.name, groups: ['overload'],
      bmc: { host: b.host, port: b.port, username: b.username, password: b.password, cipherSuite: 3, privilege: 'administrator' },
      console: { method: 'ipmi', logging: 'full' },
    })
    await store.close()

    const logSink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const line of chunk.toString('utf8').split('\n')) if (/"level":(5|6)\d/.test(line)) say(`service error: ${line.slice(0, 300)}`)
        cb()
      },
    })
    const running = await startServer({ listen: '127.0.0.1:0', dataDir, secretKey: KEY, adminToken: TOKEN, logger: createLogger({ level: 'warn', destination: logSink }) })
    server = running
    const sup = running.supervisor
    const connected = new Set<string>()
    let streaming = false
    let t0 = 0
    let minConnected = Infinity
    const left: LeftConnected[] = []
    sup.on('console:state', (node, m) => {
      if (m.state === 'connected') connected.add(node)
      else {
        connected.delete(node)
        if (streaming) left.push({ t: Math.round(performance.now() - t0), node, subject: 'console', state: m.state, reason: m.reason })
      }
      if (streaming) minConnected = Math.min(minConnected, connected.size)
    })
    sup.on('session:state', (node, m) => {
      if (streaming && m.state !== 'connected') left.push({ t: Math.round(performance.now() - t0), node, subject: 'session', state: m.state, reason: m.reason })
    })
    // Workers start while startServer() is still building the app: take the consoles that connected before we listened.
    for (const st of sup.status()) if (st.console?.state === 'connected') connected.add(st.node)
    const started = Date.now()
    while (connected.size < o.bmcs) {
      if (Date.now() - started > CONNECT_TIMEOUT_MS) throw new Error(`only ${connected.size}/${o.bmcs} consoles connected after ${CONNECT_TIMEOUT_MS / 1000} s`)
      await sleep(250)
    }
    say(`all ${o.bmcs} consoles connected after ${((Date.now() - started) / 1000).toFixed(1)} s`)
    const before = await ask({ type: 'stats' }, 'stats')

    const auth = { authorization: `Bearer ${TOKEN}` }
    const scrapes: number[] = []
    let scrapeFailures = 0
    let lastScrape = ''
    const commandMs: number[] = []
    const commandErrors: string[] = []
    let on = true
    const metricsLoop = async () => {
      while (on) {
        const t = performance.now()
        try {
          const r = await fetch(`${running.url}/metrics`, { signal: AbortSignal.timeout(60_000) })
          lastScrape = await r.text()
          if (!r.ok) scrapeFailures++
        } catch {
          scrapeFailures++
        }
        scrapes.push(performance.now() - t)
        minConnected = Math.min(minConnected, connected.size)
        await sleep(METRICS_EVERY_MS)
      }
    }
    const commandLoop = async () => {
      let k = 0
      while (on) {
        const node = names[k++ % names.length]!
        const t = performance.now()
        try {
          const r = await fetch(`${running.url}/api/v1/nodes/${node}/power`, { headers: auth, signal: AbortSignal.timeout(60_000) })
          const body = await r.text()
          if (!r.ok) commandErrors.push(`${node}: HTTP ${r.status} ${body.slice(0, 160)}`)
        } catch (e) {
          commandErrors.push(`${node}: ${e instanceof Error ? e.message : String(e)}`)
        }
        commandMs.push(performance.now() - t)
        await sleep(o.commandEveryMs)
      }
    }
    await ask({ type: 'rate', rate: o.rate }, 'ok')
    streaming = true
    t0 = performance.now()
    minConnected = connected.size
    const cpu0 = process.cpuUsage()
    const load = Promise.all([metricsLoop(), commandLoop()])
    const progress = setInterval(() => say(`t=${Math.round((performance.now() - t0) / 1000)}s connected ${connected.size}/${o.bmcs}, left ${left.length}, scrapes ${scrapes.length} (max ${Math.round(Math.max(0, ...scrapes))} ms), commands ${commandMs.length}`), 10_000)
    await sleep(o.streamMs)
    const cpu = process.cpuUsage(cpu0)
    const streamedMs = performance.now() - t0
    const during = await ask({ type: 'stats' }, 'stats')
    streaming = false
    await ask({ type: 'rate', rate: 0 }, 'ok')
    on = false
    clearInterval(progress)
    await load
    const drainStart = performance.now()
    let after = await ask({ type: 'stats' }, 'stats')
    for (;;) {
      await sleep(QUIET_MS)
      const now = await ask({ type: 'stats' }, 'stats')
      const moved = sum(now.bmcs, 'bytesAccepted') !== sum(after.bmcs, 'bytesAccepted')
      after = now
      if (!moved) break
      if (performance.now() - drainStart > DRAIN_TIMEOUT_MS) throw new Error(`the BMCs' backlog did not drain within ${DRAIN_TIMEOUT_MS / 1000} s`)
    }
    say(`backlog drained ${((performance.now() - drainStart) / 1000).toFixed(1)} s after the hosts went quiet`)
    await running.close()
    server = undefined

    const deliveredPerConsole = (sum(during.bmcs, 'bytesAccepted') - sum(before.bmcs, 'bytesAccepted')) / o.bmcs / (streamedMs / 1000)
    const over10s = scrapes.filter((ms) => ms > METRICS_DEADLINE_MS).length
    const r: OverloadResult = {
      bmcs: o.bmcs, minConnected, left,
      metrics: { scrapes: scrapes.length, over10s, maxMs: Math.max(0, ...scrapes), p50Ms: quantile(scrapes, 0.5), failed: scrapeFailures },
      commands: { count: commandMs.length, failed: commandErrors.length, p50Ms: quantile(commandMs, 0.5), p99Ms: quantile(commandMs, 0.99), maxMs: Math.max(0, ...commandMs), errors: commandErrors.slice(0, 10) },
      deliveredPerConsole,
      overrunBytes: sum(after.bmcs, 'overrunBytes'),
      packetsGivenUp: sum(after.bmcs, 'packetsGivenUp'),
      sessionsAtEnd: sum(after.bmcs, 'sessions'),
      serviceCpuPct: ((cpu.user + cpu.system) / 1000 / streamedMs) * 100,
      withheldPackets: ((m) => (m === null ? undefined : Number(m[1])))(/^bmcvisor_console_output_withheld_total (\d+)/m.exec(lastScrape)),
      failures: [],
    }
    if (o.checkLogs) {
      const total: LogVerdict = { lines: 0, bytes: 0, missingLines: 0, gaps: 0, disorder: 0, foreign: 0, torn: 0, tornInside: 0 }
      let missingBytes = 0
      let extraBytes = 0
      const mismatched: string[] = []
      for (const b of after.bmcs) {
        const p = join(dataDir, 'consoles', `${b.host}.log`)
        const text = existsSync(p) ? readFileSync(p, 'latin1') : ''
        const v = verifySoakLog(b.host, text)
        for (const k of Object.keys(total) as (keyof LogVerdict)[]) total[k] += v[k]
        const d = b.bytesAccepted - v.bytes
        if (d > 0) missingBytes += d
        else extraBytes -= d
        if (d !== 0) mismatched.push(`${b.host}: BMC sent ${b.bytesAccepted}, log has ${v.bytes}`)
      }
      r.logs = { total, missingBytes, extraBytes, mismatched: mismatched.slice(0, 10) }
      if (missingBytes + extraBytes > 0) r.failures.push(`console logs differ from what the BMCs sent: ${missingBytes} bytes missing, ${extraBytes} extra (${mismatched.slice(0, 3).join('; ')})`)
      if (total.disorder + total.foreign > 0) r.failures.push(`console logs: ${total.disorder} lines out of order or doubled, ${total.foreign} of another host`)
    }
    if (left.length > 0) r.failures.push(`${left.length} state changes away from connected while streaming, first: ${JSON.stringify(left.slice(0, 3))}`)
    if (r.sessionsAtEnd < o.bmcs) r.failures.push(`only ${r.sessionsAtEnd} BMC sessions at the end (of ${o.bmcs})`)
    if (over10s > 0 || scrapeFailures > 0) r.failures.push(`/metrics: ${over10s} of ${scrapes.length} scrapes over 10 s, ${scrapeFailures} failed (max ${r.metrics.maxMs.toFixed(0)} ms)`)
    if (commandErrors.length > 0) r.failures.push(`${commandErrors.length} of ${commandMs.length} commands failed: ${commandErrors.slice(0, 3).join('; ')}`)
    return r
  } finally {
    await server?.close().catch(() => undefined)
    if (sim.exitCode === null && sim.signalCode === null) {
      const gone = once(sim, 'exit')
      sim.kill('SIGKILL')
      await gone
    }
    rmSync(dataDir, { recursive: true, force: true })
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values: a } = parseArgs({
    options: {
      bmcs: { type: 'string', default: '200' },
      rate: { type: 'string', default: '20480' },
      'stream-s': { type: 'string', default: '60' },
      'command-ms': { type: 'string', default: '250' },
      'check-logs': { type: 'boolean', default: false },
      // bench/scale.ts's SOL settings (fuller packets than the simulator's defaults), as in the measurement.
      'max-data': { type: 'string', default: '250' },
      threshold: { type: 'string', default: '255' },
      'accumulate-ms': { type: 'string', default: '200' },
    },
  })
  const t = () => new Date().toISOString().slice(11, 19)
  const r = await runOverload({
    bmcs: Number(a.bmcs), rate: Number(a.rate), streamMs: Number(a['stream-s']) * 1000, commandEveryMs: Number(a['command-ms']), checkLogs: a['check-logs'] === true,
    sol: { maxSendData: Number(a['max-data']), sendThreshold: Number(a.threshold), accumulateMs: Number(a['accumulate-ms']) },
    log: (s) => process.stderr.write(`[overload ${t()}] ${s}\n`),
  })
  console.log(JSON.stringify({ ...r, left: { count: r.left.length, first: r.left.slice(0, 10) } }, null, 1))
  process.exitCode = r.failures.length === 0 ? 0 : 1
}

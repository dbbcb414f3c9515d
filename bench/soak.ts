// Soak: the whole service (startServer: store, one worker per BMC, console
// logs "full", REST, /metrics) against BMCS simulated BMCs for a while, with a
// random fault every few seconds from a seeded PRNG (mulberry32, test/lab):
//  - kill: a group of simulated BMCs (one process, bench/soak-sim.ts) is
//    SIGKILLed and started again 5-15 s later (its hosts start a new generation);
//  - stop: a group is hung with SIGSTOP, SIGCONT 5-20 s later;
//  - flip: one BMC's address answers as another BMC of its group for 2-6 s;
//  - loss: 20% packet loss both ways on one BMC for 20-40 s;
//  - crash: one node's worker thread crashes (supervisor fault injection);
//  - client: a console WebSocket joins one node and leaves 2-20 s later;
// and a REST load beside it (node list, one node's power status; /metrics
// scraped on its own every 2 s).
// Every SAMPLE s it records the service process's RSS, active handles and
// timers (main thread), event-loop delay (p99, max), CPU (% of one core, the
// whole process), consoles connected and the slowest /metrics answer. At the
// end the faults are undone, every console must be connected again, and the
// checks run: RSS after warm-up grows at most 5%, handles and timers back to
// the warmed-up quiet figures, each console log holds its own host's lines in
// order (bench/soak-log.ts; lines missing only on nodes that had a disruptive
// fault, another host's lines only on nodes whose address flipped), no
// unhandled error, /metrics always within 10 s. The samples go to a JSON file
// and a PNG plot (an SVG rendered by headless chromium).
// Reproduce: node --import tsx bench/soak.ts [--bmcs 100] [--minutes 60] [--seed 1] [--out bench/soak]
// (with BMCVISOR_WORKER_FILE set to the bundled worker, see scripts/bundle-worker.mjs).
import { fork, execFile, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { Writable } from 'node:stream'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import WebSocket from 'ws'
import { createLogger } from '../src/log.js'
import { startServer, type RunningServer } from '../src/main.js'
import { openStore } from '../src/store/sqlite.js'
import { mulberry32 } from '../test/lab/fault-proxy.js'
import { verifySoakLog, type LogVerdict } from './soak-log.js'
import type { FromSoakSim, ToSoakSim } from './soak-sim.js'

export interface SoakOptions {
  bmcs: number
  durationMs: number
  seed: number
  /** BMCs per simulator process (the unit of kill and SIGSTOP). */
  groupSize: number
  /** Console bytes per second per host. */
  rate: number
  faultEveryMs: number
  sampleMs: number
  /** Samples before this are warm-up (RSS baseline taken after it). */
  warmupMs: number
  /** The BMC proxies listen on basePort + i. */
  basePort: number
  log?: (s: string) => void
}

export interface SoakSample {
  t: number
  rssMb: number
  heapMb: number
  handles: number
  timers: number
  elP99Ms: number
  elMaxMs: number
  cpuPct: number
  connected: number
  metricsMaxMs: number
}

export interface SoakResult {
  samples: SoakSample[]
  faults: Record<FaultName, number>
  quiet: { before: { handles: number; timers: number }; after: { handles: number; timers: number } }
  rssGrowthPct: number
  logs: {
    total: LogVerdict
    missingOnUndisturbed: number
    /** Lines of another host in the log of a node whose address never flipped (must be 0). */
    foreignOnUnflipped: number
    nodesWithGaps: number
    /** Nodes a disruptive fault touched (kill, stop, flip, crash), and those whose address flipped. */
    disturbed: string[]
    flipped: string[]
  }
  unhandled: string[]
  serviceErrors: number
  metricsMaxMs: number
  metricsScrapes: number
  rest: { ok: number; failed: number }
  /** Every check that failed, in words; empty = passed. */
  failures: string[]
}

const FAULTS = ['kill', 'stop', 'flip', 'loss', 'crash', 'client'] as const
type FaultName = (typeof FAULTS)[number]
const TOKEN = 'soak-admin-token-0123456789abcdef'
const KEY = 'b'.repeat(64)
/** Lines per host generation: more than an hour of output at the rates used here. */
const LINES_PER_GEN = 20_000
/** Prometheus' default scrape timeout, and how often the benchmarks scrape (bench/overload.ts too). */
export const METRICS_DEADLINE_MS = 10_000
export const METRICS_EVERY_MS = 2000
const RSS_GROWTH_LIMIT_PCT = 5
/** Handles and timers may differ this much between the two quiet points (a pooled HTTP socket, a log flush timer). */
const QUIET_SLACK = 4
const RECONNECT_TIMEOUT_MS = 180_000

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

class SimGroup {
  child: ChildProcess | undefined
  gen = 0
  state: 'up' | 'killed' | 'stopped' = 'up'
  /** The start under way, so a second caller waits for it instead of binding the same ports again. */
  private starting: Promise<void> | undefined
  constructor(readonly first: number, readonly count: number, private readonly o: SoakOptions) {}

  start(): Promise<void> {
    this.starting ??= this.spawn().finally(() => {
      this.starting = undefined
    })
    return this.starting
  }

  get busy(): boolean {
    return this.starting !== undefined
  }

  /** Waits for a start under way, or starts the group again if it was killed. */
  async whole(): Promise<void> {
    if (this.starting !== undefined || this.state === 'killed') await this.start()
  }

  private async spawn(): Promise<void> {
    this.gen++
    const child = fork(fileURLToPath(new URL('./soak-sim.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    this.child = child
    const ready = new Promise<void>((res, rej) => {
      child.on('message', (m: FromSoakSim) => {
        if (m.type === 'ready') res()
        else if (m.type === 'error') rej(new Error(`sim group ${this.first}: ${m.message}`))
      })
      child.once('exit', (code) => rej(new Error(`sim group ${this.first} exited (${code}) before it was ready`)))
    })
    this.send({ type: 'start', first: this.first, count: this.count, frontPort: this.o.basePort + this.first, gen: this.gen, rate: this.o.rate, seed: this.o.seed * 1000 + this.first, lines: LINES_PER_GEN })
    await ready
    this.state = 'up'
  }

  send(m: ToSoakSim): void {
    if (this.child?.connected === true) this.child.send(m)
  }

  async kill(): Promise<void> {
    const c = this.child
    if (c === undefined || c.exitCode !== null || c.signalCode !== null) return
    this.state = 'killed'
    const gone = once(c, 'exit')
    c.kill('SIGKILL')
    await gone
  }

  signal(sig: 'SIGSTOP' | 'SIGCONT'): void {
    this.child?.kill(sig)
    this.state = sig === 'SIGSTOP' ? 'stopped' : 'up'
  }
}

export async function runSoak(o: SoakOptions): Promise<SoakResult> {
  const say = o.log ?? (() => undefined)
  const rand = mulberry32(o.seed)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!
  const between = (lo: number, hi: number) => lo + rand() * (hi - lo)
  const names = Array.from({ length: o.bmcs }, (_, i) => `sim-${i}`)
  const groups: SimGroup[] = []
  for (let first = 0; first < o.bmcs; first += o.groupSize) groups.push(new SimGroup(first, Math.min(o.groupSize, o.bmcs - first), o))
  const groupOf = (i: number) => groups[Math.floor(i / o.groupSize)]!

  const unhandled: string[] = []
  const onUnhandled = (e: unknown) => unhandled.push(e instanceof Error ? `${e.name}: ${e.message}` : String(e))
  process.on('unhandledRejection', onUnhandled)
  process.on('uncaughtException', onUnhandled)

  const dataDir = mkdtempSync(join(tmpdir(), 'bmcvisor-soak-'))
  let server: RunningServer | undefined
  const timers = new Set<NodeJS.Timeout>()
  const sockets = new Set<WebSocket>()
  try {
    await Promise.all(groups.map((g) => g.start()))
    const store = openStore({ dataDir, secretKey: KEY })
    for (const [i, name] of names.entries()) await store.nodes.create({
      name, groups: ['soak'],
      bmc: { host: '127.0.0.1', port: o.basePort + i, username: 'admin', password: 'password', cipherSuite: 3, privilege: 'administrator' },
      console: { method: 'ipmi', logging: 'full' },
    })
    await store.close()

    let serviceErrors = 0
    const logSink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const line of chunk.toString('utf8').split('\n')) {
          const level = /"level":(\d+)/.exec(line)
          if (level !== null && Number(level[1]) >= 50) {
            serviceErrors++
            say(`service error: ${line.slice(0, 300)}`)
          }
        }
        cb()
      },
    })
    const running = await startServer({
      listen: '127.0.0.1:0', dataDir, secretKey: KEY, adminToken: TOKEN, enableFaultInjection: true,
      logger: createLogger({ level: 'warn', destination: logSink }),
    })
    server = running
    const sup = running.supervisor
    const connected = new Set<string>()
    sup.on('console:state', (node, m) => {
      if (m.state === 'connected') connected.add(node)
      else connected.delete(node)
    })
    const allConnected = async (what: string) => {
      const t0 = Date.now()
      for (const st of sup.status()) if (st.console?.state === 'connected') connected.add(st.node)
      while (connected.size < o.bmcs) {
        if (Date.now() - t0 > RECONNECT_TIMEOUT_MS) throw new Error(`${what}: only ${connected.size}/${o.bmcs} consoles connected after ${RECONNECT_TIMEOUT_MS / 1000} s (down: ${names.filter((n) => !connected.has(n)).slice(0, 10).join(' ')})`)
        await sleep(250)
      }
      say(`${what}: all ${o.bmcs} consoles connected after ${((Date.now() - t0) / 1000).toFixed(1)} s`)
    }
    await allConnected('start')

    const auth = { authorization: `Bearer ${TOKEN}` }
    const rest = { ok: 0, failed: 0 }
    let metricsMaxMs = 0
    let metricsWindowMaxMs = 0
    let metricsScrapes = 0
    let loadOn = true
    const restLoop = async () => {
      while (loadOn) {
        const node = pick(names)
        for (const path of ['/api/v1/nodes', `/api/v1/nodes/${node}/power`]) {
          try {
            const r = await fetch(`${running.url}${path}`, { headers: auth, signal: AbortSignal.timeout(30_000) })
            await r.arrayBuffer()
            if (r.ok || r.status === 503 || r.status === 504) rest.ok++ // a BMC under a fault may not answer
            else rest.failed++
          } catch {
            rest.failed++
          }
        }
        await sleep(500)
      }
    }
    // Scrapes on their own, every METRICS_EVERY_MS, as Prometheus would: never queued behind a slow REST call.
    const metricsLoop = async () => {
      while (loadOn) {
        const t = performance.now()
        try {
          const r = await fetch(`${running.url}/metrics`, { signal: AbortSignal.timeout(60_000) })
          await r.text()
          if (!r.ok) rest.failed++
        } catch {
          rest.failed++
        }
        const ms = performance.now() - t
        metricsScrapes++
        metricsMaxMs = Math.max(metricsMaxMs, ms)
        metricsWindowMaxMs = Math.max(metricsWindowMaxMs, ms)
        await sleep(METRICS_EVERY_MS)
      }
    }

    const later = (ms: number, f: () => void | Promise<void>) => {
      const t = setTimeout(() => {
        timers.delete(t)
        void Promise.resolve(f()).catch((e: unknown) => say(`undo failed: ${String(e)}`))
      }, ms)
      timers.add(t)
    }
    const faults = Object.fromEntries(FAULTS.map((f) => [f, 0])) as Record<FaultName, number>
    /** Nodes whose BMC died, hung or moved, or whose worker crashed: lines may be missing from their logs. */
    const disturbed = new Set<string>()
    /** Nodes whose address answered as another BMC for a while: that BMC's lines may be in their log. */
    const flipped = new Set<string>()
    const fault = async (): Promise<void> => {
      const kind = pick(FAULTS)
      const i = Math.floor(rand() * o.bmcs)
      const g = groupOf(i)
      switch (kind) {
        case 'kill': {
          if (g.state !== 'up' || g.busy) return
          for (let k = g.first; k < g.first + g.count; k++) disturbed.add(names[k]!)
          await g.kill()
          later(between(5000, 15_000), () => g.start())
          break
        }
        case 'stop':
          if (g.state !== 'up' || g.busy) return
          for (let k = g.first; k < g.first + g.count; k++) disturbed.add(names[k]!)
          g.signal('SIGSTOP')
          later(between(5000, 20_000), () => {
            if (g.state === 'stopped') g.signal('SIGCONT')
          })
          break
        case 'flip': {
          if (g.count < 2 || g.state !== 'up') return
          const local = i - g.first
          const to = (local + 1 + Math.floor(rand() * (g.count - 1))) % g.count
          disturbed.add(names[i]!)
          flipped.add(names[i]!)
          g.send({ type: 'flip', i: local, to })
          const gen = g.gen
          later(between(2000, 6000), () => {
            if (g.gen === gen) g.send({ type: 'flip', i: local, to: null })
          })
          break
        }
        case 'loss': {
          const local = i - g.first
          const gen = g.gen
          g.send({ type: 'loss', i: local, ratio: 0.2 })
          later(between(20_000, 40_000), () => {
            if (g.gen === gen) g.send({ type: 'loss', i: local, ratio: 0 })
          })
          break
        }
        case 'crash':
          try {
            sup.injectFault(names[i]!, 'crash')
            disturbed.add(names[i]!)
          } catch {
            return // the worker is restarting already
          }
          break
        case 'client': {
          const ws = new WebSocket(`${running.url.replace(/^http/, 'ws')}/api/v1/nodes/${names[i]!}/console/ws`, { headers: auth })
          sockets.add(ws)
          ws.on('error', () => undefined)
          ws.on('close', () => sockets.delete(ws))
          later(between(2000, 20_000), () => ws.close())
          break
        }
        default: {
          const never: never = kind
          throw new Error(`unknown fault ${String(never)}`)
        }
      }
      faults[kind]++
    }

    const el = monitorEventLoopDelay({ resolution: 10 })
    el.enable()
    const samples: SoakSample[] = []
    const t0 = performance.now()
    let cpu0 = process.cpuUsage()
    let wall0 = performance.now()
    const resources = () => {
      const r = process.getActiveResourcesInfo()
      const timersN = r.filter((x) => x === 'Timeout').length
      return { handles: r.length - timersN, timers: timersN }
    }
    const sample = () => {
      const c = process.cpuUsage(cpu0)
      const now = performance.now()
      const m = process.memoryUsage()
      samples.push({
        t: Math.round((now - t0) / 1000), rssMb: m.rss / 1048576, heapMb: m.heapUsed / 1048576, ...resources(),
        elP99Ms: el.percentile(99) / 1e6, elMaxMs: el.max / 1e6, cpuPct: ((c.user + c.system) / 1000 / (now - wall0)) * 100,
        connected: connected.size, metricsMaxMs: metricsWindowMaxMs,
      })
      cpu0 = process.cpuUsage()
      wall0 = now
      metricsWindowMaxMs = 0
      el.reset()
      const s = samples.at(-1)!
      say(`t=${s.t}s rss ${s.rssMb.toFixed(0)} MB, handles ${s.handles}, timers ${s.timers}, loop p99 ${s.elP99Ms.toFixed(0)} ms, cpu ${s.cpuPct.toFixed(0)}%, connected ${s.connected}/${o.bmcs}, metrics max ${s.metricsMaxMs.toFixed(0)} ms`)
    }
    // Quiet point before the faults: the warmed-up service with every console connected.
    await sleep(Math.min(o.warmupMs, 10_000))
    const quietBefore = resources()
    say(`quiet before: ${JSON.stringify(quietBefore)}`)
    const load = Promise.all([restLoop(), metricsLoop()])
    const sampler = setInterval(sample, o.sampleMs)
    const end = t0 + o.durationMs
    while (performance.now() < end) {
      await fault()
      await sleep(between(o.faultEveryMs * 0.5, o.faultEveryMs * 1.5))
    }
    // Undo everything still pending, then wait for the fleet to be whole again.
    for (const t of timers) clearTimeout(t)
    timers.clear()
    for (const ws of sockets) ws.close()
    for (const g of groups) {
      if (g.state === 'stopped') g.signal('SIGCONT')
      await g.whole()
      for (let k = 0; k < g.count; k++) {
        g.send({ type: 'flip', i: k, to: null })
        g.send({ type: 'loss', i: k, ratio: 0 })
      }
    }
    await allConnected('after the faults')
    loadOn = false
    await load
    await waitClosed(sockets)
    await sleep(10_000)
    sample()
    clearInterval(sampler)
    el.disable()
    const quietAfter = resources()
    say(`quiet after: ${JSON.stringify(quietAfter)}`)
    await running.close()
    server = undefined

    const total: LogVerdict = { lines: 0, bytes: 0, missingLines: 0, gaps: 0, disorder: 0, foreign: 0, torn: 0, tornInside: 0 }
    let missingOnUndisturbed = 0
    let foreignOnUnflipped = 0
    let nodesWithGaps = 0
    for (const name of names) {
      const p = join(dataDir, 'consoles', `${name}.log`)
      const v = verifySoakLog(name, existsSync(p) ? readFileSync(p, 'latin1') : '')
      for (const k of Object.keys(total) as (keyof LogVerdict)[]) total[k] += v[k]
      if (v.gaps > 0) nodesWithGaps++
      if (!disturbed.has(name)) missingOnUndisturbed += v.missingLines
      if (!flipped.has(name)) foreignOnUnflipped += v.foreign
      if (v.lines === 0) say(`${name}: empty console log`)
    }

    const after = samples.filter((s) => s.t * 1000 >= o.warmupMs)
    const head = after.slice(0, 3)
    const tail = after.slice(-Math.max(3, Math.floor(after.length / 10)))
    const mean = (xs: SoakSample[]) => xs.reduce((a, s) => a + s.rssMb, 0) / xs.length
    const rssGrowthPct = head.length > 0 ? ((mean(tail) - mean(head)) / mean(head)) * 100 : NaN

    const failures: string[] = []
    if (!(rssGrowthPct <= RSS_GROWTH_LIMIT_PCT)) failures.push(`RSS grew ${rssGrowthPct.toFixed(1)}% after warm-up (limit ${RSS_GROWTH_LIMIT_PCT}%)`)
    if (quietAfter.handles > quietBefore.handles + QUIET_SLACK) failures.push(`handles ${quietBefore.handles} -> ${quietAfter.handles}`)
    if (quietAfter.timers > quietBefore.timers + QUIET_SLACK) failures.push(`timers ${quietBefore.timers} -> ${quietAfter.timers}`)
    if (foreignOnUnflipped + total.disorder + total.tornInside > 0) {
      failures.push(`console logs: ${JSON.stringify(total)}, ${foreignOnUnflipped} foreign lines on nodes never flipped`)
    }
    if (missingOnUndisturbed > 0) failures.push(`${missingOnUndisturbed} lines missing on nodes no disruptive fault touched`)
    if (unhandled.length > 0) failures.push(`unhandled errors: ${unhandled.slice(0, 5).join('; ')}`)
    if (metricsMaxMs > METRICS_DEADLINE_MS) failures.push(`/metrics took ${metricsMaxMs.toFixed(0)} ms at worst`)
    return {
      samples, faults, quiet: { before: quietBefore, after: quietAfter }, rssGrowthPct,
      logs: { total, missingOnUndisturbed, foreignOnUnflipped, nodesWithGaps, disturbed: [...disturbed].sort(), flipped: [...flipped].sort() }, unhandled, serviceErrors, metricsMaxMs, metricsScrapes, rest, failures,
    }
  } finally {
    for (const t of timers) clearTimeout(t)
    for (const ws of sockets) ws.terminate()
    await server?.close().catch(() => undefined)
    for (const g of groups) {
      if (g.state === 'stopped') g.signal('SIGCONT')
      await g.kill().catch(() => undefined)
    }
    process.off('unhandledRejection', onUnhandled)
    process.off('uncaughtException', onUnhandled)
    rmSync(dataDir, { recursive: true, force: true })
  }
}

async function waitClosed(sockets: Set<WebSocket>): Promise<void> {
  const t0 = Date.now()
  while (sockets.size > 0 && Date.now() - t0 < 10_000) await sleep(100)
}

/** The four curves as one SVG: memory, handles and timers, event-loop delay, CPU and consoles connected. */
export function soakSvg(samples: readonly SoakSample[], title: string): string {
  const W = 1200
  const H = 900
  const panels: { label: string; series: { key: keyof SoakSample; color: string; name: string }[] }[] = [
    { label: 'memory, MB', series: [{ key: 'rssMb', color: '#c0392b', name: 'RSS' }, { key: 'heapMb', color: '#2980b9', name: 'main heap used' }] },
    { label: 'main thread resources', series: [{ key: 'handles', color: '#8e44ad', name: 'handles' }, { key: 'timers', color: '#27ae60', name: 'timers' }] },
    { label: 'event-loop delay, ms', series: [{ key: 'elP99Ms', color: '#d35400', name: 'p99' }, { key: 'elMaxMs', color: '#7f8c8d', name: 'max' }, { key: 'metricsMaxMs', color: '#16a085', name: 'slowest /metrics' }] },
    { label: 'CPU, % of one core; consoles connected', series: [{ key: 'cpuPct', color: '#2c3e50', name: 'CPU' }, { key: 'connected', color: '#f39c12', name: 'connected' }] },
  ]
  const ph = (H - 60) / panels.length
  const tMax = Math.max(1, ...samples.map((s) => s.t))
  let svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="13"><rect width="100%" height="100%" fill="white"/>`
  svg += `<text x="${W / 2}" y="24" text-anchor="middle" font-size="16">${title}</text>`
  panels.forEach((panel, k) => {
    // A series a run did not record (NaN throughout) is left out rather than drawn flat.
    const p = { ...panel, series: panel.series.filter((s) => samples.some((x) => Number.isFinite(Number(x[s.key])))) }
    const y0 = 40 + k * ph + 16
    const x0 = 70
    const pw = W - 100
    const h = ph - 44
    const vMax = Math.max(1, ...p.series.flatMap((s) => samples.map((x) => Number(x[s.key])))) * 1.1
    svg += `<rect x="${x0}" y="${y0}" width="${pw}" height="${h}" fill="none" stroke="#999"/>`
    svg += `<text x="${x0}" y="${y0 - 4}">${p.label}</text>`
    for (const f of [0, 0.5, 1]) svg += `<text x="${x0 - 6}" y="${y0 + h - f * h + 4}" text-anchor="end">${(vMax * f).toFixed(vMax < 10 ? 1 : 0)}</text>`
    svg += `<text x="${x0 + pw}" y="${y0 + h + 14}" text-anchor="end">${tMax} s</text>`
    p.series.forEach((s, j) => {
      const pts = samples.map((x) => `${(x0 + (x.t / tMax) * pw).toFixed(1)},${(y0 + h - (Number(x[s.key]) / vMax) * h).toFixed(1)}`).join(' ')
      svg += `<polyline fill="none" stroke="${s.color}" stroke-width="1.5" points="${pts}"/>`
      svg += `<text x="${x0 + 320 + j * 170}" y="${y0 - 4}" fill="${s.color}">— ${s.name}</text>`
    })
  })
  return svg + '</svg>'
}

/** Renders an SVG file to PNG with headless chromium (installed on the lab machines). */
export async function svgToPng(svgPath: string, pngPath: string): Promise<void> {
  await new Promise<void>((res, rej) => {
    execFile('chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', `--screenshot=${pngPath}`, '--window-size=1200,900', pathToFileURL(svgPath).href], { timeout: 60_000 }, (e) => (e ? rej(e) : res()))
  })
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values: a } = parseArgs({
    options: {
      bmcs: { type: 'string', default: '100' },
      minutes: { type: 'string', default: '60' },
      seed: { type: 'string', default: '1' },
      'group-size': { type: 'string', default: '5' },
      rate: { type: 'string', default: '64' },
      'fault-every-ms': { type: 'string', default: '3000' },
      'sample-ms': { type: 'string', default: '5000' },
      'warmup-minutes': { type: 'string', default: '3' },
      'base-port': { type: 'string', default: '24000' },
      out: { type: 'string', default: 'bench/soak' },
    },
  })
  const t = () => new Date().toISOString().slice(11, 19)
  const r = await runSoak({
    bmcs: Number(a.bmcs), durationMs: Number(a.minutes) * 60_000, seed: Number(a.seed), groupSize: Number(a['group-size']), rate: Number(a.rate),
    faultEveryMs: Number(a['fault-every-ms']), sampleMs: Number(a['sample-ms']), warmupMs: Number(a['warmup-minutes']) * 60_000, basePort: Number(a['base-port']),
    log: (s) => process.stderr.write(`[soak ${t()}] ${s}\n`),
  })
  const out = resolve(a.out)
  writeFileSync(`${out}.json`, JSON.stringify({ options: a, ...r }, null, 1))
  writeFileSync(`${out}.svg`, soakSvg(r.samples, `bmcvisor soak: ${a.bmcs} BMCs, ${a.minutes} min, seed ${a.seed}, a fault every ~${Number(a['fault-every-ms']) / 1000} s`))
  await svgToPng(`${out}.svg`, `${out}.png`)
  rmSync(`${out}.svg`)
  const { samples: _samples, ...summary } = r
  console.log(JSON.stringify(summary, null, 1))
  process.exitCode = r.failures.length === 0 ? 0 : 1
}

/**
 * BmcAgent: everything one BMC worker does, without the thread around it
 * (workers/bmc-worker.ts is the thin entry), so tests can drive it directly.
 *
 * A thin driver of the connection engine (workers/engine): it turns bridge
 * messages and plugin events into engine inputs, and the engine's actions
 * into plugin calls, timers and bridge messages. The decisions (one
 * watcher, retries, reasons, stale events) are the engine's; the I/O is the
 * plugins'. Inputs are queued, so a plugin that answers inside a call never
 * re-enters the engine. Commands run on the live generation's management
 * plugin; the control channel answers from the engine and the plugins.
 */
import type { MessagePort } from 'node:worker_threads'
import {
  assertNever, DEFAULT_CONSOLE_INPUT_LIMIT_BYTES, type BmcConfig, type ConsoleControl, type ControlName, type FromWorker, type OpName,
  type ConsoleToWorker, type ToWorker, type WorkerStats,
} from '../src/bridge/messages.js'
import { spendConsoleCredit, takeCreditRefusals } from '../src/bridge/credit.js'
import { ServiceError, toWire } from '../src/errors.js'
import { REGISTRY } from '../src/ops/registry.js'
import { runOpOn, validateOp } from './ops.js'
import { InputGate, inputLimit } from './console-input.js'
import { ConsoleWatch } from './console-watch.js'
import { ConnectionEngine } from './engine/engine.js'
import { createConsole, createManagement, engineConfig, type ConsoleHooks, type ConsolePlugin, type ManagementPlugin } from './engine/plugins.js'
import type { EngineAction, EngineInput, TimerName } from './engine/types.js'
import { ScreenEmulator } from './screen.js'

export type Post = (msg: FromWorker) => void

/**
 * While console bytes flow the thread's progress counter moves, so the supervisor does not ping it
 * (src/supervisor/worker-handle.ts) and the counters would wait for its once-a-minute report: the
 * agent sends them itself this long after the first byte since the last send (a message to the main
 * thread per streaming console every 5 s: no more often than the pings of serve's defaults, 2.5 s, were).
 */
export const STATS_FLUSH_MS = 5000

const ZERO_STATS: WorkerStats = { retransmits: 0, droppedPackets: 0, solBytesIn: 0, solBytesOut: 0, staleEvents: 0, relaxedChecks: 0, solWithheld: 0 }

/** One generation's plugins and timers. */
interface Generation {
  readonly generation: number
  readonly management: ManagementPlugin
  readonly console: ConsolePlugin | undefined
  readonly timers: Map<TimerName, NodeJS.Timeout>
}

export class BmcAgent {
  private readonly engine = new ConnectionEngine(Math.random)
  /** Live and closing generations (the engine keeps them to one). */
  private readonly generations = new Map<number, Generation>()
  /** Configurations not built yet, by generation. */
  private readonly configs = new Map<number, BmcConfig>()
  private readonly teardowns = new Set<Promise<void>>()
  private readonly queue: EngineInput[] = []
  private running = false
  private builtWaiters: (() => void)[] = []
  private consolePort: MessagePort | undefined
  /** The bound on console input (console-input.ts); its answers go back on the console port. */
  private input = new InputGate(DEFAULT_CONSOLE_INPUT_LIMIT_BYTES, (m) => this.consolePort?.postMessage(m))
  private stats: WorkerStats = { ...ZERO_STATS }
  private statsTimer: NodeJS.Timeout | undefined
  /**
   * The console's current screen; every console byte goes through it to the port (workers/screen.ts).
   * Posted as a copy, not transferred: the terminal parses the same bytes later.
   */
  private readonly screen = new ScreenEmulator((bytes) => {
    if (this.consolePort === undefined) return
    spendConsoleCredit(bytes.byteLength)
    this.consolePort.postMessage(bytes)
  })
  /** The console watch patterns' matcher, fed every live console byte (console-watch.ts). */
  private readonly watch: ConsoleWatch
  private staleSeen = 0
  private closedCounters = { retransmits: 0, droppedPackets: 0, relaxedChecks: 0 }

  /** Counters go out with each heartbeat ping (flushStats) and STATS_FLUSH_MS after console bytes or a command: an idle thread is not woken for them. */
  constructor(readonly bmc: string, private readonly post: Post) {
    this.watch = new ConsoleWatch(bmc, post)
  }

  handle(msg: ToWorker): void {
    switch (msg.type) {
      case 'configure':
        this.configure(msg.generation, msg.config, msg.consolePort)
        return
      case 'command':
        void this.command(msg.id, msg.op, msg.args, msg.timeoutMs)
        return
      case 'control':
        void this.control(msg.id, msg.control, msg.timeoutMs)
        return
      case 'stop':
        void this.stop(msg.deadlineMs)
        return
      case 'console-control':
        this.consoleControl(msg)
        return
      case 'login-grant':
        this.feed({ type: 'login-granted' })
        return
      case 'watch':
        this.watch.set(msg.patterns)
        return
      case 'ping':
      case 'fault':
        return // the thread entry answers these
      default:
        assertNever(msg)
    }
  }

  configure(generation: number, config: BmcConfig, consolePort?: MessagePort): void {
    if (consolePort !== undefined) this.attachPort(consolePort)
    if (inputLimit(config) !== this.input.limit) {
      this.input.progress(0) // what the old console held goes with it
      this.input = new InputGate(inputLimit(config), (m) => this.consolePort?.postMessage(m))
    }
    this.watch.set(config.watch ?? [])
    this.configs.set(generation, config)
    this.feed({ type: 'configure', generation, config: engineConfig(config) })
  }

  consoleControl(m: ConsoleControl): void {
    if (m.fleetSize !== undefined && Number.isFinite(m.fleetSize) && m.fleetSize >= 1) this.feed({ type: 'fleet-size', size: m.fleetSize })
    if (m.demand !== undefined) this.feed({ type: 'demand', wanted: m.demand })
    if (m.retryNow === true) this.feed({ type: 'retry-now' })
  }

  async stop(deadlineMs: number): Promise<void> {
    this.feed({ type: 'stop' })
    let timer: NodeJS.Timeout | undefined
    await Promise.race([Promise.all([...this.teardowns]), new Promise((r) => (timer = setTimeout(r, deadlineMs)))])
    clearTimeout(timer)
    this.flushStats()
    this.post({ type: 'stopped', bmc: this.bmc })
  }

  async command(id: number, op: OpName, args: unknown, timeoutMs: number): Promise<void> {
    const t0 = performance.now()
    try {
      const value = await this.runOp(op, args ?? {}, timeoutMs)
      this.post({ type: 'result', bmc: this.bmc, id, ok: true, value, command: { op, durationMs: performance.now() - t0 } })
    } catch (e) {
      this.post({ type: 'result', bmc: this.bmc, id, ok: false, error: toWire(e), command: { op, durationMs: performance.now() - t0 } })
    }
    // Its retransmits and drops reach the metrics within STATS_FLUSH_MS, however busy the worker (a busy one is seldom pinged).
    this.flushSoon()
  }

  /** The control channel: answered once configured, never counted as a BMC command. */
  async control(id: number, name: ControlName, timeoutMs: number): Promise<void> {
    try {
      const g = await this.withDeadline(this.live(), timeoutMs, name)
      this.post({ type: 'result', bmc: this.bmc, id, ok: true, value: this.controlValue(g, name) })
    } catch (e) {
      this.post({ type: 'result', bmc: this.bmc, id, ok: false, error: toWire(e) })
    }
  }

  private controlValue(g: Generation, name: ControlName): unknown {
    const console = g.console?.state ?? 'none'
    switch (name) {
      case 'session.info':
        return { generation: g.generation, session: g.management.info(), console }
      case 'worker.resources': {
        // What this thread holds open, for leak checks (DESIGN lesson 3).
        const resources: Record<string, number> = {}
        for (const r of process.getActiveResourcesInfo()) resources[r] = (resources[r] ?? 0) + 1
        return { watchers: this.engine.watchers, resources, session: g.management.hasSession, console }
      }
      case 'console.reopen':
        // A connected console is closed and opened again; a waiting one retries now.
        this.feed({ type: 'reopen' })
        return { reopened: true }
      default:
        return assertNever(name)
    }
  }

  private async runOp(op: OpName, args: unknown, timeoutMs: number): Promise<unknown> {
    const spec = validateOp(REGISTRY, op, args)
    const deadline = performance.now() + timeoutMs
    return this.withDeadline(this.live().then((g) => {
      const remaining = () => Math.max(1, deadline - performance.now())
      return runOpOn(op, spec, g.management, args, remaining)
    }), timeoutMs, op)
  }

  private withDeadline<T>(p: Promise<T>, timeoutMs: number, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ServiceError('BMC_UNREACHABLE', `${what} did not complete within ${timeoutMs} ms`, { details: { op: what } })), timeoutMs)
    })
    return Promise.race([p, timeout]).finally(() => clearTimeout(timer))
  }

  /** The live generation; while a reconfiguration closes the old one, the next as soon as it is built. */
  private live(): Promise<Generation> {
    const g = this.current()
    if (g !== undefined) return Promise.resolve(g)
    if (this.configs.size === 0) return Promise.reject(new ServiceError('WORKER_UNAVAILABLE', 'worker is not configured'))
    return new Promise((resolve) => this.builtWaiters.push(() => resolve(this.live())))
  }

  private current(): Generation | undefined {
    const n = this.engine.generation
    return n === undefined ? undefined : this.generations.get(n)
  }

  // --- the engine loop ---

  private feed(input: EngineInput): void {
    this.queue.push(input)
    if (this.running) return
    this.running = true
    try {
      for (let next = this.queue.shift(); next !== undefined; next = this.queue.shift()) {
        for (const a of this.engine.handle(next)) this.apply(a)
      }
    } finally {
      this.running = false
    }
    this.stats.staleEvents += this.engine.stale - this.staleSeen
    this.staleSeen = this.engine.stale
  }

  private apply(a: EngineAction): void {
    if (a.type === 'build') return this.build(a.generation)
    const g = this.generations.get(a.generation)
    if (g === undefined) return
    switch (a.type) {
      case 'teardown':
        return this.teardown(g)
      case 'connect':
        g.management.connect().then(
          () => this.feed({ type: 'session-up', generation: g.generation }),
          (e: unknown) => this.feed({ type: 'session-failed', generation: g.generation, error: toWire(e) }),
        )
        return
      case 'open-console':
        g.console?.open(this.consoleHooks(g.generation, a.attempt))
        return
      case 'close-console':
        void g.console?.close()
        return
      case 'arm-timer': {
        clearTimeout(g.timers.get(a.timer))
        const t = setTimeout(() => {
          g.timers.delete(a.timer)
          this.feed({ type: 'timer', generation: g.generation, timer: a.timer })
        }, a.delayMs)
        g.timers.set(a.timer, t)
        return
      }
      case 'cancel-timer':
        clearTimeout(g.timers.get(a.timer))
        g.timers.delete(a.timer)
        return
      case 'ask-login':
        this.post({ type: 'login-wait', bmc: this.bmc, generation: g.generation })
        return
      case 'report':
        if (a.subject === 'session') this.post({ type: 'session', bmc: this.bmc, generation: g.generation, state: a.state, reason: a.reason, error: a.error })
        else {
          this.post({ type: 'console', bmc: this.bmc, generation: g.generation, state: a.state, reason: a.reason, error: a.error })
          // A console that is not connected holds no input for the host any more.
          if (a.state !== 'connected') this.input.progress(0)
        }
        return
      default:
        assertNever(a)
    }
  }

  private build(generation: number): void {
    const config = this.configs.get(generation)
    if (config === undefined) return
    for (const n of this.configs.keys()) if (n <= generation) this.configs.delete(n)
    const management = createManagement(config, {
      lost: (error) => this.feed({ type: 'session-lost', generation, error }),
      trustLearned: (what, fingerprint) => this.post({ type: 'trust-learned', bmc: this.bmc, generation, what, fingerprint }),
      learned: (profile, entry) => this.post({ type: 'profile', bmc: this.bmc, generation, profile, entry }),
    })
    const console = createConsole({
      bmc: this.bmc, config, management,
      trust: (what, fingerprint) => this.post({ type: 'trust-learned', bmc: this.bmc, generation, what, fingerprint }),
    })
    this.generations.set(generation, { generation, management, console, timers: new Map() })
    const waiters = this.builtWaiters
    this.builtWaiters = []
    for (const w of waiters) w()
  }

  private teardown(g: Generation): void {
    for (const t of g.timers.values()) clearTimeout(t)
    g.timers.clear()
    const done = (async () => {
      await g.console?.close()
      const c = g.management.takeCounters()
      this.closedCounters.retransmits += c.retransmits
      this.closedCounters.droppedPackets += c.droppedPackets
      this.closedCounters.relaxedChecks += c.relaxedChecks
      await g.management.close()
    })().catch(() => undefined).finally(() => {
      this.generations.delete(g.generation)
      this.teardowns.delete(done)
      this.feed({ type: 'torn-down', generation: g.generation })
    })
    this.teardowns.add(done)
  }

  private consoleHooks(generation: number, attempt: number): ConsoleHooks {
    const live = () => this.engine.generation === generation
    return {
      up: () => this.feed({ type: 'console-up', generation, attempt }),
      failed: (error) => this.feed({ type: 'console-failed', generation, attempt, error }),
      closed: () => this.feed({ type: 'console-closed', generation, attempt }),
      data: (chunk) => {
        if (!live()) {
          this.stats.staleEvents++
          return
        }
        this.stats.solBytesIn += chunk.length
        this.flushSoon()
        // Our own copy: the screen holds it back while a snapshot is pending, and a pooled Buffer slice is reused.
        const bytes = new Uint8Array(chunk)
        this.screen.data(bytes)
        this.watch.data(bytes)
      },
      progress: (backlog) => {
        if (live()) this.input.progress(backlog)
      },
    }
  }

  private attachPort(port: MessagePort): void {
    this.consolePort?.close()
    this.consolePort = port
    port.on('message', (m: ConsoleToWorker) => {
      if (m instanceof Uint8Array) {
        // Counted only as far as the console took it; the rest is answered as dropped.
        this.stats.solBytesOut += this.input.offer(this.current()?.console?.sink(), m)
        this.flushSoon()
        return
      }
      try {
        if (m.type === 'snapshot') this.screen.snapshot((data) => this.consolePort?.postMessage({ type: 'screen', data }))
        else if (m.type === 'break') this.current()?.console?.sendBreak()
      } catch {
        // A break while the console is going down is lost; the state event says why.
      }
    })
  }

  /** Sends the counters gathered since the last call, if any moved (the thread entry calls it on every ping), and held-back console matches. */
  flushStats(): void {
    if (this.statsTimer !== undefined) clearTimeout(this.statsTimer)
    this.statsTimer = undefined
    this.watch.flush()
    const c = this.current()?.management.takeCounters()
    const d = this.stats
    d.retransmits += this.closedCounters.retransmits + (c?.retransmits ?? 0)
    d.droppedPackets += this.closedCounters.droppedPackets + (c?.droppedPackets ?? 0)
    d.relaxedChecks += this.closedCounters.relaxedChecks + (c?.relaxedChecks ?? 0)
    this.closedCounters = { retransmits: 0, droppedPackets: 0, relaxedChecks: 0 }
    d.solWithheld += takeCreditRefusals()
    if (d.retransmits + d.droppedPackets + d.solBytesIn + d.solBytesOut + d.staleEvents + d.relaxedChecks + d.solWithheld === 0) return
    this.post({ type: 'stats', bmc: this.bmc, delta: d })
    this.stats = { ...ZERO_STATS }
  }

  private flushSoon(): void {
    if (this.statsTimer !== undefined) return
    this.statsTimer = setTimeout(() => this.flushStats(), STATS_FLUSH_MS)
    this.statsTimer.unref()
  }

  ready(): void {
    this.post({ type: 'ready', bmc: this.bmc })
  }
}

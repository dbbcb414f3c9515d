/**
 * BmcAgent: everything one BMC worker does, without the thread around it
 * (workers/bmc-worker.ts is the thin entry), so tests can drive it directly.
 *
 * Owns one Link at a time: the IpmiClient, the SOL console and the one
 * watcher loop that keeps them up with jittered backoff. Reconfiguring
 * cancels the old Link (its timer, its console, its session with Close
 * Session) before the new one is armed, so there is exactly one watcher and
 * one session (DESIGN lessons 2-4). Events of a cancelled Link are dropped
 * and counted, never thrown. An unreachable BMC is normal here: the loop
 * retries and reports state; only the supervisor restarts threads.
 */
import type { MessagePort } from 'node:worker_threads'
import {
  assertNever, DEFAULT_CONSOLE_INPUT_LIMIT_BYTES, reasonOf, type BmcConfig, type ConsoleControl, type ControlName, type FailureReason, type FromWorker, type OpName,
  type ConsoleToWorker, type SessionStateName, type ToWorker, type WorkerStats,
} from '../src/bridge/messages.js'
import { ServiceError, toWire } from '../src/errors.js'
import type { RequestOptions } from '../src/session/request-table.js'
import type { IpmiCommand } from '../src/ipmi/command.js'
import { REGISTRY } from '../src/ops/registry.js'
import { runOp, validateOp } from './ops.js'
import { InputGate } from './console-input.js'
import type { ExecConsoleState } from './exec-console.js'
import type { SolConsoleState } from '../src/sol/console.js'
import { inputLimit, Link } from './link.js'
import { ScreenEmulator } from './screen.js'

export type Post = (msg: FromWorker) => void

const ZERO_STATS: WorkerStats = { retransmits: 0, droppedPackets: 0, solBytesIn: 0, solBytesOut: 0, staleEvents: 0 }

export class BmcAgent {
  private link: Link | undefined
  private consolePort: MessagePort | undefined
  /** The bound on console input (console-input.ts); its answers go back on the console port. */
  private input = new InputGate(DEFAULT_CONSOLE_INPUT_LIMIT_BYTES, (m) => this.consolePort?.postMessage(m))
  private stats: WorkerStats = { ...ZERO_STATS }
  /**
   * The console's current screen; every console byte goes through it to the port (workers/screen.ts).
   * Posted as a copy, not transferred: the terminal parses the same bytes later.
   */
  private readonly screen = new ScreenEmulator((bytes) => this.consolePort?.postMessage(bytes))
  private lastSession = { retransmits: 0, dropped: 0 }
  private reconfiguring: Promise<void> = Promise.resolve()
  /** Console demand from the main thread; undefined until told (then the config's consoleOnDemand decides). */
  private demand: boolean | undefined
  /** Nodes in the fleet, for the reconnect policy (console-control). */
  fleetSize = 1
  private permit: { link: Link; resolve: () => void } | undefined
  /** How many watcher loops are running: 0 or 1, checked by tests (lesson 2). */
  watchers = 0

  /** Counters go out with each heartbeat answer (flushStats), so an idle thread wakes once per beat, not twice. */
  constructor(readonly bmc: string, private readonly post: Post) {}

  handle(msg: ToWorker): void {
    switch (msg.type) {
      case 'configure':
        this.configure(msg.generation, msg.config, msg.consolePort)
        return
      case 'command':
        void this.command(msg.id, msg.op, msg.args, msg.timeoutMs)
        return
      case 'control':
        this.control(msg.id, msg.control)
        return
      case 'stop':
        void this.stop(msg.deadlineMs)
        return
      case 'console-control':
        this.consoleControl(msg)
        return
      case 'login-grant':
        if (this.link !== undefined) this.loginGranted(this.link)
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
    const old = this.link
    const link = new Link(this, generation, config)
    this.link = link
    // Cancel the old link fully before the new watcher starts: never two at
    // once. The chain serialises cancellations only; each watcher runs detached.
    this.reconfiguring = this.reconfiguring.then(async () => {
      if (old) await old.cancel()
      if (link.cancelled || this.link !== link) return
      this.watchers++
      void link.run().finally(() => {
        this.watchers--
      })
    })
  }

  /** Waits for the supervisor's login-grant (per-BMC back-off after a credential failure). */
  loginPermit(link: Link): Promise<void> {
    return new Promise((resolve) => {
      this.permit = { link, resolve }
      this.post({ type: 'login-wait', bmc: this.bmc, generation: link.generation })
    })
  }

  /** The grant came (or the link is cancelled): its login may go ahead. */
  loginGranted(link: Link): void {
    const p = this.permit
    if (p === undefined || p.link !== link) return
    this.permit = undefined
    p.resolve()
  }

  consoleWanted(config: BmcConfig): boolean {
    return this.demand ?? !(config.consoleOnDemand ?? false)
  }

  consoleControl(m: ConsoleControl): void {
    if (m.fleetSize !== undefined && Number.isFinite(m.fleetSize) && m.fleetSize >= 1) this.fleetSize = Math.floor(m.fleetSize)
    if (m.demand !== undefined && m.demand !== this.demand) {
      const was = this.link !== undefined ? this.consoleWanted(this.link.config) : undefined
      this.demand = m.demand
      if (this.link !== undefined && was !== this.consoleWanted(this.link.config)) this.link.demandChanged()
    }
    if (m.retryNow === true) this.link?.retryConsoleNow()
  }

  async stop(deadlineMs: number): Promise<void> {
    const link = this.link
    this.link = undefined
    if (link) await Promise.race([link.cancel(), new Promise((r) => setTimeout(r, deadlineMs))])
    this.flushStats()
    this.post({ type: 'stopped', bmc: this.bmc })
  }

  async command(id: number, op: OpName, args: unknown, timeoutMs: number): Promise<void> {
    const t0 = performance.now()
    try {
      const value = await this.runOp(op, args ?? {}, timeoutMs)
      this.post({ type: 'result', bmc: this.bmc, id, ok: true, value })
      this.post({ type: 'command-done', bmc: this.bmc, op, ok: true, durationMs: performance.now() - t0 })
    } catch (e) {
      const error = toWire(e)
      this.post({ type: 'result', bmc: this.bmc, id, ok: false, error })
      this.post({ type: 'command-done', bmc: this.bmc, op, ok: false, code: error.code, durationMs: performance.now() - t0 })
    }
  }

  /** The control channel: answered at once, never counted as a BMC command. */
  control(id: number, name: ControlName): void {
    try {
      this.post({ type: 'result', bmc: this.bmc, id, ok: true, value: this.controlValue(name) })
    } catch (e) {
      this.post({ type: 'result', bmc: this.bmc, id, ok: false, error: toWire(e) })
    }
  }

  private controlValue(name: ControlName): unknown {
    const link = this.link
    if (link === undefined) throw new ServiceError('WORKER_UNAVAILABLE', 'worker is not configured')
    const console = link.exec?.state ?? link.console?.state ?? 'none'
    switch (name) {
      case 'session.info':
        return { generation: link.generation, session: link.client.info ?? null, console }
      case 'worker.resources': {
        // What this thread holds open, for leak checks (DESIGN lesson 3).
        const resources: Record<string, number> = {}
        for (const r of process.getActiveResourcesInfo()) resources[r] = (resources[r] ?? 0) + 1
        return { watchers: this.watchers, resources, session: link.client.currentSession !== undefined, console }
      }
      case 'console.reopen':
        // A connected console is closed and opened again; a waiting one retries now.
        link.reopenConsole()
        return { reopened: true }
      default:
        return assertNever(name)
    }
  }

  private async runOp(op: OpName, args: unknown, timeoutMs: number): Promise<unknown> {
    const spec = validateOp(REGISTRY, op, args)
    const link = this.link
    if (link === undefined) throw new ServiceError('WORKER_UNAVAILABLE', 'worker is not configured')
    const deadline = performance.now() + timeoutMs
    const remaining = () => Math.max(1, deadline - performance.now())
    const runner = {
      run: <Req, Res>(cmd: IpmiCommand<Req, Res>, req: Req, opts: RequestOptions = {}) => link.client.run(cmd, req, { timeoutMs: remaining(), ...opts }),
    }
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ServiceError('BMC_UNREACHABLE', `${op} did not complete within ${timeoutMs} ms`, { details: { op } })), timeoutMs)
    })
    try {
      return await Promise.race([runOp(spec, runner, args, { sdr: link.sdr }), timeout])
    } finally {
      clearTimeout(timer)
    }
  }

  // --- callbacks from the current Link; anything from an old one is stale ---

  private current(link: Link): boolean {
    if (link === this.link && !link.cancelled) return true
    this.stats.staleEvents++
    return false
  }

  sessionState(link: Link, state: SessionStateName, reason?: FailureReason, error?: ReturnType<typeof toWire>): void {
    if (!this.current(link)) return
    const key = `${state}:${reason ?? ''}`
    if (link.lastSessionState === key) return
    link.lastSessionState = key
    this.post({ type: 'session', bmc: this.bmc, generation: link.generation, state, reason, error })
  }

  /** Resolves when the link's session closes or its console fails; dispose() removes the listeners. */
  watchSession(link: Link): { promise: Promise<{ reason: FailureReason; error?: ReturnType<typeof toWire> }>; dispose: () => void } {
    let onState: (state: string, err?: { code: string }) => void = () => {}
    const dispose = () => {
      link.client.off('state', onState)
      link.consoleFailed = undefined
      link.consoleWake = undefined
    }
    const promise = new Promise<{ reason: FailureReason; error?: ReturnType<typeof toWire> }>((resolve) => {
      onState = (state, err) => {
        if (state === 'closed') resolve({ reason: err ? reasonOf(err) : 'closed', ...(err ? { error: toWire(err) } : {}) })
      }
      link.client.on('state', onState)
      link.consoleFailed = (reason, error) => resolve({ reason, ...(error ? { error } : {}) })
      link.consoleWake = () => resolve({ reason: 'closed' })
    })
    return { promise, dispose }
  }

  sessionOpened(link: Link, stats: { retransmits: number; dropped: Record<string, number> }): void {
    if (link !== this.link) return
    this.flushStats()
    this.lastSession = { retransmits: stats.retransmits, dropped: sumDropped(stats.dropped) }
  }

  /** A console state (SOL, or exec with fromSol false); consecutive repeats are posted once. */
  consoleState(link: Link, state: SolConsoleState | ExecConsoleState, err?: { code: string; details?: Record<string, unknown> }, fromSol = true): void {
    if (!this.current(link)) return
    const mapped = bridgeState(state)
    const reason = err ? reasonOf(err) : undefined
    const key = `${mapped}:${reason ?? ''}`
    if (link.lastConsoleState === key) return
    link.lastConsoleState = key
    this.post({ type: 'console', bmc: this.bmc, generation: link.generation, state: mapped, reason, error: err ? toWire(err) : undefined })
    // A console that is not connected holds no input for the host any more.
    if (mapped !== 'connected') this.input.progress(0)
    if (state === 'error' && fromSol) link.consoleFailed?.(reason ?? 'protocol', err ? toWire(err) : undefined)
  }

  consoleData(link: Link, chunk: Buffer): void {
    if (!this.current(link)) return
    this.stats.solBytesIn += chunk.length
    // Our own copy: the screen keeps it until parsed, and a pooled Buffer slice is reused.
    const copy = new Uint8Array(chunk)
    this.screen.data(copy)
  }

  private attachPort(port: MessagePort): void {
    this.consolePort?.close()
    this.consolePort = port
    port.on('message', (m: ConsoleToWorker) => {
      if (m instanceof Uint8Array) {
        // Counted only as far as the console took it; the rest is answered as dropped.
        this.stats.solBytesOut += this.input.offer(this.link?.inputSink(), m)
        return
      }
      try {
        if (m.type === 'snapshot') this.screen.snapshot((data) => this.consolePort?.postMessage({ type: 'screen', data }))
        else if (m.type === 'break') this.link?.sendBreak()
      } catch {
        // A break while the console is going down is lost; the state event says why.
      }
    })
  }

  /** The link's console passed input on (exec write done, SOL drain). */
  inputProgress(link: Link, backlog: number): void {
    if (link === this.link) this.input.progress(backlog)
  }

  /** Sends the counters gathered since the last call, if any moved (the thread entry calls it on every ping). */
  flushStats(): void {
    const s = this.link?.client.currentSession
    if (s !== undefined) {
      const dropped = sumDropped(s.stats.dropped)
      this.stats.retransmits += Math.max(0, s.stats.retransmits - this.lastSession.retransmits)
      this.stats.droppedPackets += Math.max(0, dropped - this.lastSession.dropped)
      this.lastSession = { retransmits: s.stats.retransmits, dropped }
    }
    const d = this.stats
    if (d.retransmits + d.droppedPackets + d.solBytesIn + d.solBytesOut + d.staleEvents === 0) return
    this.post({ type: 'stats', bmc: this.bmc, delta: d })
    this.stats = { ...ZERO_STATS }
  }

  ready(): void {
    this.post({ type: 'ready', bmc: this.bmc })
  }
}

/** A console plugin's own state in the bridge's one vocabulary (lesson 5). */
function bridgeState(state: SolConsoleState | ExecConsoleState): SessionStateName {
  switch (state) {
    case 'connecting':
    case 'connected':
    case 'error':
      return state
    case 'idle':
    case 'closed':
      return 'disconnected'
    default:
      return assertNever(state)
  }
}

function sumDropped(d: Record<string, number>): number {
  let n = 0
  for (const v of Object.values(d)) n += v
  return n
}

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
  BRIDGE_VERSION, DEFAULT_CONSOLE_INPUT_LIMIT_BYTES, failureReason, isFailureReason, type BmcConfig, type ConsoleControl, type FailureReason, type FromWorker, type OpName,
  type ConsoleToWorker, type SessionStateName, type ToWorker, type WorkerStats,
} from '../src/bridge/messages.js'
import { ServiceError, toWire } from '../src/errors.js'
import { IpmiClient } from '../src/session/client.js'
import type { SessionConfig } from '../src/session/config.js'
import type { RequestOptions } from '../src/session/request-table.js'
import type { IpmiCommand } from '../src/ipmi/command.js'
import { SolConsole } from '../src/sol/console.js'
import { DEFAULT_RECONNECT, reconnectDelayMs } from '../src/bridge/reconnect.js'
import { BMC_OPS } from './ops.js'
import { SdrCache } from '../src/bmc/sdr.js'
import { ExecKeeper, execEnvironment } from './exec-console.js'
import { InputGate, type InputSink } from './console-input.js'

export type Post = (msg: FromWorker) => void

const ZERO_STATS: WorkerStats = { retransmits: 0, droppedPackets: 0, solBytesIn: 0, solBytesOut: 0, staleEvents: 0 }

function sessionConfig(c: BmcConfig): SessionConfig {
  return {
    username: c.credentials.username,
    password: c.credentials.password,
    kg: c.credentials.kgHex ? Buffer.from(c.credentials.kgHex, 'hex') : undefined,
    cipherSuite: c.cipherSuite,
    allowInsecureSuite0: c.allowInsecureSuite0,
    privilege: c.privilege,
    timing: c.timing,
  }
}

/** One generation of configuration: a client, maybe a console, and its watcher loop. */
class Link {
  readonly client: IpmiClient
  console: SolConsole | undefined
  /** The BMC's SDR cache, shared by sensor, health, inventory and event ops of this configuration. */
  readonly sdr = new SdrCache()
  /** The exec console's own loop, when the node's console is a command (independent of the session). */
  readonly exec: ExecKeeper | undefined
  /** An exec console on a service that does not allow them: it runs nothing and says so. */
  readonly execDisabled: boolean
  cancelled = false
  lastSessionState: string | undefined
  lastConsoleState: string | undefined
  /** Set while the watcher waits: called when the console fails. */
  consoleFailed: ((reason: FailureReason, error?: ReturnType<typeof toWire>) => void) | undefined
  /** Set while the watcher waits: wakes it to (re)open the SOL console without backoff. */
  consoleWake: (() => void) | undefined
  private retryNow = false
  /** The last login failed on credentials: the next waits for the supervisor's per-BMC grant, not for our own backoff. */
  private credentialFailed = false
  private timer: NodeJS.Timeout | undefined
  private wake: (() => void) | undefined
  private failures = 0

  constructor(readonly agent: BmcAgent, readonly generation: number, readonly config: BmcConfig) {
    this.client = new IpmiClient({ host: config.host, port: config.port }, sessionConfig(config))
    this.client.on('session', (session) => agent.sessionOpened(this, session.stats))
    this.execDisabled = config.console && config.consoleMethod === 'exec' && config.allowExecConsole !== true
    if (config.console && config.consoleMethod === 'exec' && !this.execDisabled) {
      const exec = config.consoleExec ?? { command: [] }
      this.exec = new ExecKeeper(exec, execEnvironment(agent.bmc, config), {
        wanted: () => !this.cancelled && agent.consoleWanted(config),
        delayMs: (failures) => this.delayMs(failures),
        data: (chunk) => agent.consoleData(this, chunk),
        state: (state, err) => agent.consoleState(this, state, err, false),
        progress: (backlog) => agent.inputProgress(this, backlog),
      })
    }
  }

  /** Where console input goes now: the exec command or the SOL console. */
  inputSink(): InputSink | undefined {
    if (this.exec !== undefined) return this.exec.sink()
    const con = this.console
    if (con === undefined) return undefined
    return {
      get accepting() {
        return con.state === 'connected'
      },
      get backlog() {
        return con.bufferedBytes
      },
      write: (data) => void con.write(data),
    }
  }

  sendBreak(): void {
    if (this.exec !== undefined) return this.exec.sendBreak()
    if (this.console?.state === 'connected') this.console.sendBreak()
  }

  /** SOL is this link's console and the main thread wants it open now. */
  wantsSol(): boolean {
    return this.config.console && (this.config.consoleMethod ?? 'ipmi') === 'ipmi' && this.agent.consoleWanted(this.config)
  }

  /** The watcher: keeps session (and console) up until cancelled. */
  async run(): Promise<void> {
    this.exec?.start()
    if (this.execDisabled) {
      const err = new ServiceError('EXEC_CONSOLES_DISABLED', 'exec consoles are turned off on this server (serve --allow-exec-consoles); the command was not run',
        { details: { reason: 'exec_disabled' } })
      this.agent.consoleState(this, 'error', err, false)
    }
    while (!this.cancelled) {
      try {
        if (this.client.currentSession === undefined) {
          if (this.credentialFailed) await this.agent.loginPermit(this)
          if (this.cancelled) return
          this.agent.sessionState(this, 'connecting')
          // A wanted console is connecting as soon as its session is (lesson 5: announced when really attempted).
          if (this.wantsSol()) this.agent.consoleState(this, 'connecting')
          await this.client.connect()
          if (this.cancelled) return
        }
        this.agent.sessionState(this, 'connected')
        const lost = this.agent.watchSession(this)
        try {
          // A console that fails to open has said why in its own event; the session stays.
          const consoleUp = !this.wantsSol() || (this.console?.state === 'connected') || await this.openConsole().then(() => true, () => false)
          if (consoleUp) {
            this.failures = 0
            const why = await lost.promise
            if (this.cancelled) return
            if (this.client.currentSession === undefined) this.agent.sessionState(this, 'disconnected', why.reason, why.error)
          }
        } finally {
          lost.dispose()
        }
      } catch (e) {
        if (this.cancelled) return
        const w = toWire(e)
        const reason = (w.details?.reason !== undefined && isFailureReason(w.details.reason)) ? w.details.reason : failureReason(w.code)
        this.credentialFailed = reason === 'bad_credentials'
        this.agent.sessionState(this, 'error', reason, w)
        if (this.wantsSol()) this.agent.consoleState(this, 'error', { ...w, details: { ...w.details, reason } })
      }
      if (this.retryNow || this.credentialFailed) {
        this.retryNow = false
        continue
      }
      await this.backoff()
    }
  }

  /** The main thread's demand changed (on-demand logging modes). */
  demandChanged(): void {
    if (this.exec !== undefined) return this.exec.demandChanged()
    if (this.wantsSol()) {
      this.retryNow = true
      this.consoleWake?.()
      this.nudge()
    } else if (this.console !== undefined && (this.console.state === 'connected' || this.console.state === 'connecting')) {
      void this.console.close()
    }
  }

  /** Ends a connected console and opens it again at once; an unconnected one retries now. */
  reopenConsole(): void {
    if (this.exec !== undefined) return this.exec.reopen()
    const con = this.console
    if (con !== undefined && con.state === 'connected') {
      void con.close().then(() => {
        if (this.cancelled) return
        this.retryNow = true
        this.consoleWake?.()
      })
    }
    this.nudge()
  }

  /** Skip the wait before the next console attempt (a client attached). */
  retryConsoleNow(): void {
    if (this.exec !== undefined) this.exec.nudge()
    else this.nudge()
  }

  delayMs(failures: number): number {
    const policy = this.config.reconnect ?? DEFAULT_RECONNECT
    return reconnectDelayMs(failures, policy, this.agent.fleetSize, Math.random())
  }

  private async openConsole(): Promise<void> {
    const limit = inputLimit(this.config)
    // write() says "full" at half the input limit, so its 'drain' (at a quarter) is the gate's progress.
    const con = SolConsole.forClient(this.client, {
      livenessTimeoutMs: this.config.consoleLivenessMs ?? 10_000,
      tuning: { highWaterMark: Math.ceil(limit / 2), maxBufferedBytes: limit },
    })
    this.console = con
    con.on('data', (chunk) => this.agent.consoleData(this, chunk))
    con.on('drain', () => this.agent.inputProgress(this, con.bufferedBytes))
    con.on('state', (state, err) => this.agent.consoleState(this, state, err))
    await con.open({ force: this.config.consoleForce ?? true })
  }

  private backoff(): Promise<void> {
    const ms = this.delayMs(this.failures++)
    return new Promise((resolve) => {
      this.wake = resolve
      this.timer = setTimeout(resolve, ms)
    })
  }

  /** Skip the current backoff wait (console reopen, a caller wants it now). */
  nudge(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
    this.failures = 0
    this.wake?.()
  }

  async cancel(): Promise<void> {
    this.cancelled = true
    this.agent.loginGranted(this)
    this.nudge()
    await this.exec?.cancel()
    await this.console?.close()
    await this.client.close()
  }
}

function inputLimit(c: BmcConfig): number {
  return c.consoleInputLimitBytes ?? DEFAULT_CONSOLE_INPUT_LIMIT_BYTES
}

export class BmcAgent {
  private link: Link | undefined
  private consolePort: MessagePort | undefined
  /** The bound on console input (console-input.ts); its answers go back on the console port. */
  private input = new InputGate(DEFAULT_CONSOLE_INPUT_LIMIT_BYTES, (m) => this.consolePort?.postMessage(m))
  private stats: WorkerStats = { ...ZERO_STATS }
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
      const value = await this.runOp(op, (args ?? {}) as Record<string, unknown>, timeoutMs)
      this.post({ type: 'result', bmc: this.bmc, id, ok: true, value })
      this.post({ type: 'command-done', bmc: this.bmc, op, ok: true, durationMs: performance.now() - t0 })
    } catch (e) {
      const error = toWire(e)
      this.post({ type: 'result', bmc: this.bmc, id, ok: false, error })
      this.post({ type: 'command-done', bmc: this.bmc, op, ok: false, code: error.code, durationMs: performance.now() - t0 })
    }
  }

  private async runOp(op: OpName, args: Record<string, unknown>, timeoutMs: number): Promise<unknown> {
    const link = this.link
    if (link === undefined) throw new ServiceError('WORKER_UNAVAILABLE', 'worker is not configured')
    const deadline = performance.now() + timeoutMs
    const remaining = () => Math.max(1, deadline - performance.now())
    if (op === 'session.info') return { generation: link.generation, session: link.client.info ?? null, console: link.exec?.state ?? link.console?.state ?? 'none' }
    if (op === 'worker.resources') {
      // What this thread holds open, for leak checks (DESIGN lesson 3).
      const resources: Record<string, number> = {}
      for (const r of process.getActiveResourcesInfo()) resources[r] = (resources[r] ?? 0) + 1
      return { watchers: this.watchers, resources, session: link.client.currentSession !== undefined, console: link.exec?.state ?? link.console?.state ?? 'none' }
    }
    if (op === 'console.reopen') {
      // A connected console is closed and opened again; a waiting one retries now.
      link.reopenConsole()
      return { reopened: true }
    }
    const fn = BMC_OPS[op]
    if (fn === undefined) throw new ServiceError('VALIDATION_FAILED', `unknown operation ${op}`, { details: { field: 'op' } })
    const runner = {
      run: <Req, Res>(cmd: IpmiCommand<Req, Res>, req: Req, opts: RequestOptions = {}) => link.client.run(cmd, req, { timeoutMs: remaining(), ...opts }),
    }
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ServiceError('BMC_UNREACHABLE', `${op} did not complete within ${timeoutMs} ms`, { details: { op } })), timeoutMs)
    })
    try {
      return await Promise.race([fn(runner, args, { sdr: link.sdr }), timeout])
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
        if (state === 'closed') resolve({ reason: err ? failureReason(err.code) : 'closed', ...(err ? { error: toWire(err) } : {}) })
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
  consoleState(link: Link, state: string, err?: { code: string; details?: Record<string, unknown> }, fromSol = true): void {
    if (!this.current(link)) return
    const mapped: SessionStateName = state === 'connected' ? 'connected' : state === 'connecting' ? 'connecting' : state === 'error' ? 'error' : 'disconnected'
    const reason = err ? (isFailureReason(err.details?.reason) ? err.details.reason : failureReason(err.code)) : undefined
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
    // A pooled Buffer slice cannot be transferred; copy into a fresh one.
    const copy = new Uint8Array(chunk)
    this.consolePort?.postMessage(copy, [copy.buffer])
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
        if (m.type === 'break') this.link?.sendBreak()
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
    this.post({ type: 'ready', v: BRIDGE_VERSION, bmc: this.bmc })
  }
}

function sumDropped(d: Record<string, number>): number {
  let n = 0
  for (const v of Object.values(d)) n += v
  return n
}

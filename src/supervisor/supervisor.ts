/**
 * The supervisor: one worker thread per BMC, kept alive (OTP one_for_one over
 * dynamic children of one kind).
 *
 * Owns the children (WorkerHandle + restart history + pending calls), the
 * staggered start queue, the restart decisions (restart-policy.ts, pure) and
 * the console MessagePort of each child. Does not parse IPMI and never
 * restarts a thread because a BMC is down: that is the worker's own loop.
 *
 * Why raw node:worker_threads and not piscina (DESIGN.md allows either behind
 * this interface; facts measured in reference/node-stack.md): a hung worker
 * must be terminated by itself, which piscina offers only by aborting a task
 * or destroying the pool; a worker that throws while loading leaves a piscina
 * pool with zero threads and run() pending forever; the console stream would
 * need a never-ending task; and a pool costs ~1 MB more per BMC.
 */
import { EventEmitter } from 'node:events'
import { MessageChannel, type MessagePort, type ResourceLimits } from 'node:worker_threads'
import { ServiceError, fromWire } from '../errors.js'
import type { BmcConfig, ConfiguredProtocol, ConsoleControl, ConsoleInputDrain, ConsoleMatch, TrustLearned, ConsoleInputResult, ConsoleToMain, ConsoleToWorker, ControlName, FaultKind, FromWorker, OpName, ToWorker, WorkerStats } from '../bridge/messages.js'
import { assertNever, mayUseRedfish } from '../bridge/messages.js'
import type { ReconnectPolicy } from '../bridge/reconnect.js'
import type { WatchPattern } from '../bridge/watch.js'
import type { LearnedEntry, LearnedProfile } from '../bridge/profile.js'
import { bmcAddress, LoginGate } from './login-gate.js'
import { decideRestart, DEFAULT_RESTART_SPEC, escalationDeaths, pruneDeaths, shouldEscalate, type Death, type RestartSpec } from './restart-policy.js'
import { DEFAULT_REPORT_EVERY_MS, HeartbeatClock, WorkerHandle, type ExitInfo } from './worker-handle.js'

/** A call's deadline when its caller names none. */
const DEFAULT_CALL_TIMEOUT_MS = 10_000

export type ChildState = 'starting' | 'running' | 'restarting' | 'parked' | 'stopping' | 'stopped'
export const CHILD_STATES: readonly ChildState[] = ['starting', 'running', 'restarting', 'parked', 'stopping', 'stopped']

export interface SupervisorOptions {
  restart?: Partial<RestartSpec>
  resourceLimits?: ResourceLimits
  /** Beat of the heartbeat: how often every worker's progress counter is read (default 1 s). */
  heartbeatMs?: number
  /** A worker whose progress counter stood still this long is hung (default 5 s). */
  heartbeatTimeoutMs?: number
  /**
   * How long a worker's progress counter stands still before the worker is pinged, a wake-up of its
   * thread (default half the deadline, at least one beat): a quiet healthy worker then has the other
   * half to handle it, and a worker whose counter keeps moving is not pinged (but once a minute, for
   * its counters: heartbeatReportMs).
   */
  heartbeatPingMs?: number
  /** The longest a worker goes unpinged however busy it is: the ping carries its counters and heap use (default 1 min). */
  heartbeatReportMs?: number
  startTimeoutMs?: number
  /** Workers starting at once (cold start is CPU-bound: ~25-40 ms each). */
  startConcurrency?: number
  /** Grace on top of a call's own timeout before the supervisor gives up on the worker. */
  callGraceMs?: number
  workerFile?: URL
  /** Per-BMC back-off of logins that failed on credentials (login-gate.ts; default 15 s doubling to 10 min). */
  loginBackoff?: ReconnectPolicy | undefined
}

export interface ChildStatus {
  node: string
  state: ChildState
  /** How the node's BMC is managed (its configuration's protocol, default ipmi; an auto node's probed one once known, else auto). */
  protocol: ConfiguredProtocol
  restarts: number
  lastExit: ExitInfo | null
  parkedUntil: number | null
  /** Wall-clock time (ms since the epoch) at which a parked or restarting worker is started again by itself; null otherwise. */
  retryAt: number | null
  threadId: number | null
  heapUsedBytes: number
  session: { state: string; reason?: string | undefined } | null
  console: { state: string; reason?: string | undefined } | null
}

interface Pending {
  resolve: (v: unknown) => void
  reject: (e: ServiceError) => void
  timer: NodeJS.Timeout
}

/** A BMC command a worker ran: its op, outcome and the worker's time (the metrics count it). */
export interface CommandDone {
  op: OpName
  ok: boolean
  code?: string | undefined
  durationMs: number
}

interface Child {
  node: string
  config: BmcConfig
  generation: number
  state: ChildState
  handle: WorkerHandle | undefined
  deaths: Death[]
  restarts: number
  lastExit: ExitInfo | null
  parkedUntil: number | null
  timer: NodeJS.Timeout | undefined
  /** performance.now() at which `timer` restarts the worker (parked or backing off). */
  retryAt: number | null
  pending: Map<number, Pending>
  readyWaiters: Set<() => void>
  consolePort: MessagePort | undefined
  session: ChildStatus['session']
  console: ChildStatus['console']
  stopped: (() => void) | undefined
}

export interface SupervisorEvents {
  'worker:state': [node: string, state: ChildState]
  'worker:exited': [node: string, info: ExitInfo]
  'session:state': [node: string, msg: Extract<FromWorker, { type: 'session' }>]
  'console:state': [node: string, msg: Extract<FromWorker, { type: 'console' }>]
  'console:data': [node: string, data: Uint8Array]
  /** What the worker did with console input (one result per input message, in order) and drains. */
  'console:input': [node: string, report: ConsoleInputResult | ConsoleInputDrain]
  'console:screen': [node: string, screen: string]
  'command:done': [node: string, msg: CommandDone]
  /** A console line matched one of the node's watch patterns (in its worker). */
  'console:match': [node: string, match: ConsoleMatch]
  /** The node's watch patterns now (on add and on every change), so counters per pattern can start at 0. */
  'console:watch': [node: string, patterns: readonly WatchPattern[]]
  stats: [node: string, delta: WorkerStats]
  /** Trust on first use: the node's worker trusted this key or certificate (the main thread stores it as the node's pin). */
  'trust:learned': [node: string, msg: TrustLearned]
  /** The node's worker learned something about its BMC (`entry`: new); `profile` is all it knows (store it). */
  'bmc:profile': [node: string, profile: LearnedProfile, entry: LearnedEntry | undefined]
  escalate: [crashing: number, total: number]
}

export class Supervisor extends EventEmitter<SupervisorEvents> {
  private readonly children = new Map<string, Child>()
  private readonly startQueue: Child[] = []
  private starting = 0
  private nextCallId = 1
  private shuttingDown = false
  private readonly spec: RestartSpec
  private readonly heartbeat: HeartbeatClock
  private readonly o: Required<Omit<SupervisorOptions, 'restart' | 'workerFile' | 'loginBackoff'>> & { workerFile: URL | undefined }
  /** Logins after a credential failure, one per BMC address at a time, with that address's back-off. */
  readonly logins: LoginGate
  /**
   * Why a node this supervisor does not run is not here, when it may exist elsewhere (a cluster:
   * owned by another instance, or moving); undefined means no such node.
   */
  notHere: ((node: string) => ServiceError | undefined) | undefined

  constructor(opts: SupervisorOptions = {}) {
    super()
    this.spec = { ...DEFAULT_RESTART_SPEC, ...opts.restart }
    this.o = {
      resourceLimits: opts.resourceLimits ?? { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 8 },
      heartbeatMs: opts.heartbeatMs ?? 1000,
      heartbeatTimeoutMs: opts.heartbeatTimeoutMs ?? 5000,
      heartbeatPingMs: opts.heartbeatPingMs ?? Math.max(opts.heartbeatMs ?? 1000, (opts.heartbeatTimeoutMs ?? 5000) / 2),
      heartbeatReportMs: opts.heartbeatReportMs ?? DEFAULT_REPORT_EVERY_MS,
      startTimeoutMs: opts.startTimeoutMs ?? 20_000,
      startConcurrency: opts.startConcurrency ?? 4,
      callGraceMs: opts.callGraceMs ?? 2000,
      workerFile: opts.workerFile,
    }
    this.heartbeat = new HeartbeatClock(this.o.heartbeatMs, this.o.heartbeatPingMs, this.o.heartbeatReportMs)
    this.logins = new LoginGate((node) => this.children.get(node)?.handle?.post({ type: 'login-grant', bmc: node }) ?? false, { policy: opts.loginBackoff })
  }

  get nodes(): string[] {
    return [...this.children.keys()]
  }

  has(node: string): boolean {
    return this.children.has(node)
  }

  /** Adds a node and queues its worker's start. */
  add(node: string, config: BmcConfig): void {
    if (this.shuttingDown) throw new ServiceError('WORKER_UNAVAILABLE', 'supervisor is shutting down')
    if (this.children.has(node)) throw new ServiceError('CONFLICT', `node ${node} is already supervised`)
    const child: Child = {
      node, config, generation: 1, state: 'starting', handle: undefined, deaths: [], restarts: 0, lastExit: null,
      parkedUntil: null, timer: undefined, retryAt: null, pending: new Map(), readyWaiters: new Set(), consolePort: undefined,
      session: null, console: null, stopped: undefined,
    }
    this.children.set(node, child)
    this.setState(child, 'starting')
    this.emit('console:watch', node, config.watch ?? [])
    this.enqueueStart(child)
  }

  /**
   * New configuration for a node: the worker cancels its old watcher and
   * session first (one of each, always). The configuration it already runs
   * (a learned pin stored back, see adoptTrust) is no change.
   */
  update(node: string, config: BmcConfig): number {
    const child = this.require(node)
    if (JSON.stringify(config) === JSON.stringify(child.config)) return child.generation
    child.config = config
    child.generation++
    // The old generation's states no longer describe the node: until the new
    // one reports, the node is as it was before its first report.
    child.session = null
    child.console = null
    this.logins.forget(node) // new credentials are tried at once
    if (child.state === 'running') child.handle?.post({ type: 'configure', bmc: node, generation: child.generation, config })
    // Any other state: the next start sends the newest configuration.
    this.emit('console:watch', node, config.watch ?? [])
    return child.generation
  }

  /**
   * New console watch patterns for a node: its worker matches with them from
   * now on, its session and console untouched (no new generation). A worker
   * that starts later gets them with its configuration.
   */
  setWatch(node: string, patterns: readonly WatchPattern[]): void {
    const child = this.require(node)
    child.config = { ...child.config, watch: patterns }
    if (child.state === 'running') child.handle?.post({ type: 'watch', bmc: node, patterns })
    this.emit('console:watch', node, patterns)
  }

  /** The node's console watch patterns as its worker has (or will have) them. */
  watchPatterns(node: string): readonly WatchPattern[] {
    return this.children.get(node)?.config.watch ?? []
  }

  /**
   * Forgets what the node's worker learned about its BMC: the worker logs in
   * again (a new generation) from the configured workarounds alone.
   */
  resetProfile(node: string): number {
    const child = this.require(node)
    const generation = this.update(node, { ...child.config, profile: undefined })
    this.emit('bmc:profile', node, { entries: [] }, undefined)
    return generation
  }

  /** Stops a node's worker (Deactivate SOL, Close Session) and forgets it. */
  async remove(node: string, deadlineMs = 3000): Promise<void> {
    const child = this.require(node)
    await this.stopChild(child, deadlineMs)
    this.children.delete(node)
    this.logins.forget(node)
  }

  /** Runs a BMC operation on a node's worker; a typed error for that node only, never a hang. */
  run(node: string, op: OpName, args: unknown = {}, opts: { timeoutMs?: number } = {}): Promise<unknown> {
    return this.call(node, op, opts.timeoutMs, (id, timeoutMs) => ({ type: 'command', bmc: node, id, op, args, timeoutMs }))
  }

  /** A control request to a node's worker (console reopen, session info, resources): not a BMC operation, not counted as one. */
  control(node: string, control: ControlName, opts: { timeoutMs?: number } = {}): Promise<unknown> {
    return this.call(node, control, opts.timeoutMs, (id, timeoutMs) => ({ type: 'control', bmc: node, id, control, timeoutMs }))
  }

  private call(node: string, what: string, timeoutMs = DEFAULT_CALL_TIMEOUT_MS, message: (id: number, timeoutMs: number) => ToWorker): Promise<unknown> {
    const child = this.children.get(node)
    if (child === undefined) return Promise.reject(this.missing(node))
    if (child.state === 'running') return this.send(child, what, timeoutMs, message)
    const deadline = performance.now() + timeoutMs
    return this.waitReady(child, timeoutMs).then(() => this.send(child, what, Math.max(1, deadline - performance.now()), message))
  }

  /** Posts a call to the child's worker; its guard is the call's time plus the grace. */
  private send(child: Child, what: string, timeoutMs: number, message: (id: number, timeoutMs: number) => ToWorker): Promise<unknown> {
    const handle = child.handle
    if (handle === undefined || !handle.ready) return Promise.reject(this.unavailable(child))
    const id = this.nextCallId++
    return new Promise((resolve, reject) => {
      const guardMs = timeoutMs + this.o.callGraceMs
      // Node keeps timers of one duration on one list: a range request's guards cost no timer each.
      const timer = setTimeout(() => {
        child.pending.delete(id)
        reject(new ServiceError('WORKER_UNAVAILABLE', `worker for ${child.node} did not answer ${what} within ${Math.round(guardMs)} ms`))
      }, guardMs)
      child.pending.set(id, { resolve, reject, timer })
      handle.post(message(id, timeoutMs))
    })
  }

  /** Console input for a node (bytes or a break), if its worker is up. */
  consoleInput(node: string, data: ConsoleToWorker): boolean {
    const port = this.children.get(node)?.consolePort
    if (port === undefined) return false
    port.postMessage(data)
    return true
  }

  /**
   * Console control for a node's worker (on-demand open/close, fleet size for
   * the reconnect policy, retry now), if its worker is up. The ConsoleSession
   * sends it again whenever the worker becomes `running`.
   */
  consoleControl(node: string, control: Omit<ConsoleControl, 'type' | 'bmc'>): boolean {
    const handle = this.children.get(node)?.handle
    if (handle === undefined || !handle.ready) return false
    return handle.post({ type: 'console-control', bmc: node, ...control })
  }

  /**
   * An operator's restart of a parked worker, or of one waiting out its restart
   * delay (OTP's restart_child): it starts at once with its crash history
   * cleared. A worker already starting is left to it; a running, stopping or
   * stopped one is a CONFLICT (stop it with a fault drill or a node change).
   */
  restartWorker(node: string): ChildState {
    const child = this.require(node)
    const waiting = child.state === 'parked' || (child.state === 'restarting' && child.timer !== undefined)
    if (waiting) {
      clearTimeout(child.timer)
      child.deaths = []
      this.restart(child)
      return child.state
    }
    if (child.state === 'starting' || child.state === 'restarting') return child.state
    throw new ServiceError('CONFLICT', `worker for ${node} is ${child.state}: only a parked or restarting worker can be restarted`, { details: { node, state: child.state } })
  }

  /** Fault injection for drills and tests (`serve --enable-fault-injection` only). */
  injectFault(node: string, kind: FaultKind): void {
    const child = this.require(node)
    if (child.handle === undefined || !child.handle.ready) throw this.unavailable(child)
    child.handle.post({ type: 'fault', bmc: node, kind })
  }

  status(node?: string): ChildStatus[] {
    const list = node === undefined ? [...this.children.values()] : [this.require(node)]
    return list.map((c) => ({
      node: c.node,
      state: c.state,
      protocol: shownProtocol(c.config),
      restarts: c.restarts,
      lastExit: c.lastExit,
      parkedUntil: c.parkedUntil,
      retryAt: c.retryAt === null ? null : Math.round(Date.now() + Math.max(0, c.retryAt - performance.now())),
      threadId: c.handle?.threadId ?? null,
      heapUsedBytes: c.handle?.heapUsedBytes ?? 0,
      session: c.session,
      console: c.console,
    }))
  }

  handleOf(node: string): WorkerHandle | undefined {
    return this.children.get(node)?.handle
  }

  /** Graceful shutdown: every worker deactivates SOL and closes its session within the bound, then all are terminated. */
  async shutdown(deadlineMs = 5000): Promise<void> {
    this.shuttingDown = true
    this.startQueue.length = 0
    this.logins.close()
    await Promise.all([...this.children.values()].map((c) => this.stopChild(c, deadlineMs)))
  }

  // --- internals ---

  private require(node: string): Child {
    const c = this.children.get(node)
    if (c === undefined) throw this.missing(node)
    return c
  }

  private missing(node: string): ServiceError {
    return this.notHere?.(node) ?? new ServiceError('NODE_NOT_FOUND', `no node named ${node}`)
  }

  private unavailable(child: Child): ServiceError {
    const why = child.state === 'parked' ? `parked after repeated crashes until ${new Date(Date.now() + Math.max(0, (child.parkedUntil ?? 0) - performance.now())).toISOString()}` : child.state
    return new ServiceError('WORKER_UNAVAILABLE', `worker for ${child.node} is ${why}`, { details: { node: child.node, state: child.state } })
  }

  private waitReady(child: Child, timeoutMs: number): Promise<void> {
    if (child.state === 'parked' || child.state === 'stopping' || child.state === 'stopped') return Promise.reject(this.unavailable(child))
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer)
        child.readyWaiters.delete(done)
        resolve()
      }
      const timer = setTimeout(() => {
        child.readyWaiters.delete(done)
        reject(this.unavailable(child))
      }, timeoutMs)
      child.readyWaiters.add(done)
    })
  }

  private setState(child: Child, state: ChildState): void {
    if (child.state === state && state !== 'starting') return
    child.state = state
    this.emit('worker:state', child.node, state)
  }

  private enqueueStart(child: Child): void {
    this.startQueue.push(child)
    this.pump()
  }

  private pump(): void {
    while (this.starting < this.o.startConcurrency && this.startQueue.length > 0) {
      const child = this.startQueue.shift()!
      if (!this.children.has(child.node) || child.state === 'stopping' || child.state === 'stopped') continue
      this.starting++
      this.spawn(child)
    }
  }

  private spawn(child: Child): void {
    const handle = new WorkerHandle(child.node, {
      resourceLimits: this.o.resourceLimits,
      heartbeat: this.heartbeat,
      heartbeatTimeoutMs: this.o.heartbeatTimeoutMs,
      startTimeoutMs: this.o.startTimeoutMs,
      file: this.o.workerFile,
    })
    child.handle = handle
    let slot = true
    const release = () => {
      if (!slot) return
      slot = false
      this.starting--
      this.pump()
    }
    handle.once('ready', () => {
      release()
      const { port1, port2 } = new MessageChannel()
      child.consolePort?.close()
      child.consolePort = port1
      port1.on('message', (m: ConsoleToMain) => {
        if (m instanceof Uint8Array) {
          this.emit('console:data', child.node, m)
          // Fanned out and in the log's batch: the worker may take as many bytes again (src/bridge/credit.ts).
          handle.credit.processed(m.byteLength)
        }
        else if (m.type === 'screen') this.emit('console:screen', child.node, m.data)
        else this.emit('console:input', child.node, m)
      })
      handle.post({ type: 'configure', bmc: child.node, generation: child.generation, config: child.config, consolePort: port2 }, [port2])
      this.setState(child, 'running')
      for (const w of [...child.readyWaiters]) w()
    })
    handle.on('message', (m) => this.onMessage(child, m))
    handle.once('exit', (info) => {
      release()
      this.onExit(child, handle, info)
    })
    handle.start()
  }

  private onMessage(child: Child, m: FromWorker): void {
    switch (m.type) {
      case 'result': {
        const p = child.pending.get(m.id)
        if (p !== undefined) {
          child.pending.delete(m.id)
          clearTimeout(p.timer)
          if (m.ok) p.resolve(m.value)
          else p.reject(fromWire(m.error))
        } // else answered after its caller gave up: still a command the BMC ran
        if (m.command !== undefined) this.emit('command:done', child.node, { op: m.command.op, ok: m.ok, ...(m.ok ? {} : { code: m.error.code }), durationMs: m.command.durationMs })
        return
      }
      case 'session':
        if (m.generation !== child.generation) return
        child.session = { state: m.state, reason: m.reason }
        if (m.state !== 'connecting') {
          this.logins.outcome(child.node, bmcAddress(child.config.host, child.config.port), m.state === 'connected' ? 'ok' : m.reason === 'bad_credentials' ? 'bad_credentials' : 'other')
        }
        this.emit('session:state', child.node, m)
        return
      case 'login-wait':
        if (m.generation === child.generation) this.logins.request(child.node, bmcAddress(child.config.host, child.config.port))
        return
      case 'console':
        if (m.generation !== child.generation) return
        child.console = { state: m.state, reason: m.reason }
        this.emit('console:state', child.node, m)
        return
      case 'console-match':
        this.emit('console:match', child.node, m)
        return
      case 'stats':
        this.emit('stats', child.node, m.delta)
        return
      case 'trust-learned':
        if (m.generation !== child.generation) return
        this.adoptTrust(child, m)
        this.emit('trust:learned', child.node, m)
        return
      case 'stopped':
        child.stopped?.()
        return
      case 'profile':
        // A report of a generation since replaced (a reset) describes a profile that is gone.
        if (m.generation !== child.generation) return
        child.config = { ...child.config, profile: m.profile } // a restarted worker starts from it
        this.emit('bmc:profile', child.node, m.profile, m.entry)
        return
      case 'ready':
        return
      default:
        assertNever(m)
    }
  }

  /**
   * The worker runs with what it learned, and so does its configuration here:
   * a restarted worker starts pinned, and the same pin coming back from the
   * store (the main thread writes it into the node) is no change (update).
   */
  private adoptTrust(child: Child, m: TrustLearned): void {
    switch (m.what) {
      case 'ssh-host-key':
        if (child.config.consoleSsh !== undefined && child.config.consoleSsh.hostKey === undefined) {
          child.config = { ...child.config, consoleSsh: { ...child.config.consoleSsh, hostKey: m.fingerprint } }
        }
        return
      case 'tls-certificate':
        if (mayUseRedfish(child.config.protocol) && child.config.tls?.mode === 'pin' && child.config.tls.fingerprint === undefined) {
          child.config = { ...child.config, tls: { ...child.config.tls, fingerprint: m.fingerprint } }
        }
        return
      default:
        assertNever(m.what)
    }
  }

  private onExit(child: Child, handle: WorkerHandle, info: ExitInfo): void {
    if (child.handle !== handle) return
    child.handle = undefined
    child.consolePort?.close()
    child.consolePort = undefined
    child.lastExit = info
    child.session = null
    child.console = null
    this.logins.forget(child.node)
    for (const [id, p] of child.pending) {
      clearTimeout(p.timer)
      p.reject(new ServiceError('WORKER_UNAVAILABLE', `worker for ${child.node} ended (${info.reason}) while running the call`, { details: { node: child.node, reason: info.reason } }))
      child.pending.delete(id)
    }
    this.emit('worker:exited', child.node, info)
    if (child.state === 'stopping' || child.state === 'stopped' || this.shuttingDown) {
      this.setState(child, 'stopped')
      child.stopped?.()
      return
    }
    const now = performance.now()
    child.deaths = pruneDeaths([...child.deaths, { at: now, duringStart: info.duringStart, slowStart: info.reason === 'start_timeout' }], now, this.spec)
    this.checkEscalation(now)
    const decision = decideRestart(child.deaths, now, this.spec, Math.random())
    if (decision.action === 'park') {
      child.parkedUntil = decision.untilMs
      this.setState(child, 'parked')
      for (const w of [...child.readyWaiters]) w() // let waiters fail fast with WORKER_UNAVAILABLE
      child.retryAt = decision.untilMs
      child.timer = setTimeout(() => this.restart(child), decision.untilMs - now)
    } else {
      this.setState(child, 'restarting')
      child.retryAt = now + decision.delayMs
      child.timer = setTimeout(() => this.restart(child), decision.delayMs)
    }
  }

  private restart(child: Child): void {
    child.timer = undefined
    child.retryAt = null
    if (!this.children.has(child.node) || child.state === 'stopping' || child.state === 'stopped' || this.shuttingDown) return
    child.parkedUntil = null
    child.restarts++
    this.setState(child, 'restarting')
    this.enqueueStart(child)
  }

  private checkEscalation(now: number): void {
    const recent = new Map<string, number>()
    for (const c of this.children.values()) recent.set(c.node, escalationDeaths(c.deaths, now, this.spec))
    if (shouldEscalate(recent, this.children.size)) {
      let crashing = 0
      for (const n of recent.values()) if (n >= 2) crashing++
      this.emit('escalate', crashing, this.children.size)
    }
  }

  private stopChild(child: Child, deadlineMs: number): Promise<void> {
    if (child.timer) clearTimeout(child.timer)
    child.timer = undefined
    child.retryAt = null
    const handle = child.handle
    if (handle === undefined || child.state === 'stopped') {
      this.setState(child, 'stopped')
      return Promise.resolve()
    }
    this.setState(child, 'stopping')
    return new Promise<void>((resolve) => {
      const kill = setTimeout(() => handle.kill('stopped'), deadlineMs)
      handle.once('exit', () => {
        clearTimeout(kill)
        resolve()
      })
      child.stopped = () => handle.kill('stopped')
      if (!handle.post({ type: 'stop', bmc: child.node, deadlineMs: Math.max(100, deadlineMs - 200) })) handle.kill('stopped')
    })
  }
}

/** The protocol a node is managed over: configured, or what its auto probe found (its profile), or still auto. */
function shownProtocol(c: BmcConfig): ConfiguredProtocol {
  const p = c.protocol ?? 'ipmi'
  return p === 'auto' ? c.profile?.protocol ?? 'auto' : p
}

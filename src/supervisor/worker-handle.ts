/**
 * One worker thread of one BMC, as the supervisor sees it: start, typed
 * messages, heartbeat with a progress deadline, and a single `exit` event that
 * says why the thread ended (crash, exit, oom, hang, start failure, stopped).
 *
 * Raw node:worker_threads, not piscina (see supervisor.ts for why). A busy
 * loop never crashes and never answers, so only the heartbeat finds it: the
 * worker bumps a counter in shared memory whenever its loop turns
 * (src/bridge/progress.ts), the supervisor's one HeartbeatClock reads every
 * worker's counter each beat, and a counter that stood still for the
 * deadline terminates the thread with reason `hang`. A ping (no reply
 * message: handling it is the bump) goes to a worker only when its counter
 * stood still for a ping period, so a quiet worker still shows progress and a
 * busy one (a console whose keepalive answers bump the counter) is not woken
 * for nothing; the ping also carries the worker's counters and heap use out,
 * so a worker that is never still is pinged once per report period anyway.
 */
import { EventEmitter } from 'node:events'
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Worker, type ResourceLimits, type Transferable } from 'node:worker_threads'
import type { FromWorker, ToWorker } from '../bridge/messages.js'
import { CreditLedger, newCreditBuffer } from '../bridge/credit.js'
import { newProgressBuffer, ProgressReader } from '../bridge/progress.js'

export type ExitReason = 'crash' | 'exit' | 'oom' | 'hang' | 'start_failed' | 'start_timeout' | 'stopped'

export interface ExitInfo {
  reason: ExitReason
  /** The thread died before it said `ready`. */
  duringStart: boolean
  exitCode?: number
  /** The error's message only: worker errors may quote anything, so nothing else leaves here. */
  message?: string
}

export interface WorkerHandleOptions {
  resourceLimits: ResourceLimits
  /** The supervisor's one beat for all its workers (its period is the heartbeat interval). */
  heartbeat: HeartbeatClock
  heartbeatTimeoutMs: number
  startTimeoutMs: number
  /** Overrides the worker entry file (tests use fixtures). */
  file?: URL | undefined
}

interface HandleEvents {
  ready: []
  message: [msg: FromWorker]
  exit: [info: ExitInfo]
}

/**
 * Names another worker entry file: the test runner (scripts/run-tests.mjs)
 * bundles the source once and points every supervisor of the run at it, so
 * workers start as they do in production instead of compiling ~90 modules
 * each through tsx.
 */
export const WORKER_FILE_ENV = 'BMCVISOR_WORKER_FILE'

/**
 * The worker's entry: the file named by BMCVISOR_WORKER_FILE when set; in
 * dist, the one-file bundle (scripts/bundle-worker.mjs: starts about 4x
 * faster and is smaller than ~90 modules), else tsc's output; from source
 * (tsx, in development and tests), the TypeScript file.
 */
export function defaultWorkerFile(): URL {
  const named = process.env[WORKER_FILE_ENV]
  if (named !== undefined && named !== '') {
    const file = pathToFileURL(resolve(named))
    if (!existsSync(file)) throw new Error(`${WORKER_FILE_ENV} names ${named}, which does not exist`)
    return file
  }
  for (const name of ['bmc-worker.bundle.mjs', 'bmc-worker.js']) {
    const file = new URL(`../../workers/${name}`, import.meta.url)
    if (existsSync(file)) return file
  }
  return new URL('../../workers/bmc-worker.ts', import.meta.url)
}

export class WorkerHandle extends EventEmitter<HandleEvents> {
  private worker: Worker | undefined
  private isReady = false
  private exited = false
  private pendingReason: ExitReason | undefined
  private startTimer: NodeJS.Timeout | undefined
  private readonly progressBuffer = newProgressBuffer()
  private readonly progress = new ProgressReader(this.progressBuffer)
  private readonly creditBuffer = newCreditBuffer()
  /** Console credit (src/bridge/credit.ts): the main thread gives back what it processed. */
  readonly credit = new CreditLedger(this.creditBuffer)
  private lastCount = 0
  private lastProgress = 0
  private lastPing = 0
  /** When the oldest ping not followed by progress went out (Infinity: none). */
  private unansweredSince = Infinity
  /** Heartbeat pings sent to this thread (each one wakes it). */
  pings = 0

  constructor(readonly bmc: string, private readonly opts: WorkerHandleOptions) {
    super()
  }

  get ready(): boolean {
    return this.isReady && !this.exited
  }

  /** V8 heap in use by the thread, as it last wrote it (on each ping). */
  get heapUsedBytes(): number {
    return this.progress.heapUsedBytes
  }

  get threadId(): number | undefined {
    return this.worker?.threadId
  }

  /** Event-loop utilisation of the thread since the previous call (for metrics). */
  eventLoopUtilization(prev?: ReturnType<Worker['performance']['eventLoopUtilization']>): ReturnType<Worker['performance']['eventLoopUtilization']> | undefined {
    return this.worker?.performance.eventLoopUtilization(prev)
  }

  start(): void {
    const file = this.opts.file ?? defaultWorkerFile()
    const options = { workerData: { bmc: this.bmc, progress: this.progressBuffer, credit: this.creditBuffer }, resourceLimits: this.opts.resourceLimits }
    // Under tsx (development and tests) a worker does not inherit the loader
    // on Node 20, so a .ts entry is loaded through tsx's register() first.
    const w = file.pathname.endsWith('.ts')
      ? new Worker(`import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))}; register(); await import(${JSON.stringify(file.href)})`, { ...options, eval: true })
      // Compiled: no loader or flag of this process (a benchmark run under tsx would
      // otherwise load tsx into every thread: 4x slower starts, more memory).
      : new Worker(file, { ...options, execArgv: [] })
    this.worker = w
    w.on('message', (m: FromWorker) => this.onMessage(m))
    w.on('error', (err: Error & { code?: string }) => {
      if (err.code === 'ERR_WORKER_OUT_OF_MEMORY') this.pendingReason ??= 'oom'
      else if (!this.isReady) this.pendingReason ??= 'start_failed'
      else this.pendingReason ??= 'crash'
      this.lastError = err.message
    })
    w.on('messageerror', () => {
      this.pendingReason ??= 'crash'
    })
    w.on('exit', (code) => this.onExit(code))
    this.startTimer = setTimeout(() => this.kill('start_timeout'), this.opts.startTimeoutMs)
  }

  private lastError: string | undefined

  post(msg: ToWorker, transfer?: readonly Transferable[]): boolean {
    if (this.worker === undefined || this.exited) return false
    this.worker.postMessage(msg, transfer)
    return true
  }

  /** Terminates the thread now; `exit` follows with this reason. */
  kill(reason: ExitReason): void {
    if (this.exited || this.worker === undefined) return
    this.pendingReason = reason
    void this.worker.terminate()
  }

  private onMessage(m: FromWorker): void {
    if (m.type === 'ready') {
      this.isReady = true
      if (this.startTimer) clearTimeout(this.startTimer)
      this.startTimer = undefined
      this.lastProgress = performance.now()
      this.lastPing = this.lastProgress
      this.lastCount = this.progress.count
      this.opts.heartbeat.add(this)
      this.emit('ready')
      return
    }
    this.emit('message', m)
  }

  /**
   * One beat (HeartbeatClock). The deadline is judged by this thread's clock,
   * so this thread's own lag must not count against the worker: when the beat
   * itself ran a whole interval late (`stalled`), the main thread was stalled
   * and sent no pings meanwhile, so the silence is measured from now on and
   * the worker, unless its counter moved, is pinged at once (a hung worker is
   * still found one deadline later). An overdue verdict is given only after the messages already
   * queued were read (timers run before the poll phase that delivers them),
   * never from the timer alone.
   */
  beat(now: number, stalled: boolean): void {
    // As when a pong answered every beat: silent for the deadline, and a ping left unanswered for
    // the deadline less one beat (what the first ping of a silence had before), so pinging less
    // often does not shorten the time a starved but healthy thread has to answer.
    const count = this.progress.count
    const moved = count !== this.lastCount
    if (moved) {
      this.lastCount = count
      this.lastProgress = now
      this.unansweredSince = Infinity
    }
    if (stalled) {
      this.lastProgress = Math.max(this.lastProgress, now - this.opts.heartbeat.ms)
      this.unansweredSince = Infinity
      if (!moved) this.lastPing = -Infinity
    }
    if (this.overdue(now)) {
      setImmediate(() => {
        if (this.exited) return
        if (this.progress.count !== this.lastCount) return // it moved after all: the next beat records it
        if (this.overdue(performance.now())) this.kill('hang')
      })
    }
    // Pinged when still for a ping period (lastProgress is the beat that saw the counter move, so a hung
    // worker is found within deadline + ping period + a beat), again each ping period it stays still, and
    // once per report period however busy it is (the ping carries its counters and heap use out).
    const clock = this.opts.heartbeat
    const sincePing = now - this.lastPing
    if ((now - this.lastProgress >= clock.pingEveryMs && sincePing >= clock.pingEveryMs) || sincePing >= clock.reportEveryMs) {
      this.lastPing = now
      if (this.post({ type: 'ping' })) {
        this.pings++
        this.unansweredSince = Math.min(this.unansweredSince, now)
      }
    }
  }

  private overdue(now: number): boolean {
    const o = this.opts
    return now - this.lastProgress > o.heartbeatTimeoutMs && now - this.unansweredSince >= o.heartbeatTimeoutMs - o.heartbeat.ms
  }

  private onExit(code: number): void {
    if (this.exited) return
    this.exited = true
    this.opts.heartbeat.delete(this)
    if (this.startTimer) clearTimeout(this.startTimer)
    const reason = this.pendingReason ?? (this.isReady ? 'exit' : 'start_failed')
    const info: ExitInfo = { reason, duringStart: !this.isReady, exitCode: code }
    if (this.lastError !== undefined) info.message = this.lastError
    this.worker?.removeAllListeners()
    this.worker = undefined
    this.emit('exit', info)
  }
}

/** A worker that is never still is still pinged this often, for its counters and heap use (the supervisor's default). */
export const DEFAULT_REPORT_EVERY_MS = 60_000

/**
 * The supervisor's one heartbeat interval for all its workers: one main-thread
 * timer per beat instead of one per worker. Each beat reads every worker's
 * progress counter (no message, no wake-up of the worker) and pings those whose
 * counter stood still for a ping period.
 */
export class HeartbeatClock {
  private readonly handles = new Set<WorkerHandle>()
  private timer: NodeJS.Timeout | undefined
  private last = 0

  /**
   * @param ms the beat: how often counters are read (the deadline's resolution)
   * @param pingEveryMs how long a worker's counter stands still before it is pinged (a wake-up of its
   *   thread); a quiet healthy worker has the deadline minus this to handle a ping
   * @param reportEveryMs the longest a worker goes unpinged however busy it is: the ping carries its
   *   counters and heap use to the main thread
   */
  constructor(readonly ms: number, readonly pingEveryMs: number, readonly reportEveryMs: number) {}

  add(h: WorkerHandle): void {
    this.handles.add(h)
    if (this.timer !== undefined) return
    this.last = performance.now()
    this.timer = setInterval(() => this.tick(), this.ms)
  }

  delete(h: WorkerHandle): void {
    this.handles.delete(h)
    if (this.handles.size > 0 || this.timer === undefined) return
    clearInterval(this.timer)
    this.timer = undefined
  }

  private tick(): void {
    const now = performance.now()
    const stalled = now - this.last - this.ms > this.ms
    this.last = now
    for (const h of this.handles) h.beat(now, stalled)
  }
}

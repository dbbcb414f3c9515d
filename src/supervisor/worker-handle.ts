/**
 * One worker thread of one BMC, as the supervisor sees it: start, typed
 * messages, heartbeat with a reply deadline, and a single `exit` event that
 * says why the thread ended (crash, exit, oom, hang, start failure, stopped).
 *
 * Raw node:worker_threads, not piscina (see supervisor.ts for why). A busy
 * loop never crashes and never answers, so only the heartbeat finds it: no
 * pong within the deadline terminates the thread with reason `hang`.
 */
import { EventEmitter } from 'node:events'
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Worker, type ResourceLimits, type Transferable } from 'node:worker_threads'
import type { FromWorker, ToWorker } from '../bridge/messages.js'

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
  heartbeatMs: number
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
  private heartbeat: NodeJS.Timeout | undefined
  private startTimer: NodeJS.Timeout | undefined
  private lastPong = 0
  private lastBeat = 0
  private pingSeq = 0
  heapUsedBytes = 0

  constructor(readonly bmc: string, private readonly opts: WorkerHandleOptions) {
    super()
  }

  get ready(): boolean {
    return this.isReady && !this.exited
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
    const options = { workerData: { bmc: this.bmc }, resourceLimits: this.opts.resourceLimits }
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
      this.lastPong = performance.now()
      this.lastBeat = this.lastPong
      this.heartbeat = setInterval(() => this.beat(), this.opts.heartbeatMs)
      this.emit('ready')
      return
    }
    if (m.type === 'pong') {
      this.lastPong = performance.now()
      this.heapUsedBytes = m.heapUsedBytes
      return
    }
    this.emit('message', m)
  }

  /**
   * The deadline is judged by this thread's clock, so this thread's own lag
   * must not count against the worker: when the beat itself ran a whole
   * interval late, the main thread was stalled and the worker's pongs may be
   * waiting in our queue, unread. The silence is then measured from now on
   * (a hung worker is still found one deadline later). An overdue verdict is
   * also given only after the messages already queued were read (timers run
   * before the poll phase that delivers them), never from the timer alone.
   */
  private beat(): void {
    const now = performance.now()
    const late = now - this.lastBeat - this.opts.heartbeatMs
    this.lastBeat = now
    if (late > this.opts.heartbeatMs) {
      this.lastPong = Math.max(this.lastPong, now - this.opts.heartbeatMs)
    }
    if (now - this.lastPong > this.opts.heartbeatTimeoutMs) {
      setImmediate(() => {
        if (!this.exited && performance.now() - this.lastPong > this.opts.heartbeatTimeoutMs) this.kill('hang')
      })
    }
    this.post({ type: 'ping', seq: ++this.pingSeq })
  }

  private onExit(code: number): void {
    if (this.exited) return
    this.exited = true
    if (this.heartbeat) clearInterval(this.heartbeat)
    if (this.startTimer) clearTimeout(this.startTimer)
    const reason = this.pendingReason ?? (this.isReady ? 'exit' : 'start_failed')
    const info: ExitInfo = { reason, duringStart: !this.isReady, exitCode: code }
    if (this.lastError !== undefined) info.message = this.lastError
    this.worker?.removeAllListeners()
    this.worker = undefined
    this.emit('exit', info)
  }
}

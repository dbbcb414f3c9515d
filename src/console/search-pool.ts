/**
 * The console log search pool: a piscina pool of threads that scan log files
 * (search-worker.ts, one file per task), so that a search over gigabytes
 * never stalls the main thread's event loop, which carries consoles and
 * commands. Sized from the CPU count (one core left to the main thread, at
 * most MAX_SEARCH_THREADS), with a bounded queue: a task that would pass
 * `maxQueue` is SEARCH_BUSY (503, retryable) at once instead of waiting
 * behind other searches. Every task has a deadline (SEARCH_TIMEOUT) and
 * takes an AbortSignal; piscina ends a running task that is aborted by
 * terminating its thread (and starts another), so a cancelled search really
 * stops reading.
 *
 * Hazards: `atomics: 'disabled'` (DESIGN.md: 'sync' freezes a thread's
 * loop between tasks; these threads stream files). A worker file that throws
 * while loading leaves piscina with no threads and run() never settles: the
 * per-task deadline is what ends such a task.
 */
import { EventEmitter } from 'node:events'
import { existsSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import { Piscina } from 'piscina'
import { fromWire, ServiceError } from '../errors.js'
import type { ScanResult, ScanTask } from './log-scan.js'
import type { ScanReply } from './search-worker.js'

/** At most this many search threads, however many cores. */
export const MAX_SEARCH_THREADS = 4
/** Queued tasks per thread (default maxQueue = threads x this). */
export const QUEUE_PER_THREAD = 64
/** One file's scan deadline by default. */
export const DEFAULT_TASK_TIMEOUT_MS = 60_000
/**
 * Search threads run this much nicer than the service (Linux: piscina sets
 * each thread's own nice value through @napi-rs/nice): when the cores are
 * busy, consoles and commands get the CPU first and a search takes longer.
 */
export const SEARCH_NICE_INCREMENT = 10
/** Idle threads end after this long (a search is rare; its threads need not stay). */
const IDLE_TIMEOUT_MS = 30_000
/** piscina's message when its own maxQueue is reached (a race with queueSize below). */
const PISCINA_QUEUE_FULL = 'Task queue is at limit'

export interface SearchPoolOptions {
  /** Threads (default searchThreads()). */
  threads?: number
  /** Tasks that may wait for a thread (default threads x QUEUE_PER_THREAD). */
  maxQueue?: number
  /** Deadline of one task (default DEFAULT_TASK_TIMEOUT_MS). */
  taskTimeoutMs?: number
  /** Overrides the worker entry (tests). */
  file?: URL
  /** How much nicer than the service the threads run (default SEARCH_NICE_INCREMENT; 0: not at all). */
  niceIncrement?: number
}

/** max(1, cpus - 1), at most MAX_SEARCH_THREADS. */
export function searchThreads(cpus = availableParallelism()): number {
  return Math.max(1, Math.min(MAX_SEARCH_THREADS, cpus - 1))
}

/**
 * The worker's entry: in dist, the one-file bundle (scripts/bundle-worker.mjs),
 * else tsc's output; from source (tsx), the bootstrap that registers tsx and
 * loads the TypeScript task (search-worker-dev.mjs).
 */
export function searchWorkerFile(): URL {
  for (const name of ['search-worker.bundle.mjs', 'search-worker.js']) {
    const file = new URL(`./${name}`, import.meta.url)
    if (existsSync(file)) return file
  }
  return new URL('./search-worker-dev.mjs', import.meta.url)
}

interface PoolEvents {
  /** The number of tasks submitted and not yet settled changed. */
  active: [count: number]
}

export class SearchPool extends EventEmitter<PoolEvents> {
  readonly threads: number
  readonly maxQueue: number
  readonly taskTimeoutMs: number
  private readonly pool: Piscina<ScanTask, ScanReply>
  private running = 0
  private closed = false

  constructor(o: SearchPoolOptions = {}) {
    super()
    this.threads = o.threads ?? searchThreads()
    if (!Number.isInteger(this.threads) || this.threads < 1) throw new ServiceError('VALIDATION_FAILED', 'search threads must be a positive integer', { details: { field: 'threads' } })
    this.maxQueue = o.maxQueue ?? this.threads * QUEUE_PER_THREAD
    this.taskTimeoutMs = o.taskTimeoutMs ?? DEFAULT_TASK_TIMEOUT_MS
    const file = o.file ?? searchWorkerFile()
    this.pool = new Piscina<ScanTask, ScanReply>({
      filename: fileURLToPath(file),
      minThreads: 0,
      maxThreads: this.threads,
      maxQueue: this.maxQueue,
      idleTimeout: IDLE_TIMEOUT_MS,
      atomics: 'disabled',
      niceIncrement: o.niceIncrement ?? SEARCH_NICE_INCREMENT,
      // No loader or flag of this process: the dev entry registers tsx itself, a compiled one needs none
      // (a benchmark run under tsx would otherwise load tsx into every thread).
      execArgv: [],
    })
    // A thread that dies while idle is replaced by piscina; without a listener the error would end the process.
    this.pool.on('error', () => undefined)
  }

  /** Tasks submitted and not yet settled (running or queued). */
  get active(): number {
    return this.running
  }

  /** Tasks waiting for a thread. */
  get queued(): number {
    return this.pool.queueSize
  }

  /** Whether `n` more tasks fit in the queue now. */
  admits(n = 1): boolean {
    return !this.closed && this.pool.queueSize + n <= this.maxQueue
  }

  /** Scans one file on a thread; SEARCH_BUSY when the queue is full, SEARCH_TIMEOUT past the deadline, the signal's reason when aborted. */
  async scan(task: ScanTask, signal?: AbortSignal): Promise<ScanResult> {
    if (this.closed) throw new ServiceError('SHUTTING_DOWN', 'the search pool is closed')
    signal?.throwIfAborted()
    if (!this.admits()) throw busy(this.maxQueue)
    const deadline = AbortSignal.timeout(this.taskTimeoutMs)
    const both = signal === undefined ? deadline : AbortSignal.any([signal, deadline])
    this.changeActive(1)
    try {
      const reply = await this.pool.run(task, { signal: both })
      if (!reply.ok) throw fromWire(reply.error)
      return reply.result
    } catch (e) {
      if (signal?.aborted === true) throw signal.reason
      if (deadline.aborted) throw new ServiceError('SEARCH_TIMEOUT', `scanning the file took longer than ${this.taskTimeoutMs} ms`)
      if (e instanceof Error && e.message.includes(PISCINA_QUEUE_FULL)) throw busy(this.maxQueue)
      throw e
    } finally {
      this.changeActive(-1)
    }
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.pool.destroy()
  }

  private changeActive(d: number): void {
    this.running += d
    this.emit('active', this.running)
  }
}

function busy(maxQueue: number): ServiceError {
  return new ServiceError('SEARCH_BUSY', `the console log search queue is full (${maxQueue} files waiting); retry shortly`)
}

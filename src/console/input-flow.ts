/**
 * InputFlow: the main thread's side of a console's bounded input (the
 * worker's side is workers/console-input.ts). One per ConsoleSession.
 *
 * Owns the count of input bytes toward the console that the worker has not
 * answered yet (`pending`, with which client sent each message) and the
 * console's last reported backlog. Their sum never exceeds `limit`: of input
 * that would exceed it only the part that fits is posted, the rest is dropped
 * here, so the port's queue and the worker's buffer stay bounded however
 * fast a client sends.
 * Back-pressure: once the sum reaches half the limit the typing client's
 * transport is paused (pauseInput) until the worker's answers or a drain
 * bring it below half again, or `pauseMaxMs` passes (a command that never
 * reads must not hold a socket unread forever: after that its input is
 * dropped and told). Every dropped byte is told to the client that typed it
 * (an `input-dropped` control message) and reported through `dropped`, so
 * nothing is lost silently; `written` counts what the console really took.
 */
import type { ConsoleInputDrain, ConsoleInputResult, InputDropReason } from '../bridge/messages.js'
import type { ClientSink, ConsoleClock } from './types.js'

export interface InputFlowOptions {
  limit: number
  pauseMaxMs: number
  clock: ConsoleClock
  /** Posts bytes to the worker; false when the worker is not there. */
  post(data: Uint8Array): boolean
  /** The sink of an attached client, if it still is. */
  sinkOf(client: number): ClientSink | undefined
  /** Bytes that did not reach the console (for the status and the metric). */
  dropped(bytes: number, reason: InputDropReason): void
  /** Bytes the console took. */
  written(bytes: number): void
}

export class InputFlow {
  private readonly inFlight: { client: number; bytes: number }[] = []
  private pending = 0
  private backlog = 0
  private paused: { client: number; timer: unknown } | undefined

  constructor(private readonly o: InputFlowOptions) {
    if (!Number.isInteger(o.limit) || o.limit < 1) throw new RangeError(`console input limit must be a positive integer, got ${o.limit}`)
  }

  /** Bytes on their way to the console or held by it, as far as this side knows. */
  get load(): number {
    return this.pending + this.backlog
  }

  /** Input from `client` (the read-write holder) toward a console that is `connected` or not. */
  send(client: number, data: Uint8Array, connected: boolean): void {
    if (!connected) return this.drop(client, data.length, 'not_connected')
    const n = Math.max(0, Math.min(data.length, this.o.limit - this.load))
    if (n === 0) return this.drop(client, data.length, 'buffer_full')
    if (!this.o.post(n === data.length ? data : data.subarray(0, n))) return this.drop(client, data.length, 'worker_unavailable')
    this.inFlight.push({ client, bytes: n })
    this.pending += n
    if (n < data.length) this.drop(client, data.length - n, 'buffer_full')
    if (this.high() && this.paused === undefined) this.pause(client)
  }

  /** The worker's answer to the oldest input message, or a drain. */
  answer(r: ConsoleInputResult | ConsoleInputDrain): void {
    if (r.type === 'input') {
      const sent = this.inFlight.shift()
      if (sent === undefined) return // an answer for input forgotten when the worker went away
      this.pending -= sent.bytes
      if (r.written > 0) this.o.written(r.written)
      if (r.dropped > 0) this.drop(sent.client, r.dropped, r.reason ?? 'buffer_full')
    }
    this.backlog = Math.max(0, r.backlog)
    this.maybeResume()
  }

  /** The console is not connected any more: it holds nothing now (answers still come for what is in flight). */
  consoleDown(): void {
    this.backlog = 0
    this.maybeResume()
  }

  /** The worker went away: what it had not answered is lost, and told as such. */
  workerGone(): void {
    const lost = this.inFlight.splice(0)
    this.pending = 0
    this.backlog = 0
    for (const x of lost) this.drop(x.client, x.bytes, 'worker_unavailable')
    this.maybeResume()
  }

  /** A client left or lost read-write: it is not held back any longer. */
  release(client: number): void {
    if (this.paused?.client === client) this.resume()
  }

  private high(): boolean {
    return this.load * 2 >= this.o.limit
  }

  private drop(client: number, bytes: number, reason: InputDropReason): void {
    this.o.sinkOf(client)?.control({ type: 'input-dropped', bytes, reason })
    this.o.dropped(bytes, reason)
  }

  private pause(client: number): void {
    const sink = this.o.sinkOf(client)
    if (sink?.pauseInput === undefined) return
    sink.pauseInput()
    this.paused = { client, timer: this.o.clock.setTimeout(() => this.resume(), this.o.pauseMaxMs) }
  }

  private maybeResume(): void {
    if (this.paused !== undefined && !this.high()) this.resume()
  }

  private resume(): void {
    const p = this.paused
    if (p === undefined) return
    this.paused = undefined
    this.o.clock.clearTimeout(p.timer)
    this.o.sinkOf(p.client)?.resumeInput?.()
  }
}

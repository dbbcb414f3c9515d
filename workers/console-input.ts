/**
 * InputGate: the worker's bound on console input. Input that would make the
 * console hold more than `limit` bytes it has not passed on (an exec
 * command's stdin buffer, the SOL send queue) is cut: the part that fits is
 * written, the rest dropped, and every input message is answered on the console port with what
 * was written and what was dropped, in order (bridge ConsoleInputResult).
 * The main thread keeps its own count of what is in flight, so it stops
 * sending before this bound is reached; this bound holds whatever it sends.
 * When a result reported a backlog of half the limit or more, the gate owes
 * the main thread a ConsoleInputDrain and sends it as soon as the console
 * reports progress below that (progress() after a write completes, a SOL
 * 'drain', or the console ending), so a client paused for back-pressure is
 * resumed.
 */
import { DEFAULT_CONSOLE_INPUT_LIMIT_BYTES, type BmcConfig, type ConsoleInputDrain, type ConsoleInputResult, type InputDropReason } from '../src/bridge/messages.js'

/** The input bound of a node's console (its config, else the service default). */
export function inputLimit(c: BmcConfig): number {
  return c.consoleInputLimitBytes ?? DEFAULT_CONSOLE_INPUT_LIMIT_BYTES
}

/** The console that takes input, as the gate sees it. */
export interface InputSink {
  /** Connected: input goes to the host. */
  readonly accepting: boolean
  /** Input bytes taken and not yet passed on. */
  readonly backlog: number
  write(data: Uint8Array): void
}

export class InputGate {
  private owed = false

  constructor(readonly limit: number, private readonly post: (m: ConsoleInputResult | ConsoleInputDrain) => void) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`console input limit must be a positive integer, got ${limit}`)
  }

  /** Writes what fits of `data` (its start) and answers it; returns the bytes written. */
  offer(sink: InputSink | undefined, data: Uint8Array): number {
    if (sink === undefined || !sink.accepting) return this.answer(0, data.length, 'not_connected', sink?.backlog ?? 0)
    const n = Math.max(0, Math.min(data.length, this.limit - sink.backlog))
    if (n === 0) return this.answer(0, data.length, 'buffer_full', sink.backlog)
    try {
      sink.write(n === data.length ? data : data.subarray(0, n))
    } catch {
      // The console went down between the check and the write: its state event says why.
      return this.answer(0, data.length, 'not_connected', 0)
    }
    return this.answer(n, data.length - n, n < data.length ? 'buffer_full' : undefined, sink.backlog)
  }

  /** The console passed some input on, or ended (backlog 0). */
  progress(backlog: number): void {
    if (!this.owed || this.high(backlog)) return
    this.owed = false
    this.post({ type: 'input-drain', backlog })
  }

  private high(backlog: number): boolean {
    return backlog * 2 >= this.limit
  }

  private answer(written: number, dropped: number, reason: InputDropReason | undefined, backlog: number): number {
    if (this.high(backlog)) this.owed = true
    this.post({ type: 'input', written, dropped, ...(reason !== undefined ? { reason } : {}), backlog })
    return written
  }
}

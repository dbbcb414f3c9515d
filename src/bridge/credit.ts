/**
 * Console credit: how many console bytes a worker may hand to the main thread
 * that the main thread has not processed yet (graceful overload, issue 18).
 * Two counters in memory the worker shares with the main thread: the worker
 * adds what it posts on the console port, the main thread adds what it has
 * fanned out and appended to the console log. Their difference is the bytes
 * in flight; at CONSOLE_CREDIT_BYTES the worker stops taking console output
 * from the BMC (src/sol/engine.ts withholds the ACK, so the BMC keeps the
 * bytes and sends them again), and it takes them again once the main thread
 * caught up. No message carries credit: the main thread never wakes a worker
 * to give it back, and a worker only reads a counter.
 *
 * The thread side is module state (one worker thread = one isolate = one
 * instance of this module); on the main thread nothing is attached and every
 * console always has credit.
 */

/** Layout: Int32 bytes posted by the worker at index 0, Int32 bytes processed by the main thread at index 1. */
const POSTED = 0
const PROCESSED = 1
const CREDIT_SLOTS = 2

/**
 * Console bytes one worker may have in flight to the main thread. A few
 * hundred SOL packets' worth: a busy console never waits on a main thread
 * that keeps up (it hands a packet back within milliseconds), while 1,000
 * consoles can queue at most 32 MB on a main thread that does not.
 */
export const CONSOLE_CREDIT_BYTES = 32 * 1024

export function newCreditBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(CREDIT_SLOTS * Int32Array.BYTES_PER_ELEMENT)
}

let counters: Int32Array | undefined
let windowBytes = CONSOLE_CREDIT_BYTES
let refusals = 0

/** The worker thread's entry attaches the buffer its supervisor passed in workerData. */
export function attachCredit(buffer: SharedArrayBuffer, window = CONSOLE_CREDIT_BYTES): void {
  counters = new Int32Array(buffer)
  windowBytes = window
}

/** Bytes posted and not yet processed by the main thread (wraps like the counters, so it stays exact). */
function inFlight(c: Int32Array): number {
  return (Atomics.load(c, POSTED) - Atomics.load(c, PROCESSED)) | 0
}

/** Whether this thread may take more console output now (always, with no buffer attached); a no is counted. */
export function hasConsoleCredit(): boolean {
  if (counters === undefined || inFlight(counters) < windowBytes) return true
  refusals++
  return false
}

/** How often hasConsoleCredit() said no since the last call (a BMC packet left unacknowledged each time). */
export function takeCreditRefusals(): number {
  const n = refusals
  refusals = 0
  return n
}

/** This thread posted `bytes` console bytes to the main thread. */
export function spendConsoleCredit(bytes: number): void {
  if (counters !== undefined) Atomics.add(counters, POSTED, bytes)
}

/** The main thread's side of one worker's buffer. */
export class CreditLedger {
  private readonly c: Int32Array

  constructor(buffer: SharedArrayBuffer) {
    this.c = new Int32Array(buffer)
  }

  /** The main thread processed `bytes` console bytes of this worker: the worker may take as many again. */
  processed(bytes: number): void {
    Atomics.add(this.c, PROCESSED, bytes)
  }

  /** Console bytes of this worker that the main thread has not processed yet. */
  get inFlight(): number {
    return inFlight(this.c)
  }
}

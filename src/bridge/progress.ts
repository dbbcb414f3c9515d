/**
 * Liveness without messages. A worker thread bumps a counter in memory it
 * shares with the main thread whenever its event loop does something (a
 * datagram arrives, a message from the main thread is handled) and writes its
 * V8 heap use beside it; the supervisor reads both from its one heartbeat
 * interval (src/supervisor/worker-handle.ts), so an answer to a heartbeat is
 * a bump, not a message that wakes the main thread.
 *
 * The thread side is module state (one worker thread = one isolate = one
 * instance of this module); on the main thread nothing is attached and
 * noteProgress() does nothing.
 */

/** Layout: Int32 turns counter at byte 0, Float64 heap bytes at byte 8. */
const TURNS_INDEX = 0
const HEAP_BYTE_OFFSET = 8
const PROGRESS_BYTES = 16

export function newProgressBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(PROGRESS_BYTES)
}

let turns: Int32Array | undefined
let heap: Float64Array | undefined

/** The worker thread's entry attaches the buffer its supervisor passed in workerData. */
export function attachProgress(buffer: SharedArrayBuffer): void {
  turns = new Int32Array(buffer, 0, 1)
  heap = new Float64Array(buffer, HEAP_BYTE_OFFSET, 1)
}

/** This thread's event loop turned (called per datagram and per message: one atomic add). */
export function noteProgress(): void {
  if (turns !== undefined) Atomics.add(turns, TURNS_INDEX, 1)
}

export function noteHeapUsed(bytes: number): void {
  if (heap !== undefined) heap[0] = bytes
}

/** The supervisor's view of one worker's buffer. */
export class ProgressReader {
  private readonly turns: Int32Array
  private readonly heap: Float64Array

  constructor(buffer: SharedArrayBuffer) {
    this.turns = new Int32Array(buffer, 0, 1)
    this.heap = new Float64Array(buffer, HEAP_BYTE_OFFSET, 1)
  }

  get count(): number {
    return Atomics.load(this.turns, TURNS_INDEX)
  }

  get heapUsedBytes(): number {
    return this.heap[0] ?? 0
  }
}

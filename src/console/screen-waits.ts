/**
 * Clients waiting for their console's screen snapshot (workers/screen.ts).
 * A client that asked for the screen gets no live bytes until the worker's
 * answer comes: the answer covers every byte that arrived before it on the
 * console port, so the client's first frame is the screen and the bytes after
 * it follow with no gap and no repeat. One answer serves every client waiting
 * then. A worker that does not answer in time (gone, restarted, stuck) gets
 * the client the raw tail instead (`fallback`), so nobody waits forever.
 */
import type { ConsoleClock } from './types.js'

/** How long a client waits for the worker's screen before it gets the raw tail. */
export const SCREEN_WAIT_MS = 3000

export class ScreenWaits {
  private readonly waiting = new Map<number, unknown>()

  constructor(private readonly clock: ConsoleClock, private readonly waitMs = SCREEN_WAIT_MS) {}

  has(id: number): boolean {
    return this.waiting.has(id)
  }

  get size(): number {
    return this.waiting.size
  }

  /** Client `id` waits; `fallback` runs if no answer comes within the wait. */
  wait(id: number, fallback: () => void): void {
    const timer = this.clock.setTimeout(() => {
      if (!this.waiting.delete(id)) return
      fallback()
    }, this.waitMs)
    this.waiting.set(id, timer)
  }

  /** Stops waiting for `id` (detached); true if it was waiting. */
  cancel(id: number): boolean {
    const t = this.waiting.get(id)
    if (t === undefined) return false
    this.clock.clearTimeout(t)
    return this.waiting.delete(id)
  }

  /** Every waiting client, oldest first; none waits any more. */
  takeAll(): number[] {
    const ids = [...this.waiting.keys()]
    for (const id of ids) this.cancel(id)
    return ids
  }
}

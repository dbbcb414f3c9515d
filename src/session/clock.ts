/**
 * Time as the session engines see it. Everything that waits goes through a
 * Clock so tests can drive retransmits and keepalives without real time.
 */
export type TimerHandle = { readonly id: unknown }

export interface Clock {
  now(): number
  setTimeout(fn: () => void, ms: number): TimerHandle
  clearTimeout(handle: TimerHandle): void
}

/**
 * A system timer that fires more than this after its due time means the
 * thread had no CPU meanwhile (bench/RESULTS-scale.md, overload).
 */
export const LATE_TIMER_MS = 100

/** systemClock's handle: the timer currently standing for it (the second one after a late first). */
interface SystemTimer {
  id: NodeJS.Timeout
}

/**
 * Real time. A timer that fires late (the thread was starved of CPU: other
 * threads had the cores, or this loop was busy) does not run at once: libuv
 * runs timers before it polls for I/O, so an answer that arrived meanwhile
 * would still be unread and a deadline would fail on our own starvation, not
 * on the peer's silence. It waits once more, as long as it was late (at most
 * its own length), with the I/O read in between: deadlines count time the
 * thread could work, within twice their length.
 */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout(fn, ms) {
    const due = performance.now() + ms
    const t = setTimeout(() => {
      const late = performance.now() - due
      if (late <= LATE_TIMER_MS) return fn()
      const again = setTimeout(fn, Math.min(late, ms))
      again.unref()
      h.id = again
    }, ms)
    // Session timers must never keep a process alive on their own.
    t.unref()
    const h: SystemTimer = { id: t }
    return h
  },
  clearTimeout(h) {
    clearTimeout((h as SystemTimer).id)
  },
}

/** A manual clock for tests: time moves only when advance() is called. */
export class ManualClock implements Clock {
  private t = 0
  private seq = 0
  private readonly timers = new Map<number, { at: number; fn: () => void }>()

  now(): number {
    return this.t
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = ++this.seq
    this.timers.set(id, { at: this.t + Math.max(0, ms), fn })
    return { id }
  }

  clearTimeout(h: TimerHandle): void {
    this.timers.delete(h.id as number)
  }

  /** Runs every timer due within `ms`, in time order. */
  advance(ms: number): void {
    const end = this.t + ms
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined
      for (const e of this.timers) if (e[1].at <= end && (next === undefined || e[1].at < next[1].at)) next = e
      if (next === undefined) break
      this.timers.delete(next[0])
      this.t = next[1].at
      next[1].fn()
    }
    this.t = end
  }

  get pending(): number {
    return this.timers.size
  }
}

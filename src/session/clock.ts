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

export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms)
    // Session timers must never keep a process alive on their own.
    t.unref()
    return { id: t }
  },
  clearTimeout(h) {
    clearTimeout(h.id as NodeJS.Timeout)
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

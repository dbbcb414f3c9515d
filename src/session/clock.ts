/**
 * Time as the session engines see it. Everything that waits goes through a
 * Clock so tests can drive retransmits and keepalives without real time.
 */
import { performance } from 'node:perf_hooks'

export type TimerHandle = { readonly id: unknown }

export interface Clock {
  now(): number
  setTimeout(fn: () => void, ms: number): TimerHandle
  clearTimeout(handle: TimerHandle): void
}

/**
 * A system timer that fires more than this after its due time means the
 * thread had no CPU meanwhile (other threads had the cores, or this loop was busy).
 */
export const LATE_TIMER_MS = 100

/** systemClock's handle: the timer, and the immediate standing for it after it fired late. */
interface SystemTimer {
  timer: NodeJS.Timeout
  immediate: NodeJS.Immediate | undefined
}

/**
 * Real time. A timer that fires late (the thread was starved of CPU) does not
 * run at once: libuv runs timers before it polls for I/O, so an answer that
 * arrived while the thread waited for CPU would still be unread and a
 * deadline would fail on our own starvation, not on the peer's silence. It
 * runs right after that poll instead (setImmediate), so what came meanwhile
 * is handled first; on time, it runs as a plain timer. Deadlines that should
 * leave out the starved time itself do so where they are judged (SolEngine's
 * retransmit deadline, SolConsole's keepalive).
 * `performance` is node:perf_hooks' own: the global one is a getter that
 * runs on every read (Node 20), several times per SOL packet.
 */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout(fn, ms) {
    const due = performance.now() + ms
    const h: SystemTimer = {
      timer: setTimeout(() => {
        if (performance.now() - due <= LATE_TIMER_MS) return fn()
        h.immediate = setImmediate(fn)
        h.immediate.unref()
      }, ms),
      immediate: undefined,
    }
    // Session timers must never keep a process alive on their own.
    h.timer.unref()
    return { id: h }
  },
  clearTimeout(handle) {
    const h = handle.id as SystemTimer
    // Node 20 still wakes the thread at the due time of an unref'd timer that was cleared while an
    // earlier one was pending (a ref'd one it forgets): each session keepalive re-armed by traffic was a
    // wake-up of an idle worker 18-20 s later (bench/RESULTS-scale.md; test/unit/session/clock.test.ts).
    h.timer.ref()
    clearTimeout(h.timer)
    if (h.immediate !== undefined) clearImmediate(h.immediate)
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

/**
 * One periodic tick shared by many simulated BMCs: console output
 * generation, SOL retransmits and accumulate timeouts all run from it, so a
 * fleet of 1,000 BMCs arms one timer, not thousands.
 * Owns the subscriber set and its single timer (armed on the SimClock, so
 * tests drive it with a ManualClock). Knows nothing of IPMI.
 * Invariant: a subscriber that throws is counted and skipped, never allowed
 * to stop the tick for the others; stop() clears the timer.
 */
import type { SimClock } from './faults.js'

export type TickFn = (nowMs: number) => void

export class Ticker {
  private readonly subscribers = new Set<TickFn>()
  private timer: unknown
  private running = false
  /** Exceptions thrown by subscribers (a simulator bug); tests assert 0. */
  errors = 0
  lastError: unknown

  constructor(private readonly clock: SimClock, readonly intervalMs = 25) {
    if (!(intervalMs > 0)) throw new RangeError('tick interval must be positive')
  }

  /** Adds a subscriber; the returned function removes it. */
  add(fn: TickFn): () => void {
    this.subscribers.add(fn)
    this.start()
    return () => {
      this.subscribers.delete(fn)
    }
  }

  get size(): number {
    return this.subscribers.size
  }

  stop(): void {
    this.running = false
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer)
    this.timer = undefined
  }

  private start(): void {
    if (this.running) return
    this.running = true
    this.arm()
  }

  private arm(): void {
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined
      if (!this.running) return
      const now = this.clock.now()
      for (const fn of [...this.subscribers]) {
        try {
          fn(now)
        } catch (e) {
          this.errors++
          this.lastError = e
        }
      }
      // With nobody left the timer stops; add() starts it again.
      if (this.subscribers.size === 0) this.running = false
      else this.arm()
    }, this.intervalMs)
  }
}

/**
 * Runtime fault injection for one simulated BMC: loss, delay, duplication,
 * reordering, a hung BMC and refused logins, changeable while it runs (the
 * Redfish side, src/sim/redfish/server.ts, reads the same settings: delay,
 * hang, loss as dropped connections, wrong credentials, and its own two).
 * Owns the fault settings, a PRNG of its own (seeded, so the same seed and
 * the same traffic give the same faults, whatever else draws random numbers)
 * and every timer it arms; dispose() clears them. Knows nothing of IPMI.
 * Invariant: each datagram draws the same number of random values whatever
 * the settings, so changing one ratio does not shift the others' decisions.
 */
import { Prng } from './prng.js'

export interface SimFaults {
  /** Each datagram, inbound and outbound, is lost with this probability. */
  dropRatio: number
  /** Every answer goes out this much later. */
  delayMs: number
  /** Answer nothing at all (a hung BMC): inbound datagrams and outbound ones (SOL output) are swallowed. */
  hang: boolean
  /** Every login fails at RAKP 2 as if the password had changed. */
  wrongCredentials: boolean
  /** An answer is sent twice with this probability. */
  duplicateRatio: number
  /** An answer is held back and sent after the next one with this probability. */
  reorderRatio: number
  /** Redfish only: every request is answered 503 with Retry-After of this many seconds (0 = off). */
  unavailableRetryAfterS: number
  /** Redfish only: session login is refused as if every session slot were taken. */
  sessionLimitReached: boolean
}

export const NO_FAULTS: Readonly<SimFaults> = Object.freeze({
  dropRatio: 0, delayMs: 0, hang: false, wrongCredentials: false, duplicateRatio: 0, reorderRatio: 0,
  unavailableRetryAfterS: 0, sessionLimitReached: false,
})

/** Time as the simulator sees it; session/ManualClock fits this shape, so tests drive both with one clock. */
export interface SimClock {
  now(): number
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

export const realClock: SimClock = {
  now: () => performance.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms)
    t.unref()
    return t
  },
  clearTimeout(h) {
    clearTimeout(h as NodeJS.Timeout)
  },
}

/** A held-back answer is released after this long if no other answer overtakes it. */
const REORDER_HOLD_MS = 20

export interface FaultCounters {
  droppedIn: number
  droppedOut: number
  swallowed: number
  duplicated: number
  reordered: number
}

type Send = (datagram: Buffer) => void

export class FaultGate {
  private settings: SimFaults = { ...NO_FAULTS }
  private readonly prng: Prng
  private readonly timers = new Set<unknown>()
  private held: { send: Send; datagram: Buffer; timer: unknown } | undefined
  readonly counters: FaultCounters = { droppedIn: 0, droppedOut: 0, swallowed: 0, duplicated: 0, reordered: 0 }

  constructor(private readonly clock: SimClock, seed: number) {
    this.prng = new Prng(seed)
  }

  get faults(): Readonly<SimFaults> {
    return this.settings
  }

  set(f: Partial<SimFaults>): void {
    this.settings = { ...this.settings, ...f }
  }

  /** Whether an inbound datagram reaches the BMC. */
  admit(): boolean {
    const lost = this.prng.chance(this.settings.dropRatio)
    if (this.settings.hang) {
      this.counters.swallowed++
      return false
    }
    if (lost) this.counters.droppedIn++
    return !lost
  }

  /** Sends one answer through the configured faults. */
  emit(send: Send, datagram: Buffer): void {
    const lost = this.prng.chance(this.settings.dropRatio)
    const hold = this.prng.chance(this.settings.reorderRatio)
    const twice = this.prng.chance(this.settings.duplicateRatio)
    if (this.settings.hang) {
      // Unsolicited output (SOL) must stop too: a hung BMC sends nothing.
      this.counters.swallowed++
      return
    }
    if (lost) {
      this.counters.droppedOut++
      return
    }
    const out = (s: Send, d: Buffer) => this.later(() => s(d))
    const previous = this.held
    if (previous !== undefined) {
      // Overtake the held answer, then release it.
      this.held = undefined
      this.clock.clearTimeout(previous.timer)
      this.timers.delete(previous.timer)
      out(send, datagram)
      out(previous.send, previous.datagram)
    } else if (hold) {
      this.counters.reordered++
      const timer = this.clock.setTimeout(() => {
        this.timers.delete(timer)
        if (this.held?.timer !== timer) return
        this.held = undefined
        out(send, datagram)
      }, Math.max(REORDER_HOLD_MS, this.settings.delayMs))
      this.timers.add(timer)
      this.held = { send, datagram, timer }
    } else out(send, datagram)
    if (twice) {
      this.counters.duplicated++
      out(send, datagram)
    }
  }

  dispose(): void {
    for (const t of this.timers) this.clock.clearTimeout(t)
    this.timers.clear()
    this.held = undefined
  }

  private later(fn: () => void): void {
    if (this.settings.delayMs <= 0) {
      fn()
      return
    }
    const timer = this.clock.setTimeout(() => {
      this.timers.delete(timer)
      fn()
    }, this.settings.delayMs)
    this.timers.add(timer)
  }
}

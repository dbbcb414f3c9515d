/**
 * LoginGate: logins that failed on credentials back off per BMC address
 * (host:port), not per node. Several nodes may point at one BMC; each
 * failed login can hold one of its few session slots until the BMC's
 * setup or idle timeout (a wrong K_G leaves a whole session), so a node
 * with a wrong password or K_G must neither fill the BMC's table nor,
 * with a few such nodes, multiply the rate of failed logins.
 *
 * A node whose last login failed with bad credentials asks before it tries
 * again (request); the gate lets one such login per address run at a time,
 * not before the address's back-off has passed (grant). The back-off grows
 * with the address's consecutive credential failures, whichever node made
 * them (bridge/reconnect.ts's policy shape), and starts over when a node
 * that had asked logs in. Nodes that did not fail on credentials never ask
 * and are never held: a healthy node keeps logging in at once. Owned by the
 * Supervisor, which sees every worker's session outcome; workers cannot see
 * each other.
 */
import { reconnectDelayMs, type ReconnectPolicy } from '../bridge/reconnect.js'

/** First wait after a credential failure at a BMC, doubling per failure (jittered) up to the cap. */
export const DEFAULT_LOGIN_BACKOFF: Required<ReconnectPolicy> = { initialMs: 15_000, maxMs: 600_000, perNodeMs: 0 }

export type LoginOutcome = 'ok' | 'bad_credentials' | 'other'

export interface LoginGateOptions {
  policy?: ReconnectPolicy | undefined
  now?: () => number
  random?: () => number
  /** Timers (tests step them by hand); default unref'd setTimeout. */
  setTimer?: (fn: () => void, ms: number) => unknown
  clearTimer?: (handle: unknown) => void
}

const realTimer = (fn: () => void, ms: number): unknown => setTimeout(fn, ms).unref()

interface BmcLogins {
  failures: number
  notBefore: number
  /** The node whose granted login is running. */
  running: string | undefined
  waiting: string[]
  timer: unknown
}

export function bmcAddress(host: string, port: number): string {
  return `${host.toLowerCase()}:${port}`
}

export class LoginGate {
  private readonly bmcs = new Map<string, BmcLogins>()
  private readonly policy: ReconnectPolicy
  private readonly now: () => number
  private readonly random: () => number
  private readonly setTimer: (fn: () => void, ms: number) => unknown
  private readonly clearTimer: (handle: unknown) => void
  /** Grants given so far (tests and status). */
  granted = 0

  /** `grant` tells the node's worker to log in; false when it cannot be told (the worker is going away). */
  constructor(private readonly grant: (node: string) => boolean, o: LoginGateOptions = {}) {
    this.policy = o.policy ?? DEFAULT_LOGIN_BACKOFF
    this.now = o.now ?? (() => performance.now())
    this.random = o.random ?? Math.random
    this.setTimer = o.setTimer ?? realTimer
    this.clearTimer = o.clearTimer ?? ((h) => clearTimeout(h as NodeJS.Timeout))
  }

  /** `node` failed on credentials and wants to log in to `address` again. */
  request(node: string, address: string): void {
    const b = this.entry(address)
    if (b.running !== node && !b.waiting.includes(node)) b.waiting.push(node)
    this.pump(address, b)
  }

  /** What a login of `node` at `address` came to (the worker's session message). */
  outcome(node: string, address: string, result: LoginOutcome): void {
    const b = this.bmcs.get(address)
    if (result === 'bad_credentials') {
      const e = b ?? this.entry(address)
      e.notBefore = this.now() + reconnectDelayMs(e.failures, this.policy, 1, this.random())
      e.failures++
    } else if (result === 'ok' && b !== undefined && (b.running === node || b.waiting.includes(node))) {
      b.failures = 0
      b.notBefore = 0
      b.waiting = b.waiting.filter((n) => n !== node)
    }
    const e = this.bmcs.get(address)
    if (e === undefined) return
    if (e.running === node) e.running = undefined
    this.pump(address, e)
  }

  /** The node is gone or reconfigured: its request and its running login no longer count. */
  forget(node: string): void {
    for (const [address, b] of this.bmcs) {
      b.waiting = b.waiting.filter((n) => n !== node)
      if (b.running === node) b.running = undefined
      this.pump(address, b)
    }
  }

  /** Consecutive credential failures at an address (0 when none). */
  failures(address: string): number {
    return this.bmcs.get(address)?.failures ?? 0
  }

  close(): void {
    for (const b of this.bmcs.values()) if (b.timer !== undefined) this.clearTimer(b.timer)
    this.bmcs.clear()
  }

  private entry(address: string): BmcLogins {
    let b = this.bmcs.get(address)
    if (b === undefined) {
      b = { failures: 0, notBefore: 0, running: undefined, waiting: [], timer: undefined }
      this.bmcs.set(address, b)
    }
    return b
  }

  private pump(address: string, b: BmcLogins): void {
    if (b.timer !== undefined) this.clearTimer(b.timer)
    b.timer = undefined
    if (b.running !== undefined) return
    const next = b.waiting[0]
    if (next === undefined) {
      if (b.failures === 0) this.bmcs.delete(address)
      return
    }
    const wait = b.notBefore - this.now()
    if (wait > 0) {
      b.timer = this.setTimer(() => this.pump(address, b), wait)
      return
    }
    b.waiting.shift()
    if (!this.grant(next)) return this.pump(address, b) // its worker is gone: the next one's turn
    b.running = next
    this.granted++
  }
}

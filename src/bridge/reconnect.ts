/**
 * The reconnect policy of a console (and the session under it), as a pure
 * function shared by the worker (which waits) and tests.
 *
 * Jittered exponential backoff that also grows with the fleet size, as
 * confluent learned: thousands of dead BMCs retried every few seconds make
 * ARP and login storms (confluent d9e47824, ee84622e). Capped at maxMs. A
 * client attaching or `POST /console/reopen` skips the wait (the worker's
 * nudge), and a success resets `failures`.
 */
export interface ReconnectPolicy {
  /** First delay, in ms, for a fleet of one. */
  initialMs: number
  /** Cap, in ms. */
  maxMs: number
  /** Added to the first delay for every other node of the fleet (default 0 when a policy is given). */
  perNodeMs?: number | undefined
}

export const DEFAULT_RECONNECT: Required<ReconnectPolicy> = { initialMs: 1000, maxMs: 60_000, perNodeMs: 10 }

/**
 * Delay before the next attempt after `failures` failed ones (0: the first
 * retry). `random` is in [0, 1): the delay lies in [base/2, base), so a fleet
 * that failed together does not retry together.
 */
export function reconnectDelayMs(failures: number, policy: ReconnectPolicy, fleetSize: number, random: number): number {
  const first = policy.initialMs + (policy.perNodeMs ?? 0) * Math.max(0, fleetSize - 1)
  const base = Math.min(policy.maxMs, first * 2 ** Math.min(Math.max(0, failures), 30))
  return base * (0.5 + Math.min(Math.max(random, 0), 1) * 0.5)
}

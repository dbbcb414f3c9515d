/**
 * When to restart a dead worker: a pure function of its recent deaths
 * (Erlang/OTP one_for_one with intensity and period, plus backoff).
 *
 * - Each restart waits base * 2^(deaths in window - 1), capped, with jitter,
 *   so a flapping worker slows down instead of spinning the CPU.
 * - More than `intensity` deaths within `periodMs` parks the worker: no
 *   restart until `parkMs` later (then it is retried once more), and it is
 *   reported as parked to operators.
 * - A death before the worker ever became ready is a start failure: it
 *   counts double, so a worker that cannot load is parked quickly.
 */
export interface RestartSpec {
  baseDelayMs: number
  maxDelayMs: number
  /** Share of each delay added at random (0.25 = up to +25%). */
  jitter: number
  intensity: number
  periodMs: number
  parkMs: number
}

export const DEFAULT_RESTART_SPEC: RestartSpec = {
  baseDelayMs: 250,
  maxDelayMs: 30_000,
  jitter: 0.25,
  intensity: 5,
  periodMs: 60_000,
  parkMs: 300_000,
}

export interface Death {
  at: number
  /** Died before sending `ready`. */
  duringStart: boolean
  /**
   * Ended because it did not say `ready` within the start timeout. It counts
   * for its own restart and parking like any start failure, but not toward
   * escalation: when every thread of a busy host starts slowly, restarting
   * the process would start them all again at once.
   */
  slowStart?: boolean
}

export type RestartDecision = { action: 'restart'; delayMs: number } | { action: 'park'; untilMs: number }

/** `deaths` includes the one being decided on; `random` is in [0, 1). */
export function decideRestart(deaths: readonly Death[], now: number, spec: RestartSpec, random: number): RestartDecision {
  const recent = deaths.filter((d) => now - d.at <= spec.periodMs)
  const weight = recent.reduce((n, d) => n + (d.duringStart ? 2 : 1), 0)
  if (weight > spec.intensity) return { action: 'park', untilMs: now + spec.parkMs }
  const exp = Math.max(0, weight - 1)
  const delay = Math.min(spec.maxDelayMs, spec.baseDelayMs * 2 ** exp)
  return { action: 'restart', delayMs: Math.round(delay * (1 + spec.jitter * random)) }
}

/** Deaths older than the period are never needed again. */
export function pruneDeaths(deaths: readonly Death[], now: number, spec: RestartSpec): Death[] {
  return deaths.filter((d) => now - d.at <= spec.periodMs)
}

/** A worker's deaths within the period that count toward escalation (slow starts do not: Death.slowStart). */
export function escalationDeaths(deaths: readonly Death[], now: number, spec: RestartSpec): number {
  return deaths.filter((d) => now - d.at <= spec.periodMs && d.slowStart !== true).length
}

/**
 * Global intensity (OTP escalation): when a large share of all workers died
 * within the period, the cause is ours or the host's, not the BMCs'; the
 * supervisor emits `escalate` and serve closes and exits non-zero
 * (cli/serve.ts EXIT_ESCALATED) so that systemd or k8s restarts it.
 */
export function shouldEscalate(recentDeathsByNode: ReadonlyMap<string, number>, totalNodes: number, share = 0.5, minNodes = 4): boolean {
  if (totalNodes < minNodes) return false
  let crashing = 0
  for (const n of recentDeathsByNode.values()) if (n >= 2) crashing++
  return crashing / totalNodes >= share
}

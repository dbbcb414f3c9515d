/**
 * Request rates for expensive operations, per token: a token bucket that
 * holds `burst` requests and refills at `perSecond`. Routes opt in with
 * `config: { expensive: true }` (ranges, sensors, health, inventory,
 * events, console reopen); the console socket's reopen message takes from
 * the same bucket. An empty bucket is RATE_LIMITED (429, retryable) with
 * Retry-After in whole seconds.
 */
import { ServiceError } from '../errors.js'

export interface RateLimit {
  /** Sustained rate, requests per second. */
  perSecond: number
  /** Requests allowed at once after a quiet period. */
  burst: number
}

export const DEFAULT_EXPENSIVE_RATE: RateLimit = { perSecond: 10, burst: 50 }
/** Past this many tokens tracked, full buckets are forgotten (a full bucket is the same as none). */
const FORGET_FULL_ABOVE = 1000

interface Bucket {
  level: number
  at: number
}

export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>()

  constructor(private readonly limit: RateLimit = DEFAULT_EXPENSIVE_RATE, private readonly now: () => number = Date.now) {
    const bad = (field: string, message: string) => new ServiceError('VALIDATION_FAILED', message, { details: { field } })
    if (!(limit.perSecond > 0) || !Number.isFinite(limit.perSecond)) throw bad('rate-per-token', 'the rate per token must be a positive number of requests per second')
    if (!Number.isInteger(limit.burst) || limit.burst < 1) throw bad('rate-burst', 'the burst must be a whole number of requests, at least 1')
  }

  /** Takes one request from `key`'s bucket; RATE_LIMITED when it is empty. */
  take(key: string): void {
    const t = this.now()
    const b = this.buckets.get(key) ?? { level: this.limit.burst, at: t }
    b.level = Math.min(this.limit.burst, b.level + ((t - b.at) / 1000) * this.limit.perSecond)
    b.at = t
    if (b.level < 1) {
      const retryAfterS = Math.ceil((1 - b.level) / this.limit.perSecond)
      throw new ServiceError('RATE_LIMITED', `too many expensive requests from this token (at most ${this.limit.perSecond}/s, bursts of ${this.limit.burst}); retry in ${retryAfterS} s`, {
        details: { retryAfterSeconds: retryAfterS },
      })
    }
    b.level -= 1
    this.buckets.set(key, b)
    if (this.buckets.size > FORGET_FULL_ABOVE) this.forgetFull(t)
  }

  private forgetFull(t: number): void {
    for (const [k, b] of this.buckets) if (b.level + ((t - b.at) / 1000) * this.limit.perSecond >= this.limit.burst) this.buckets.delete(k)
  }
}

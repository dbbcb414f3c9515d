/**
 * A counting semaphore: at most `limit` holders, the rest wait in arrival
 * order. BMCs run out of sessions and threads long before a client does, so
 * every Redfish request of one BMC takes a slot (client.ts).
 */
export class Semaphore {
  private held = 0
  private readonly waiting: (() => void)[] = []

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`semaphore limit must be a positive integer, got ${limit}`)
  }

  get inUse(): number {
    return this.held
  }

  async run<T>(f: () => Promise<T>): Promise<T> {
    if (this.held >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve))
    else this.held++
    try {
      return await f()
    } finally {
      // Hand the slot straight to the next waiter, so `held` never dips and lets a newcomer jump the queue.
      const next = this.waiting.shift()
      if (next !== undefined) next()
      else this.held--
    }
  }
}

/**
 * A bounded, staggered per-node poller for facts that arrive in no event
 * (host power state, sensor readings). Each node is polled once per interval
 * at a phase taken from a hash of its name, so a fleet's polls spread over the
 * interval instead of landing together; at most `concurrency` polls run at
 * once, and a node is never polled twice at the same time.
 *
 * Owns one unref'd tick timer (start/stop). A poll's errors are the caller's:
 * `poll` should catch and record them; a rejection is swallowed here.
 */

export interface PollerOptions {
  intervalMs: number
  concurrency: number
  poll: (node: string) => Promise<void>
  /** A node that is not eligible when due is skipped for one interval (its BMC is down). */
  eligible: (node: string) => boolean
  now?: () => number
}

/** FNV-1a of the name, for a stable phase per node. */
export function phaseOf(node: string, spanMs: number): number {
  let h = 0x811c9dc5
  for (let i = 0; i < node.length; i++) h = Math.imul(h ^ node.charCodeAt(i), 0x01000193) >>> 0
  return spanMs <= 0 ? 0 : h % spanMs
}

export class Poller {
  private readonly due = new Map<string, number>()
  private readonly inflight = new Set<string>()
  private timer: NodeJS.Timeout | undefined
  private readonly now: () => number
  /** Polls started, for tests and the note's numbers. */
  started = 0

  constructor(private readonly o: PollerOptions) {
    this.now = o.now ?? (() => performance.now())
  }

  add(node: string): void {
    if (!this.due.has(node)) this.due.set(node, this.now() + phaseOf(node, this.o.intervalMs))
  }

  remove(node: string): void {
    this.due.delete(node)
  }

  /** Poll this node soon (its BMC just came up), still staggered over a few seconds. */
  soon(node: string): void {
    if (!this.due.has(node)) return
    const at = this.now() + phaseOf(node, Math.min(this.o.intervalMs, 3000))
    if (at < (this.due.get(node) ?? Infinity)) this.due.set(node, at)
  }

  start(): void {
    if (this.timer !== undefined) return
    const tickMs = Math.max(50, Math.min(1000, Math.floor(this.o.intervalMs / 4)))
    this.timer = setInterval(() => this.tick(), tickMs)
    this.timer.unref()
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = undefined
  }

  /** Starts the polls that are due, oldest first, within the concurrency bound. */
  tick(): void {
    const now = this.now()
    const due = [...this.due].filter(([n, at]) => at <= now && !this.inflight.has(n)).sort((a, b) => a[1] - b[1])
    for (const [node, at] of due) {
      // Keep the node's phase: the next poll is one interval after this one was due (never in the past).
      const next = Math.max(at + this.o.intervalMs, now + 1)
      if (!this.o.eligible(node)) {
        this.due.set(node, next)
        continue
      }
      if (this.inflight.size >= this.o.concurrency) break
      this.due.set(node, next)
      this.inflight.add(node)
      this.started++
      void this.o.poll(node).catch(() => undefined).finally(() => this.inflight.delete(node))
    }
  }
}

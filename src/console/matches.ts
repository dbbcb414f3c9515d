/**
 * Console watch matches in the main thread: each node's most recent matches
 * (a bounded ring, newest first when read) and the fleet's feed of new ones.
 * The matching itself runs in each node's worker (bridge/watch.ts, fed by
 * workers/bmc-agent.ts); this keeps what it reported for the REST routes
 * (GET nodes/{node}/console/matches and console/matches/stream).
 *
 * Owns the rings and the subscribers; a node's ring goes with the node
 * (forget). A subscriber that throws is dropped, never the feed.
 */
import type { ConsoleMatch } from '../bridge/messages.js'

/** Matches kept per node (the REST list's longest answer). */
export const MATCHES_PER_NODE = 100

/** One match as the API shows it. */
export interface MatchEvent {
  node: string
  pattern: string
  severity: ConsoleMatch['severity']
  line: string
  truncated: boolean
  /** ISO 8601, when the worker saw the line end. */
  at: string
  /** Matching lines this event stands for: 1, or more when the worker folded a flood (line and at are the last one's). */
  count: number
}

/** The part of the Supervisor this reads ('console:match' events). */
export interface MatchSource {
  on(event: 'console:match', listener: (node: string, match: ConsoleMatch) => void): unknown
  off(event: 'console:match', listener: (node: string, match: ConsoleMatch) => void): unknown
}

/** A fixed-size ring: push overwrites the oldest once full. */
class Ring<T> {
  private readonly items: (T | undefined)[]
  private next = 0
  private size = 0

  constructor(private readonly capacity: number) {
    this.items = new Array<T | undefined>(capacity)
  }

  push(x: T): void {
    this.items[this.next] = x
    this.next = (this.next + 1) % this.capacity
    this.size = Math.min(this.capacity, this.size + 1)
  }

  /** Newest first, at most `limit`. */
  newest(limit: number): T[] {
    const out: T[] = []
    for (let i = 1; i <= Math.min(limit, this.size); i++) out.push(this.items[(this.next - i + this.capacity) % this.capacity]!)
    return out
  }
}

export class ConsoleMatches {
  private readonly rings = new Map<string, Ring<MatchEvent>>()
  private readonly subscribers = new Set<(e: MatchEvent) => void>()

  constructor(private readonly perNode = MATCHES_PER_NODE) {
    if (!Number.isInteger(perNode) || perNode < 1) throw new RangeError(`matches per node must be a positive integer, not ${perNode}`)
  }

  /** Records the source's matches until the returned function is called. */
  subscribe(source: MatchSource): () => void {
    const on = (node: string, m: ConsoleMatch) => this.record(node, m)
    source.on('console:match', on)
    return () => source.off('console:match', on)
  }

  record(node: string, m: Pick<ConsoleMatch, 'pattern' | 'severity' | 'line' | 'truncated' | 'at' | 'count'>): MatchEvent {
    const e: MatchEvent = { node, pattern: m.pattern, severity: m.severity, line: m.line, truncated: m.truncated, at: new Date(m.at).toISOString(), count: m.count }
    let ring = this.rings.get(node)
    if (ring === undefined) {
      ring = new Ring(this.perNode)
      this.rings.set(node, ring)
    }
    ring.push(e)
    for (const s of [...this.subscribers]) {
      try {
        s(e)
      } catch {
        this.subscribers.delete(s)
      }
    }
    return e
  }

  /** The node's matches, newest first. */
  recent(node: string, limit = this.perNode): MatchEvent[] {
    return this.rings.get(node)?.newest(limit) ?? []
  }

  /** Every new match of the fleet, until the returned function is called. */
  watch(fn: (e: MatchEvent) => void): () => void {
    this.subscribers.add(fn)
    return () => this.subscribers.delete(fn)
  }

  get watchers(): number {
    return this.subscribers.size
  }

  /** The node left the fleet: its matches go with it. */
  forget(node: string): void {
    this.rings.delete(node)
  }
}

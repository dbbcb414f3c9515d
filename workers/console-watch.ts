/**
 * The worker's console watch: every live console byte goes through the
 * node's LineWatcher (src/bridge/watch.ts), and each line that matches a
 * pattern becomes a ConsoleMatch for the main thread (the metric, the recent
 * matches, the fleet stream). The line is cut to MATCH_LINE_CHARS; the time
 * is when the line's end arrived.
 *
 * A flood is bounded: per pattern, at most MATCH_EVENTS_PER_SECOND messages
 * in a second go out at once; the matching lines after that are counted and
 * go out as one message (the last line, `count` lines) when flush() is
 * called (the agent calls it with every heartbeat) or with the next match
 * in a new second.
 */
import { MATCH_EVENTS_PER_SECOND, MATCH_LINE_CHARS, type ConsoleMatch } from '../src/bridge/messages.js'
import { LineWatcher, type WatchHit, type WatchPattern } from '../src/bridge/watch.js'

const WINDOW_MS = 1000

interface Budget {
  windowStart: number
  sent: number
  /** The folded matches of this window: the last one, and how many lines. */
  held: ConsoleMatch | undefined
}

export class ConsoleWatch {
  private watcher: LineWatcher | undefined
  private key = '[]'
  private readonly budgets = new Map<string, Budget>()

  constructor(private readonly bmc: string, private readonly post: (m: ConsoleMatch) => void, private readonly clock: () => number = Date.now) {}

  /**
   * Matches with these patterns from now on. The same list keeps its matcher
   * (and the line it is in the middle of); a new one starts afresh (what was
   * held back goes out first).
   */
  set(patterns: readonly WatchPattern[]): void {
    const key = JSON.stringify(patterns)
    if (key === this.key) return
    this.flush()
    this.key = key
    this.watcher = patterns.length === 0 ? undefined : new LineWatcher(patterns, (h) => this.matched(h))
  }

  /** Names of the patterns in use, in order. */
  get patterns(): string[] {
    return (JSON.parse(this.key) as WatchPattern[]).map((p) => p.name)
  }

  data(bytes: Uint8Array): void {
    this.watcher?.data(bytes)
  }

  /** Sends the matches held back (one message per pattern), and opens a new window for any pattern whose window is over. */
  flush(): void {
    const now = this.clock()
    for (const [name, b] of this.budgets) {
      if (b.held !== undefined) {
        this.post(b.held)
        b.held = undefined
      }
      if (now - b.windowStart >= WINDOW_MS) this.budgets.delete(name)
    }
  }

  private matched(h: WatchHit): void {
    const at = this.clock()
    const truncated = h.line.length > MATCH_LINE_CHARS
    const m: ConsoleMatch = {
      type: 'console-match', bmc: this.bmc, pattern: h.pattern, severity: h.severity,
      line: truncated ? h.line.slice(0, MATCH_LINE_CHARS) : h.line, truncated, at, count: 1,
    }
    let b = this.budgets.get(h.pattern)
    if (b !== undefined && at - b.windowStart >= WINDOW_MS) {
      if (b.held !== undefined) this.post(b.held)
      b = undefined
    }
    if (b === undefined) {
      b = { windowStart: at, sent: 0, held: undefined }
      this.budgets.set(h.pattern, b)
    }
    if (b.sent < MATCH_EVENTS_PER_SECOND) {
      b.sent++
      this.post(m)
      return
    }
    b.held = { ...m, count: (b.held?.count ?? 0) + 1 }
  }
}

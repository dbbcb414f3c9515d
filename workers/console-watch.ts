/**
 * The worker's console watch: every live console byte goes through the
 * node's LineWatcher (src/bridge/watch.ts), and each line that matches a
 * pattern becomes a ConsoleMatch for the main thread (the metric, the recent
 * matches, the fleet stream). The line is cut to MATCH_LINE_CHARS; the time
 * is when the line's end arrived.
 */
import { MATCH_LINE_CHARS, type ConsoleMatch } from '../src/bridge/messages.js'
import { LineWatcher, type WatchHit, type WatchPattern } from '../src/bridge/watch.js'

export class ConsoleWatch {
  private watcher: LineWatcher | undefined
  private key = '[]'

  constructor(private readonly bmc: string, private readonly post: (m: ConsoleMatch) => void, private readonly clock: () => number = Date.now) {}

  /**
   * Matches with these patterns from now on. The same list keeps its matcher
   * (and the line it is in the middle of); a new one starts afresh.
   */
  set(patterns: readonly WatchPattern[]): void {
    const key = JSON.stringify(patterns)
    if (key === this.key) return
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

  private matched(h: WatchHit): void {
    const truncated = h.line.length > MATCH_LINE_CHARS
    this.post({
      type: 'console-match', bmc: this.bmc, pattern: h.pattern, severity: h.severity,
      line: truncated ? h.line.slice(0, MATCH_LINE_CHARS) : h.line, truncated, at: this.clock(),
    })
  }
}

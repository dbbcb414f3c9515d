/**
 * Console watch patterns: the default list (kernel panic, Call Trace,
 * machine-check errors, out-of-memory kills, hung tasks), overrides that add
 * or disable patterns by name, and the line matcher a node's worker runs on
 * its live console output. The matcher splits the byte stream into lines
 * across chunks, bounds a line's length, strips ANSI escape sequences and
 * carriage returns, and tests each line once against one combined regular
 * expression; only a line that matches is tested pattern by pattern.
 */
import { checkRegExp, ServiceError } from '../errors.js'

export const WATCH_SEVERITIES = ['critical', 'warning', 'info'] as const
export type WatchSeverity = (typeof WATCH_SEVERITIES)[number]

export interface WatchPattern {
  /** Stable name: the `pattern` label of bmcvisor_console_matches_total. */
  name: string
  /** A JavaScript regular expression source, matched against one cleaned line. */
  regex: string
  severity: WatchSeverity
}

/** A pattern's name: lower case letters, digits and "_", 1 to 32 characters (a bounded metric label). */
export const WATCH_NAME_PATTERN = '^[a-z][a-z0-9_]{0,31}$'
const WATCH_NAME = new RegExp(WATCH_NAME_PATTERN)
/** At most this many patterns per node, defaults included (label cardinality and matching cost). */
export const MAX_WATCH_PATTERNS = 32
/** Longest regular expression source accepted. */
export const MAX_WATCH_REGEX_LENGTH = 1024
/** Characters of a line kept for matching; the rest of a longer line is dropped up to its end. */
export const MAX_WATCH_LINE = 1024

/** The defaults, each matching the kernel's own message text. */
export const DEFAULT_WATCH_PATTERNS: readonly WatchPattern[] = [
  { name: 'panic', regex: 'Kernel panic - not syncing', severity: 'critical' },
  { name: 'call_trace', regex: 'Call Trace:', severity: 'warning' },
  { name: 'mce', regex: 'Machine check events logged|\\[Hardware Error\\]|\\bmce: ', severity: 'critical' },
  { name: 'oom', regex: 'Out of memory: Killed process|\\boom-kill:', severity: 'warning' },
  { name: 'hung_task', regex: 'blocked for more than \\d+ seconds', severity: 'warning' },
]

/** What a service, a group or a node changes: patterns added (or replaced, by name) and names disabled. */
export interface WatchOverride {
  add?: readonly WatchPattern[] | undefined
  disable?: readonly string[] | undefined
}

/** An override as written by a client or read from the store, before checkWatchOverride. */
export interface WatchOverrideInput {
  add?: readonly { name: string; regex: string; severity: string }[] | undefined
  disable?: readonly string[] | undefined
}

/** The override, checked; a bad pattern: VALIDATION_FAILED naming the field (e.g. body.console.watch.add[0].regex). */
export function checkWatchOverride(o: WatchOverrideInput, field: string): WatchOverride {
  const bad = (f: string, why: string) => new ServiceError('VALIDATION_FAILED', `${f} ${why}`, { details: { field: f } })
  for (const [i, p] of (o.add ?? []).entries()) {
    if (!WATCH_NAME.test(p.name)) throw bad(`${field}.add[${i}].name`, `must match ${WATCH_NAME_PATTERN}`)
    if (!(WATCH_SEVERITIES as readonly string[]).includes(p.severity)) throw bad(`${field}.add[${i}].severity`, `must be one of ${WATCH_SEVERITIES.join(', ')}`)
    if (p.regex.length === 0 || p.regex.length > MAX_WATCH_REGEX_LENGTH) throw bad(`${field}.add[${i}].regex`, `must be 1 to ${MAX_WATCH_REGEX_LENGTH} characters`)
    checkRegExp(p.regex, `${field}.add[${i}].regex`)
  }
  for (const [i, n] of (o.disable ?? []).entries()) {
    if (!WATCH_NAME.test(n)) throw bad(`${field}.disable[${i}]`, `must match ${WATCH_NAME_PATTERN}`)
  }
  return o as WatchOverride
}

/** The defaults with each override applied in order (service, then groups, then the node). */
export function resolveWatch(overrides: readonly (WatchOverride | undefined)[]): WatchPattern[] {
  const out = new Map(DEFAULT_WATCH_PATTERNS.map((p) => [p.name, p]))
  for (const o of overrides) {
    if (o === undefined) continue
    for (const n of o.disable ?? []) out.delete(n)
    for (const p of o.add ?? []) out.set(p.name, { name: p.name, regex: p.regex, severity: p.severity })
  }
  if (out.size > MAX_WATCH_PATTERNS) {
    throw new ServiceError('VALIDATION_FAILED', `at most ${MAX_WATCH_PATTERNS} console watch patterns per node`, { details: { field: 'console.watch' } })
  }
  return [...out.values()]
}

export interface WatchHit {
  pattern: string
  severity: WatchSeverity
  line: string
}

/** CSI and OSC sequences, other two-byte escapes, and carriage returns: removed before matching. */
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]|\r/g
const NEWLINE = 0x0a

/** Splits console bytes into lines and reports the lines that match a pattern. */
export class LineWatcher {
  private readonly each: { p: WatchPattern; re: RegExp }[]
  private readonly any: RegExp | undefined
  /** The current line's bytes so far, bounded; reused for every line. */
  private readonly buf = new Uint8Array(MAX_WATCH_LINE)
  private len = 0
  private readonly decoder = new TextDecoder('utf-8', { fatal: false })

  constructor(patterns: readonly WatchPattern[], private readonly hit: (h: WatchHit) => void) {
    this.each = patterns.map((p) => ({ p, re: new RegExp(p.regex) }))
    this.any = patterns.length > 0 ? new RegExp(patterns.map((p) => `(?:${p.regex})`).join('|')) : undefined
  }

  data(bytes: Uint8Array): void {
    if (this.any === undefined) return
    let start = 0
    for (;;) {
      const nl = bytes.indexOf(NEWLINE, start)
      const end = nl < 0 ? bytes.length : nl
      const take = Math.min(end - start, MAX_WATCH_LINE - this.len)
      if (take > 0) {
        this.buf.set(bytes.subarray(start, start + take), this.len)
        this.len += take
      }
      if (nl < 0) return
      this.line()
      start = nl + 1
    }
  }

  private line(): void {
    const text = this.decoder.decode(this.buf.subarray(0, this.len)).replace(ANSI, '')
    this.len = 0
    if (this.any === undefined || !this.any.test(text)) return
    for (const { p, re } of this.each) {
      if (re.test(text)) this.hit({ pattern: p.name, severity: p.severity, line: text })
    }
  }
}

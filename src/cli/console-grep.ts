/**
 * `bmcvisor console-grep RANGE REGEX [--since 2h] [--until T] [-C N] [--limit N] [-i] [--json | --ndjson]`
 * against a running server: GET /noderange/{RANGE}/console/log (docs/api.md
 * "Console log search"). Readable output is grep-like, one line per match,
 * `node time text`, context lines with `-` for the time and `--` between
 * groups; node and match coloured on a terminal unless NO_COLOR. `--ndjson`
 * passes the server's lines on as they arrive, `--json` prints one object
 * `{ matches, summary }`. Exit status as grep's: 0 when something matched,
 * 1 when nothing did, 2 on an error (also when the summary lists errors:
 * a node that does not exist, a file that could not be read).
 */
import { parseArgs } from 'node:util'
import { ServiceError } from '../errors.js'
import type { SearchLine } from '../api/routes/console-search.js'
import { clientFromEnv, seg, type ApiClient } from './client.js'
import { CONSOLE_GREP_OPTIONS } from './commands.js'
import { reportError } from './errors-out.js'
import { useColour, type OpIo } from './op-command.js'

export const CONSOLE_GREP_USAGE = `usage: bmcvisor console-grep RANGE REGEX [options]   search the console logs of RANGE (current and rotated files)
  --since T      lines at or after T: ISO time (2026-01-31T12:00:00Z) or that long ago (30m, 2h, 1d)
  --until T      lines at or before T (same forms)
  -C, --context N  N lines of context around each match (0-20)
  --limit N      at most N matches (default 1000)
  -i             ignore case
  --json         one JSON object { matches, summary }
  --ndjson       the server's lines as they arrive: one per match, then the summary
  RANGE: n1  n1,n2  n[01-40]  @group    REGEX: a JavaScript regular expression, one line at a time
  exit: 0 matches, 1 none, 2 error`


/** grep's exit statuses. */
export const GREP_EXIT = { matched: 0, none: 1, error: 2 } as const
const SGR = { node: '\x1b[35m', match: '\x1b[1;31m', reset: '\x1b[0m' } as const
/** The time column of a context line or a line of unknown time. */
const NO_TIME = '-'.padEnd('2026-01-01T00:00:00.000Z'.length)

type Match = Extract<SearchLine, { type: 'match' }>
type Summary = Extract<SearchLine, { type: 'summary' }>

function integer(value: string | undefined, field: string): number | undefined {
  if (value === undefined) return undefined
  if (!/^\d{1,9}$/.test(value)) throw new ServiceError('VALIDATION_FAILED', `--${field} must be a whole number, not ${value}`, { details: { field } })
  return Number(value)
}

/** The query string of a search. */
export function searchQuery(pattern: string, o: { since?: string | undefined; until?: string | undefined; context?: number | undefined; limit?: number | undefined; ignoreCase?: boolean }): string {
  const q = new URLSearchParams({ grep: pattern })
  if (o.ignoreCase === true) q.set('flags', 'i')
  if (o.since !== undefined) q.set('since', o.since)
  if (o.until !== undefined) q.set('until', o.until)
  if (o.context !== undefined) q.set('context', String(o.context))
  if (o.limit !== undefined) q.set('limit', String(o.limit))
  return q.toString()
}

export async function consoleGrepCommand(argv: string[], io: OpIo, client?: ApiClient): Promise<number> {
  try {
    const { values: o, positionals: [range, pattern, ...extra] } = parseArgs({ args: argv, options: CONSOLE_GREP_OPTIONS, allowPositionals: true, strict: true })
    if (o.help === true) {
      io.stdout.write(CONSOLE_GREP_USAGE + '\n')
      return 0
    }
    if (range === undefined || pattern === undefined || extra.length > 0) throw new ServiceError('VALIDATION_FAILED', `console-grep takes RANGE and REGEX\n${CONSOLE_GREP_USAGE}`, { details: { field: 'args' } })
    if (o.json === true && o.ndjson === true) throw new ServiceError('VALIDATION_FAILED', '--json and --ndjson exclude each other', { details: { field: 'ndjson' } })
    const context = integer(o.context, 'context')
    const query = searchQuery(pattern, { since: o.since, until: o.until, context, limit: integer(o.limit, 'limit'), ignoreCase: o['ignore-case'] === true })
    const c = client ?? clientFromEnv(io.env)
    const matches: Match[] = []
    let summary: Summary | undefined
    const colour = useColour(io.stdout, io.env)
    const highlight = colour ? highlighter(pattern, o['ignore-case'] === true) : undefined
    let count = 0
    for await (const raw of c.stream('GET', `/noderange/${seg(range)}/console/log?${query}`)) {
      const line = raw as SearchLine
      if (o.ndjson === true) io.stdout.write(JSON.stringify(line) + '\n')
      if (line.type === 'summary') {
        summary = line
        continue
      }
      if (o.json === true) matches.push(line)
      else if (o.ndjson !== true) {
        if ((context ?? 0) > 0 && count > 0) io.stdout.write('--\n')
        io.stdout.write(readable(line, colour, highlight))
      }
      count++
    }
    if (summary === undefined) throw new ServiceError('INTERNAL', 'the search ended without its summary (the server stopped?)')
    if (o.json === true) io.stdout.write(JSON.stringify({ matches, summary }, null, 2) + '\n')
    if (o.json !== true && o.ndjson !== true) {
      for (const e of summary.errors) io.stderr.write(`bmcvisor: ${e.code}: ${[e.member !== undefined ? `member ${e.member}` : undefined, e.node, e.file].filter((x) => x !== undefined).join(' ')}: ${e.message}\n`)
      if (summary.truncated) io.stderr.write(`bmcvisor: ${summary.matches} matches shown; there are more (--limit)\n`)
    }
    if (summary.errors.length > 0) return GREP_EXIT.error
    return summary.matches > 0 ? GREP_EXIT.matched : GREP_EXIT.none
  } catch (e) {
    reportError(e, io.stderr)
    return GREP_EXIT.error
  }
}

/** The pattern for colouring matches; none when JavaScript here cannot compile it (the server judges the pattern). */
function highlighter(pattern: string, ignoreCase: boolean): RegExp | undefined {
  try {
    return new RegExp(pattern, ignoreCase ? 'gi' : 'g')
  } catch {
    return undefined
  }
}

function readable(m: Match, colour: boolean, highlight: RegExp | undefined): string {
  const node = colour ? `${SGR.node}${m.node}${SGR.reset}` : m.node
  const text = highlight === undefined ? m.text : m.text.replace(highlight, (s) => `${SGR.match}${s}${SGR.reset}`)
  const ctx = (l: string) => `${node} ${NO_TIME} ${l}\n`
  return [...m.before.map(ctx), `${node} ${m.time ?? NO_TIME} ${text}\n`, ...m.after.map(ctx)].join('')
}

/**
 * Noderange expressions (confluent's syntax, the useful core of it):
 *   n1,n2          a list (terms joined by commas, outside brackets)
 *   n[01-40]       a bracket range; zero padding follows the bounds when both
 *                  have the same width (n[01-40] -> n01..n40, n[1-10] -> n1..n10)
 *   r[1-2]n[1,3-4] several brackets and lists inside one: the product
 *   @rack1         every node of a group
 * Pure: groups are resolved through a callback. Names come back unique, in
 * natural order (n2 before n10). Anything malformed or too large is a
 * VALIDATION_FAILED naming the field `expr`.
 */
import { NODE_NAME } from '../bridge/messages.js'
import { ServiceError } from '../errors.js'

export const MAX_RANGE_NODES = 10_000
/** The longest expression, in characters after percent-decoding (docs/api.md). */
export const MAX_EXPR_CHARS = 4096
/**
 * The router's limit on a raw URL parameter: the expression with every
 * character percent-encoded (three bytes each), so that no expression within
 * MAX_EXPR_CHARS is cut by the router before expandNoderange judges it.
 */
export const MAX_EXPR_PARAM_BYTES = 3 * MAX_EXPR_CHARS
const NAME = NODE_NAME

function invalid(message: string): ServiceError {
  return new ServiceError('VALIDATION_FAILED', `noderange: ${message}`, { details: { field: 'expr' } })
}

/** Splits on commas that are not inside brackets. */
function splitTerms(expr: string): string[] {
  const out: string[] = []
  let depth = 0
  let cur = ''
  for (const ch of expr) {
    if (ch === '[') depth++
    else if (ch === ']') depth--
    if (depth < 0 || depth > 1) throw invalid('unbalanced or nested brackets')
    if (ch === ',' && depth === 0) {
      out.push(cur)
      cur = ''
    } else cur += ch
  }
  if (depth !== 0) throw invalid('unbalanced brackets')
  out.push(cur)
  return out
}

/** The values of one bracket body: "01-40", "1,3,5-7". */
function bracketValues(body: string): string[] {
  const values: string[] = []
  for (const part of body.split(',')) {
    const m = /^(\d{1,9})(?:-(\d{1,9}))?$/.exec(part)
    if (m === null) throw invalid(`bad bracket item "${part}" (use [01-40] or [1,3,5-7])`)
    const a = m[1]!
    const b = m[2] ?? a
    const from = Number(a)
    const to = Number(b)
    if (to < from) throw invalid(`range ${a}-${b} runs backwards`)
    if (to - from + 1 > MAX_RANGE_NODES) throw invalid(`range ${a}-${b} is larger than ${MAX_RANGE_NODES}`)
    const width = a.length === b.length ? a.length : 0
    for (let i = from; i <= to; i++) values.push(String(i).padStart(width, '0'))
  }
  return values
}

function expandPattern(term: string): string[] {
  let names = ['']
  const re = /\[([^\]]*)\]|([^[\]]+)/g
  let m: RegExpExecArray | null
  while ((m = re.exec(term)) !== null) {
    const parts = m[1] !== undefined ? bracketValues(m[1]) : [m[2]!]
    if (names.length * parts.length > MAX_RANGE_NODES) throw invalid(`expands to more than ${MAX_RANGE_NODES} nodes`)
    names = names.flatMap((n) => parts.map((p) => n + p))
  }
  for (const n of names) if (!NAME.test(n)) throw invalid(`"${n}" is not a node name`)
  return names
}

const DIGIT_RUNS = /(\d+)/

/** Natural order: digit runs compare as numbers. */
export function naturalCompare(a: string, b: string): number {
  return comparePartsNaturally(a.split(DIGIT_RUNS), b.split(DIGIT_RUNS))
}

/** Names split on their digit runs (odd places hold digits), compared in natural order. */
function comparePartsNaturally(ra: string[], rb: string[]): number {
  for (let i = 0; i < Math.min(ra.length, rb.length); i++) {
    const x = ra[i]!
    const y = rb[i]!
    if (x === y) continue
    if (i % 2 === 1) {
      const d = Number(x) - Number(y)
      if (d !== 0) return d
      return x.length - y.length
    }
    return x < y ? -1 : 1
  }
  return ra.length - rb.length
}

/**
 * Expands an expression to node names. `group` returns a group's members
 * (empty when unknown): an empty group is NOT_FOUND, since no node can carry
 * its error.
 */
export function expandNoderange(expr: string, group: (name: string) => string[]): string[] {
  if (expr.length === 0 || expr.length > MAX_EXPR_CHARS) throw invalid(`must be 1 to ${MAX_EXPR_CHARS} characters`)
  const seen = new Set<string>()
  for (const raw of splitTerms(expr)) {
    const term = raw.trim()
    if (term === '') throw invalid('empty term')
    const names = term.startsWith('@') ? groupMembers(term.slice(1), group) : expandPattern(term)
    for (const n of names) seen.add(n)
    if (seen.size > MAX_RANGE_NODES) throw invalid(`expands to more than ${MAX_RANGE_NODES} nodes`)
  }
  return naturalSort(seen)
}

/** Names in natural order, each split into its digit runs once (not once per comparison). */
function naturalSort(names: Iterable<string>): string[] {
  const keyed = [...names].map((n) => ({ n, parts: n.split(DIGIT_RUNS) }))
  keyed.sort((a, b) => comparePartsNaturally(a.parts, b.parts))
  return keyed.map((k) => k.n)
}

function groupMembers(name: string, group: (name: string) => string[]): string[] {
  if (!NAME.test(name)) throw invalid(`"@${name}" is not a group name`)
  const members = group(name)
  if (members.length === 0) throw new ServiceError('NOT_FOUND', `no nodes in group ${name}`, { details: { group: name } })
  return members
}

/** What a noderange needs from the store: its node names and a group's members. */
export interface NoderangeSource {
  names(): Promise<string[]>
  inGroup(group: string): Promise<string[]>
}

/**
 * Expands `expr` against the store as it is now: the names it gives (as
 * expandNoderange) and the set of names that are nodes. A first pass over
 * the expression only collects the groups it names, so only those are read.
 */
export async function resolveNoderange(expr: string, store: NoderangeSource): Promise<{ names: string[]; known: Set<string> }> {
  const named = new Set<string>()
  const plain = expandNoderange(expr, (g) => (named.add(g), [g]))
  if (named.size === 0) return { names: plain, known: new Set(await store.names()) }
  const [known, ...members] = await Promise.all([store.names(), ...[...named].map((g) => store.inGroup(g))])
  const byGroup = new Map([...named].map((g, i) => [g, members[i]!]))
  return { names: expandNoderange(expr, (g) => byGroup.get(g) ?? []), known: new Set(known) }
}

/**
 * The console log search in a cluster (docs/cluster.md, "Forwarding"). A
 * node's log lives on every member that ran its console (a move starts a new
 * part on the new owner), so the member the caller reached searches its own
 * disk and asks every other live member for the same search of theirs
 * (Forwarder.send, `share` set: they do not audit it; one hop: they search
 * only their own disk), then merges:
 * - nodes in the order of the range, as alone;
 * - each node's matches member by member, each member's run of them in the
 *   order it sent them (its files oldest first), the runs ordered by the time
 *   of their first line, so a node's earlier part comes before its later one;
 * - every match line also names the member whose disk holds it (`member`);
 * - the limit applies to the merged answer: each member sends at most the
 *   limit, and a member's share of the first `limit` merged matches is always
 *   a prefix of what it sent, so nothing the answer needs is missing;
 * - a member that cannot be reached, or answers with an error, is one entry
 *   of the summary's errors (with `member`, no node), the rest still answered.
 * Unlike a search alone, the answer is sent once every member has answered.
 */
import type { FastifyRequest } from 'fastify'
import { toWire } from '../errors.js'
import type { Forwarder, ForwardMember } from '../cluster/forward.js'
import { NDJSON, type SearchError, type SearchLine } from './routes/console-search.js'

type Match = Extract<SearchLine, { type: 'match' }>
type Summary = Extract<SearchLine, { type: 'summary' }>
/** One member's answer: its matches and summary, or why there is none. */
type MemberAnswer = { member: string; matches: Match[]; summary: Summary } | { member: string; error: SearchError }

/** Every line of a local search, parsed (the local search yields NDJSON text). */
async function collect(member: string, lines: AsyncIterable<string> | Iterable<string>): Promise<MemberAnswer> {
  const matches: Match[] = []
  let summary: Summary | undefined
  for await (const text of lines) {
    const l = JSON.parse(text) as SearchLine
    if (l.type === 'match') matches.push(l)
    else summary = l
  }
  if (summary === undefined) return { member, error: { member, code: 'INTERNAL', message: 'the local search ended without a summary' } }
  return { member, matches, summary }
}

async function ask(forwarder: Forwarder, request: FastifyRequest, m: ForwardMember): Promise<MemberAnswer> {
  try {
    const r = await forwarder.send(m, request.principal, 'GET', request.url, undefined, true, NDJSON)
    if (r.kind === 'failed') return { member: m.id, error: { member: m.id, ...wire(r.error) } }
    const text = await r.response.text()
    if (r.status !== 200) {
      const e = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error
      return { member: m.id, error: { member: m.id, code: e?.code ?? 'INTERNAL', message: e?.message ?? `HTTP ${r.status}` } }
    }
    return await collect(m.id, text.split('\n').filter((l) => l !== ''))
  } catch (e) {
    return { member: m.id, error: { member: m.id, ...wire(e) } }
  }
}

function wire(e: unknown): { code: string; message: string } {
  const w = toWire(e)
  return { code: w.code, message: w.message }
}

/**
 * The merged answer's lines. `local` is this member's own search (its audit
 * is the caller's), `names` the range in its order, `limit` the request's.
 */
export async function* searchAnywhere(forwarder: Forwarder, request: FastifyRequest, others: readonly ForwardMember[], self: string,
  local: AsyncIterable<string>, names: readonly string[], limit: number, audit: (outcome: string, detail: Record<string, unknown>) => void): AsyncGenerator<string> {
  const answers = await Promise.all([collect(self, local), ...others.map((m) => ask(forwarder, request, m))])
  const errors: SearchError[] = []
  let truncated = false
  let files = 0
  let bytesScanned = 0
  // Per node, each member's run of matches, in the member's order.
  const runs = new Map<string, { member: string; matches: Match[] }[]>()
  for (const a of answers) {
    if ('error' in a) {
      errors.push(a.error)
      continue
    }
    truncated ||= a.summary.truncated
    files += a.summary.files
    bytesScanned += a.summary.bytesScanned
    // A node unknown to the range is the same on every member: said once, by this one.
    if (a.member === self) errors.push(...a.summary.errors)
    else errors.push(...a.summary.errors.filter((e) => e.code !== 'NODE_NOT_FOUND').map((e) => ({ ...e, member: a.member })))
    for (const m of a.matches) {
      const byMember = runs.get(m.node) ?? []
      const run = byMember.find((r) => r.member === a.member)
      if (run === undefined) byMember.push({ member: a.member, matches: [m] })
      else run.matches.push(m)
      runs.set(m.node, byMember)
    }
  }
  const firstTime = (r: { matches: Match[] }) => r.matches.find((m) => m.time !== null)?.time ?? ''
  let sent = 0
  outer: for (const node of names) {
    const byMember = [...(runs.get(node) ?? [])].sort((a, b) => (firstTime(a) < firstTime(b) ? -1 : firstTime(a) > firstTime(b) ? 1 : 0))
    for (const run of byMember) {
      for (const m of run.matches) {
        if (sent === limit) {
          truncated = true
          break outer
        }
        sent++
        yield JSON.stringify({ ...m, member: run.member }) + '\n'
      }
    }
  }
  const summary: Summary = { type: 'summary', matches: sent, truncated, nodes: names.length, files, bytesScanned, errors }
  audit(`${sent} matches${truncated ? ' (truncated)' : ''}`, { nodes: names.length, bytesScanned, members: answers.length })
  yield JSON.stringify(summary) + '\n'
}

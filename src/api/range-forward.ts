/**
 * A noderange command in a cluster (docs/cluster.md, "Forwarding"): the names
 * are split by owner (the map of Cluster.ownerOf, as GET /api/v1/cluster
 * shows it); this member's nodes run here, every other owner gets its share
 * as signed requests of at most MAX_EXPR_CHARS of names each
 * (Forwarder.send, `share` set: the owner does not audit it, the member the
 * caller reached audits the whole range once), and the results come out in
 * completion order as one stream, as fanOut's do. A node whose owner
 * answered that it moved is asked again of its new owner until the move
 * deadline, then is WORKER_UNAVAILABLE; a share whose owner cannot be
 * reached fails each of its nodes with MEMBER_UNREACHABLE. A share another
 * member forwarded runs here whole (one hop).
 */
import type { FastifyRequest } from 'fastify'
import { fromWire } from '../errors.js'
import { bodyText, forwardClaim, movedCode, moving, pause, RETRY_PAUSE_MS, type Forwarder, type ForwardMember } from '../cluster/forward.js'
import type { ForwardPrincipal } from '../cluster/forward-auth.js'
import { errorResult, type NodeResult } from './fanout.js'
import { MAX_EXPR_CHARS } from './noderange.js'

type Local = (nodes: string[]) => AsyncGenerator<[string, NodeResult]>

export async function* rangeAnywhere(forwarder: Forwarder, request: FastifyRequest, names: readonly string[], local: Local, suffix: string): AsyncGenerator<[string, NodeResult]> {
  const cluster = forwarder.cluster
  if (cluster === undefined || forwardClaim(request) !== undefined) {
    yield* local([...names])
    return
  }
  const deadline = performance.now() + forwarder.moveDeadlineMs
  const body = bodyText(request.body)
  let pending = [...names]
  for (;;) {
    const self = cluster.self()
    const here: string[] = []
    const groups = new Map<string, { owner: ForwardMember; nodes: string[] }>()
    for (const n of pending) {
      const o = cluster.ownerOf(n)
      if (o === undefined || self === undefined || o.id === self.id) here.push(n)
      else {
        const g = groups.get(o.id) ?? { owner: o, nodes: [] }
        g.nodes.push(n)
        groups.set(o.id, g)
      }
    }
    const lastRound = performance.now() + RETRY_PAUSE_MS >= deadline
    const again: string[] = []
    const jobs = [local(here)]
    for (const g of groups.values()) for (const chunk of chunks(g.nodes)) jobs.push(share(forwarder, request.principal, request.method, suffix, body, g.owner, chunk))
    for await (const [node, r] of merge(jobs)) {
      const moved = !r.ok && movedCode(r.error.code, r.error.details)
      if (moved && !lastRound) again.push(node)
      else yield [node, moved ? errorResult(moving(node)) : r]
    }
    if (again.length === 0) return
    pending = again
    await pause(RETRY_PAUSE_MS)
  }
}

/** One owner's share: its results, or its failure for each of its nodes. */
async function* share(forwarder: Forwarder, principal: ForwardPrincipal, method: string, suffix: string, body: string | undefined, owner: ForwardMember, nodes: string[]): AsyncGenerator<[string, NodeResult]> {
  const url = `/api/v1/noderange/${encodeURIComponent(nodes.join(','))}/${suffix}`
  let results: Record<string, NodeResult> | undefined
  let failure: unknown
  try {
    const r = await forwarder.send(owner, principal, method, url, body, true, 'application/json')
    if (r.kind === 'failed') failure = r.error
    else {
      const parsed = (await r.response.json()) as { results?: Record<string, NodeResult>; error?: { code: string; message: string; details?: Record<string, unknown> } }
      if (r.status === 200 && parsed.results !== undefined) results = parsed.results
      else failure = fromWire({ code: parsed.error?.code ?? 'INTERNAL', message: parsed.error?.message ?? `HTTP ${r.status}`, retryable: false, ...(parsed.error?.details !== undefined ? { details: parsed.error.details as never } : {}) })
    }
  } catch (e) {
    failure = e
  }
  // A node the owner did not answer for is treated as moved (asked again).
  for (const n of nodes) yield [n, results?.[n] ?? errorResult(failure ?? moving(n))]
}

/** Names joined by commas, each list within MAX_EXPR_CHARS (a noderange's own limit). */
export function chunks(nodes: readonly string[]): string[][] {
  const out: string[][] = []
  let cur: string[] = []
  let len = 0
  for (const n of nodes) {
    if (cur.length > 0 && len + 1 + n.length > MAX_EXPR_CHARS) {
      out.push(cur)
      cur = []
      len = 0
    }
    len += (cur.length > 0 ? 1 : 0) + n.length
    cur.push(n)
  }
  if (cur.length > 0) out.push(cur)
  return out
}

/** The items of several generators, as each comes. */
async function* merge<T>(gens: AsyncGenerator<T>[]): AsyncGenerator<T> {
  const next = (g: AsyncGenerator<T>, i: number) => g.next().then((r) => ({ r, i }))
  const live = new Map(gens.map((g, i) => [i, next(g, i)]))
  while (live.size > 0) {
    const { r, i } = await Promise.race(live.values())
    if (r.done === true) {
      live.delete(i)
      continue
    }
    live.set(i, next(gens[i]!, i))
    yield r.value
  }
}

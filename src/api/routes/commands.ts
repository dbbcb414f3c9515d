/**
 * BMC commands, for one node (`/nodes/{node}/...`) and for a range
 * (`/noderange/{expr}/...`), derived from the op registry (src/ops): every
 * op with a REST binding gets both URL forms, with its role, body, value
 * schema and default deadline. A node answers with its value or its error
 * (status from the registry); a range answers `{ results: { node: { ok,
 * value | error } } }`, or, with `Accept: application/x-ndjson`, one line per
 * node as it completes and a final `{ done, ok, failed }` line. Every call is
 * audited once per request.
 */
import { Readable } from 'node:stream'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type, type TSchema } from 'typebox'
import { ServiceError } from '../../errors.js'
import type { OpName } from '../../ops/registry.js'
import type { OpSpec, RestBinding } from '../../ops/types.js'
import type { ApiContext, ApiInstance } from '../app.js'
import { audit, auditOutcome } from '../auth.js'
import { fanOut, hardDeadlineMs, withHardDeadline, type NodeResult } from '../fanout.js'
import { MAX_EXPR_CHARS, resolveNoderange } from '../noderange.js'
import { ErrorBody, NodeName, withErrors } from '../schemas.js'
import { forwardClaim } from '../../cluster/forward.js'
import { rangeAnywhere } from '../range-forward.js'

const TimeoutQuery = (max: number, extra: Record<string, TSchema> = {}) => Type.Object({
  timeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: max, description: 'Per-node deadline in ms.' })),
  ...extra,
}, { additionalProperties: false })

function wantsNdjson(req: FastifyRequest): boolean {
  const a = req.headers.accept
  return typeof a === 'string' && a.toLowerCase().includes('application/x-ndjson')
}

export async function commandRoutes(app: ApiInstance, { ctx }: { ctx: ApiContext }): Promise<void> {
  for (const [name, spec] of Object.entries(ctx.ops)) {
    if (spec.rest !== undefined) opRoutes(app, ctx, name as OpName, spec, spec.rest)
  }
}

/** What both routes of one op share: its spec, its schemas, and how a request becomes calls. */
interface OpRoute {
  ctx: ApiContext
  op: OpName
  spec: OpSpec
  rest: RestBinding
  params(first: Record<string, TSchema>): TSchema
  querystring: TSchema
  /**
   * The worker's arguments and the per-node deadline, computed once per request (a bad body fails
   * before any node is called); `call` runs one node without the API's hard deadline (withHardDeadline and
   * fanOut add it: one timer per node, or one per range).
   */
  prepare(req: FastifyRequest): { call: (node: string) => Promise<unknown>; timeoutMs: number }
  auditDetail(req: FastifyRequest): Record<string, unknown>
}

function opRoutes(app: ApiInstance, ctx: ApiContext, op: OpName, spec: OpSpec, rest: RestBinding): void {
  const r: OpRoute = {
    ctx, op, spec, rest,
    params: (first) => Type.Object({ ...first, ...(rest.params ?? {}) }, { additionalProperties: false }),
    querystring: TimeoutQuery(ctx.maxTimeoutMs, rest.query),
    prepare: (req) => {
      const body = (req.body ?? {}) as Record<string, unknown>
      const args = rest.toArgs ? rest.toArgs(body, req.params as Record<string, string>, req.query as Record<string, unknown>) : {}
      const timeoutMs = (req.query as { timeoutMs?: number }).timeoutMs ?? ctx.commandTimeoutMs ?? spec.timeoutMs
      const fromResult = rest.fromResult
      const call = (node: string) => ctx.supervisor.run(node, op, args, { timeoutMs })
      return { timeoutMs, call: fromResult === undefined ? call : (node) => call(node).then(fromResult) }
    },
    auditDetail: (req) => {
      const d: Record<string, unknown> = {}
      if (req.body !== undefined && req.body !== null) d.args = req.body
      const uid = (req.params as { uid?: string }).uid
      if (uid !== undefined) d.uid = Number(uid)
      return d
    },
  }
  nodeRoute(app, r)
  rangeRoute(app, r)
}

function nodeRoute(app: ApiInstance, { ctx, spec, rest: c, params, querystring, prepare, auditDetail }: OpRoute): void {
  app.route({
    method: c.method,
    url: `/nodes/:node/${c.path}`,
    config: { role: spec.role, owner: true, ...(c.expensive === true ? { expensive: true } : {}) },
    schema: {
      summary: `${spec.summary} (one node)`, tags: ['commands'], params: params({ node: NodeName }), querystring,
      ...(c.body ? { body: c.body } : {}), response: withErrors({ 200: spec.result }),
    },
    handler: async (req: FastifyRequest) => {
      const node = (req.params as { node: string }).node
      if ((await ctx.store.nodes.get(node)) === undefined) throw new ServiceError('NODE_NOT_FOUND', `no node named ${node}`, { details: { node } })
      const { call, timeoutMs } = prepare(req)
      try {
        const value = await withHardDeadline(call(node), node, timeoutMs)
        audit(req, c.action, { target: node, outcome: 'ok', ...auditDetail(req) })
        return value
      } catch (e) {
        audit(req, c.action, { target: node, outcome: auditOutcome(e), ...auditDetail(req) })
        throw e
      }
    },
  })
}

function rangeRoute(app: ApiInstance, { ctx, spec, rest: c, params, querystring, prepare, auditDetail }: OpRoute): void {
  const Result = Type.Union([
    Type.Object({ ok: Type.Literal(true), value: spec.result }),
    Type.Object({ ok: Type.Literal(false), error: ErrorBody.properties.error }),
  ])
  app.route({
    method: c.method,
    url: `/noderange/:expr/${c.path}`,
    // Every range form is expensive: it fans out to many BMCs (rate-limit.ts).
    config: { role: spec.role, expensive: true },
    schema: {
      summary: `${spec.summary} (a noderange; Accept: application/x-ndjson streams one line per node)`, tags: ['commands'],
      params: params({ expr: Type.String({ minLength: 1, maxLength: MAX_EXPR_CHARS }) }), querystring,
      ...(c.body ? { body: c.body } : {}),
      response: withErrors({ 200: Type.Object({ results: Type.Record(Type.String(), Result) }) }),
    },
    handler: async (req: FastifyRequest, reply: FastifyReply) => {
      const expr = (req.params as { expr: string }).expr
      const { names, known } = await resolveNoderange(expr, ctx.store.nodes)
      const { call: run, timeoutMs } = prepare(req)
      const call = (node: string) => known.has(node) ? run(node) : Promise.reject(new ServiceError('NODE_NOT_FOUND', `no node named ${node}`, { details: { node } }))
      // Audited once, where the caller sent it: an owner's share of it (forward.ts) is not audited again.
      const share = forwardClaim(req)?.share === true
      const finish = (ok: number, failed: number) => share ? undefined : audit(req, c.action, { target: expr, outcome: `${ok} ok, ${failed} failed`, nodes: names.length, ...auditDetail(req) })
      const local = (nodes: string[]) => fanOut(nodes, call, hardDeadlineMs(timeoutMs))
      const all = () => ctx.forward === undefined ? local(names) : rangeAnywhere(ctx.forward, req, names, local, rangeSuffix(req.url))
      if (wantsNdjson(req)) {
        return reply.type('application/x-ndjson').send(Readable.from(ndjson(all(), finish)))
      }
      const results: Record<string, NodeResult> = {}
      let ok = 0
      for await (const [node, r] of all()) {
        results[node] = r
        if (r.ok) ok++
      }
      finish(ok, names.length - ok)
      const ordered: Record<string, NodeResult> = {}
      for (const n of names) ordered[n] = results[n]!
      return { results: ordered }
    },
  })
}

/** What follows the expression in a noderange URL (`power?timeoutMs=500`): an owner's share is asked the same. */
function rangeSuffix(url: string): string {
  const at = url.indexOf(RANGE_PREFIX) + RANGE_PREFIX.length
  return url.slice(url.indexOf('/', at) + 1)
}
const RANGE_PREFIX = '/noderange/'

async function* ndjson(results: AsyncGenerator<[string, NodeResult]>, finish: (ok: number, failed: number) => void): AsyncGenerator<string> {
  let ok = 0
  let failed = 0
  for await (const [node, r] of results) {
    if (r.ok) ok++
    else failed++
    yield JSON.stringify({ node, ...r }) + '\n'
  }
  finish(ok, failed)
  yield JSON.stringify({ done: true, ok, failed }) + '\n'
}


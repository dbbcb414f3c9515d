/**
 * BMC commands, for one node (`/nodes/{node}/...`) and for a range
 * (`/noderange/{expr}/...`): power, boot, identify, bmc (device id),
 * bmc/reset, bmc/users. Each is one entry of COMMANDS; both URL forms are
 * registered from it. A node answers with its value or its error (status
 * from the registry); a range answers `{ results: { node: { ok, value |
 * error } } }`, or, with `Accept: application/x-ndjson`, one line per node
 * as it completes and a final `{ done, ok, failed }` line. Every call is
 * audited once per request.
 */
import { Readable } from 'node:stream'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type, type TSchema } from 'typebox'
import type { OpName } from '../../bridge/messages.js'
import { ServiceError } from '../../errors.js'
import type { Role } from '../../store/types.js'
import type { ApiContext, ApiInstance } from '../app.js'
import { audit, auditOutcome } from '../auth.js'
import { callNode, fanOut, type NodeResult } from '../fanout.js'
import { expandNoderange, MAX_EXPR_CHARS } from '../noderange.js'
import { EVENTS_VALUE, HEALTH_VALUE, INVENTORY_VALUE, SENSOR_REPORT_VALUE } from './hardware-schemas.js'
import { BMC_USER_VALUE, BOOT_DEVICES, BootBody, bootValue, IdentifyBody, identifyArgs, MC_INFO_VALUE, POWER_STATES, PowerBody, UserBody, userArgs } from './command-schemas.js'
import { ErrorBody, NodeName, withErrors } from '../schemas.js'

interface CommandDef {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE'
  path: string
  op: OpName
  role: Role
  action: string
  summary: string
  value: TSchema
  body?: TSchema
  extraParams?: Record<string, TSchema>
  /** Query parameters besides timeoutMs. */
  query?: Record<string, TSchema>
  args?: (body: Record<string, unknown>, params: Record<string, string>, query: Record<string, unknown>) => unknown
  map?: (value: unknown) => unknown
  /** Many BMC round trips (SDR walks, FRU, SEL): counted against the token's rate (rate-limit.ts). Range forms always are. */
  expensive?: true
}

const Uid = Type.String({ pattern: '^(?:[1-9]|[1-5][0-9]|6[0-3])$', description: 'BMC user id, 1 to 63.' })

export const COMMANDS: CommandDef[] = [
  { method: 'GET', path: 'power', op: 'power.status', role: 'viewer', action: 'power.get', summary: 'Power state', value: Type.Object({ state: Type.Enum(['on', 'off']) }) },
  {
    method: 'PUT', path: 'power', op: 'power.set', role: 'operator', action: 'power.set', summary: `Power control (${POWER_STATES.join(', ')})`,
    body: PowerBody, args: (b) => ({ action: b.state }), value: Type.Object({ action: Type.String() }),
  },
  { method: 'GET', path: 'boot', op: 'boot.get', role: 'viewer', action: 'boot.get', summary: 'Next boot device', value: bootValue.schema, map: bootValue.map },
  {
    method: 'PUT', path: 'boot', op: 'boot.set', role: 'operator', action: 'boot.set', summary: `Set the next boot device (${BOOT_DEVICES.join(', ')})`,
    body: BootBody, args: bootValue.args, value: bootValue.schema, map: bootValue.map,
  },
  {
    method: 'PUT', path: 'identify', op: 'identify', role: 'operator', action: 'identify', summary: 'Chassis identify light: on, off, or blink for N seconds',
    body: IdentifyBody, args: identifyArgs, value: Type.Object({ seconds: Type.Integer(), force: Type.Boolean() }),
  },
  { method: 'GET', path: 'bmc', op: 'mc.info', role: 'viewer', action: 'bmc.get', summary: 'BMC device id and firmware', value: MC_INFO_VALUE },
  { method: 'POST', path: 'bmc/reset', op: 'mc.reset', role: 'operator', action: 'bmc.reset', summary: 'BMC cold reset', value: Type.Object({ reset: Type.Boolean(), answered: Type.Boolean() }) },
  { method: 'GET', path: 'bmc/users', op: 'users.list', role: 'admin', action: 'bmc.users.list', summary: 'BMC user accounts', value: Type.Array(BMC_USER_VALUE) },
  {
    method: 'PUT', path: 'bmc/users/:uid', op: 'users.set', role: 'admin', action: 'bmc.users.set',
    summary: 'Create or change a BMC account (name, password, privilege, enabled, SOL access); bmcvisor keeps using its own credentials',
    body: UserBody, extraParams: { uid: Uid }, args: userArgs, value: Type.Object({ id: Type.Integer(), changed: Type.Array(Type.String()) }),
  },
  {
    method: 'GET', path: 'sensors', op: 'sensors.list', role: 'viewer', action: 'sensors.get', expensive: true,
    summary: 'Sensor readings with units, states and health (the SDR is cached per BMC); ?type=Temperature filters by sensor type',
    query: { type: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Sensor type name as listed (Temperature, Fan, Voltage, ...).' })) },
    args: (_b, _p, q) => (q.type === undefined ? {} : { type: q.type }),
    value: SENSOR_REPORT_VALUE,
  },
  { method: 'GET', path: 'health', op: 'health', role: 'viewer', action: 'health.get', expensive: true, summary: 'Health summary from the sensors: ok, warning, critical or failed', value: HEALTH_VALUE },
  { method: 'GET', path: 'inventory', op: 'inventory', role: 'viewer', action: 'inventory.get', expensive: true, summary: 'FRU inventory: chassis, board and product areas of every FRU device', value: INVENTORY_VALUE },
  { method: 'GET', path: 'events', op: 'events.list', role: 'viewer', action: 'events.get', expensive: true, summary: 'System event log (SEL) entries with sensor names and event texts', value: EVENTS_VALUE },
  { method: 'DELETE', path: 'events', op: 'events.clear', role: 'operator', action: 'events.clear', expensive: true, summary: 'Clear the system event log', value: Type.Object({ cleared: Type.Boolean(), entriesBefore: Type.Integer() }) },
]

const TimeoutQuery = (max: number, extra: Record<string, TSchema> = {}) => Type.Object({
  timeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: max, description: 'Per-node deadline in ms.' })),
  ...extra,
}, { additionalProperties: false })

function wantsNdjson(req: FastifyRequest): boolean {
  const a = req.headers.accept
  return typeof a === 'string' && a.toLowerCase().includes('application/x-ndjson')
}

export async function commandRoutes(app: ApiInstance, { ctx }: { ctx: ApiContext }): Promise<void> {
  for (const c of COMMANDS) {
    const params = (first: Record<string, TSchema>) => Type.Object({ ...first, ...(c.extraParams ?? {}) }, { additionalProperties: false })
    const querystring = TimeoutQuery(ctx.maxTimeoutMs, c.query)
    /** The worker's arguments, computed once per request (a bad body fails before any node is called). */
    const prepare = (req: FastifyRequest) => {
      const body = (req.body ?? {}) as Record<string, unknown>
      const args = c.args ? c.args(body, req.params as Record<string, string>, req.query as Record<string, unknown>) : {}
      const timeoutMs = (req.query as { timeoutMs?: number }).timeoutMs ?? ctx.commandTimeoutMs
      return (node: string) => callNode(ctx.supervisor, node, c.op, args, { timeoutMs }).then((v) => (c.map ? c.map(v) : v))
    }
    const auditDetail = (req: FastifyRequest) => {
      const d: Record<string, unknown> = {}
      if (req.body !== undefined && req.body !== null) d.args = req.body
      const uid = (req.params as { uid?: string }).uid
      if (uid !== undefined) d.uid = Number(uid)
      return d
    }

    app.route({
      method: c.method,
      url: `/nodes/:node/${c.path}`,
      config: { role: c.role, ...(c.expensive ? { expensive: true } : {}) },
      schema: {
        summary: `${c.summary} (one node)`, tags: ['commands'], params: params({ node: NodeName }), querystring,
        ...(c.body ? { body: c.body } : {}), response: withErrors({ 200: c.value }),
      },
      handler: async (req: FastifyRequest) => {
        const node = (req.params as { node: string }).node
        if (ctx.store.nodes.get(node) === undefined) throw new ServiceError('NODE_NOT_FOUND', `no node named ${node}`, { details: { node } })
        const run = prepare(req)
        try {
          const value = await run(node)
          audit(req, c.action, { target: node, outcome: 'ok', ...auditDetail(req) })
          return value
        } catch (e) {
          audit(req, c.action, { target: node, outcome: auditOutcome(e), ...auditDetail(req) })
          throw e
        }
      },
    })

    const Result = Type.Union([
      Type.Object({ ok: Type.Literal(true), value: c.value }),
      Type.Object({ ok: Type.Literal(false), error: ErrorBody.properties.error }),
    ])
    app.route({
      method: c.method,
      url: `/noderange/:expr/${c.path}`,
      config: { role: c.role, expensive: true },
      schema: {
        summary: `${c.summary} (a noderange; Accept: application/x-ndjson streams one line per node)`, tags: ['commands'],
        params: params({ expr: Type.String({ minLength: 1, maxLength: MAX_EXPR_CHARS }) }), querystring,
        ...(c.body ? { body: c.body } : {}),
        response: withErrors({ 200: Type.Object({ results: Type.Record(Type.String(), Result) }) }),
      },
      handler: async (req: FastifyRequest, reply: FastifyReply) => {
        const expr = (req.params as { expr: string }).expr
        const names = expandNoderange(expr, (g) => ctx.store.nodes.inGroup(g))
        const known = new Set(ctx.store.nodes.names())
        const run = prepare(req)
        const call = (node: string) => known.has(node) ? run(node) : Promise.reject(new ServiceError('NODE_NOT_FOUND', `no node named ${node}`, { details: { node } }))
        const finish = (ok: number, failed: number) => audit(req, c.action, { target: expr, outcome: `${ok} ok, ${failed} failed`, nodes: names.length, ...auditDetail(req) })
        if (wantsNdjson(req)) {
          return reply.type('application/x-ndjson').send(Readable.from(ndjson(fanOut(names, call), finish)))
        }
        const results: Record<string, NodeResult> = {}
        let ok = 0
        for await (const [node, r] of fanOut(names, call)) {
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
}

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


/**
 * The supervisor's view per node (`workers`, `nodes/{node}/worker`, with
 * when a parked worker is retried by itself), an operator's restart of a
 * parked worker (`POST nodes/{node}/worker/restart`, audited) and,
 * only when serve runs with --enable-fault-injection, the admin-only fault
 * drill `POST nodes/{node}/worker/fault` (Supervisor.injectFault).
 */
import { Type } from 'typebox'
import { ServiceError } from '../../errors.js'
import type { ChildStatus } from '../ports.js'
import type { ApiContext, ApiInstance } from '../app.js'
import { audit, auditOutcome } from '../auth.js'
import { NodeParams, withErrors } from '../schemas.js'

const Link = Type.Union([Type.Object({ state: Type.String(), reason: Type.Optional(Type.String()) }), Type.Null()])
export const WorkerView = Type.Object({
  node: Type.String(),
  state: Type.String({ description: 'starting, running, restarting, parked, stopping, stopped' }),
  restarts: Type.Integer(),
  lastExit: Type.Union([Type.Object({
    reason: Type.String(), duringStart: Type.Boolean(), exitCode: Type.Optional(Type.Integer()), message: Type.Optional(Type.String()),
  }), Type.Null()]),
  parkedForMs: Type.Union([Type.Integer(), Type.Null()]),
  retryAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'When a parked or restarting worker is started again by itself; null while it runs.' }),
  threadId: Type.Union([Type.Integer(), Type.Null()]),
  heapUsedBytes: Type.Integer(),
  session: Link,
  console: Link,
})

function view(s: ChildStatus): unknown {
  return {
    node: s.node, state: s.state, restarts: s.restarts, lastExit: s.lastExit,
    // The supervisor keeps monotonic times; clients get "how much longer".
    parkedForMs: s.parkedUntil === null ? null : Math.max(0, Math.round(s.parkedUntil - performance.now())),
    retryAt: s.retryAt === null ? null : new Date(s.retryAt).toISOString(),
    threadId: s.threadId, heapUsedBytes: s.heapUsedBytes, session: s.session, console: s.console,
  }
}

const FAULTS = ['crash', 'hang', 'exit', 'oom', 'reject'] as const

export async function workerRoutes(app: ApiInstance, { ctx }: { ctx: ApiContext }): Promise<void> {
  app.get('/workers', {
    config: { role: 'viewer' },
    schema: { summary: 'Every worker as the supervisor sees it', tags: ['workers'], response: withErrors({ 200: Type.Object({ workers: Type.Array(WorkerView) }) }) },
  }, async () => ({ workers: ctx.supervisor.status().map(view) as never[] }))

  app.get('/nodes/:node/worker', {
    config: { role: 'viewer', owner: true },
    schema: { summary: "A node's worker", tags: ['workers'], params: NodeParams, response: withErrors({ 200: WorkerView }) },
  }, async (req) => {
    if (!ctx.supervisor.has(req.params.node)) throw new ServiceError('NODE_NOT_FOUND', `no worker for node ${req.params.node}`, { details: { node: req.params.node } })
    return view(ctx.supervisor.status(req.params.node)[0]!) as never
  })

  app.post('/nodes/:node/worker/restart', {
    config: { role: 'operator', owner: true },
    schema: {
      summary: 'Start a parked worker now, with its crash history cleared (OTP restart_child); CONFLICT while it runs',
      tags: ['workers'], params: NodeParams, response: withErrors({ 202: Type.Object({ state: Type.String() }) }),
    },
  }, async (req, reply) => {
    const { node } = req.params
    try {
      if (!ctx.supervisor.has(node)) throw new ServiceError('NODE_NOT_FOUND', `no worker for node ${node}`, { details: { node } })
      const state = ctx.supervisor.restartWorker(node)
      audit(req, 'worker.restart', { target: node, outcome: 'ok' })
      return reply.code(202).send({ state })
    } catch (e) {
      audit(req, 'worker.restart', { target: node, outcome: (e as { code?: string }).code ?? 'INTERNAL' })
      throw e
    }
  })

  if (!ctx.enableFaultInjection) return
  app.post('/nodes/:node/worker/fault', {
    config: { role: 'admin', owner: true },
    schema: {
      summary: 'Inject a fault into a worker (chaos drills; serve --enable-fault-injection)', tags: ['workers'],
      params: NodeParams, body: Type.Object({ kind: Type.Enum([...FAULTS]) }, { additionalProperties: false }),
      response: withErrors({ 202: Type.Object({ injected: Type.String() }) }),
    },
  }, async (req, reply) => {
    const { node } = req.params
    if (!ctx.supervisor.has(node)) throw new ServiceError('NODE_NOT_FOUND', `no worker for node ${node}`, { details: { node } })
    try {
      ctx.supervisor.injectFault(node, req.body.kind)
    } catch (e) {
      audit(req, 'worker.fault', { target: node, kind: req.body.kind, outcome: auditOutcome(e) })
      throw e
    }
    audit(req, 'worker.fault', { target: node, kind: req.body.kind, outcome: 'ok' })
    return reply.code(202).send({ injected: req.body.kind })
  })
}

/**
 * /healthz (the process answers) and /readyz (the store answers and the
 * supervisor is taking work), both open:'health'. Load balancers and
 * systemd probes call them without a token unless configuration closes them.
 */
import { Type } from 'typebox'
import type { ApiContext, ApiInstance } from '../app.js'
import { withErrors } from '../schemas.js'

const Ready = Type.Object({
  status: Type.Enum(['ready', 'not-ready']),
  checks: Type.Object({ store: Type.Boolean(), workers: Type.Record(Type.String(), Type.Integer()) }),
})

export async function healthRoutes(app: ApiInstance, { ctx }: { ctx: ApiContext }): Promise<void> {
  app.get('/healthz', {
    config: { open: 'health' },
    schema: { summary: 'Liveness: the process answers', tags: ['health'], response: withErrors({ 200: Type.Object({ status: Type.Literal('ok') }) }) },
  }, async () => ({ status: 'ok' as const }))

  app.get('/readyz', {
    config: { open: 'health' },
    schema: { summary: 'Readiness: the store answers', tags: ['health'], response: withErrors({ 200: Ready, 503: Ready }) },
  }, async (_req, reply) => {
    const store = await ctx.store.ping()
    const workers: Record<string, number> = {}
    for (const s of ctx.supervisor.status()) workers[s.state] = (workers[s.state] ?? 0) + 1
    const body = { status: store ? 'ready' as const : 'not-ready' as const, checks: { store, workers } }
    return reply.code(store ? 200 : 503).send(body)
  })
}

/**
 * Admin resources: API tokens (create shows the token once; list and
 * revoke by id) and the audit log (newest first). All admin-only.
 */
import { Type } from 'typebox'
import type { ApiContext, ApiInstance } from '../app.js'
import { audit } from '../auth.js'
import { Role, withErrors } from '../schemas.js'

const TokenInfo = Type.Object({
  id: Type.String(), name: Type.String(), role: Type.String(), createdAt: Type.String(), lastUsedAt: Type.Union([Type.String(), Type.Null()]),
})
const AuditEntry = Type.Object({
  id: Type.Integer(), at: Type.String(), actor: Type.String(), tokenId: Type.Union([Type.String(), Type.Null()]), action: Type.String(),
  target: Type.Union([Type.String(), Type.Null()]), detail: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
  outcome: Type.Union([Type.String(), Type.Null()]),
})

export async function adminRoutes(app: ApiInstance, { ctx }: { ctx: ApiContext }): Promise<void> {
  app.post('/tokens', {
    config: { role: 'admin' },
    schema: {
      summary: 'Create an API token (the token is in this reply only)', tags: ['admin'],
      body: Type.Object({ role: Role, name: Type.String({ minLength: 1, maxLength: 64, pattern: '^[\\x20-\\x7e]+$' }) }, { additionalProperties: false }),
      response: withErrors({ 201: Type.Object({ token: Type.String(), info: TokenInfo }) }),
    },
  }, async (req, reply) => {
    const created = ctx.store.tokens.create({ name: req.body.name, role: req.body.role })
    audit(req, 'token.create', { target: created.info.id, role: created.info.role, name: created.info.name, outcome: 'ok' })
    return reply.code(201).send(created)
  })

  app.get('/tokens', {
    config: { role: 'admin' },
    schema: { summary: 'API tokens (never the tokens themselves)', tags: ['admin'], response: withErrors({ 200: Type.Object({ tokens: Type.Array(TokenInfo) }) }) },
  }, async () => ({ tokens: ctx.store.tokens.list() }))

  app.delete('/tokens/:id', {
    config: { role: 'admin' },
    schema: {
      summary: 'Revoke a token', tags: ['admin'], params: Type.Object({ id: Type.String({ pattern: '^[0-9a-f]{8}$' }) }, { additionalProperties: false }),
      response: withErrors({ 204: Type.Null() }),
    },
  }, async (req, reply) => {
    ctx.store.tokens.revoke(req.params.id)
    audit(req, 'token.revoke', { target: req.params.id, outcome: 'ok' })
    return reply.code(204).send(null)
  })

  app.get('/audit', {
    config: { role: 'admin' },
    schema: {
      summary: 'The audit log, newest first', tags: ['admin'],
      querystring: Type.Object({
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
        before: Type.Optional(Type.Integer({ minimum: 1 })),
        target: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
      }, { additionalProperties: false }),
      response: withErrors({ 200: Type.Object({ entries: Type.Array(AuditEntry) }) }),
    },
  }, async (req) => ({
    entries: ctx.store.audit.list({
      ...(req.query.limit !== undefined ? { limit: req.query.limit } : {}),
      ...(req.query.before !== undefined ? { beforeId: req.query.before } : {}),
      ...(req.query.target !== undefined ? { target: req.query.target } : {}),
    }),
  }))
}

/**
 * Admin resources: API tokens (create shows the token once, optionally with
 * an expiry: `expiresAt` or `ttl`; list; change the role; revoke by id) and
 * the audit log (newest first). All admin-only. Revoking or lowering a token
 * ends or downgrades the connections it holds at once (connections.ts).
 */
import { Type } from 'typebox'
import type { ApiContext, ApiInstance } from '../app.js'
import { ServiceError } from '../../errors.js'
import { checkExpiry, DURATION_PATTERN, parseDuration } from '../../store/tokens.js'
import { audit } from '../auth.js'
import { Role, withErrors } from '../schemas.js'

const TokenInfo = Type.Object({
  id: Type.String(), name: Type.String(), role: Type.String(), createdAt: Type.String(), lastUsedAt: Type.Union([Type.String(), Type.Null()]),
  expiresAt: Type.Union([Type.String(), Type.Null()]),
})
const TokenId = Type.Object({ id: Type.String({ pattern: '^[0-9a-f]{8}$' }) }, { additionalProperties: false })
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
      body: Type.Object({
        role: Role,
        name: Type.String({ minLength: 1, maxLength: 64, pattern: '^[\\x20-\\x7e]+$' }),
        expiresAt: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'When the token stops working (ISO 8601 time, in the future).' })),
        ttl: Type.Optional(Type.String({ pattern: DURATION_PATTERN, description: 'Lifetime from now: 30d, 12h, 90m, 2w, 3600s (at most 3650d).' })),
      }, { additionalProperties: false }),
      response: withErrors({ 201: Type.Object({ token: Type.String(), info: TokenInfo }) }),
    },
  }, async (req, reply) => {
    const { expiresAt, ttl } = req.body
    if (expiresAt !== undefined && ttl !== undefined) throw new ServiceError('VALIDATION_FAILED', 'give expiresAt or ttl, not both', { details: { field: 'body.ttl' } })
    const expiry = ttl !== undefined ? new Date(Date.now() + parseDuration(ttl, 'body.ttl')).toISOString()
      : expiresAt !== undefined ? checkExpiry(expiresAt, 'body.expiresAt') : undefined
    const created = await ctx.store.tokens.create({ name: req.body.name, role: req.body.role, expiresAt: expiry })
    audit(req, 'token.create', { target: created.info.id, role: created.info.role, name: created.info.name, expiresAt: created.info.expiresAt, outcome: 'ok' })
    return reply.code(201).send(created)
  })

  app.get('/tokens', {
    config: { role: 'admin' },
    schema: { summary: 'API tokens (never the tokens themselves)', tags: ['admin'], response: withErrors({ 200: Type.Object({ tokens: Type.Array(TokenInfo) }) }) },
  }, async () => ({ tokens: await ctx.store.tokens.list() }))

  app.patch('/tokens/:id', {
    config: { role: 'admin' },
    schema: {
      summary: "Change a token's role (a lower role downgrades the connections it holds at once)", tags: ['admin'], params: TokenId,
      body: Type.Object({ role: Role }, { additionalProperties: false }),
      response: withErrors({ 200: TokenInfo }),
    },
  }, async (req) => {
    const info = await ctx.store.tokens.setRole(req.params.id, req.body.role)
    audit(req, 'token.update', { target: info.id, role: info.role, outcome: 'ok' })
    return info
  })

  app.delete('/tokens/:id', {
    config: { role: 'admin' },
    schema: {
      summary: 'Revoke a token (its connections are closed at once)', tags: ['admin'], params: TokenId,
      response: withErrors({ 204: Type.Null() }),
    },
  }, async (req, reply) => {
    await ctx.store.tokens.revoke(req.params.id)
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
    entries: await ctx.store.audit.list({
      ...(req.query.limit !== undefined ? { limit: req.query.limit } : {}),
      ...(req.query.before !== undefined ? { beforeId: req.query.before } : {}),
      ...(req.query.target !== undefined ? { target: req.query.target } : {}),
    }),
  }))
}

/**
 * Every error a route or fastify raises becomes `{ error: { code, message,
 * details? } }` with the registry's status. Schema failures are 400
 * VALIDATION_FAILED naming the field (`details.field`, e.g. `body.bmc.port`);
 * fastify's own client errors (bad JSON, media type, size, URL) keep a 4xx
 * status with a fixed message that never echoes what the client sent (a
 * JSON syntax error message would quote the body, password and all). Only
 * a bug of ours is a 500, logged with its stack.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { httpStatus, isErrorCode, type ErrorCode } from '../errors.js'

export interface ErrorEnvelope {
  error: { code: string; message: string; details?: Record<string, unknown> }
}

interface ValidationIssue {
  instancePath?: string
  keyword?: string
  message?: string
  params?: Record<string, unknown>
}

const CONTEXT_NAME: Record<string, string> = { body: 'body', params: 'params', querystring: 'query', headers: 'headers' }

/** `body.bmc.port` from context "body" and instance path "/bmc/port", plus the missing or extra property. */
export function fieldOf(context: string | undefined, v: ValidationIssue): string {
  const base = CONTEXT_NAME[context ?? 'body'] ?? 'body'
  const parts = (v.instancePath ?? '').split('/').filter((p) => p !== '').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
  const p = v.params ?? {}
  const required = p.requiredProperties ?? p.missingProperty
  const extra = p.additionalProperties ?? p.additionalProperty
  if (v.keyword === 'required' && required !== undefined) parts.push(String(Array.isArray(required) ? required[0] : required))
  else if (v.keyword === 'additionalProperties' && extra !== undefined) parts.push(String(Array.isArray(extra) ? extra[0] : extra))
  return [base, ...parts].join('.')
}

function describe(field: string, v: ValidationIssue): string {
  const p = v.params ?? {}
  if (v.keyword === 'required') return `${field} is required`
  if (v.keyword === 'additionalProperties') return `${field} is not a known property`
  if (v.keyword === 'enum' && Array.isArray(p.allowedValues)) return `${field} must be one of ${p.allowedValues.join(', ')}`
  return `${field} ${v.message ?? 'is invalid'}`
}

/** The most telling issue: a leaf problem rather than the anyOf/required wrapper around it. */
function pick(issues: ValidationIssue[]): ValidationIssue {
  return issues.find((i) => i.keyword === 'additionalProperties')
    ?? issues.find((i) => i.keyword !== 'anyOf' && i.keyword !== 'boolean' && i.keyword !== 'minProperties')
    ?? issues[0]!
}

export function envelope(code: ErrorCode, message: string, details?: Record<string, unknown>): ErrorEnvelope {
  return { error: { code, message, ...(details !== undefined && Object.keys(details).length > 0 ? { details } : {}) } }
}

/** Maps any thrown value to a status and envelope. */
export function toHttpError(err: unknown): { status: number; body: ErrorEnvelope; internal: boolean } {
  const e = err as Partial<FastifyError> & { details?: unknown; validation?: ValidationIssue[]; validationContext?: string }
  if (Array.isArray(e.validation) && e.validation.length > 0) {
    const issue = pick(e.validation)
    const field = fieldOf(e.validationContext, issue)
    return { status: 400, body: envelope('VALIDATION_FAILED', describe(field, issue), { field }), internal: false }
  }
  if (typeof e.code === 'string' && isErrorCode(e.code)) {
    const details = e.details !== null && typeof e.details === 'object' ? (e.details as Record<string, unknown>) : undefined
    const internal = e.code === 'INTERNAL'
    return { status: httpStatus(e.code), body: envelope(e.code, internal ? 'internal error' : String(e.message ?? e.code), details), internal }
  }
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500
  if (status >= 400 && status < 500) return { status: clientStatus(status), body: clientError(status, e.code), internal: false }
  return { status: 500, body: envelope('INTERNAL', 'internal error'), internal: true }
}

function clientStatus(status: number): number {
  return status === 413 || status === 415 || status === 404 ? status : 400
}

function clientError(status: number, code: string | undefined): ErrorEnvelope {
  switch (status) {
    case 413: return envelope('PAYLOAD_TOO_LARGE', 'the request body is too large', { field: 'body' })
    case 415: return envelope('UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json', { field: 'content-type' })
    case 404: return envelope('NOT_FOUND', 'no such route')
  }
  switch (code) {
    case 'FST_ERR_CTP_EMPTY_JSON_BODY': return envelope('VALIDATION_FAILED', 'the body is empty but the content type says JSON', { field: 'body' })
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH': return envelope('VALIDATION_FAILED', 'content-length does not match the body', { field: 'content-length' })
    case 'FST_ERR_BAD_URL': return envelope('VALIDATION_FAILED', 'the URL is not valid (bad percent-encoding)', { field: 'url' })
    default: return envelope('VALIDATION_FAILED', 'the body is not valid JSON', { field: 'body' })
  }
}

export function errorHandler(err: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const { status, body, internal } = toHttpError(err)
  const retryAfter = body.error.details?.retryAfterSeconds
  if (body.error.code === 'RATE_LIMITED' && typeof retryAfter === 'number') void reply.header('retry-after', String(retryAfter))
  if (internal) request.log.error({ err }, 'internal error')
  else if (status >= 500) request.log.warn({ code: body.error.code }, body.error.message)
  void reply.code(status).type('application/json').send(body)
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): void {
  void reply.code(404).send(envelope('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`))
}


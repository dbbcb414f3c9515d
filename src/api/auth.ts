/**
 * Access control: the ONE global onRequest hook that decides every request,
 * and the audit helper routes call. See the contract at the top of app.ts.
 *
 * Decision, in order:
 *   0. A route marked `config.public` (the browser UI's files and its
 *      sign-in, routes/web.ts): allowed without a token, always.
 *   1. A route marked `config.open` ('health' | 'metrics' | 'docs') whose
 *      kind is open by configuration: allowed without a token.
 *   2. Otherwise a bearer token is required (`Authorization: Bearer ...`;
 *      a browser's session cookie, with its CSRF rules (web-sessions.ts);
 *      for upgrades on a route with `config.queryToken` also the raw
 *      `?access_token=`; see requestToken): UNAUTHORIZED if absent, unknown,
 *      revoked or expired.
 *   3. The route's `config.role` must be at or below the token's role;
 *      a route without one is admin-only (deny by default); a closed open
 *      route and an unknown URL need any valid token. Else FORBIDDEN.
 * Tokens are compared as SHA-256 hashes; the env admin token in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { httpStatus, ServiceError, toWire } from '../errors.js'
import type { Logger } from '../log.js'
import { scrub } from '../store/audit.js'
import type { AuditRepo, Role, TokenRepo } from '../store/types.js'
import { claimsForward, forwardClaim } from '../cluster/forward.js'

export type OpenKind = 'health' | 'metrics' | 'docs'
export const OPEN_KINDS: readonly OpenKind[] = ['health', 'metrics', 'docs']

/** The token id of BMCVISOR_ADMIN_TOKEN, which is never stored. */
export const ENV_TOKEN_ID = 'env'

export interface Principal {
  /** Token id (ENV_TOKEN_ID for BMCVISOR_ADMIN_TOKEN). */
  tokenId: string
  role: Role
  /** The token's name, as the audit log shows it. */
  name: string
  /** When the token stops working (ISO), or null. */
  expiresAt: string | null
}

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 }

export function roleAllows(have: Role, need: Role): boolean {
  return RANK[have] >= RANK[need]
}

export interface AuthOptions {
  tokens: TokenRepo
  /** BMCVISOR_ADMIN_TOKEN: accepted as an admin token, never stored. */
  adminToken?: string | undefined
  /** Which open kinds stay open without a token (default: all). */
  open: ReadonlySet<OpenKind>
  /**
   * A request with a forward header (another cluster member's, src/cluster/forward.ts) is admitted
   * only by its signed claim, as the principal it names; without this (no cluster) it is refused.
   */
  forwarded?: (request: FastifyRequest) => Promise<Principal>
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest()
}

/** The one query parameter that may carry a token, spelled exactly so in the raw URL. */
export const QUERY_TOKEN_PARAM = 'access_token'

/** The token in the raw query string under exactly QUERY_TOKEN_PARAM (a percent-encoded spelling of the name does not count). */
function rawQueryToken(url: string): string | undefined {
  const q = url.indexOf('?')
  if (q < 0) return undefined
  const prefix = `${QUERY_TOKEN_PARAM}=`
  for (const part of url.slice(q + 1).split('#')[0]!.split('&')) {
    if (!part.startsWith(prefix)) continue
    try {
      const t = decodeURIComponent(part.slice(prefix.length))
      return t === '' ? undefined : t
    } catch {
      return undefined
    }
  }
  return undefined
}

/**
 * The ONE place that reads a credential from a request: `Authorization:
 * Bearer TOKEN`, or a browser's session cookie (web-sessions.ts: the token
 * it stands for, once its CSRF rules hold), or, only on a route that declares `config.queryToken`
 * (the console WebSocket) and only for a WebSocket upgrade, the raw query
 * parameter QUERY_TOKEN_PARAM (browsers cannot set headers on a WebSocket).
 */
export function requestToken(request: FastifyRequest): string | undefined {
  const h = request.headers.authorization
  if (typeof h === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(h)
    return m?.[1]
  }
  const fromCookie = request.server.bmcvisorWeb?.credential(request)
  if (fromCookie !== undefined) return fromCookie
  const config = request.routeOptions.config as { queryToken?: boolean } | undefined
  if (request.is404 || config?.queryToken !== true) return undefined
  if (typeof request.headers.upgrade !== 'string' || request.headers.upgrade.toLowerCase() !== 'websocket') return undefined
  return rawQueryToken(request.raw.url ?? '')
}

/** Who a token is: the env admin token, a live stored token, or undefined. */
export function makeIdentify(o: Pick<AuthOptions, 'tokens' | 'adminToken'>): (token: string) => Promise<Principal | undefined> {
  const envHash = o.adminToken !== undefined && o.adminToken !== '' ? sha256(o.adminToken) : undefined
  return async (token) => {
    if (envHash !== undefined && timingSafeEqual(sha256(token), envHash)) return { tokenId: ENV_TOKEN_ID, role: 'admin', name: 'BMCVISOR_ADMIN_TOKEN', expiresAt: null }
    const info = await o.tokens.verify(token)
    return info === undefined ? undefined : { tokenId: info.id, role: info.role, name: info.name, expiresAt: info.expiresAt }
  }
}

export function makeAuthHook(o: AuthOptions): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  const identify = makeIdentify(o)
  return async (request) => {
    const config = request.routeOptions.config as { role?: Role; open?: OpenKind; public?: boolean }
    // A forward header is judged before anything else, and never ignored: a caller cannot pose as a member.
    const forwarded = claimsForward(request)
    if (forwarded && o.forwarded === undefined) throw new ServiceError('FORWARD_REJECTED', 'this instance is not a cluster member; clients never send forward headers', { details: { reason: 'not_member' } })
    if (!forwarded && !request.is404 && config.public === true) return
    const open = request.is404 ? undefined : config.open
    if (!forwarded && open !== undefined && o.open.has(open)) return
    let principal: Principal | undefined
    if (forwarded) principal = await o.forwarded!(request)
    else {
      const token = requestToken(request)
      if (token === undefined) throw new ServiceError('UNAUTHORIZED', 'a bearer token is required (Authorization: Bearer TOKEN), or sign in on the web page')
      principal = await identify(token)
      if (principal === undefined) throw new ServiceError('UNAUTHORIZED', 'the token is not valid (unknown, revoked or expired)')
    }
    request.principal = principal
    const need: Role = request.is404 || open !== undefined ? 'viewer' : config.role ?? 'admin'
    if (!roleAllows(principal.role, need)) {
      audit(request, 'access', { target: request.routeOptions.url ?? null, method: request.method, need, outcome: DENIED })
      throw new ServiceError('FORBIDDEN', `this needs the ${need} role; the token has ${principal.role}`, { details: { need, have: principal.role } })
    }
  }
}

/** The audit outcome of a refusal: the caller was known but not allowed (role, limits, revoked). */
export const DENIED = 'denied'
/** Statuses that mean bmcvisor refused rather than failed: 401, 403, 429 (the registry gives each code's). */
const REFUSAL_STATUSES: ReadonlySet<number> = new Set([401, 403, 429])

/** What an audit row says for a failure: `denied` for a refusal, else the error code. */
export function auditOutcome(e: unknown): string {
  const code = toWire(e).code
  return REFUSAL_STATUSES.has(httpStatus(code)) ? DENIED : code
}

export interface AuditDetail {
  /** What was acted on: a node, a range expression, a token id. */
  target?: string | null
  /** ok, denied (refused), or an error code; for ranges a summary such as "4 ok, 1 failed". */
  outcome?: string | null
  [key: string]: unknown
}

export type AuditSink = (request: FastifyRequest, action: string, detail: AuditDetail) => void

/** Builds the sink behind audit(): one row in the store, one info log line. Never throws. */
export function makeAuditSink(repo: AuditRepo, logger: Logger): AuditSink {
  return (request, action, detail) => {
    const { target, outcome, ...rest } = detail
    const p = request.principal as Principal | null
    // A forwarded request is audited here, on the owner, as its original caller, naming the member it came through.
    const via = forwardClaim(request)?.member
    if (via !== undefined) rest.via = via
    const entry = {
      actor: p?.name ?? 'anonymous',
      tokenId: p?.tokenId ?? null,
      action,
      target: target ?? null,
      detail: Object.keys(rest).length > 0 ? (scrub(rest) as Record<string, unknown>) : null,
      outcome: outcome ?? null,
    }
    repo.append(entry).then(
      () => logger.info({ audit: entry, reqId: request.id }, `audit ${action}`),
      (e: unknown) => logger.error({ err: e, audit: entry }, 'audit log write failed'),
    )
  }
}

/**
 * Records who did what to what: `audit(request, 'power.set', { target: 'n1', state: 'on', outcome: 'ok' })`.
 * Secret-named keys in the detail are censored before anything is written.
 */
export function audit(request: FastifyRequest, action: string, detail: AuditDetail = {}): void {
  request.server.bmcvisorAudit(request, action, detail)
}

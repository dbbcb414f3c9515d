/**
 * The Redfish service of one simulated BMC as a function: a parsed request
 * in, a response (status, headers, JSON body) out. No sockets: server.ts
 * binds it to HTTPS, unit tests call it directly.
 * Owns authentication (sessions, Basic), privileges per route, ETags and
 * If-Match, the error bodies, and the 503 / session-limit / wrong-credential
 * faults; the resources themselves are built by system.ts, chassis.ts,
 * manager.ts and accounts.ts from the shared BMC state.
 * Redfish: DSP0266 §7 (HTTP methods and status codes), §8.3 (ETags),
 * §9.6 (error responses), §13.3 (authentication); unauthenticated are only
 * GET /redfish, the service root and POST to Sessions (DSP0266 §13.3.1).
 * Invariant: a request never throws out of handle(); a handler bug answers
 * 500 InternalError and is kept in lastInternalError for the tests.
 */
import { checkPassword, parseBasic, ROLE_PRIVILEGES, roleOf, type Principal, type Privilege } from './auth.js'
import { etagOf } from './etag.js'
import { errorBody, type MessageName } from './messages.js'
import { PATHS, SERVICE_ROOT } from './odata.js'
import { ROUTES, type Handler, type Method, type Reply } from './routes.js'
import type { RedfishView } from './view.js'

export interface RedfishRequest {
  method: string
  /** Path without the query string, percent-decoded. */
  path: string
  /** Header names in lower case. */
  headers: Readonly<Record<string, string | undefined>>
  body: Buffer
}

export interface RedfishResponse {
  status: number
  headers: Record<string, string>
  body?: unknown
  /** Runs after the answer went out (Manager.Reset reboots the BMC then). */
  after?: () => void
}

const REALM = 'Basic realm="bmcvisor-sim"'

export function fail(name: MessageName, args: readonly (string | number)[] = [], headers: Record<string, string> = {}): RedfishResponse {
  const e = errorBody(name, args)
  return { status: e.status, headers, body: e.body }
}

function normalise(path: string): string {
  if (path === SERVICE_ROOT || path === PATHS.root) return PATHS.root
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path
}

function parseBody(req: RedfishRequest): { ok: true; value: Record<string, unknown> | undefined } | { ok: false; response: RedfishResponse } {
  if (req.body.length === 0) return { ok: true, value: undefined }
  const type = req.headers['content-type']
  if (type !== undefined && !/^application\/json\b/i.test(type)) return { ok: false, response: fail('UnsupportedMediaType') }
  try {
    const v: unknown = JSON.parse(req.body.toString('utf8'))
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return { ok: false, response: fail('MalformedJSON') }
    return { ok: true, value: v as Record<string, unknown> }
  } catch {
    return { ok: false, response: fail('MalformedJSON') }
  }
}

export class RedfishService {
  /** The last exception a handler threw (a simulator bug); tests assert it stays undefined. */
  lastInternalError: unknown

  constructor(private readonly view: RedfishView) {}

  /** Open Redfish sessions (tests check that clients log out). */
  get openSessions(): number {
    return this.view.sessions.count
  }

  handle(req: RedfishRequest): RedfishResponse {
    try {
      return this.route(req)
    } catch (e) {
      this.lastInternalError = e
      return fail('InternalError')
    }
  }

  private route(req: RedfishRequest): RedfishResponse {
    const faults = this.view.bmc.faults
    if (faults.unavailableRetryAfterS > 0) {
      return fail('ServiceTemporarilyUnavailable', [faults.unavailableRetryAfterS], { 'Retry-After': String(faults.unavailableRetryAfterS) })
    }
    const path = normalise(req.path)
    const method = req.method.toUpperCase()
    if (path === '/redfish' && method === 'GET') return { status: 200, headers: {}, body: { v1: PATHS.root } }
    for (const r of ROUTES) {
      const m = r.pattern.exec(path)
      if (m === null) continue
      const handler = r.methods[method as Method]
      if (handler === undefined) {
        const allow = Object.keys(r.methods).join(', ')
        return fail('ActionNotAllowed', [method, path], { Allow: allow })
      }
      return this.run(req, handler, m.slice(1).map(decodeURIComponent))
    }
    return fail('ResourceMissingAtURI', [path])
  }

  private run(req: RedfishRequest, h: Handler, params: string[]): RedfishResponse {
    const body = parseBody(req)
    if (!body.ok) return body.response
    let principal: Principal | undefined
    if (h.privilege !== 'None') {
      const who = this.authenticate(req)
      if (who === undefined) return fail('NoValidSession', [], { 'WWW-Authenticate': REALM })
      if (!ROLE_PRIVILEGES[who.role].includes(h.privilege)) return fail('InsufficientPrivilege')
      principal = who
    }
    const reply: Reply = h.handle({
      view: this.view, path: normalise(req.path), params, body: body.value, principal, ifMatch: req.headers['if-match'],
      can: (p: Privilege) => principal !== undefined && ROLE_PRIVILEGES[principal.role].includes(p),
    })
    return this.finish(reply)
  }

  private finish(r: Reply): RedfishResponse {
    switch (r.kind) {
      case 'doc': {
        const etag = etagOf(r.doc)
        return { status: r.status ?? 200, headers: { ETag: etag, ...r.headers }, body: { ...r.doc, '@odata.etag': etag } }
      }
      case 'empty':
        return { status: 204, headers: r.headers ?? {}, ...(r.after !== undefined ? { after: r.after } : {}) }
      case 'error':
        return fail(r.message, r.args)
      default: {
        const never: never = r
        throw new Error(`unknown reply ${String(never)}`)
      }
    }
  }

  private authenticate(req: RedfishRequest): Principal | undefined {
    const v = this.view
    const token = req.headers['x-auth-token']
    if (token !== undefined) {
      const s = v.sessions.use(token, v.bmc.nowMs())
      if (s === undefined) return undefined
      const user = v.bmc.users[s.userId]
      const role = user === undefined || !user.enabled ? undefined : roleOf(user.privilege)
      if (user === undefined || role === undefined || user.name.toString('utf8') !== s.userName) {
        v.sessions.close(s)
        return undefined
      }
      return { user, role, session: s }
    }
    const basic = parseBasic(req.headers.authorization)
    if (basic === undefined || v.bmc.faults.wrongCredentials) return undefined
    const user = checkPassword(v.bmc.users, basic.name, basic.password)
    const role = user === undefined ? undefined : roleOf(user.privilege)
    return user === undefined || role === undefined ? undefined : { user, role, session: undefined }
  }
}

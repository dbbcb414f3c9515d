/**
 * The browser UI (issue 15), a plugin registered at the root by buildApp({ ui }):
 *   GET  /  and  /ui/{app.js,app.css}   the page and its bundle (public: no token)
 *   POST   /api/v1/session              sign in with { token } or { code } (public)
 *   GET    /api/v1/session              who is signed in, and the page's CSRF token (public: signedIn false for nobody)
 *   DELETE /api/v1/session              sign out (viewer)
 *   GET    /api/v1/fleet                every node's row (viewer)
 *   GET    /api/v1/fleet/events         the rows as they change, server-sent events (viewer)
 *   GET    /api/v1/nodes/{node}/console/log   the console log file (viewer)
 * The page's files are read once from the build output (scripts/build-web.mjs
 * writes dist/web) and served with a Content-Security-Policy that lets only
 * this origin's own scripts run and connect (WEB_CSP).
 */
import type { ServerResponse } from 'node:http'
import { createReadStream, existsSync, readFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { ServiceError } from '../../errors.js'
import type { ConsoleManager } from '../../console/index.js'
import type { ApiInstance, ApiPlugin, Principal } from '../app.js'
import { audit, requestToken, roleAllows } from '../auth.js'
import type { ConnectionLease } from '../connections.js'
import type { FleetFeed } from '../fleet.js'
import { forwardClaim } from '../../cluster/forward.js'
import { clearedCookie, sessionCookie } from '../web-sessions.js'
import { NodeParams } from '../schemas.js'

/** Only this origin's own scripts, styles (xterm.js sets element styles), images and connections; no frames, no plugins. */
export const WEB_CSP = [
  "default-src 'none'", "script-src 'self'", "style-src 'self' 'unsafe-inline'", "img-src 'self' data:", "font-src 'self'",
  "connect-src 'self'", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
].join('; ')
const WEB_HEADERS = {
  'content-security-policy': WEB_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
}
/** The files of the build, by URL path, with their types. */
export const WEB_FILES = { '/': ['index.html', 'text/html; charset=utf-8'], '/ui/app.js': ['app.js', 'text/javascript; charset=utf-8'], '/ui/app.css': ['app.css', 'text/css; charset=utf-8'] } as const
/** Server-sent events: a comment this often keeps proxies and the idle-socket timeout from cutting the stream. */
export const SSE_KEEPALIVE_MS = 20_000

export interface WebRoutesOptions {
  consoles: ConsoleManager
  fleet: FleetFeed
  /** Where the build put the page (default: dist/web of this checkout). */
  webRoot?: string
  /** The server speaks TLS: cookies are Secure. */
  secure: boolean
}

/** dist/web, from this file in src/ (tsx) or in dist/src (built). */
export function defaultWebRoot(): string {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
  return basename(root) === 'dist' ? join(root, 'web') : join(root, 'dist', 'web')
}

const SignIn = Type.Object({ token: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })), code: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })) }, { additionalProperties: false })
const NotSignedIn = Type.Object({ signedIn: Type.Literal(false) })
const Me = Type.Object({ signedIn: Type.Literal(true), name: Type.String(), role: Type.String(), expiresAt: Type.Union([Type.String(), Type.Null()]), csrf: Type.Union([Type.String(), Type.Null()]) })

function principalOf(request: FastifyRequest): Principal {
  return request.principal
}

export function webPlugin(o: WebRoutesOptions): ApiPlugin {
  return async (app) => webRoutes(app as unknown as ApiInstance, o)
}

export async function webRoutes(app: ApiInstance, o: WebRoutesOptions): Promise<void> {
  fileRoutes(app, o.webRoot ?? defaultWebRoot())
  sessionRoutes(app, o.secure)
  dataRoutes(app, o)
}

/** The page's files, read once, public, with WEB_HEADERS. */
function fileRoutes(app: ApiInstance, root: string): void {
  for (const [url, [file, type]] of Object.entries(WEB_FILES)) {
    const path = join(root, file)
    const body = existsSync(path) ? readFileSync(path) : undefined
    app.get(url, { config: { public: true }, schema: { hide: true } }, async (_req, reply) => {
      if (body === undefined) throw new ServiceError('NOT_FOUND', 'the web UI is not built: run npm run build')
      return reply.headers(WEB_HEADERS).type(type).send(body)
    })
  }
}

/** Sign in, who am I, sign out. */
function sessionRoutes(app: ApiInstance, secure: boolean): void {
  const web = app.bmcvisorWeb

  app.post('/api/v1/session', {
    config: { public: true },
    schema: { summary: 'Browser sign-in: a token or a one-time code becomes an HttpOnly session cookie; the answer carries the CSRF token', tags: ['web'], body: SignIn, response: { 200: Me } },
  }, async (request, reply) => {
    const { token: given, code } = request.body
    if ((given === undefined) === (code === undefined)) throw new ServiceError('VALIDATION_FAILED', 'give exactly one of token and code', { details: { field: 'token' } })
    const token = given ?? web.redeemCode(code!)
    const p = token === undefined ? undefined : await app.bmcvisorIdentify(token)
    if (token === undefined || p === undefined) {
      audit(request, 'web.sign-in', { target: null, outcome: 'denied', with: given !== undefined ? 'token' : 'code' })
      throw new ServiceError('UNAUTHORIZED', given !== undefined ? 'the token is not valid (unknown, revoked or expired)' : 'the sign-in code is not valid (unknown, used or expired)')
    }
    const s = web.create(token)
    request.principal = p
    audit(request, 'web.sign-in', { target: p.tokenId, outcome: 'ok', with: given !== undefined ? 'token' : 'code' })
    return reply.header('set-cookie', sessionCookie(s.id, secure)).send({ signedIn: true, name: p.name, role: p.role, expiresAt: p.expiresAt, csrf: s.csrf })
  })

  // Public, so that a page that is not signed in learns it without an error (the browser logs every 401).
  app.get('/api/v1/session', {
    config: { public: true },
    schema: { summary: 'Who is signed in (signedIn false when nobody is) and, for a browser session, its CSRF token', tags: ['web'], response: { 200: Type.Union([Me, NotSignedIn]) } },
  }, async (request) => {
    const token = requestToken(request)
    const p = token === undefined ? undefined : await app.bmcvisorIdentify(token)
    if (p === undefined) return { signedIn: false as const }
    return { signedIn: true as const, name: p.name, role: p.role, expiresAt: p.expiresAt, csrf: web.sessionOf(request)?.csrf ?? null }
  })

  app.delete('/api/v1/session', {
    config: { role: 'viewer' },
    schema: { summary: "Sign out: ends this browser's session", tags: ['web'], response: { 204: Type.Null() } },
  }, async (request, reply) => {
    const s = web.sessionOf(request)
    if (s !== undefined) web.end(s.id)
    audit(request, 'web.sign-out', { target: principalOf(request).tokenId, outcome: 'ok' })
    return reply.code(204).header('set-cookie', clearedCookie(secure)).send(null)
  })
}

/** What the pages show that the REST API has no route for: fleet rows and their feed, the console log file. */
function dataRoutes(app: ApiInstance, o: WebRoutesOptions): void {

  app.get('/api/v1/fleet', {
    config: { role: 'viewer' },
    schema: { summary: "Every node's row as the fleet page shows it", tags: ['web'] },
    // Another member asks for the rows of the nodes this one owns (src/cluster/forward-fleet.ts).
  }, async (request) => ({ nodes: await o.fleet.rows({ own: forwardClaim(request) !== undefined }) }))

  app.get('/api/v1/fleet/events', {
    config: { role: 'viewer' },
    schema: { summary: 'The fleet rows as they change (text/event-stream: fleet, row, removed)', tags: ['web'] },
  }, async (request, reply) => fleetEvents(request, reply, o.fleet))

  app.get('/api/v1/nodes/:node/console/log', {
    config: { role: 'viewer', owner: true },
    schema: { summary: "The node's console log (the current file)", tags: ['console'], params: NodeParams },
  }, async (request, reply) => {
    const { node } = request.params as { node: string }
    const log = o.consoles.status(node).log
    if (log === null || !existsSync(log.path)) throw new ServiceError('NOT_FOUND', `console ${node} keeps no log on disk`, { details: { node } })
    audit(request, 'console.log', { target: node, outcome: 'ok' })
    return reply.type('text/plain; charset=utf-8').header('content-disposition', `attachment; filename="${node}.log"`).send(createReadStream(log.path))
  })
}

/** One stream per page: the rows now, then each change; ended when the token loses it, like a console socket. */
function fleetEvents(request: FastifyRequest, reply: FastifyReply, fleet: FleetFeed): void {
  const p = principalOf(request)
  const raw = reply.raw
  const lease = request.server.bmcvisorConnections.open(p, roleAllows(p.role, 'operator') ? 'operator' : 'viewer', () => raw.destroy())
  reply.hijack()
  raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' })
  const send = (event: string, data: unknown) => raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)
  // Changes computed before the first rows were read are older than those rows: only later ones are sent.
  let snapshotSent = false
  const unsubscribe = fleet.subscribe((u) => {
    if (!snapshotSent) return
    if (u.type === 'row') send('row', u.row)
    else send('removed', { name: u.name })
  })
  holdStream(raw, lease, unsubscribe, true)
  fleet.rows().then(
    (nodes) => {
      send('fleet', { nodes })
      snapshotSent = true
    },
    () => raw.destroy(), // the store did not answer: the page reconnects and asks again
  )
}

/**
 * Ties a hijacked event stream to its connection lease: the registry ending
 * the lease ends the stream, and a closed stream unsubscribes, stops the SSE
 * keepalive comments (`keepalive`: they keep proxies from timing it out) and
 * gives the lease back.
 */
export function holdStream(raw: ServerResponse, lease: ConnectionLease, unsubscribe: () => void, keepalive: boolean): void {
  const keep = keepalive ? setInterval(() => raw.write(': keepalive\n\n'), SSE_KEEPALIVE_MS).unref() : undefined
  lease.onEnd(() => raw.end())
  raw.once('close', () => {
    clearInterval(keep)
    unsubscribe()
    lease.release()
  })
}

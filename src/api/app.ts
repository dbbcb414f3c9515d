/**
 * buildApp(): the REST API as a fastify instance that never listens by
 * itself (src/main.ts is the only listen()). One plugin per resource under
 * src/api/routes/, TypeBox schemas for every body, param, query and reply,
 * OpenAPI 3 at /docs (JSON at /docs/json).
 *
 * CONTRACT for plugins written elsewhere (console, metrics):
 * - buildApp({ supervisor, store, logger, plugins, metrics, ... }): each of
 *   `plugins` is registered inside the authenticated scope with prefix
 *   /api/v1 (so a plugin's `/nodes/:node/console` answers at
 *   /api/v1/nodes/:node/console). `metrics` is registered at the root and
 *   its routes are marked open:'metrics' (open unless configuration closes
 *   it with `open`).
 * - Access is declared per route as `config: { role: 'viewer' | 'operator' |
 *   'admin' }` and enforced by ONE global onRequest hook (auth.ts). Deny by
 *   default: a route without config.role is admin-only. Only routes marked
 *   `config: { open: 'health' | 'metrics' | 'docs' }` can be reached without
 *   a token, and only while that kind is open (`open` option, default all).
 * - The token is `Authorization: Bearer TOKEN`; for WebSocket upgrades
 *   (`Upgrade: websocket`) on a route with `config: { queryToken: true }`
 *   also `?access_token=TOKEN` (auth.ts requestToken is the one reader).
 * - `request.principal` ({ tokenId, role, name }) is set on every route that
 *   required a token; on an open route reached without one it is null.
 * - `audit(request, action, { target, outcome, ...detail })` (exported from
 *   here) writes one audit row (who, what, when) and one log line; keys
 *   named like secrets are censored. Call it for every change, command and
 *   console attach.
 * - `config: { expensive: true }` counts a route against the token's bucket
 *   (rate-limit.ts); `app.bmcvisorConnections` is the registry of live
 *   connections per token (connections.ts) that long-lived routes join.
 * - http-guard.ts: header/request timeouts, refused upgrades closing their
 *   sockets, SHUTTING_DOWN once closing.
 * - Throw ServiceError (src/errors.ts) for failures; the error handler turns
 *   any error into `{ error: { code, message, details? } }` with its status.
 * - Store changes: `store.nodes` emits 'node:added' | 'node:updated' |
 *   'node:removed' (src/store/types.ts); node-sync.ts turns them into
 *   Supervisor.add/update/remove through toBmcConfig (node-config.ts).
 */
import type { IncomingMessage, ServerOptions as HttpServerOptions, ServerResponse } from 'node:http'
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyPluginAsync, type FastifyServerOptions, type RawServerDefault } from 'fastify'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import { TypeBoxValidatorCompiler, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { Logger } from '../log.js'
import { redactUrl } from '../log.js'
import type { Role, Store } from '../store/types.js'
import { WebSessions } from './web-sessions.js'
import { makeAuditSink, makeAuthHook, makeIdentify, OPEN_KINDS, type AuditSink, type OpenKind, type Principal } from './auth.js'
import { envelope, errorHandler, notFoundHandler } from './error-handler.js'
import { ConnectionRegistry } from './connections.js'
import { DEFAULT_EXPENSIVE_RATE, TokenBuckets, type RateLimit } from './rate-limit.js'
import { checkTimeouts, closeAfterResponse, CONNECTION_TIMEOUT_MARGIN_MS, DEFAULT_HEADERS_TIMEOUT_MS, DEFAULT_REQUEST_TIMEOUT_MS, httpGuard, nodeServerOptions, type HttpTimeouts } from './http-guard.js'
import type { SupervisorPort } from './ports.js'
import { forwardClaim, type Forwarder } from '../cluster/forward.js'
import { MAX_EXPR_PARAM_BYTES } from './noderange.js'
import { adminRoutes } from './routes/admin.js'
import { commandRoutes } from './routes/commands.js'
import { REGISTRY, type OpRegistry } from '../ops/registry.js'
import { healthRoutes } from './routes/health.js'
import { nodeRoutes } from './routes/nodes.js'
import { workerRoutes } from './routes/workers.js'
import { profileRoutes } from './routes/profile.js'

export { audit, type AuditDetail, type OpenKind, type Principal } from './auth.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller; set by the auth hook on every route that needs a token. */
    principal: Principal
  }
  interface FastifyContextConfig {
    /** The least role that may call this route; absent = admin. */
    role?: Role
    /** Reachable without a token while this kind is open. */
    open?: OpenKind
    /** A WebSocket upgrade here may carry its token as `?access_token=` (the console socket only). */
    queryToken?: boolean
    /** Counted against the token's bucket of expensive requests (rate-limit.ts). */
    expensive?: boolean
    /** Reachable by anyone, always: the browser UI's files and its sign-in (routes/web.ts) only. */
    public?: boolean
    /** Answered by the node's owner (a `:node` route that needs its worker, console or log): in a cluster, forwarded there (src/cluster/forward.ts). */
    owner?: boolean
  }
  interface FastifyInstance {
    bmcvisorAudit: AuditSink
    /** Live connections per token: limits, and ending them on revoke, expiry or a lower role. */
    bmcvisorConnections: ConnectionRegistry
    /** The per-token bucket of expensive requests. */
    bmcvisorRates: TokenBuckets
    /** Every route with its access declaration, as registered (tests check the permission matrix against it). */
    bmcvisorRoutes: RouteAccess[]
    /** Browser sessions and sign-in codes (web-sessions.ts); requestToken reads its cookie. */
    bmcvisorWeb: WebSessions
    /** Who a token is (auth.ts makeIdentify), for the sign-in route. */
    bmcvisorIdentify: (token: string) => Promise<Principal | undefined>
  }
}

export interface RouteAccess {
  method: string
  url: string
  role: Role | undefined
  open: OpenKind | undefined
  /** Reachable by anyone (config.public: the web page and its sign-in). */
  public: boolean
}

export type ApiInstance = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, Logger, TypeBoxTypeProvider>
/** A plugin given to buildApp: write it as FastifyPluginAsyncTypebox. */
export type ApiPlugin = FastifyPluginAsync<Record<never, never>, RawServerDefault, TypeBoxTypeProvider>

export interface ApiContext {
  supervisor: SupervisorPort
  store: Store
  logger: Logger
  /** Per-node command timeout when the request names none. */
  /** The operator's deadline for every command (serve's commandTimeoutMs); unset: each op's own default. */
  commandTimeoutMs: number | undefined
  /** The operations with REST routes (src/ops; tests add a fixture op). */
  ops: OpRegistry
  maxTimeoutMs: number
  enableFaultInjection: boolean
  /** `serve --allow-exec-consoles`: nodes may have exec consoles (routes/nodes.ts refuses them otherwise). */
  allowExecConsoles: boolean
  /** In a cluster: noderange commands are split by owner (src/cluster/forward.ts). */
  forward: Forwarder | undefined
}

export interface BuildAppOptions {
  supervisor: SupervisorPort
  store: Store
  logger: Logger
  /** Registered under /api/v1, behind the auth hook (console routes). */
  plugins?: ApiPlugin[]
  /** Registered at the root; its routes are open:'metrics' (the /metrics route). */
  metrics?: ApiPlugin
  /** BMCVISOR_ADMIN_TOKEN. */
  adminToken?: string | undefined
  /** Kinds reachable without a token; default all of health, metrics, docs. */
  open?: readonly OpenKind[]
  enableFaultInjection?: boolean
  allowExecConsoles?: boolean
  /** Default per-node timeout (10 s) and the most a request may ask for (120 s). */
  commandTimeoutMs?: number
  ops?: OpRegistry
  maxTimeoutMs?: number
  /** TLS: key and cert, plus any other tls.createServer options (minVersion, ciphers). */
  https?: ({ key: string | Buffer; cert: string | Buffer } & Record<string, unknown>) | undefined
  bodyLimit?: number
  /** Header, request and idle-socket timeouts (http-guard.ts; defaults there). */
  timeouts?: Partial<HttpTimeouts>
  limits?: ApiLimits
  /** Browser sessions (default a new one); serve passes its own to print sign-in links. */
  web?: WebSessions
  /** The browser UI (routes/web.ts), registered at the root. */
  ui?: ApiPlugin
  /** In a cluster: admits other members' forwarded requests and forwards owner routes (src/cluster/forward.ts). */
  forward?: Forwarder
}

export interface ApiLimits {
  /** WebSocket connections one token may hold (default DEFAULT_CONNECTIONS_PER_TOKEN). */
  connectionsPerToken?: number
  /** How often live tokens are re-read from the store, for changes made by another process (default DEFAULT_TOKEN_RECHECK_MS; 0 off). */
  tokenRecheckMs?: number
  /** Expensive requests per token (default DEFAULT_EXPENSIVE_RATE). */
  expensive?: RateLimit
}

/** Marks every route registered inside `plugin` as open of `kind` (unless it declares a role). */
function openScope(kind: OpenKind, plugin: ApiPlugin | FastifyPluginAsync, opts: Record<string, unknown> = {}): ApiPlugin {
  return async (app) => {
    app.addHook('onRoute', (route) => {
      const config = (route.config ?? {}) as { role?: Role; open?: OpenKind }
      if (config.role === undefined && config.open === undefined) route.config = { ...config, open: kind }
    })
    await app.register(plugin as FastifyPluginAsync, opts)
  }
}

export async function buildApp(o: BuildAppOptions): Promise<ApiInstance> {
  const ctx: ApiContext = {
    supervisor: o.supervisor,
    store: o.store,
    logger: o.logger,
    commandTimeoutMs: o.commandTimeoutMs,
    ops: o.ops ?? REGISTRY,
    maxTimeoutMs: o.maxTimeoutMs ?? 120_000,
    enableFaultInjection: o.enableFaultInjection ?? false,
    allowExecConsoles: o.allowExecConsoles ?? false,
    forward: o.forward,
  }
  const timeouts: HttpTimeouts = {
    headersTimeoutMs: o.timeouts?.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: o.timeouts?.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    connectionTimeoutMs: o.timeouts?.connectionTimeoutMs ?? ctx.maxTimeoutMs + CONNECTION_TIMEOUT_MARGIN_MS,
  }
  checkTimeouts(timeouts)
  const guard = httpGuard()
  const serverOptions: FastifyServerOptions & { http: HttpServerOptions } = {
    loggerInstance: o.logger,
    requestTimeout: timeouts.requestTimeoutMs,
    connectionTimeout: timeouts.connectionTimeoutMs,
    http: nodeServerOptions(timeouts),
    // Late requests during shutdown go through our hooks and get SHUTTING_DOWN in our envelope.
    return503OnClosing: false,
    // One line per request from the onResponse hook below (URL redacted, caller named) instead of fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: o.bodyLimit ?? 1 << 20,
    // A noderange is a URL parameter: fastify's default (100 characters) would cut it long before its own limit.
    routerOptions: { maxParamLength: MAX_EXPR_PARAM_BYTES },
    frameworkErrors: (err, req, res) => {
      const reply = res as unknown as FastifyReply
      closeAfterResponse(req.raw, reply.raw)
      // Refused before any route: like every such refusal, the connection closes (http-guard.ts).
      void reply.header('connection', 'close')
      void reply.code(400).type('application/json').send(envelope('VALIDATION_FAILED', err.code === 'FST_ERR_BAD_URL' ? 'the URL is not valid' : 'the request is not valid', { field: 'url' }))
    },
  }
  const options = o.https === undefined ? serverOptions : { ...serverOptions, https: { ...nodeServerOptions(timeouts), ...o.https } }
  const app = Fastify(options as FastifyServerOptions).withTypeProvider<TypeBoxTypeProvider>() as unknown as ApiInstance
  app.setValidatorCompiler(TypeBoxValidatorCompiler)
  app.decorateRequest('principal', null as unknown as Principal)
  app.decorate('bmcvisorAudit', makeAuditSink(o.store.audit, o.logger))
  const connections = new ConnectionRegistry({
    tokens: o.store.tokens,
    ...(o.limits?.connectionsPerToken !== undefined ? { maxPerToken: o.limits.connectionsPerToken } : {}),
    ...(o.limits?.tokenRecheckMs !== undefined ? { recheckMs: o.limits.tokenRecheckMs } : {}),
  })
  app.decorate('bmcvisorConnections', connections)
  app.addHook('onClose', async () => connections.close())
  const rates = new TokenBuckets(o.limits?.expensive ?? DEFAULT_EXPENSIVE_RATE)
  app.decorate('bmcvisorRates', rates)
  const routes: RouteAccess[] = []
  app.decorate('bmcvisorRoutes', routes)
  app.decorate('bmcvisorWeb', o.web ?? new WebSessions())
  app.decorate('bmcvisorIdentify', makeIdentify({ tokens: o.store.tokens, adminToken: o.adminToken }))
  app.addHook('onRoute', (r) => {
    // Read the config late: onRoute hooks of inner scopes (openScope) run after this one and may set it.
    const config = () => (r.config ?? {}) as { role?: Role; open?: OpenKind; public?: boolean }
    for (const method of [r.method].flat()) {
      routes.push({ method, url: r.url, get role() { return config().role }, get open() { return config().open }, get public() { return config().public === true } })
    }
  })
  app.setErrorHandler(errorHandler)
  app.setNotFoundHandler(notFoundHandler)
  app.addContentTypeParser('application/merge-patch+json', { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'))

  const open = new Set(o.open ?? OPEN_KINDS)
  app.addHook('onRequest', guard.onRequest)
  app.addHook('onSend', guard.onSend)
  app.addHook('preHandler', guard.preHandler)
  app.addHook('preClose', guard.preClose)
  const forward = o.forward
  app.addHook('onRequest', makeAuthHook({ tokens: o.store.tokens, adminToken: o.adminToken, open, ...(forward !== undefined ? { forwarded: (r) => forward.admit(r) } : {}) }))
  app.addHook('onRequest', async (request) => {
    const p = request.principal as Principal | null
    // A forwarded request was counted on the member the caller reached.
    if (p !== null && (request.routeOptions.config as { expensive?: boolean }).expensive === true && forwardClaim(request) === undefined) rates.take(p.tokenId)
  })
  if (forward !== undefined) {
    app.addHook('preValidation', async (request) => forward.checkBody(request))
    app.addHook('preHandler', async (request, reply) => {
      if ((request.routeOptions.config as { owner?: boolean }).owner !== true) return
      if (await forward.route(request, reply, (request.params as { node: string }).node)) return reply
    })
    app.addHook('onSend', async (request, reply, payload) => {
      if (forwardClaim(request) !== undefined) void reply.headers(forward.replyHeaders(request, reply.statusCode))
      return payload
    })
  }
  app.addHook('onResponse', async (request, reply) => {
    request.log.info({
      method: request.method, url: redactUrl(request.url), status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10,
      actor: (request.principal as Principal | null)?.name,
    }, 'request')
  })

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'bmcvisor', version: '1', description: 'BMC consoles and commands for a fleet. Errors are { error: { code, message, details } }; see docs/errors.md.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  })
  await app.register(openScope('docs', swaggerUi as unknown as FastifyPluginAsync, { routePrefix: '/docs' }))
  await app.register(healthRoutes, { ctx })
  if (o.metrics !== undefined) await app.register(openScope('metrics', o.metrics))
  if (o.ui !== undefined) await app.register(o.ui)
  await app.register(async (api: ApiInstance) => {
    await api.register(nodeRoutes, { ctx })
    await api.register(commandRoutes, { ctx })
    await api.register(workerRoutes, { ctx })
    await api.register(profileRoutes, { ctx })
    await api.register(adminRoutes, { ctx })
    for (const p of o.plugins ?? []) await api.register(p)
  }, { prefix: '/api/v1' })
  return app
}

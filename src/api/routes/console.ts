/**
 * Console routes, a self-contained plugin that buildApp() registers under
 * /api/v1 behind the auth hook (src/main.ts passes `consolePlugin(consoles)`):
 *   GET  /nodes/:node/console          status (viewer)
 *   POST /nodes/:node/console/reopen   close and reopen, or retry now (operator)
 *   GET  /nodes/:node/console/ws       WebSocket (viewer; `mode=rw` needs operator)
 *        ?mode=rw|ro&replay=screen|tail|none (default screen: the worker's current screen)
 * On the socket, console bytes are binary frames both ways; control is JSON
 * text frames: the server sends hello, state, clients, holder, replay (then
 * one binary frame), notice, error, dropped, input-dropped; a client sends
 * break, takeover, release, reopen. Back-pressure on input: the session may
 * pause reading a socket (pauseInput); the heartbeat does not end a paused
 * client for the pongs it cannot read meanwhile. The ConsoleSession does the arbitration; this file only
 * adapts a `ws` socket to a ClientSink and checks roles.
 * Hazards: a socket's sends never block (ws queues), so bufferedAmount is
 * the client's backlog that ConsoleSession watches; a ping every 25 s ends
 * half-open connections that would otherwise hold a client slot forever.
 */
import websocket from '@fastify/websocket'
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import type { RawData, WebSocket } from 'ws'
import { ServiceError, toWire } from '../../errors.js'
import type { ClientMessage, ClientSink, ConsoleClientHandle, ConsoleManager, ReplayKind, ServerMessage } from '../../console/index.js'
import { assertNever, NODE_NAME_PATTERN } from '../../bridge/messages.js'
import { audit, auditOutcome, DENIED, roleAllows, type Principal } from '../auth.js'
import { TOKEN_CLOSE, type ConnectionLease } from '../connections.js'
import type { IncomingMessage } from 'node:http'
import { forwardClaim, type ForwardCluster, type Forwarder } from '../../cluster/forward.js'
import { ConsoleFollower, type LocalEnd } from '../../cluster/forward-console.js'

export interface ConsoleRoutesOptions {
  consoles: ConsoleManager
  /** Largest inbound frame (default 64 KiB): keystrokes and pastes, not files. */
  maxPayloadBytes?: number
  /** Ping period; a client that misses two pongs is ended (default 25 s). */
  heartbeatMs?: number
  /** A dropped client gets this long to read its backlog and the close frame (default 30 s). */
  closeGraceMs?: number
  /** In a cluster: a socket follows the node's owner (src/cluster/forward-console.ts); without, every console is here. */
  follow?: ConsoleFollowing
}

/** What a console socket needs to follow its node's owner. */
export interface ConsoleFollowing {
  forwarder: Forwarder
  /** Undefined until this instance has joined. */
  cluster: () => ForwardCluster | undefined
  /** Ownership changes (Cluster 'owners'); returns the unsubscribe. */
  watch: (changed: () => void) => () => void
}

/** `?replay=`: screen (the default), tail (the raw last bytes; also 1, true: what they meant before screens), none (also 0, false). */
const REPLAY_QUERY = ['screen', 'tail', 'none', '0', '1', 'true', 'false'] as const
type ReplayQuery = (typeof REPLAY_QUERY)[number]
const Params = Type.Object({ node: Type.String({ pattern: NODE_NAME_PATTERN }) }, { additionalProperties: false })
const WsQuery = Type.Object({
  mode: Type.Optional(Type.Union([Type.Literal('rw'), Type.Literal('ro')])),
  replay: Type.Optional(Type.Union([...REPLAY_QUERY].map((v) => Type.Literal(v)))),
  access_token: Type.Optional(Type.String()),
})
const Client = Type.Object({ id: Type.Integer(), user: Type.String(), mode: Type.String(), canWrite: Type.Boolean(), since: Type.String() })
const Status = Type.Object({
  node: Type.String(),
  state: Type.Union([Type.Literal('unconnected'), Type.Literal('connecting'), Type.Literal('connected')]),
  reason: Type.Union([Type.String(), Type.Null()]),
  message: Type.Union([Type.String(), Type.Null()]),
  method: Type.String(),
  logging: Type.String(),
  wanted: Type.Boolean(),
  clients: Type.Array(Client),
  holder: Type.Union([Type.Object({ client: Type.Integer(), user: Type.String() }), Type.Null()]),
  bytesIn: Type.Integer(),
  bytesOut: Type.Integer(),
  inputDroppedBytes: Type.Integer(),
  lastDataAt: Type.Union([Type.String(), Type.Null()]),
  replayBytes: Type.Integer(),
  since: Type.String(),
  log: Type.Union([Type.Object({ path: Type.String(), bytes: Type.Integer() }), Type.Null()]),
})

/** Each socket's slot among its token's connections, from preValidation to the handler. */
const leases = new WeakMap<FastifyRequest, ConnectionLease>()

/** The close a client gets when the server shuts down (docs/console.md). */
export const SHUTDOWN_CLOSE = { code: 1001, reason: 'server shutting down' } as const

interface NodeParams { node: string }
interface WsQueryT { mode?: 'rw' | 'ro'; replay?: ReplayQuery }

function replayKind(q: ReplayQuery | undefined): ReplayKind {
  switch (q) {
    case undefined:
    case 'screen':
      return 'screen'
    case 'tail':
    case '1':
    case 'true':
      return 'tail'
    case 'none':
    case '0':
    case 'false':
      return 'none'
    default:
      return assertNever(q)
  }
}

function principalOf(request: FastifyRequest): Principal {
  const p = (request as { principal?: Principal | null }).principal
  if (p === undefined || p === null) throw new ServiceError('UNAUTHORIZED', 'a bearer token is required')
  return p
}

export async function consoleRoutes(app: FastifyInstance, o: ConsoleRoutesOptions): Promise<void> {
  const { consoles } = o
  const heartbeatMs = o.heartbeatMs ?? 25_000
  await app.register(websocket, {
    options: { maxPayload: o.maxPayloadBytes ?? 64 * 1024 },
    // Shutdown: every client is told why (1001 going away) instead of a bare close (1005).
    preClose: function (this: FastifyInstance, done: () => void) {
      for (const client of this.websocketServer.clients) client.close(SHUTDOWN_CLOSE.code, SHUTDOWN_CLOSE.reason)
      done()
    },
  })

  app.get<{ Params: NodeParams }>('/nodes/:node/console', {
    config: { role: 'viewer', owner: true },
    schema: { summary: "A node's console: state and reason, clients, holder, bytes, log", tags: ['console'], params: Params, response: { 200: Status } },
  }, async (request) => consoles.status(request.params.node))

  app.post<{ Params: NodeParams }>('/nodes/:node/console/reopen', {
    config: { role: 'operator', expensive: true, owner: true },
    schema: { summary: 'Close and reopen a connected console; an unconnected one retries now', tags: ['console'], params: Params, response: { 202: Type.Object({ reopened: Type.Boolean() }) } },
  }, async (request, reply) => {
    const node = request.params.node
    try {
      await consoles.reopen(node)
      audit(request, 'console.reopen', { target: node, outcome: 'ok' })
    } catch (e) {
      audit(request, 'console.reopen', { target: node, outcome: auditOutcome(e) })
      throw e
    }
    return reply.code(202).send({ reopened: true })
  })

  app.get<{ Params: NodeParams; Querystring: WsQueryT }>('/nodes/:node/console/ws', {
    websocket: true,
    config: { role: 'viewer', queryToken: true },
    schema: { summary: 'Attach to a console (WebSocket): binary frames for bytes, JSON text frames for control', tags: ['console'], params: Params, querystring: WsQuery },
    // Refused before the upgrade, as plain HTTP errors.
    preValidation: async (request) => admit(request, consoles, o.follow),
  }, (socket, request) => serveSocket(socket, request, consoles, { heartbeatMs, closeGraceMs: o.closeGraceMs ?? 30_000, follow: o.follow }))
  // A forwarded socket's upgrade answer is signed over its request's nonce (the forwarding member checks it).
  const follow = o.follow
  if (follow !== undefined) {
    app.websocketServer.on('headers', (headers: string[], req: IncomingMessage) => {
      const r = upgrades.get(req)
      if (r === undefined) return
      for (const [k, v] of Object.entries(follow.forwarder.replyHeaders(r, 101))) headers.push(`${k}: ${v}`)
    })
  }
}

/** The fastify request of a forwarded upgrade, by its raw request (the 'headers' event has only that). */
const upgrades = new WeakMap<IncomingMessage, FastifyRequest>()

type WsRequest = FastifyRequest<{ Params: NodeParams; Querystring: WsQueryT }>

/**
 * Before the upgrade: the node exists, the role allows the mode, and the token has a connection slot left;
 * a socket another member forwarded is for a node this member owns (one hop: it is attached here or refused).
 */
function admit(request: WsRequest, consoles: ConsoleManager, follow: ConsoleFollowing | undefined): void {
  consoles.get(request.params.node)
  if (forwardClaim(request) !== undefined) {
    const c = follow?.cluster()
    const owner = c?.ownerOf(request.params.node)
    if (owner !== undefined && owner.id !== c?.self()?.id) {
      throw new ServiceError('NODE_OWNED_ELSEWHERE', `node ${request.params.node} is owned by cluster member ${owner.id}`, { details: { node: request.params.node, member: owner.id, address: owner.address } })
    }
    upgrades.set(request.raw, request)
  }
  const p = principalOf(request)
  const target = request.params.node
  if (request.query.mode === 'rw' && !roleAllows(p.role, 'operator')) {
    audit(request, 'console.attach', { target, mode: 'rw', outcome: DENIED })
    throw new ServiceError('FORBIDDEN', `read-write needs the operator role; the token has ${p.role}`, { details: { need: 'operator', have: p.role } })
  }
  // Last: a slot of the token's connections, held until the socket closes (TOO_MANY_CONNECTIONS when none is left).
  const raw = request.raw.socket
  let lease: ConnectionLease
  try {
    lease = request.server.bmcvisorConnections.open(p, roleAllows(p.role, 'operator') ? 'operator' : 'viewer', () => raw.destroy())
  } catch (e) {
    audit(request, 'console.attach', { target, mode: request.query.mode ?? null, outcome: auditOutcome(e) })
    throw e
  }
  if (!lease.live) throw new ServiceError('UNAUTHORIZED', 'the token expired')
  leases.set(request, lease)
  // An upgrade socket already destroyed may have emitted its 'close' before this listener: release now.
  if (raw.destroyed) lease.release()
  else raw.once('close', () => lease.release())
}

interface SocketOptions { heartbeatMs: number; closeGraceMs: number; follow: ConsoleFollowing | undefined }

/**
 * After the upgrade: attach the socket to the console (here, or following its owner in a cluster), keep it
 * alive, end it when its token loses it.
 */
function serveSocket(socket: WebSocket, request: WsRequest, consoles: ConsoleManager, o: SocketOptions): void {
  const lease = leases.get(request)!
  const cluster = o.follow?.cluster()
  if (o.follow !== undefined && cluster !== undefined && forwardClaim(request) === undefined) {
    const follow = o.follow
    const follower = new ConsoleFollower({
      node: request.params.node, principal: principalOf(request), query: ownerQuery(request.query), client: socket,
      forwarder: follow.forwarder, cluster, watch: follow.watch,
      attachLocal: () => attachHere(socket, request, consoles, o),
    })
    const stop = keepAlive(socket, o.heartbeatMs, () => follower.clientPaused)
    lease.onEnd((why) => {
      follower.close()
      socket.close(TOKEN_CLOSE[why].code, TOKEN_CLOSE[why].reason)
    })
    socket.on('close', stop)
    return
  }
  let local: LocalEnd
  try {
    local = attachHere(socket, request, consoles, o)
  } catch (e) {
    socket.close(1011, (e as Error).message.slice(0, 120))
    return
  }
  // Revoked, expired or lowered: out of the console at once, then told why.
  lease.onEnd((why) => local.detach(why, TOKEN_CLOSE[why]))
  const stop = keepAlive(socket, o.heartbeatMs, () => local.paused)
  socket.on('message', (data: RawData, isBinary: boolean) => {
    // Frames still in flight when the token lost this connection do nothing.
    if (!lease.live) return
    if (isBinary) return local.input(toBytes(data))
    local.control(toBytes(data).toString())
  })
  const done = () => {
    stop()
    local.detach()
  }
  socket.on('close', done)
  socket.on('error', done)
}

/** The query asked again of each owner: the client's mode and replay kind, never its token. */
function ownerQuery(q: WsQueryT): string {
  const params = new URLSearchParams()
  if (q.mode !== undefined) params.set('mode', q.mode)
  if (q.replay !== undefined) params.set('replay', q.replay)
  const text = params.toString()
  return text === '' ? '' : `?${text}`
}

/** This socket attached to this instance's console session of the node, audited; throws (audited) when it cannot be. */
function attachHere(socket: WebSocket, request: WsRequest, consoles: ConsoleManager, o: SocketOptions): LocalEnd {
  const node = request.params.node
  const p = principalOf(request)
  const canWrite = roleAllows(p.role, 'operator')
  const mode = request.query.mode ?? (canWrite ? 'rw' : 'ro')
  const sink = wsSink(socket, o.closeGraceMs)
  let handle: ConsoleClientHandle
  try {
    handle = consoles.attach(node, sink, { mode, replay: replayKind(request.query.replay), user: p.name, canWrite })
  } catch (e) {
    audit(request, 'console.attach', { target: node, mode, outcome: auditOutcome(e) })
    throw e
  }
  audit(request, 'console.attach', { target: node, mode, outcome: 'ok' })
  return {
    get paused() {
      return sink.paused
    },
    input: (data) => handle.input(data),
    control: (text) => onControl(request, node, handle, socket, text),
    detach: (why, close) => {
      handle.detach(why)
      // A socket following its owner elsewhere is resumed (a paused input is this session's only).
      if (sink.paused) socket.resume()
      if (close !== undefined) sink.close(close.code, close.reason)
    },
  }
}

/** A ping every heartbeatMs; a socket that answered nothing since the last one is ended, unless its input is paused (its pongs cannot be read). */
function keepAlive(socket: WebSocket, heartbeatMs: number, paused: () => boolean): () => void {
  let alive = true
  const ping = setInterval(() => {
    if (!alive && !paused()) return socket.terminate()
    alive = false
    socket.ping()
  }, heartbeatMs)
  ping.unref()
  socket.on('pong', () => (alive = true))
  socket.on('message', () => (alive = true))
  return () => clearInterval(ping)
}

function onControl(request: FastifyRequest, node: string, handle: ConsoleClientHandle, socket: WebSocket, text: string): void {
  let msg: ClientMessage
  try {
    msg = JSON.parse(text) as ClientMessage
  } catch {
    return send(socket, { type: 'error', code: 'VALIDATION_FAILED', message: 'text frames must be JSON control messages; console input goes in binary frames' })
  }
  switch (msg?.type) {
    case 'break':
      return handle.sendBreak()
    case 'takeover':
      if (!roleAllows(principalOf(request).role, 'operator')) {
        audit(request, 'console.takeover', { target: node, outcome: DENIED })
        return send(socket, { type: 'error', code: 'FORBIDDEN', message: 'read-write needs the operator role' })
      }
      handle.takeover()
      return audit(request, 'console.takeover', { target: node, outcome: 'ok' })
    case 'release':
      return handle.release()
    case 'reopen':
      if (!roleAllows(principalOf(request).role, 'operator')) {
        audit(request, 'console.reopen', { target: node, outcome: DENIED })
        return send(socket, { type: 'error', code: 'FORBIDDEN', message: 'reopen needs the operator role' })
      }
      try {
        request.server.bmcvisorRates.take(principalOf(request).tokenId)
      } catch (e) {
        audit(request, 'console.reopen', { target: node, outcome: auditOutcome(e) })
        return send(socket, { type: 'error', code: toWire(e).code, message: toWire(e).message })
      }
      handle.reopen().then(() => audit(request, 'console.reopen', { target: node, outcome: 'ok' }), (e: unknown) => {
        audit(request, 'console.reopen', { target: node, outcome: auditOutcome(e) })
        const w = toWire(e)
        send(socket, { type: 'error', code: w.code, message: w.message })
      })
      return
    default:
      return send(socket, { type: 'error', code: 'VALIDATION_FAILED', message: 'unknown control message; one of break, takeover, release, reopen' })
  }
}

function send(socket: WebSocket, m: ServerMessage): void {
  if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(m))
}

function wsSink(socket: WebSocket, closeGraceMs: number): ClientSink & { readonly paused: boolean } {
  let paused = false
  return {
    get paused() {
      return paused
    },
    pauseInput: () => {
      paused = true
      socket.pause()
    },
    resumeInput: () => {
      paused = false
      socket.resume()
    },
    data: (bytes) => {
      if (socket.readyState === socket.OPEN) socket.send(bytes, { binary: true })
    },
    control: (m) => send(socket, m),
    get bufferedBytes() {
      return socket.bufferedAmount
    },
    close: (code, reason) => {
      socket.close(code, reason)
      // A client that stopped reading may still read its backlog, the notice and the
      // close frame (nothing more is queued for it); one that never does is cut off.
      const cut = setTimeout(() => socket.terminate(), closeGraceMs).unref()
      socket.once('close', () => clearTimeout(cut))
    },
  }
}

function toBytes(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data
  if (Array.isArray(data)) return Buffer.concat(data)
  return Buffer.from(data)
}

/** The plugin as buildApp({ plugins }) takes it. */
export function consolePlugin(consoles: ConsoleManager, o: Omit<ConsoleRoutesOptions, 'consoles'> = {}): FastifyPluginAsync {
  return async (app) => consoleRoutes(app, { ...o, consoles })
}

/**
 * Connection hygiene for the HTTP server, against clients that never play
 * fair: how long a client may take to send its headers and its request, and
 * that no socket outlives a request that was refused.
 *
 * - Node's HTTP server forgets a socket once it has emitted 'upgrade': a
 *   refused upgrade (no token, bad token, forbidden role, unknown route, an
 *   Upgrade header on a plain route, a bad URL, shutdown) must close it
 *   itself, or the descriptor stays open for good. closeAfterResponse()
 *   does that when the refusal has been written; a WebSocket that really
 *   upgrades hijacks its reply, so its response never finishes here.
 * - An error answered before the route's handler ran (no or bad token, a
 *   role too low, a framework error: bad URL, JSON, size; a limit) asks for
 *   `Connection: close`, so a refused client holds no keep-alive socket.
 * - Shutdown: once closing, every request is answered SHUTTING_DOWN in our
 *   envelope (fastify's own 503 body is turned off).
 */
import type { IncomingMessage, ServerOptions as HttpServerOptions, ServerResponse } from 'node:http'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { ServiceError } from '../errors.js'

export interface HttpTimeouts {
  /** Time for a client to send the request line and all headers (slowloris). */
  headersTimeoutMs: number
  /** Time to receive a whole request, body included; at least headersTimeoutMs. */
  requestTimeoutMs: number
  /** A socket with no traffic at all for this long is closed (0: never). */
  connectionTimeoutMs: number
}

/** How much longer than the longest command a silent socket may live (a JSON range reply is silent until it is complete). */
export const CONNECTION_TIMEOUT_MARGIN_MS = 30_000
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000
/** Node checks the two timeouts above on an interval (30 s by default); at most this, and a fraction of the headers timeout. */
const MAX_CHECK_INTERVAL_MS = 1_000
const MIN_CHECK_INTERVAL_MS = 50

export function checkTimeouts(t: HttpTimeouts): void {
  const bad = (field: string, message: string) => new ServiceError('VALIDATION_FAILED', message, { details: { field } })
  for (const [k, v] of Object.entries(t)) if (!Number.isInteger(v) || v < 0) throw bad(k, `${k} must be a whole number of milliseconds`)
  if (t.headersTimeoutMs < 1) throw bad('headersTimeoutMs', 'headersTimeoutMs must be at least 1 ms')
  if (t.requestTimeoutMs < t.headersTimeoutMs) throw bad('requestTimeoutMs', 'requestTimeoutMs must be at least headersTimeoutMs')
}

/** Options of node's http/https createServer that enforce the timeouts. */
export function nodeServerOptions(t: HttpTimeouts): HttpServerOptions {
  return {
    headersTimeout: t.headersTimeoutMs,
    requestTimeout: t.requestTimeoutMs,
    connectionsCheckingInterval: Math.max(MIN_CHECK_INTERVAL_MS, Math.min(MAX_CHECK_INTERVAL_MS, Math.floor(t.headersTimeoutMs / 4))),
  }
}

/**
 * For a request that came through the server's 'upgrade' event: the
 * response says `Connection: close`, and the socket is destroyed once the
 * response is written or the client goes away.
 */
export function closeAfterResponse(req: IncomingMessage, res: ServerResponse): void {
  // Set by node's parser for a request it handed to the 'upgrade' event (missing from @types/node 20).
  if ((req as { upgrade?: boolean }).upgrade !== true) return
  if (!res.headersSent) res.setHeader('connection', 'close')
  const end = () => req.socket.destroy()
  res.once('finish', end)
  res.once('close', end)
}

export interface HttpGuard {
  /** Root onRequest hook, registered before authentication. */
  onRequest(request: FastifyRequest, reply: FastifyReply): Promise<void>
  /** Root preHandler hook: the request passed parsing, validation and access checks, and reaches its handler. */
  preHandler(request: FastifyRequest): Promise<void>
  /** Root onSend hook. */
  onSend(request: FastifyRequest, reply: FastifyReply): Promise<void>
  /** Root preClose hook: from now on, requests are SHUTTING_DOWN. */
  preClose(): Promise<void>
}

export function httpGuard(): HttpGuard {
  let closing = false
  const handled = new WeakSet<FastifyRequest>()
  return {
    async onRequest(request, reply) {
      closeAfterResponse(request.raw, reply.raw)
      if (closing) throw new ServiceError('SHUTTING_DOWN', 'the server is shutting down; retry on another instance or after the restart')
    },
    async preHandler(request) {
      handled.add(request)
    },
    async onSend(request, reply) {
      if (reply.statusCode >= 400 && !handled.has(request) && !reply.raw.headersSent) void reply.header('connection', 'close')
    },
    async preClose() {
      closing = true
    },
  }
}

/**
 * Console watch matches (issue 17): what each node's worker matched on its
 * live console (src/console/matches.ts keeps them), a plugin that buildApp()
 * registers under /api/v1 (src/main.ts passes `consoleMatchesPlugin(...)`):
 *   GET /nodes/:node/console/matches?limit=N   the node's recent matches, newest first (viewer)
 *   GET /console/matches/stream                 every new match of the fleet (viewer):
 *       NDJSON (one match per line) by default; Server-Sent Events (`event: match`)
 *       with `Accept: text/event-stream`.
 * A stream holds one of its token's connection slots and ends when the token
 * is revoked, expires or loses the role, like a console socket, and when its
 * client leaves more than MAX_STREAM_BACKLOG_BYTES unread.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { WATCH_SEVERITIES } from '../../bridge/watch.js'
import { ServiceError } from '../../errors.js'
import { MATCHES_PER_NODE, type ConsoleMatches, type MatchEvent } from '../../console/index.js'
import type { ApiInstance, ApiPlugin } from '../app.js'
import { NodeParams, withErrors } from '../schemas.js'
import { holdStream } from './web.js'

export interface ConsoleMatchesOptions {
  matches: ConsoleMatches
  /** Whether a node of this name is configured (NODE_NOT_FOUND otherwise). */
  known: (node: string) => Promise<boolean>
}

export const MatchView = Type.Object({
  node: Type.String(),
  pattern: Type.String({ description: 'The watch pattern that matched (the pattern label of bmcvisor_console_matches_total).' }),
  severity: Type.Enum([...WATCH_SEVERITIES]),
  line: Type.String({ description: 'The console line, ANSI sequences and CR removed, at most 256 characters.' }),
  truncated: Type.Boolean({ description: 'The line was longer and was cut.' }),
  at: Type.String({ description: 'When the node\'s worker saw the line (ISO 8601).' }),
  count: Type.Integer({ minimum: 1, description: 'Matching lines this event stands for: more than 1 when a flood was folded (the line and time are the last one\'s).' }),
}, { additionalProperties: false })

const LimitQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MATCHES_PER_NODE, description: `At most this many (default and most: ${MATCHES_PER_NODE}).` })),
}, { additionalProperties: false })

const SSE = 'text/event-stream'
/** A stream client that leaves this much unread is ended (a storm of matches must not pile up in memory). */
export const MAX_STREAM_BACKLOG_BYTES = 1024 * 1024

function wantsSse(request: FastifyRequest): boolean {
  const a = request.headers.accept
  return typeof a === 'string' && a.toLowerCase().includes(SSE)
}

function routes(app: ApiInstance, o: ConsoleMatchesOptions): void {
  app.get('/nodes/:node/console/matches', {
    config: { role: 'viewer', owner: true },
    schema: {
      summary: "The node's recent console watch matches (kernel panic, Call Trace, ...), newest first", tags: ['console'],
      params: NodeParams, querystring: LimitQuery,
      response: withErrors({ 200: Type.Object({ node: Type.String(), matches: Type.Array(MatchView) }) }),
    },
  }, async (request) => {
    const { node } = request.params
    if (!(await o.known(node))) throw new ServiceError('NODE_NOT_FOUND', `no node named ${node}`, { details: { node } })
    return { node, matches: o.matches.recent(node, request.query.limit ?? MATCHES_PER_NODE) }
  })

  app.get('/console/matches/stream', {
    config: { role: 'viewer' },
    schema: {
      summary: 'Every new console watch match of the fleet, as it happens (NDJSON; text/event-stream with Accept: text/event-stream)', tags: ['console'],
    },
  }, async (request, reply) => stream(request, reply, o.matches))
}

function stream(request: FastifyRequest, reply: FastifyReply, matches: ConsoleMatches): void {
  const raw = reply.raw
  const lease = request.server.bmcvisorConnections.open(request.principal, 'viewer', () => raw.destroy())
  const sse = wantsSse(request)
  reply.hijack()
  raw.writeHead(200, {
    'content-type': sse ? `${SSE}; charset=utf-8` : 'application/x-ndjson; charset=utf-8',
    'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no',
  })
  const send = (e: MatchEvent) => {
    if (raw.writableLength > MAX_STREAM_BACKLOG_BYTES) {
      raw.destroy()
      return
    }
    raw.write(sse ? `event: match\ndata: ${JSON.stringify(e)}\n\n` : `${JSON.stringify(e)}\n`)
  }
  const unsubscribe = matches.watch(send)
  // NDJSON lines are matches only: no keepalive comments there.
  holdStream(raw, lease, unsubscribe, sse)
  if (sse) raw.write(': matches\n\n')
  else raw.flushHeaders()
}

export function consoleMatchesPlugin(o: ConsoleMatchesOptions): ApiPlugin {
  return async (app) => routes(app as unknown as ApiInstance, o)
}

/**
 * The HTTPS binding of a simulated BMC's Redfish service: one node:https
 * server on a loopback port, feeding each request to RedfishService and
 * applying the BMC's transport faults on the way: a dead or rebooting BMC
 * and the loss ratio drop the connection (no answer), a hung BMC holds the
 * request forever, the delay fault answers late.
 * Owns the server, its open connections and the delay timers; close() ends
 * all of them. Only this file of src/sim/redfish opens sockets.
 * Hazard: a held (hung) request keeps its socket until close() or the
 * client gives up; that is the point of the fault.
 */
import { createServer, type Server } from 'node:https'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { realClock, type SimClock } from '../faults.js'
import { Prng } from '../prng.js'
import type { SimBmc } from '../sim-bmc.js'
import type { RedfishService, RedfishResponse } from './service.js'
import { fail } from './service.js'
import type { SimCertificate } from './tls.js'

/** Larger bodies are refused with 413 (no Redfish request of this service needs more). */
const MAX_BODY_BYTES = 64 * 1024

export interface RedfishServerOptions {
  host: string
  /** 0 lets the kernel pick. */
  port: number
  certificate: SimCertificate
  clock?: SimClock
  /** Seed for the drop decisions (default 1). */
  seed?: number
}

export interface RedfishServerStats {
  requests: number
  answered: number
  /** Connections destroyed by the loss fault, or because the BMC was dead or rebooting. */
  dropped: number
  /** Requests held by the hang fault. */
  held: number
}

export interface SimRedfishServer {
  readonly host: string
  readonly port: number
  /** https://HOST:PORT (the service root is under /redfish/v1/). */
  readonly url: string
  readonly stats: RedfishServerStats
  close(): Promise<void>
}

function lowerHeaders(req: IncomingMessage): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {}
  for (const [k, v] of Object.entries(req.headers)) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v
  return out
}

function send(res: ServerResponse, r: RedfishResponse): void {
  const body = r.body === undefined ? undefined : Buffer.from(JSON.stringify(r.body))
  res.writeHead(r.status, {
    'OData-Version': '4.0',
    'Cache-Control': 'no-store',
    ...(body !== undefined ? { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(body.length) } : {}),
    ...r.headers,
  })
  res.end(body, () => r.after?.())
}

export async function listenRedfish(service: RedfishService, bmc: SimBmc, opts: RedfishServerOptions): Promise<SimRedfishServer> {
  const clock = opts.clock ?? realClock
  const prng = new Prng(opts.seed ?? 1)
  const stats: RedfishServerStats = { requests: 0, answered: 0, dropped: 0, held: 0 }
  const sockets = new Set<Socket>()
  const timers = new Set<unknown>()

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    stats.requests++
    const faults = bmc.faults
    // One draw per request whatever the settings, so the same seed gives the same drops.
    const lost = prng.chance(faults.dropRatio)
    if (bmc.isDead || bmc.isRebooting || lost) {
      stats.dropped++
      req.socket.destroy()
      return
    }
    if (faults.hang) {
      stats.held++
      return
    }
    const chunks: Buffer[] = []
    let size = 0
    let tooLarge = false
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > MAX_BODY_BYTES) tooLarge = true
      else chunks.push(c)
    })
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'https://sim.invalid')
      const answer = tooLarge
        ? fail('PayloadTooLarge', [MAX_BODY_BYTES])
        : service.handle({ method: req.method ?? 'GET', path: url.pathname, headers: lowerHeaders(req), body: Buffer.concat(chunks) })
      const out = () => {
        stats.answered++
        send(res, answer)
      }
      const delay = bmc.faults.delayMs
      if (delay <= 0) return out()
      const t = clock.setTimeout(() => {
        timers.delete(t)
        if (!res.destroyed) out()
      }, delay)
      timers.add(t)
    })
  }

  const server: Server = createServer({ key: opts.certificate.keyPem, cert: opts.certificate.certPem }, onRequest)
  server.on('secureConnection', (s: Socket) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  // A client that resets mid-handshake is the client's business, not a simulator failure.
  server.on('tlsClientError', () => {})
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const addr = server.address()
  const port = typeof addr === 'object' && addr !== null ? addr.port : opts.port
  const urlHost = opts.host.includes(':') ? `[${opts.host}]` : opts.host
  return {
    host: opts.host, port, url: `https://${urlHost}:${port}`, stats,
    async close() {
      for (const t of timers) clock.clearTimeout(t)
      timers.clear()
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      for (const s of sockets) s.destroy()
      server.closeAllConnections()
      await closed
    },
  }
}

// Hostile-client lab: the real API (buildApp, fake supervisor, console
// plugin over a ConsoleManager with one connected console, n1) listening on a free
// loopback port, and raw TCP clients that send exactly the bytes a test
// wants (partial headers, aborted bodies, refused upgrades), plus counters
// for the process's descriptors, timers and connections.
import { readdirSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import WebSocket from 'ws'
import { consolePlugin, type ConsoleRoutesOptions } from '../../src/api/routes/console.js'
import type { ApiPlugin, BuildAppOptions } from '../../src/api/app.js'
import { ConsoleManager } from '../../src/console/index.js'
import { LOOPBACK } from '../lab/net.js'
import { FakePort } from '../unit/console/fakes.js'
import { testApi, type TestApi } from './helpers.js'

export interface SocketLab extends TestApi {
  consoles: ConsoleManager
  /** What the consoles told the (fake) supervisor: input, reopens. */
  consolePort: FakePort
  port: number
  base: string
  wsUrl(query?: string, node?: string): string
}

export async function startSocketLab(over: Partial<BuildAppOptions> = {}, consoleOptions: Omit<ConsoleRoutesOptions, 'consoles'> = {}): Promise<SocketLab> {
  const consolePort = new FakePort()
  const consoles = new ConsoleManager(consolePort)
  consoles.add('n1', { logging: 'memory' })
  // As if its worker had connected the console: input from the holder reaches the port.
  consoles.handleState('n1', { state: 'connected' })
  const t = await testApi({ plugins: [consolePlugin(consoles, consoleOptions) as ApiPlugin], ...over })
  const base = await t.app.listen({ host: LOOPBACK, port: 0 })
  const port = Number(new URL(base).port)
  return {
    ...t, consoles, consolePort, port, base,
    wsUrl: (query = '', node = 'n1') => `ws://${LOOPBACK}:${port}/api/v1/nodes/${node}/console/ws${query === '' ? '' : `?${query}`}`,
    async close() {
      await t.close()
      await consoles.close()
    },
  }
}

export function openFds(): number {
  return readdirSync('/proc/self/fd').length
}

export function activeTimers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
}

/** What a raw exchange saw: the status line (if any) and whether the server closed the socket. */
export interface RawResult {
  status: number | undefined
  head: string
  serverClosed: boolean
}

/**
 * Sends `bytes` on a new connection and waits for the server: a complete
 * response (headers and Content-Length body), or the server closing. Then
 * ends the client side unless `keep` (the caller destroys it).
 */
export function rawExchange(port: number, bytes: string, o: { keep?: (s: Socket) => void } = {}): Promise<RawResult> {
  return new Promise((resolve, reject) => {
    const s = connect(port, LOOPBACK)
    let buf = ''
    let done = false
    const finish = (serverClosed: boolean) => {
      if (done) return
      done = true
      const status = /^HTTP\/1\.1 (\d{3})/.exec(buf)?.[1]
      if (o.keep !== undefined && !serverClosed) o.keep(s)
      else s.destroy()
      resolve({ status: status === undefined ? undefined : Number(status), head: buf.split('\r\n\r\n')[0] ?? '', serverClosed })
    }
    s.setEncoding('latin1')
    s.on('data', (d: string) => {
      buf += d
      const end = buf.indexOf('\r\n\r\n')
      if (end < 0) return
      const len = Number(/\r\ncontent-length: *(\d+)/i.exec(buf.slice(0, end))?.[1] ?? 0)
      if (buf.length >= end + 4 + len) finish(false)
    })
    s.on('close', () => finish(true))
    s.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' ? finish(true) : reject(e)))
    s.write(bytes)
  })
}

/** Connects, writes `bytes` and destroys the socket at once, without waiting for any answer (a client that aborts). */
export function sendAndDrop(port: number, bytes: string): Promise<void> {
  return new Promise((resolve) => {
    const s = connect(port, LOOPBACK, () => {
      s.write(bytes)
      s.destroy()
    })
    s.on('error', () => undefined)
    s.on('close', () => resolve())
  })
}

/** Connects and writes `bytes`, and resolves when the server closes the socket (a timeout cutting a slow client). */
export function untilServerCloses(port: number, bytes: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect(port, LOOPBACK)
    s.on('data', () => undefined)
    s.on('close', () => resolve())
    s.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' ? undefined : reject(e)))
    s.write(bytes)
  })
}

export function upgradeRequest(path: string, headers: Record<string, string> = {}): string {
  const lines = [
    `GET ${path} HTTP/1.1`, `Host: ${LOOPBACK}`, 'Connection: Upgrade', 'Upgrade: websocket',
    'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ]
  return lines.join('\r\n') + '\r\n\r\n'
}

export function plainRequest(method: string, path: string, headers: Record<string, string> = {}, body = ''): string {
  const lines = [`${method} ${path} HTTP/1.1`, `Host: ${LOOPBACK}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)]
  return lines.join('\r\n') + '\r\n\r\n' + body
}

/** An accepted console WebSocket, open. */
export function openSocket(url: string, token: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } })
    ws.once('open', () => resolve(ws))
    ws.once('error', reject)
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)))
  })
}

/** Resolves with the close code and reason the server sent. */
export function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  if (ws.readyState === ws.CLOSED) return Promise.reject(new Error('already closed'))
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })))
}

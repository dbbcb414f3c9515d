// The "serial port" behind the lab BMC's SOL: a TCP server on loopback that
// ipmi_sim connects to (lan.conf `sol "tcp:127.0.0.1:PORT"`). The test plays
// the host: write() sends bytes towards the SOL console (host -> console),
// and bytes typed on the console arrive here (console -> host).
// Owns one server socket and at most one live connection: a new connection
// (ipmi_sim restarted) replaces the old one. received() keeps everything that
// ever arrived, across connections, so tests never lose early bytes.
import { EventEmitter, on, once } from 'node:events'
import { createServer } from 'node:net'
import type { Server, Socket } from 'node:net'
import { LOOPBACK } from './net.js'

export interface SolBackendEvents {
  connected: []
  disconnected: []
  data: [chunk: Buffer]
}

export class SolBackend extends EventEmitter<SolBackendEvents> {
  readonly host = LOOPBACK
  #server: Server
  #socket: Socket | undefined
  #chunks: Buffer[] = []
  #received = 0
  #connections = 0
  #closed = false

  private constructor(server: Server, readonly port: number) {
    super()
    this.#server = server
    server.on('connection', (s) => this.#adopt(s))
  }

  /** Listens on 127.0.0.1:port (0: any free port). */
  static async start(port = 0): Promise<SolBackend> {
    const server = createServer()
    server.listen(port, LOOPBACK)
    await once(server, 'listening')
    // Like the simulator itself, the backend never keeps the test process
    // alive; waits on it carry their own timers.
    server.unref()
    const addr = server.address()
    if (addr === null || typeof addr === 'string') throw new Error('SOL backend has no TCP address')
    return new SolBackend(server, addr.port)
  }

  #adopt(s: Socket): void {
    if (this.#closed) {
      s.destroy()
      return
    }
    this.#socket?.destroy()
    this.#socket = s
    this.#connections++
    s.setNoDelay(true)
    s.unref()
    s.on('data', (chunk: Buffer) => {
      this.#chunks.push(chunk)
      this.#received += chunk.length
      this.emit('data', chunk)
    })
    s.on('error', () => undefined) // a reset by a killed ipmi_sim is normal here
    s.on('close', () => {
      if (this.#socket === s) {
        this.#socket = undefined
        this.emit('disconnected')
      }
    })
    this.emit('connected')
  }

  /** True while ipmi_sim holds a connection. */
  get connected(): boolean {
    return this.#socket !== undefined
  }

  /** How many times ipmi_sim has connected so far. */
  get connections(): number {
    return this.#connections
  }

  /**
   * Resolves once ipmi_sim is connected and has connected at least
   * `minConnections` times in all (at once if that is already so).
   */
  waitForConnection(timeoutMs = 5000, minConnections = 1): Promise<void> {
    const met = (): boolean => this.connected && this.#connections >= minConnections
    if (met()) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const onConnected = (): void => {
        if (!met()) return
        clearTimeout(timer)
        this.off('connected', onConnected)
        resolve()
      }
      // A referenced timer: it keeps the process alive while we wait.
      const timer = setTimeout(() => {
        this.off('connected', onConnected)
        reject(new Error(`SOL backend on port ${this.port}: no connection from ipmi_sim within ${timeoutMs} ms`))
      }, timeoutMs)
      this.on('connected', onConnected)
    })
  }

  /** Host -> console: bytes for the SOL console. Throws when nobody is connected. */
  write(bytes: Uint8Array | string): Promise<void> {
    const s = this.#socket
    if (s === undefined) return Promise.reject(new Error('SOL backend: ipmi_sim is not connected'))
    return new Promise((resolve, reject) => {
      s.write(bytes, (err) => (err ? reject(err) : resolve()))
    })
  }

  /** Everything received from the console so far (a copy). */
  received(): Buffer {
    return Buffer.concat(this.#chunks)
  }

  /** Forgets what was received so far (waitFor counts from the new start). */
  clearReceived(): void {
    this.#chunks = []
    this.#received = 0
  }

  /**
   * Resolves with received() once it holds `count` bytes, or once
   * `predicate(received())` is true; rejects after timeoutMs.
   */
  waitFor(condition: number | ((all: Buffer) => boolean), timeoutMs = 5000): Promise<Buffer> {
    const met = (): boolean =>
      typeof condition === 'number' ? this.#received >= condition : condition(this.received())
    if (met()) return Promise.resolve(this.received())
    return new Promise((resolve, reject) => {
      const onData = (): void => {
        if (!met()) return
        cleanup()
        resolve(this.received())
      }
      const timer = setTimeout(() => {
        cleanup()
        const got = this.received()
        reject(new Error(`SOL backend: condition not met within ${timeoutMs} ms; got ${got.length} bytes: ${JSON.stringify(got.toString('latin1').slice(-200))}`))
      }, timeoutMs)
      const cleanup = (): void => {
        clearTimeout(timer)
        this.off('data', onData)
      }
      this.on('data', onData)
    })
  }

  /** Console -> host bytes as they arrive, until close(). */
  async *chunks(): AsyncGenerator<Buffer> {
    const ac = new AbortController()
    const onClose = (): void => ac.abort()
    this.#server.once('close', onClose)
    try {
      for await (const args of on(this, 'data', { signal: ac.signal })) yield (args as [Buffer])[0]
    } catch (err) {
      if (!(err instanceof Error && err.name === 'AbortError')) throw err
    } finally {
      this.#server.off('close', onClose)
    }
  }

  /** Drops the current connection (a serial line hang-up). */
  hangUp(): void {
    this.#socket?.destroy()
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#socket?.destroy()
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }
}

// Console lab: ipmi_sim nodes under a real Supervisor, a ConsoleManager fed
// by it, and the real API (buildApp with a temp store and one token per
// role) listening on a free loopback port with the console plugin; plus a
// WebSocket test client and a paced host writer.
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import WebSocket from 'ws'
import { buildApp, type ApiInstance } from '../../../src/api/app.js'
import { consolePlugin } from '../../../src/api/routes/console.js'
import type { BmcConfig } from '../../../src/bridge/messages.js'
import { bmcConsoleFields, ConsoleManager, type ConsoleManagerOptions, type NodeConsoleConfig, type ServerMessage } from '../../../src/console/index.js'
import { createLogger } from '../../../src/log.js'
import { openStore, type OpenedStore } from '../../../src/store/sqlite.js'
import type { Role } from '../../../src/store/types.js'
import { Supervisor } from '../../../src/supervisor/supervisor.js'
import { startIpmiSim, type IpmiSim } from '../../lab/sim.js'
import { bmcConfig } from '../supervisor/fleet.js'

export interface LabNode {
  name: string
  /** Omitted: an ipmi_sim is started for it. */
  bmc?: { host: string; port: number }
  console?: NodeConsoleConfig
  over?: Partial<BmcConfig>
}

export interface ConsoleLab {
  sims: Map<string, IpmiSim>
  sup: Supervisor
  consoles: ConsoleManager
  app: ApiInstance
  store: OpenedStore
  tokens: Record<Role, string>
  dataDir: string
  base: string
  wsUrl(node: string, query?: string): string
  stop(): Promise<void>
}

export async function startConsoleLab(nodes: LabNode[], manager: Omit<ConsoleManagerOptions, 'dataDir'> = {}): Promise<ConsoleLab> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bmcvisor-console-'))
  const sims = new Map<string, IpmiSim>()
  for (const n of nodes) if (n.bmc === undefined) sims.set(n.name, await startIpmiSim({ powerOn: true }))
  const sup = new Supervisor({ heartbeatMs: 250, heartbeatTimeoutMs: 3000, restart: { baseDelayMs: 50, maxDelayMs: 500, intensity: 50 } })
  const consoles = new ConsoleManager(sup, { dataDir, ...manager })
  consoles.subscribe(sup)
  for (const n of nodes) {
    const console = n.console ?? {}
    consoles.add(n.name, console)
    sup.add(n.name, bmcConfig(n.bmc ?? sims.get(n.name)!, { ...bmcConsoleFields(console, (n.bmc ?? sims.get(n.name)!).host), ...n.over }))
  }
  const store = openStore({ dataDir })
  const logger = createLogger({ level: 'warn', destination: new Writable({ write: (_c, _e, cb) => cb() }) })
  const app = await buildApp({ supervisor: sup, store, logger, plugins: [consolePlugin(consoles, { heartbeatMs: 120_000 })] })
  const tokens = {} as Record<Role, string>
  for (const role of ['viewer', 'operator', 'admin'] as const) tokens[role] = (await store.tokens.create({ name: `lab-${role}`, role })).token
  const base = await app.listen({ host: '127.0.0.1', port: 0 })
  return {
    sims, sup, consoles, app, store, tokens, dataDir, base,
    wsUrl: (node, query = '') => `${base.replace(/^http/, 'ws')}/api/v1/nodes/${node}/console/ws${query === '' ? '' : `?${query}`}`,
    async stop() {
      await app.close()
      await consoles.close()
      await sup.shutdown(3000)
      await store.close()
      await Promise.all([...sims.values()].map((s) => s.stop()))
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** A WebSocket console client that records everything, with waits that wake on frames. */
export class TestClient {
  readonly chunks: Buffer[] = []
  /** performance.now() and running byte total at each binary frame. */
  readonly arrivals: { at: number; total: number }[] = []
  readonly messages: ServerMessage[] = []
  received = 0
  closed: { code: number; reason: string } | undefined
  private replayPending = 0
  replay: Buffer | undefined
  private readonly waiters = new Set<() => void>()

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) {
        if (this.replayPending > 0) {
          this.replay = data
          this.replayPending = 0
        } else {
          this.chunks.push(data)
          this.received += data.length
          this.arrivals.push({ at: performance.now(), total: this.received })
        }
      } else {
        const m = JSON.parse(data.toString()) as ServerMessage
        this.messages.push(m)
        if (m.type === 'replay') {
          this.replayPending = m.bytes
          if (m.bytes === 0) this.replay = Buffer.alloc(0)
        }
      }
      this.wake()
    })
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() }
      this.wake()
    })
    ws.on('error', () => undefined)
  }

  /** token null: none in a header (a browser passes ?access_token= instead). */
  static async open(url: string, token: string | null): Promise<TestClient> {
    const ws = new WebSocket(url, token === null ? {} : { headers: { authorization: `Bearer ${token}` } })
    const c = new TestClient(ws)
    await once(ws, 'open')
    await c.until(() => c.messages.some((m) => m.type === 'hello'), 10_000, 'hello')
    return c
  }

  private wake(): void {
    for (const w of [...this.waiters]) w()
  }

  /** Resolves when pred() holds (checked at every frame); rejects after timeoutMs. */
  until(pred: () => boolean, timeoutMs = 20_000, what = 'condition'): Promise<void> {
    if (pred()) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!pred()) return
        done()
        resolve()
      }
      const timer = setTimeout(() => {
        done()
        reject(new Error(`client: ${what} not met within ${timeoutMs} ms (${this.received} bytes, last messages ${JSON.stringify(this.messages.slice(-3))})`))
      }, timeoutMs)
      const done = () => {
        clearTimeout(timer)
        this.waiters.delete(check)
      }
      this.waiters.add(check)
    })
  }

  last<T extends ServerMessage['type']>(type: T): Extract<ServerMessage, { type: T }> | undefined {
    return this.messages.filter((m) => m.type === type).at(-1) as Extract<ServerMessage, { type: T }> | undefined
  }

  state(): string | undefined {
    return this.last('state')?.state
  }

  bytes(): Buffer {
    return Buffer.concat(this.chunks)
  }

  send(data: string | Buffer): void {
    this.ws.send(typeof data === 'string' ? Buffer.from(data) : data, { binary: true })
  }

  control(m: { type: string }): void {
    this.ws.send(JSON.stringify(m))
  }

  close(): void {
    this.ws.close()
  }
}

/**
 * Writes `data` from the host into a node's serial line while at most
 * `window` bytes are on their way to `delivered()` (ipmi_sim drops serial
 * input beyond its 16 KiB buffer: see test/integration/sol/helpers.ts).
 */
export async function hostWritePaced(sim: IpmiSim, data: Buffer, delivered: () => number, wake: (fn: () => void) => () => void, window = 8192, chunk = 2048): Promise<void> {
  const base = delivered()
  let sent = 0
  while (sent < data.length) {
    const n = Math.min(chunk, data.length - sent)
    while (sent - (delivered() - base) + n > window) {
      await new Promise<void>((resolve) => {
        const off = wake(() => {
          off()
          resolve()
        })
      })
    }
    await sim.solBackend.write(data.subarray(sent, sent + n))
    sent += n
  }
}

/** Bytes the manager has received for `node` (its bytesIn), and a wake-up on each console:data. */
export function deliveredFrom(lab: ConsoleLab, node: string): { delivered: () => number; wake: (fn: () => void) => () => void } {
  return {
    delivered: () => lab.consoles.get(node).bytesIn,
    wake: (fn) => {
      const on = (n: string) => {
        if (n === node) fn()
      }
      lab.sup.on('console:data', on)
      return () => lab.sup.off('console:data', on)
    },
  }
}

/** Resolves once the manager has received `n` bytes for `node`. */
export async function untilDelivered(lab: ConsoleLab, node: string, n: number): Promise<void> {
  const { delivered, wake } = deliveredFrom(lab, node)
  while (delivered() < n) {
    await new Promise<void>((resolve) => {
      const off = wake(() => {
        off()
        resolve()
      })
    })
  }
}

/** A deterministic test pattern: every byte value, varied per position. */
export function pattern(n: number, seed = 1): Buffer {
  const b = Buffer.alloc(n)
  let x = seed
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0
    b[i] = x >>> 24
  }
  return b
}

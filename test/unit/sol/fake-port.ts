// A scripted SolSessionPort for SolConsole unit tests: each IPMI request is
// answered by the test's handler (immediately, later, or never), SOL
// payloads sent by the console are recorded, and the test can push SOL
// payloads or end the session. No sockets, no real time.
import type { IpmiError } from '../../../src/ipmi/errors.js'
import type { RawResponse, RequestOptions } from '../../../src/session/request-table.js'
import type { SolSessionHandlers, SolSessionPort, SolSessionSource } from '../../../src/sol/session-port.js'

export interface SentRequest {
  netFn: number
  cmd: number
  data: Buffer
  opts: RequestOptions | undefined
}

/** Answers a request: a response, a promise of one, or a thrown/rejected error. */
export type Responder = (r: SentRequest, port: FakePort) => RawResponse | Promise<RawResponse>

export const ok = (hex = ''): RawResponse => ({ cc: 0, data: Buffer.from(hex.replace(/\s/g, ''), 'hex') })
export const cc = (code: number): RawResponse => ({ cc: code, data: Buffer.alloc(0) })

/** ipmi_sim's Activate Payload answer: inbound 32, outbound 0x4000, port byte-swapped. */
export function simActivateResponse(port: number): RawResponse {
  const b = Buffer.alloc(12)
  b.writeUInt16LE(32, 4)
  b.writeUInt16LE(0x4000, 6)
  b.writeUInt16BE(port, 8)
  b.writeUInt16LE(0xffff, 10)
  return { cc: 0, data: b }
}

export function instanceInfo(owner: number): RawResponse {
  const b = Buffer.alloc(12)
  b.writeUInt32LE(owner, 0)
  b[4] = 1
  return { cc: 0, data: b }
}

export class FakePort implements SolSessionPort {
  readonly requests: SentRequest[] = []
  readonly solSent: Buffer[] = []
  readonly cipherSuite = 3
  readonly bmcPort = 623
  lost: IpmiError | undefined
  closedCalls = 0
  private handlers = new Set<SolSessionHandlers>()

  constructor(readonly managedSystemSessionId: number, public responder: Responder) {}

  request(netFn: number, cmd: number, data: Uint8Array, opts?: RequestOptions): Promise<RawResponse> {
    const r: SentRequest = { netFn, cmd, data: Buffer.from(data), opts }
    this.requests.push(r)
    try {
      return Promise.resolve(this.responder(r, this))
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)))
    }
  }

  sendSol(payload: Buffer): void {
    this.solSent.push(payload)
  }

  lose(error: IpmiError): void {
    this.lost = error
    this.end(error)
  }

  close(): Promise<void> {
    this.closedCalls++
    return Promise.resolve()
  }

  subscribe(h: SolSessionHandlers): () => void {
    this.handlers.add(h)
    return () => this.handlers.delete(h)
  }

  /** The BMC sends a SOL payload. */
  pushSol(payload: Buffer): void {
    for (const h of [...this.handlers]) h.sol(payload)
  }

  /** The session ends (closed by its owner, or lost). */
  end(error?: IpmiError): void {
    for (const h of [...this.handlers]) h.closed(error)
  }

  get subscribers(): number {
    return this.handlers.size
  }

  /** Commands sent, as "netFn/cmd" hex strings (e.g. "06/48" for Activate Payload). */
  commands(): string[] {
    return this.requests.map((r) => `${r.netFn.toString(16).padStart(2, '0')}/${r.cmd.toString(16)}`)
  }
}

/** A session source that hands out the given ports in turn (or fails with an error). */
export function sourceOf(...items: (FakePort | Error)[]): SolSessionSource & { calls: number } {
  const src = {
    calls: 0,
    connect(): Promise<SolSessionPort> {
      const it = items[Math.min(src.calls++, items.length - 1)]
      if (it === undefined) return Promise.reject(new Error('no port'))
      return it instanceof Error ? Promise.reject(it) : Promise.resolve(it)
    },
  }
  return src
}

// Loopback networking helpers for the test lab: free ports, deadline polling,
// and a pre-session IPMI probe that tells whether a BMC answers on a UDP port.
// Owns no long-lived sockets. The probe is written here on purpose and does
// not use src/ipmi: the lab must be able to prove a BMC is up without
// depending on the code under test.
import { createSocket } from 'node:dgram'
import { createServer } from 'node:net'

export const LOOPBACK = '127.0.0.1'

/**
 * A port that was free on 127.0.0.1 a moment ago (the kernel picks it).
 * Another process may take it before the caller binds: callers that start a
 * server on it should retry with a new port when the bind fails.
 */
export function freePort(kind: 'udp' | 'tcp' = 'udp'): Promise<number> {
  if (kind === 'udp') {
    return new Promise((resolve, reject) => {
      const s = createSocket('udp4')
      s.once('error', reject)
      s.bind(0, LOOPBACK, () => {
        const { port } = s.address()
        s.close(() => resolve(port))
      })
    })
  }
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, LOOPBACK, () => {
      const addr = srv.address()
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0
      srv.close(() => resolve(port))
    })
  })
}

export interface WaitOptions {
  timeoutMs?: number
  intervalMs?: number
  /** Included in the timeout error. */
  what?: string
}

/**
 * Polls `check` until it returns a value other than undefined/false, or
 * throws when the deadline passes. For conditions that have no event (a file
 * written by another process); prefer events where they exist.
 */
export async function waitUntil<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  opts: WaitOptions = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 5000
  const intervalMs = opts.intervalMs ?? 25
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await check()
    if (v !== undefined && v !== false) return v
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${opts.what ?? 'condition'}`)
    }
    await new Promise((r) => setTimeout(r, intervalMs))
  }
}

function checksum(bytes: number[]): number {
  return (0x100 - (bytes.reduce((a, b) => a + b, 0) & 0xff)) & 0xff
}

/**
 * Get Channel Authentication Capabilities (IPMI v2.0 §22.13) in an IPMI 1.5
 * session-less packet: RMCP header (§13.1.3), session header with auth type
 * none, sequence 0, session id 0 (§13.6), then the LAN message (§13.8).
 */
export function encodeAuthCapabilitiesProbe(rqSeq = 0): Buffer {
  const rsAddr = 0x20 // BMC
  const netFnLun = 0x06 << 2 // App request, LUN 0
  const rqAddr = 0x81 // remote console software id
  const rqSeqLun = (rqSeq & 0x3f) << 2
  const cmd = 0x38
  // 0x8e: bit 7 asks for IPMI v2.0 extended data, channel 0x0e = this one;
  // 0x04: requested maximum privilege administrator.
  const data = [0x8e, 0x04]
  const body = [rqAddr, rqSeqLun, cmd, ...data]
  const msg = [rsAddr, netFnLun, checksum([rsAddr, netFnLun]), ...body, checksum(body)]
  const rmcp = [0x06, 0x00, 0xff, 0x07] // version 6, reserved, no ack, class IPMI
  const session = [0x00, 0, 0, 0, 0, 0, 0, 0, 0, msg.length]
  return Buffer.from([...rmcp, ...session, ...msg])
}

/** True when `b` is a successful response to the probe above. */
export function isAuthCapabilitiesResponse(b: Buffer): boolean {
  // 4 RMCP + 10 session header bytes, then rqAddr, netFn/LUN, checksum,
  // rsAddr, rqSeq/LUN, cmd, completion code.
  if (b.length < 21 || b[0] !== 0x06 || b[3] !== 0x07) return false
  const netFn = (b[15] ?? 0) >> 2
  return netFn === 0x07 && b[19] === 0x38 && b[20] === 0x00
}

/**
 * Sends the probe every `intervalMs` until a BMC answers on host:port.
 * Resolves true on an answer, false at the deadline or when `abort` fires.
 */
export function probeBmc(
  host: string,
  port: number,
  opts: { timeoutMs?: number; intervalMs?: number; signal?: AbortSignal } = {},
): Promise<boolean> {
  const timeoutMs = opts.timeoutMs ?? 5000
  const intervalMs = opts.intervalMs ?? 50
  if (opts.signal?.aborted === true) return Promise.resolve(false)
  return new Promise((resolve) => {
    const sock = createSocket('udp4')
    let done = false
    const finish = (ok: boolean): void => {
      if (done) return
      done = true
      clearInterval(tick)
      clearTimeout(deadline)
      opts.signal?.removeEventListener('abort', onAbort)
      sock.close()
      resolve(ok)
    }
    const onAbort = (): void => finish(false)
    const send = (): void => {
      // Loopback sends do not fail for lack of a listener; an ICMP port
      // unreachable may surface as an 'error' event, which we ignore.
      sock.send(encodeAuthCapabilitiesProbe(), port, host)
    }
    sock.on('error', () => undefined)
    sock.on('message', (msg) => {
      if (isAuthCapabilitiesResponse(msg)) finish(true)
    })
    const tick = setInterval(send, intervalMs)
    const deadline = setTimeout(() => finish(false), timeoutMs)
    opts.signal?.addEventListener('abort', onAbort)
    sock.bind(0, LOOPBACK, send)
  })
}

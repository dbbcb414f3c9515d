/**
 * HTTPS to one Redfish service, one request per call: the node's trust
 * choice applied to every new connection, keep-alive sockets, a per-request
 * timeout and a response size cap. Owns the sockets (one keep-alive Agent);
 * does not own retries, authentication or concurrency (client.ts does).
 *
 * node:https, not undici: the registry's current undici (8.12.4) needs
 * Node.js >= 22.19 and we run on Node.js 20 as well as 24; node:https also
 * gives the one hook the trust check needs, the callback form of
 * Agent.createConnection: the socket reaches the HTTP layer only after the
 * TLS handshake has finished and the certificate passed our check, so no
 * request byte (credentials included) is ever written to an unchecked peer.
 *
 * Trust (docs/config.md, `bmc.tls`): `verify` checks the chain against the
 * given CA bundle (or the system's roots) and the BMC's name or address;
 * `pin` compares the leaf certificate's SHA-256 fingerprint with the pinned
 * one, or with none pinned takes the first one seen (trust on first use) and
 * reports it through onFingerprint; `insecure` checks nothing, explicitly.
 */
import { Agent, request as httpsRequest, type RequestOptions } from 'node:https'
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import { isIP } from 'node:net'
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls'
import type { Duplex } from 'node:stream'
import { ServiceError } from '../errors.js'

export const TLS_MODES = ['verify', 'pin', 'insecure'] as const
export type TlsMode = (typeof TLS_MODES)[number]

export interface TlsTrust {
  mode: TlsMode
  /** PEM CA bundle for `verify` (default: the system's roots). */
  ca?: string | undefined
  /** SHA-256 of the leaf certificate for `pin` (any case, with or without colons). */
  fingerprint?: string | undefined
}

/** A response larger than this is refused: no Redfish document comes near it. */
export const MAX_BODY_BYTES = 16 * 1024 * 1024
const SHA256_BYTES = 32

/** `AB:CD:...` (Node's fingerprint256 form) from any spelling; VALIDATION_FAILED when it is not 32 bytes of hex. */
export function normalizeFingerprint(fp: string): string {
  const hex = fp.trim().replace(/^sha256:/i, '').replace(/[:\s]/g, '').toUpperCase()
  if (!new RegExp(`^[0-9A-F]{${SHA256_BYTES * 2}}$`).test(hex)) {
    throw new ServiceError('VALIDATION_FAILED', 'bmc.tls.fingerprint is not a SHA-256 fingerprint (64 hex digits, colons allowed)', { details: { field: 'bmc.tls.fingerprint' } })
  }
  return hex.match(/../g)!.join(':')
}

/** OpenSSL's verification failures (X509_V_ERR_* names as Node reports them) and Node's own host name check. */
const TLS_VERIFY_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'CERT_UNTRUSTED', 'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE', 'ERR_TLS_CERT_ALTNAME_INVALID', 'INVALID_CA', 'HOSTNAME_MISMATCH',
])

/** A socket or TLS failure as our error: untrusted certificates apart, everything is "unreachable" (retryable). */
export function connectionError(e: unknown, where: string, reusedSocket = false): ServiceError {
  if (e instanceof ServiceError) return e
  const code = typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : ''
  if (TLS_VERIFY_CODES.has(code)) {
    return new ServiceError('BMC_TLS_UNTRUSTED', `${where}: the BMC's certificate did not verify (${code})`, { details: { reason: code }, cause: e })
  }
  const details: Record<string, string | boolean> = code ? { reason: code } : {}
  // A kept-alive socket the BMC closed while idle fails the next request before the BMC saw it: safe to send again.
  if (reusedSocket && (code === 'ECONNRESET' || code === 'EPIPE')) details.staleSocket = true
  return new ServiceError('BMC_UNREACHABLE', `${where}: ${code || (e instanceof Error ? e.message : 'connection failed')}`, { details, cause: e })
}

export interface TransportOptions {
  host: string
  port: number
  trust: TlsTrust
  /** Called once with the leaf fingerprint a `pin` client learned on first use (no fingerprint configured). */
  onFingerprint?: ((fingerprint: string) => void) | undefined
  /** Sockets kept per BMC; the client's concurrency limit keeps use below it. */
  maxSockets: number
}

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE'
  /** Path and query, e.g. `/redfish/v1/Systems`. */
  path: string
  headers: Record<string, string>
  body?: string | undefined
  timeoutMs: number
  /**
   * An answer that comes after timeoutMs: the caller is told BMC_UNREACHABLE at
   * timeoutMs as usual, but the request stays open `ms` longer and an answer
   * within that time goes to `answer` (a login whose session the BMC made after all).
   */
  late?: { ms: number; answer: (res: HttpResponse) => void } | undefined
}

export interface HttpResponse {
  status: number
  headers: IncomingHttpHeaders
  /** Parsed JSON, or undefined for an empty body; `text` when it is not JSON. */
  json: unknown
  text: string
  /** The request went out on a kept-alive socket (a reset there may be a stale socket, not the BMC). */
  reusedSocket: boolean
}

type CreateCallback = (err: Error | null, socket: Duplex) => void

/** A keep-alive Agent whose sockets are handed over only after `check` accepted the peer's certificate. */
class CheckedAgent extends Agent {
  constructor(private readonly check: (s: TLSSocket) => ServiceError | undefined, opts: ConstructorParameters<typeof Agent>[0]) {
    super(opts)
  }

  override createConnection(options: RequestOptions, callback?: CreateCallback): Duplex | undefined {
    const opts = { ...options } as ConnectionOptions
    // An IP address is not a valid SNI server name (RFC 6066 §3); Node warns about it.
    if (opts.servername !== undefined && isIP(opts.servername) !== 0) delete opts.servername
    const socket = tlsConnect(opts)
    const onError = (e: Error): void => callback?.(e, socket)
    socket.once('error', onError)
    socket.once('secureConnect', () => {
      socket.off('error', onError)
      const refused = this.check(socket)
      if (refused !== undefined) {
        socket.destroy()
        callback?.(refused, socket)
        return
      }
      callback?.(null, socket)
    })
    return undefined
  }
}

export class RedfishTransport {
  private readonly agent: CheckedAgent
  private pinned: string | undefined
  /** Requests past their timeout that still wait for a late answer (HttpRequest.late). */
  private readonly lateWaits = new Set<Promise<void>>()
  /** The leaf certificate fingerprint of the newest connection (any mode). */
  fingerprintSeen: string | undefined

  constructor(private readonly opts: TransportOptions) {
    const { trust } = opts
    this.pinned = trust.mode === 'pin' && trust.fingerprint !== undefined ? normalizeFingerprint(trust.fingerprint) : undefined
    const tlsOpts = trust.mode === 'verify' ? { rejectUnauthorized: true, ...(trust.ca !== undefined ? { ca: trust.ca } : {}) } : { rejectUnauthorized: false }
    this.agent = new CheckedAgent((s) => this.checkPeer(s), { keepAlive: true, maxSockets: opts.maxSockets, ...tlsOpts })
  }

  /** The fingerprint `pin` compares against: configured, or learned on first use; undefined before. */
  get pinnedFingerprint(): string | undefined {
    return this.pinned
  }

  private checkPeer(s: TLSSocket): ServiceError | undefined {
    const seen = s.getPeerCertificate().fingerprint256
    if (typeof seen !== 'string' || seen === '') return new ServiceError('BMC_TLS_UNTRUSTED', 'the BMC presented no certificate', { details: { reason: 'no certificate' } })
    this.fingerprintSeen = seen
    if (this.opts.trust.mode !== 'pin') return undefined
    if (this.pinned === undefined) {
      this.pinned = seen
      this.opts.onFingerprint?.(seen)
      return undefined
    }
    if (seen === this.pinned) return undefined
    return new ServiceError('BMC_TLS_CERT_CHANGED', "the BMC's certificate is not the pinned one", { details: { expected: this.pinned, seen } })
  }

  /** Resolves once no request is waiting for a late answer (HttpRequest.late). */
  async settled(): Promise<void> {
    while (this.lateWaits.size > 0) await Promise.allSettled([...this.lateWaits])
  }

  request(req: HttpRequest): Promise<HttpResponse> {
    const where = `${req.method} ${pathOnly(req.path)}`
    return new Promise<HttpResponse>((resolve, reject) => {
      const headers: Record<string, string> = { ...req.headers }
      if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body))
      const r = httpsRequest({ host: this.opts.host, port: this.opts.port, method: req.method, path: req.path, headers, agent: this.agent })
      const timeout = () => new ServiceError('BMC_UNREACHABLE', `${where}: no answer within ${req.timeoutMs} ms`, { details: { timeoutMs: req.timeoutMs } })
      // waiting: the caller was told of the timeout and the request waits for a late answer; over: it ended.
      let late: 'no' | 'waiting' | 'over' = 'no'
      let endLate = (): void => undefined
      let timer = setTimeout(() => {
        // Only a request the BMC has whole can be answered late; one still waiting for a socket is dropped.
        if (req.late === undefined || r.socket === null || !r.writableFinished) {
          r.destroy(timeout())
          return
        }
        late = 'waiting'
        reject(timeout())
        const waiting = new Promise<void>((done) => {
          endLate = () => {
            if (late !== 'waiting') return
            late = 'over'
            clearTimeout(timer)
            this.lateWaits.delete(waiting)
            done()
          }
        })
        this.lateWaits.add(waiting)
        timer = setTimeout(() => {
          endLate()
          r.destroy()
        }, req.late.ms)
      }, req.timeoutMs)
      const fail = (e: unknown): void => {
        clearTimeout(timer)
        if (late !== 'no') return endLate()
        reject(connectionError(e, where, r.reusedSocket))
      }
      r.once('error', fail)
      r.once('response', (res: IncomingMessage) => {
        const chunks: Buffer[] = []
        let size = 0
        res.on('data', (c: Buffer) => {
          size += c.length
          if (size > MAX_BODY_BYTES) r.destroy(new ServiceError('BMC_PROTOCOL_ERROR', `${where}: response larger than ${MAX_BODY_BYTES} bytes`))
          else chunks.push(c)
        })
        res.once('error', fail)
        res.once('end', () => {
          clearTimeout(timer)
          const text = Buffer.concat(chunks).toString('utf8')
          let json: unknown
          if (text.trim() !== '') {
            try {
              json = JSON.parse(text)
            } catch {
              json = undefined
            }
          }
          const answer: HttpResponse = { status: res.statusCode ?? 0, headers: res.headers, json, text, reusedSocket: r.reusedSocket }
          if (late === 'no') return resolve(answer)
          // Told to the late handler before the wait ends, so settled() covers what it starts.
          if (late === 'waiting') req.late?.answer(answer)
          endLate()
        })
      })
      r.end(req.body)
    })
  }

  /** Closes every socket; requests still running fail. */
  close(): void {
    this.agent.destroy()
  }
}

/** The path of a request target without its query (errors and logs name paths, never queries). */
export function pathOnly(target: string): string {
  const q = target.indexOf('?')
  return q === -1 ? target : target.slice(0, q)
}

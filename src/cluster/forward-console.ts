/**
 * A console WebSocket on any instance (docs/cluster.md, "Forwarding"): the
 * client's socket stays on the instance it reached, and its other end
 * follows the node's owner. When this instance owns the node the socket is
 * attached to the local console session; otherwise it is proxied to the
 * owner over a signed WebSocket (forward-auth.ts), frame for frame, binary
 * and text, both ways.
 *
 * When the owner changes (a drain, a join, a member lost: Cluster's 'owners'
 * event) or the owner's socket ends without saying why (1001 going away,
 * 1006 abnormal), the client gets a `notice` frame, the old end is let go
 * and the new owner is attached with the client's own mode and replay kind,
 * retrying (RETRY_PAUSE_MS) until REATTACH_DEADLINE_MS; input typed
 * meanwhile is answered `input-dropped` (not_connected). What the client is
 * guaranteed after a reattach: every byte the new owner's console session
 * passes to its clients from the moment of the new attach (the owner's
 * `hello`) arrives, once and in order, after the replay the client asked for
 * (a screen, a tail or nothing). Bytes the new owner logged between its
 * console starting and that moment are in its log, not in the stream.
 *
 * Flow control: frames in flight to either side are counted until the socket
 * has written them (send callbacks); past HIGH_WATER_BYTES the other side
 * is paused (not read), below LOW_WATER_BYTES resumed. A slow client thus
 * stops the proxy reading the owner, whose console session then sees its
 * own backlog grow and drops this client as slow (4001), which the proxy
 * passes on: memory here stays within about HIGH_WATER_BYTES per direction.
 */
import WebSocket, { type RawData } from 'ws'
import type { ForwardPrincipal } from './forward-auth.js'
import { ServiceError } from '../errors.js'
import type { ServerMessage } from '../console/types.js'
import type { ForwardCluster, Forwarder, ForwardMember } from './forward.js'
import { RETRY_PAUSE_MS } from './forward.js'

/** How long a console client waits for its node to settle on a new owner before it is closed. */
export const REATTACH_DEADLINE_MS = 60_000
export const HIGH_WATER_BYTES = 1024 * 1024
export const LOW_WATER_BYTES = 256 * 1024
/** Upstream closes that mean "the owner went away", not "this client was sent away": reattach. */
const GONE_CODES: ReadonlySet<number> = new Set([1001, 1005, 1006, 1012])
/** The close a client gets when no owner took its console within the deadline. */
export const NO_OWNER_CLOSE = { code: 1013, reason: 'no cluster member took the console over in time' } as const

/** This instance's own attach to the node's console, for the follower. */
export interface LocalEnd {
  input(data: Buffer): void
  /** A JSON control frame from the client (break, takeover, ...), judged and audited as on any local socket. */
  control(text: string): void
  /** Out of the local session; with `close`, the client's socket is closed too. */
  detach(why?: string, close?: { code: number; reason: string }): void
  /** The local session paused reading the client's socket (its input backlog). */
  readonly paused: boolean
}

export interface FollowOptions {
  node: string
  principal: ForwardPrincipal
  /** The client's query (mode, replay), asked again of every owner. */
  query: string
  client: WebSocket
  forwarder: Forwarder
  cluster: ForwardCluster
  /** Attaches the client's socket to this instance's console session (throws when it cannot). */
  attachLocal: () => LocalEnd
  /** Subscribes to ownership changes; returns the unsubscribe. */
  watch: (changed: () => void) => () => void
  reattachDeadlineMs?: number
}

type End = { kind: 'local'; member: string; end: LocalEnd } | { kind: 'remote'; member: string; ws: WebSocket }

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data
  if (Array.isArray(data)) return Buffer.concat(data)
  return Buffer.from(data)
}

export class ConsoleFollower {
  readonly #o: FollowOptions
  #end: End | undefined
  #connecting: WebSocket | undefined
  #closed = false
  #lostAt: number | undefined
  #retry: NodeJS.Timeout | undefined
  #unwatch: () => void
  /** Bytes sent to the client not yet written out, and to the owner. */
  #toClient = 0
  #toOwner = 0
  #pausedClient = false

  constructor(o: FollowOptions) {
    this.#o = o
    this.#unwatch = o.watch(() => this.#check())
    o.client.on('message', (data, isBinary) => this.#fromClient(toBuffer(data), isBinary))
    const done = () => this.close()
    o.client.on('close', done)
    o.client.on('error', done)
    this.#attach()
  }

  /** Whether the client's socket is not being read now (its pongs cannot be either). */
  get clientPaused(): boolean {
    const e = this.#end
    return e?.kind === 'local' ? e.end.paused : this.#pausedClient
  }

  /** Which member the client's console is attached to now (undefined: between owners). */
  get member(): string | undefined {
    return this.#end?.member
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    clearTimeout(this.#retry)
    this.#unwatch()
    this.#letGo('client gone')
    this.#connecting?.terminate()
  }

  #tell(m: ServerMessage): void {
    if (this.#o.client.readyState === WebSocket.OPEN) this.#o.client.send(JSON.stringify(m))
  }

  #fromClient(data: Buffer, isBinary: boolean): void {
    const e = this.#end
    if (e === undefined) {
      if (isBinary) this.#tell({ type: 'input-dropped', bytes: data.length, reason: 'not_connected' })
      return
    }
    if (e.kind === 'local') {
      if (isBinary) e.end.input(data)
      else e.end.control(data.toString())
      return
    }
    if (e.ws.readyState !== WebSocket.OPEN) return
    this.#toOwner += data.length
    if (this.#toOwner > HIGH_WATER_BYTES && !this.#pausedClient) {
      this.#pausedClient = true
      this.#o.client.pause()
    }
    const ws = e.ws
    ws.send(data, { binary: isBinary }, () => {
      if (this.#end?.kind !== 'remote' || this.#end.ws !== ws) return
      this.#toOwner -= data.length
      if (this.#toOwner < LOW_WATER_BYTES && this.#pausedClient) this.#resumeClient()
    })
  }

  #toClientFrame(data: Buffer, isBinary: boolean, from: WebSocket): void {
    const client = this.#o.client
    if (client.readyState !== WebSocket.OPEN) return
    this.#toClient += data.length
    if (this.#toClient > HIGH_WATER_BYTES) from.pause()
    client.send(data, { binary: isBinary }, () => {
      if (this.#end?.kind !== 'remote' || this.#end.ws !== from) return
      this.#toClient -= data.length
      if (this.#toClient < LOW_WATER_BYTES && from.readyState === WebSocket.OPEN) from.resume()
    })
  }

  /** The owner under the current list changed from the one attached: move over. */
  #check(): void {
    if (this.#closed) return
    const owner = this.#o.cluster.ownerOf(this.#o.node)
    const e = this.#end
    if (e === undefined || owner === undefined || owner.id === e.member) return
    this.#lost(`the console of ${this.#o.node} moved from cluster member ${e.member} to ${owner.id}; reattaching`)
  }

  #lost(message: string): void {
    this.#tell({ type: 'notice', message })
    this.#letGo(message)
    this.#lostAt ??= performance.now()
    this.#attach()
  }

  #letGo(why: string): void {
    const e = this.#end
    this.#end = undefined
    if (this.#pausedClient) this.#resumeClient()
    if (e?.kind === 'local') e.end.detach(why)
    else if (e?.kind === 'remote') {
      e.ws.removeAllListeners('close')
      e.ws.on('error', () => undefined)
      e.ws.close(1000, 'the client moved to another owner')
      setTimeout(() => e.ws.terminate(), RETRY_PAUSE_MS * 10).unref()
    }
    this.#toOwner = 0
    this.#toClient = 0
  }

  #resumeClient(): void {
    this.#pausedClient = false
    this.#o.client.resume()
  }

  #later(): void {
    if (this.#closed) return
    if (this.#lostAt !== undefined && performance.now() - this.#lostAt > (this.#o.reattachDeadlineMs ?? REATTACH_DEADLINE_MS)) {
      this.#tell({ type: 'error', code: 'WORKER_UNAVAILABLE', message: NO_OWNER_CLOSE.reason })
      this.#o.client.close(NO_OWNER_CLOSE.code, NO_OWNER_CLOSE.reason)
      return this.close()
    }
    this.#retry = setTimeout(() => this.#attach(), RETRY_PAUSE_MS)
  }

  #attach(): void {
    if (this.#closed || this.#end !== undefined || this.#connecting !== undefined) return
    const c = this.#o.cluster
    const owner = c.ownerOf(this.#o.node)
    const self = c.self()
    if (owner === undefined || self === undefined) return this.#later()
    if (owner.id === self.id) {
      try {
        this.#end = { kind: 'local', member: self.id, end: this.#o.attachLocal() }
        this.#lostAt = undefined
      } catch (e) {
        this.#fail(e)
      }
      return
    }
    this.#remote(owner)
  }

  /** An error no other owner would answer differently: the client is told and closed. */
  #fail(e: unknown): void {
    const err = e instanceof ServiceError ? e : new ServiceError('INTERNAL', 'attaching the console failed')
    this.#tell({ type: 'error', code: err.code, message: err.message })
    this.#o.client.close(1011, err.message.slice(0, 120))
    this.close()
  }

  #remote(owner: ForwardMember): void {
    const path = `/api/v1/nodes/${encodeURIComponent(this.#o.node)}/console/ws${this.#o.query}`
    let signed: { headers: Record<string, string>; nonce: string }
    try {
      signed = this.#o.forwarder.sign(this.#o.principal, 'GET', path, undefined)
    } catch {
      return this.#later()
    }
    const ws = new WebSocket(`${owner.address.replace(/^http/, 'ws').replace(/\/+$/, '')}${path}`, { headers: signed.headers, maxPayload: 16 * 1024 * 1024 })
    this.#connecting = ws
    let verified = false
    ws.once('upgrade', (res) => {
      verified = this.#o.forwarder.verified(signed.nonce, owner.id, res.statusCode ?? 0, { get: (h) => headerOf(res.headers[h]) })
    })
    ws.once('unexpected-response', (req, res) => {
      let body = ''
      res.on('data', (chunk: Buffer) => (body += chunk.toString()))
      res.on('end', () => {
        req.destroy()
        this.#connecting = undefined
        const ok = this.#o.forwarder.verified(signed.nonce, owner.id, res.statusCode ?? 0, { get: (h) => headerOf(res.headers[h]) })
        let err: { code?: string; message?: string; details?: { state?: string } } | undefined
        try {
          err = (JSON.parse(body) as { error?: typeof err }).error
        } catch {
          // not our envelope
        }
        // Unsigned (a member whose lease lapsed a moment refuses forwards so): asked again until the deadline.
        if (!ok) {
          this.#lostAt ??= performance.now()
          return this.#later()
        }
        if (err?.code === 'NODE_OWNED_ELSEWHERE' || (err?.code === 'WORKER_UNAVAILABLE' && err.details?.state === 'moving')) return this.#later()
        this.#fail(new ServiceError(err?.code === undefined ? 'INTERNAL' : (err.code as never), err?.message ?? `HTTP ${res.statusCode}`))
      })
    })
    ws.once('error', () => {
      if (this.#connecting !== ws) return
      this.#connecting = undefined
      this.#lostAt ??= performance.now()
      this.#later()
    })
    ws.once('open', () => {
      this.#connecting = undefined
      if (!verified) {
        ws.terminate()
        return this.#fail(new ServiceError('FORWARD_UNVERIFIED', `cluster member ${owner.id} answered without a valid signature`))
      }
      if (this.#closed) return void ws.close(1000)
      this.#end = { kind: 'remote', member: owner.id, ws }
      this.#lostAt = undefined
      ws.on('message', (data, isBinary) => this.#toClientFrame(toBuffer(data), isBinary, ws))
      ws.on('error', () => undefined) // 'close' follows
      ws.on('close', (code, reason) => {
        if (this.#end?.kind !== 'remote' || this.#end.ws !== ws) return
        if (GONE_CODES.has(code)) return this.#lost(`cluster member ${owner.id}, which ran the console of ${this.#o.node}, went away (${reason.length > 0 ? reason.toString() : `code ${code}`}); reattaching`)
        // The owner sent this client away (slow, token revoked, console removed): so does this instance.
        this.#end = undefined
        this.#o.client.close(code, reason.toString())
        this.close()
      })
      // The list may have changed while connecting.
      this.#check()
    })
  }
}

function headerOf(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v
}

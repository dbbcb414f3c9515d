/**
 * Any instance answers any request (docs/cluster.md, "Forwarding"): a request
 * for a node another member owns is sent to that member over the signed
 * channel of forward-auth.ts, on behalf of the caller this instance already
 * authenticated, and its answer passed back as if it were local.
 *
 * - A per-node route (`config.owner: true`) sent to a non-owner is forwarded
 *   whole (route()); the owner runs the handler and audits it, with the
 *   original principal and `via` naming the forwarding member.
 * - A noderange command is split by owner (src/api/range-forward.ts) and each
 *   other owner's share sent with send(); shares are not audited again.
 * - One hop only: a forwarded request is never forwarded again. A member that
 *   no longer owns the node (it moved) answers NODE_OWNED_ELSEWHERE and the
 *   sender asks again, whoever owns it then, until the move deadline; a node
 *   still moving then is WORKER_UNAVAILABLE, an owner that cannot be reached
 *   MEMBER_UNREACHABLE (both retryable).
 * The node -> owner map is Cluster.ownerOf, the same one GET /api/v1/cluster shows.
 */
import { Readable } from 'node:stream'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { ServiceError } from '../errors.js'
import {
  checkBody, FORWARD_HEADER, FORWARD_MAC_HEADER, ReplayCache, signReply, signRequest, verifyReply, verifyRequest, type ForwardClaim, type ForwardPrincipal,
} from './forward-auth.js'

/** How long a request waits for a moving node to settle on an owner (about a lease). */
export const DEFAULT_MOVE_DEADLINE_MS = 10_000
/** Between two attempts while a node moves or its owner does not answer. */
export const RETRY_PAUSE_MS = 200
/** The most one forwarded request may take (the longest command deadline and its grace). */
export const DEFAULT_FORWARD_TIMEOUT_MS = 130_000
/**
 * Why a fetch failed without the request ever reaching the owner (no
 * connection was made). Any other failure, a timeout or a connection reset,
 * may come after the owner ran it: a request that changes something (power
 * cycle, a node's worker restart) is then not sent again.
 */
const NOT_SENT_REASONS: readonly string[] = ['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']
/** Methods that change nothing: asked again after any failure. */
const SAFE_METHODS: readonly string[] = ['GET', 'HEAD']
/** Answer headers passed back to the caller as they are; everything else is this instance's. */
const PASSED_HEADERS = ['content-type', 'content-disposition', 'retry-after', 'cache-control'] as const

export interface ForwardMember {
  id: string
  address: string
}

/** What forwarding needs from the cluster (src/cluster/controller.ts Cluster, through main.ts). */
export interface ForwardCluster {
  /** This member's id and epoch while it holds its lease; undefined otherwise. */
  self(): { id: string; epoch: number } | undefined
  /** The node's owner under the current member list (GET /api/v1/cluster's map). */
  ownerOf(node: string): ForwardMember | undefined
  /** The live members under the current list (this one too). */
  members(): ForwardMember[]
  /** The node's worker runs on this instance now. */
  runsHere(node: string): boolean
  /** `member` is live with exactly `epoch` (the cached list, re-read from the store when it does not say so). */
  live(member: string, epoch: number): Promise<boolean>
}

export interface ForwarderOptions {
  /** The store's SecretBox.derive(FORWARD_KEY_LABEL). */
  key: Buffer
  cluster: () => ForwardCluster | undefined
  moveDeadlineMs?: number
  forwardTimeoutMs?: number
}

/** A forwarded request as the receiving member admitted it. */
const claims = new WeakMap<FastifyRequest, ForwardClaim>()

/** The claim a request came with, when another member forwarded it. */
export function forwardClaim(request: FastifyRequest): ForwardClaim | undefined {
  return claims.get(request)
}

/** Whether a request carries (or pretends to carry) a forward header. */
export function claimsForward(request: { headers: FastifyRequest['headers'] }): boolean {
  return request.headers[FORWARD_HEADER] !== undefined || request.headers[FORWARD_MAC_HEADER] !== undefined
}

export const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

function header(request: { headers: FastifyRequest['headers'] }, name: string): string | undefined {
  const v = request.headers[name]
  return typeof v === 'string' ? v : undefined
}

/** The body as the forwarding member sent it: JSON of the parsed body (parse and stringify round-trip exactly). */
export function bodyText(body: unknown): string | undefined {
  return body === undefined || body === null ? undefined : JSON.stringify(body)
}

export function moving(node: string): ServiceError {
  return new ServiceError('WORKER_UNAVAILABLE', `node ${node} is moving between cluster members`, { details: { node, state: 'moving' } })
}

/** A node result or answer that means "not executed: ask its owner again". */
export function movedCode(code: string, details: unknown): boolean {
  return code === 'NODE_OWNED_ELSEWHERE' || (code === 'WORKER_UNAVAILABLE' && (details as { state?: unknown } | undefined)?.state === 'moving')
}

export class Forwarder {
  readonly #key: Buffer
  readonly #cluster: () => ForwardCluster | undefined
  readonly #replay = new ReplayCache()
  readonly moveDeadlineMs: number
  readonly forwardTimeoutMs: number

  constructor(o: ForwarderOptions) {
    this.#key = o.key
    this.#cluster = o.cluster
    this.moveDeadlineMs = o.moveDeadlineMs ?? DEFAULT_MOVE_DEADLINE_MS
    this.forwardTimeoutMs = o.forwardTimeoutMs ?? DEFAULT_FORWARD_TIMEOUT_MS
  }

  /** The cluster as it is now (undefined before this instance joined). */
  get cluster(): ForwardCluster | undefined {
    return this.#cluster()
  }

  /**
   * The auth hook's path for a request with a forward header: it is admitted
   * only with a valid claim (never by falling back to a token), and its
   * principal is the one the sender authenticated.
   */
  async admit(request: FastifyRequest): Promise<ForwardPrincipal> {
    const c = this.#cluster()
    if (c === undefined || c.self() === undefined) throw new ServiceError('FORWARD_REJECTED', 'this instance is not a cluster member', { details: { reason: 'not_member' } })
    const claim = await verifyRequest(this.#key, this.#replay, {
      method: request.method, url: request.url, encoded: header(request, FORWARD_HEADER), mac: header(request, FORWARD_MAC_HEADER),
      live: (m, e) => c.live(m, e),
    })
    claims.set(request, claim)
    return { ...claim.principal }
  }

  /** After the body was parsed: it must be the one signed. */
  checkBody(request: FastifyRequest): void {
    const claim = claims.get(request)
    if (claim !== undefined) checkBody(claim, bodyText(request.body))
  }

  /** The answer to a forwarded request is signed over its nonce and status (onSend; the upgrade's headers for a socket). */
  replyHeaders(request: { raw?: unknown } & object, status: number, claim = claims.get(request as FastifyRequest)): Record<string, string> {
    const self = this.#cluster()?.self()
    if (claim === undefined || self === undefined) return {}
    return signReply(this.#key, claim.nonce, self.id, self.epoch, status)
  }

  /** Signed headers for a request to `member` on behalf of `principal`. */
  sign(principal: ForwardPrincipal, method: string, url: string, body: string | undefined, share = false): { headers: Record<string, string>; nonce: string } {
    const self = this.#cluster()?.self()
    if (self === undefined) throw new ServiceError('STORE_UNAVAILABLE', 'this instance holds no cluster lease, so it cannot forward')
    return signRequest(this.#key, { member: self.id, epoch: self.epoch, principal, method, url, body, share })
  }

  /** Whether the answer came from `member`, signed over this request's nonce. */
  verified(nonce: string, member: string, status: number, headers: { get(name: string): string | null | undefined }): boolean {
    return verifyReply(this.#key, nonce, member, status, headers)
  }

  /**
   * An owner route (config.owner): forwarded requests are run here only when
   * this member owns the node; other requests are run here when the node is
   * ours, forwarded when it is another member's. Returns true when the answer
   * was sent (forwarded).
   */
  async route(request: FastifyRequest, reply: FastifyReply, node: string): Promise<boolean> {
    const c = this.#cluster()
    if (c === undefined) return false
    if (claims.has(request)) {
      const owner = c.ownerOf(node)
      const self = c.self()
      if (owner !== undefined && owner.id !== self?.id) {
        throw new ServiceError('NODE_OWNED_ELSEWHERE', `node ${node} is owned by cluster member ${owner.id}`, { details: { node, member: owner.id, address: owner.address } })
      }
      return false
    }
    const deadline = performance.now() + this.moveDeadlineMs
    const body = bodyText(request.body)
    let last: ServiceError = moving(node)
    for (;;) {
      const owner = c.ownerOf(node)
      const self = c.self()
      if (owner !== undefined && self !== undefined && owner.id === self.id) {
        if (c.runsHere(node) || performance.now() >= deadline) return false
      } else if (owner !== undefined && self !== undefined) {
        const r = await this.send(owner, request.principal, request.method, request.url, body, false, request.headers.accept)
        if (r.kind === 'answer') {
          const moved = r.status === 421 || r.status === 503 ? await movedAnswer(r.response) : undefined
          if (moved === undefined) {
            void reply.code(r.status)
            for (const h of PASSED_HEADERS) {
              const v = r.response.headers.get(h)
              if (v !== null) void reply.header(h, v)
            }
            await reply.send(r.response.body === null ? '' : Readable.fromWeb(r.response.body as never))
            return true
          }
          last = moved
        } else if (!r.sent || SAFE_METHODS.includes(request.method)) last = r.error
        else throw r.error
      }
      if (performance.now() + RETRY_PAUSE_MS >= deadline) {
        throw movedCode(last.code, last.details) ? moving(node) : last
      }
      await pause(RETRY_PAUSE_MS)
    }
  }

  /** One signed request to `owner`; an unreachable owner or an unsigned answer is a failure (asked again by route()), any signed answer an answer. */
  async send(owner: ForwardMember, principal: ForwardPrincipal, method: string, url: string, body: string | undefined, share: boolean, accept?: string, timeoutMs = this.forwardTimeoutMs):
    Promise<{ kind: 'answer'; status: number; response: Response } | { kind: 'failed'; error: ServiceError; sent: boolean }> {
    const signed = this.sign(principal, method, url, body, share)
    let response: Response
    try {
      response = await fetch(`${owner.address.replace(/\/+$/, '')}${url}`, {
        method,
        headers: { ...signed.headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(accept !== undefined ? { accept } : {}) },
        ...(body !== undefined ? { body } : {}),
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      })
    } catch (e) {
      const reason = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).name
      const sent = !NOT_SENT_REASONS.includes(reason)
      const what = sent ? ': the request may have reached it, so a change is not sent again' : ''
      return { kind: 'failed', sent, error: new ServiceError('MEMBER_UNREACHABLE', `cluster member ${owner.id} (${owner.address}), which owns the node, did not answer (${reason})${what}`, { details: { member: owner.id, address: owner.address, reason } }) }
    }
    if (!this.verified(signed.nonce, owner.id, response.status, response.headers)) {
      // Nothing of it is passed on. Asked again like an owner that did not answer: a member whose lease lapsed
      // a moment refuses forwards unsigned (FORWARD_REJECTED, not_member) until it holds one again.
      await response.body?.cancel().catch(() => undefined)
      // Refused before it ran (401 FORWARD_REJECTED, unsigned) or not from a member at all; any other status may follow a run.
      return { kind: 'failed', sent: response.status !== 401, error: new ServiceError('FORWARD_UNVERIFIED', `cluster member ${owner.id} (${owner.address}) answered without a valid signature (status ${response.status})`, { details: { member: owner.id, address: owner.address, status: response.status } }) }
    }
    return { kind: 'answer', status: response.status, response }
  }
}

/** A 421 or a "moving" 503 from the owner: not executed there, ask again. */
async function movedAnswer(response: Response): Promise<ServiceError | undefined> {
  const text = await response.clone().text()
  try {
    const e = (JSON.parse(text) as { error?: { code?: string; message?: string; details?: unknown } }).error
    if (e?.code !== undefined && movedCode(e.code, e.details)) {
      await response.body?.cancel().catch(() => undefined)
      return new ServiceError(e.code === 'NODE_OWNED_ELSEWHERE' ? 'NODE_OWNED_ELSEWHERE' : 'WORKER_UNAVAILABLE', e.message ?? e.code, { details: (e.details ?? {}) as never })
    }
  } catch {
    // not our envelope: passed on as it is
  }
  return undefined
}

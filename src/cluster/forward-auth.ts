/**
 * The inter-instance channel's authentication (docs/cluster.md, "Forwarding"):
 * every forwarded request carries a claim (member id and epoch of the sender,
 * a timestamp, a random nonce, the acting principal the sender already
 * authenticated, a hash of the body, whether it is one owner's share of a
 * noderange) and an HMAC-SHA256 over the claim, the method and the URL. The
 * key is derived by HKDF-SHA256 from the store's sealing key with its own
 * label (FORWARD_KEY_LABEL, SecretBox.derive), so the sealing key itself never signs anything and a MAC cannot
 * be turned into a sealing oracle.
 *
 * The receiver checks, in order: the MAC (constant time), the timestamp
 * within FORWARD_SKEW_MS of its own clock, the sender being a live member
 * with that epoch, and the nonce unseen within the window (ReplayCache).
 * Its answer carries a MAC over the request's nonce, its own member id and
 * epoch and the status, so the sender knows a member holding the key
 * answered that very request (mutual). Nothing here logs; MACs and keys never
 * leave this module except in the two headers.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Role } from '../store/types.js'
import { ServiceError } from '../errors.js'

/** The request's claim (base64url JSON) and its MAC (hex). */
export const FORWARD_HEADER = 'x-bmcvisor-forward'
export const FORWARD_MAC_HEADER = 'x-bmcvisor-forward-mac'
/** The answer's signer (`id:epoch`) and its MAC over the request's nonce. */
export const REPLY_MEMBER_HEADER = 'x-bmcvisor-forward-member'
export const REPLY_MAC_HEADER = 'x-bmcvisor-forward-reply'
/** HKDF info of the forwarding key (SecretBox.derive): this key is for the forwarding channel only. */
export const FORWARD_KEY_LABEL = 'bmcvisor forward v1'
const REQUEST_DOMAIN = 'bmcvisor-forward-request-v1'
const REPLY_DOMAIN = 'bmcvisor-forward-reply-v1'
const NONCE_BYTES = 16
/** How far a forward's timestamp may be from the receiver's clock (members' clocks are NTP-synchronised). */
export const FORWARD_SKEW_MS = 30_000
/** Nonces kept at most (a forward storm beyond this within the window is refused, not remembered less). */
export const REPLAY_CACHE_MAX = 200_000

const ROLES: readonly Role[] = ['viewer', 'operator', 'admin']

/** The caller on whose behalf a forward is made, as the sender authenticated it. */
export interface ForwardPrincipal {
  tokenId: string
  role: Role
  name: string
  expiresAt: string | null
}

export interface ForwardClaim {
  v: 1
  member: string
  epoch: number
  /** Milliseconds since the epoch, the sender's clock. */
  ts: number
  nonce: string
  principal: ForwardPrincipal
  /** SHA-256 (hex) of the body as sent (bodyDigest). */
  body: string
  /** One owner's share of a noderange request: the sender audits the whole range, the owner does not audit again. */
  share: boolean
}

/** The body digest both ends compute: over the exact bytes sent (none: the empty string). */
export function bodyDigest(body: string | undefined): string {
  return createHash('sha256').update(body ?? '').digest('hex')
}

function mac(key: Buffer, parts: readonly string[]): string {
  const h = createHmac('sha256', key)
  for (const p of parts) h.update(`${p.length}:`).update(p)
  return h.digest('hex')
}

function sameMac(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8')
  const y = Buffer.from(b, 'utf8')
  return x.length === y.length && timingSafeEqual(x, y)
}

function rejected(message: string, reason: string): ServiceError {
  return new ServiceError('FORWARD_REJECTED', message, { details: { reason } })
}

export interface SignRequest {
  member: string
  epoch: number
  principal: ForwardPrincipal
  method: string
  /** Path and query, as the receiver's request.url will read. */
  url: string
  body?: string | undefined
  share?: boolean
  now?: number
}

/** The two headers of one forwarded request, and its nonce (to check the answer with). */
export function signRequest(key: Buffer, r: SignRequest): { headers: Record<string, string>; nonce: string } {
  const claim: ForwardClaim = {
    v: 1, member: r.member, epoch: r.epoch, ts: r.now ?? Date.now(), nonce: randomBytes(NONCE_BYTES).toString('hex'),
    principal: { tokenId: r.principal.tokenId, role: r.principal.role, name: r.principal.name, expiresAt: r.principal.expiresAt },
    body: bodyDigest(r.body), share: r.share ?? false,
  }
  const encoded = Buffer.from(JSON.stringify(claim), 'utf8').toString('base64url')
  return { headers: { [FORWARD_HEADER]: encoded, [FORWARD_MAC_HEADER]: mac(key, [REQUEST_DOMAIN, encoded, r.method.toUpperCase(), r.url]) }, nonce: claim.nonce }
}

function parseClaim(encoded: string): ForwardClaim {
  let c: unknown
  try {
    c = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'))
  } catch {
    throw rejected('the forward header is not valid', 'malformed')
  }
  const o = c as Partial<ForwardClaim> | null
  const p = o?.principal as Partial<ForwardPrincipal> | undefined
  if (o === null || typeof o !== 'object' || o.v !== 1 || typeof o.member !== 'string' || !Number.isSafeInteger(o.epoch) || !Number.isFinite(o.ts) ||
    typeof o.nonce !== 'string' || typeof o.body !== 'string' || typeof o.share !== 'boolean' || p === undefined || p === null ||
    typeof p.tokenId !== 'string' || typeof p.name !== 'string' || !ROLES.includes(p.role as Role) || !(p.expiresAt === null || typeof p.expiresAt === 'string')) {
    throw rejected('the forward header is not valid', 'malformed')
  }
  return o as ForwardClaim
}

/**
 * Nonces seen within the skew window: a forward whose nonce is here is a
 * replay. Entries older than twice the window are dropped (a claim that old
 * fails the timestamp check anyway).
 */
export class ReplayCache {
  readonly #seen = new Map<string, number>()
  readonly #windowMs: number
  readonly #max: number

  constructor(windowMs = FORWARD_SKEW_MS, max = REPLAY_CACHE_MAX) {
    this.#windowMs = windowMs
    this.#max = max
  }

  get size(): number {
    return this.#seen.size
  }

  /** True the first time a nonce is seen; false for a replay (or a full cache). */
  admit(nonce: string, now: number): boolean {
    this.#prune(now)
    if (this.#seen.has(nonce) || this.#seen.size >= this.#max) return false
    this.#seen.set(nonce, now)
    return true
  }

  #prune(now: number): void {
    // Insertion order is time order: stop at the first entry still young enough.
    for (const [n, at] of this.#seen) {
      if (now - at <= 2 * this.#windowMs) break
      this.#seen.delete(n)
    }
  }
}

export interface VerifyRequest {
  method: string
  url: string
  encoded: string | undefined
  mac: string | undefined
  /** Whether `member` is live now with exactly `epoch` (the receiver's view, re-read from the store when unsure). */
  live: (member: string, epoch: number) => Promise<boolean>
  now?: number
}

/**
 * Checks a forwarded request's claim: a forged or unsigned one, an expired
 * one, one from a member not live with that epoch, and a replayed one are
 * each FORWARD_REJECTED (details.reason: unsigned, malformed, forged, expired,
 * not_member, replayed). The body digest is checked by the caller once the
 * body is read (checkBody).
 */
export async function verifyRequest(key: Buffer, replay: ReplayCache, r: VerifyRequest): Promise<ForwardClaim> {
  if (r.encoded === undefined || r.mac === undefined || r.encoded === '' || r.mac === '') throw rejected('a forwarded request must carry its claim and its MAC', 'unsigned')
  if (!sameMac(mac(key, [REQUEST_DOMAIN, r.encoded, r.method.toUpperCase(), r.url]), r.mac)) throw rejected('the forward header\'s MAC does not verify', 'forged')
  const claim = parseClaim(r.encoded)
  const now = r.now ?? Date.now()
  if (Math.abs(now - claim.ts) > FORWARD_SKEW_MS) throw rejected(`the forward header is more than ${FORWARD_SKEW_MS} ms from this member's clock`, 'expired')
  if (!(await r.live(claim.member, claim.epoch))) throw rejected(`${claim.member} is not a live cluster member with epoch ${claim.epoch}`, 'not_member')
  if (!replay.admit(claim.nonce, now)) throw rejected('this forwarded request was already received', 'replayed')
  return claim
}

/** The body as received must be the one the claim was signed over. */
export function checkBody(claim: ForwardClaim, body: string | undefined): void {
  if (!sameMac(bodyDigest(body), claim.body)) throw rejected('the forwarded body is not the one that was signed', 'forged')
}

/** The answer's headers: this member signs the request's nonce and the status. */
export function signReply(key: Buffer, nonce: string, member: string, epoch: number, status: number): Record<string, string> {
  const who = `${member}:${epoch}`
  return { [REPLY_MEMBER_HEADER]: who, [REPLY_MAC_HEADER]: mac(key, [REPLY_DOMAIN, nonce, who, String(status)]) }
}

/** True when the answer was signed by `member` (any epoch it holds) over this request's nonce and this status. */
export function verifyReply(key: Buffer, nonce: string, member: string, status: number, headers: { get(name: string): string | null | undefined }): boolean {
  const who = headers.get(REPLY_MEMBER_HEADER) ?? undefined
  const got = headers.get(REPLY_MAC_HEADER) ?? undefined
  if (who === undefined || got === undefined || !who.startsWith(`${member}:`)) return false
  return sameMac(mac(key, [REPLY_DOMAIN, nonce, who, String(status)]), got)
}

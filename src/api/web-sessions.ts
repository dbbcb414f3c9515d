/**
 * Browser sign-in (issue 15): the token never sits in a URL or in storage a
 * script can read. A browser signs in once (POST /api/v1/session with a token,
 * or with a one-time code from the link `serve` prints) and gets:
 *   - a session cookie: HttpOnly (no script reads it), SameSite=Strict (no
 *     other site's page sends it), Path=/, Secure under TLS; the session id
 *     is random and names the token only in this process's memory;
 *   - a CSRF token in the JSON answer, kept by the page in memory (and asked
 *     for again with GET /api/v1/session after a reload): every request that
 *     changes something and comes with the cookie must carry it in
 *     CSRF_HEADER, and a WebSocket upgrade with the cookie must come from this
 *     server's own origin (Origin equal to Host), so a page of another origin
 *     can neither change nor watch anything.
 * auth.ts requestToken, the one credential reader, asks `credential()` here.
 * Sessions live in memory: a restart signs browsers out. Revoking or expiring
 * the token ends its sessions' use at once (the token is verified on every request).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import { ServiceError } from '../errors.js'

export const SESSION_COOKIE = 'bmcvisor_session'
export const CSRF_HEADER = 'x-csrf-token'
/** A signed-in browser stays signed in this long after its last request. */
export const SESSION_IDLE_MS = 12 * 60 * 60 * 1000
/** A sign-in code works once, within this long. */
export const SIGN_IN_CODE_TTL_MS = 10 * 60 * 1000
/** Sessions and codes held at most; the oldest go first (no unbounded growth from sign-in attempts). */
export const MAX_WEB_SESSIONS = 10_000
const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS'])

interface Session { token: string; csrf: string; lastUsed: number }
interface Code { token: string; expiresAt: number }

const random = () => randomBytes(24).toString('base64url')

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/** The value of cookie `name` in a Cookie header, or undefined. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}

export class WebSessions {
  private readonly sessions = new Map<string, Session>()
  private readonly codes = new Map<string, Code>()

  constructor(private readonly now: () => number = Date.now) {}

  /** A one-time sign-in code for `token` (the link `serve` prints carries it in the URL fragment). */
  issueCode(token: string): string {
    const code = random()
    this.codes.set(code, { token, expiresAt: this.now() + SIGN_IN_CODE_TTL_MS })
    trim(this.codes)
    return code
  }

  /** The token a code stands for, once; undefined if unknown, used or expired. */
  redeemCode(code: string): string | undefined {
    const c = this.codes.get(code)
    if (c === undefined) return undefined
    this.codes.delete(code)
    return c.expiresAt > this.now() ? c.token : undefined
  }

  /** A new session for a verified token: its id (the cookie) and its CSRF token. */
  create(token: string): { id: string; csrf: string } {
    const id = random()
    const csrf = random()
    this.sessions.set(id, { token, csrf, lastUsed: this.now() })
    trim(this.sessions)
    return { id, csrf }
  }

  /** The session of a request's cookie (not checked for CSRF), or undefined. */
  sessionOf(request: FastifyRequest): { id: string; csrf: string; token: string } | undefined {
    const id = cookieValue(request.headers.cookie, SESSION_COOKIE)
    if (id === undefined) return undefined
    const s = this.sessions.get(id)
    if (s === undefined) return undefined
    if (this.now() - s.lastUsed > SESSION_IDLE_MS) {
      this.sessions.delete(id)
      return undefined
    }
    s.lastUsed = this.now()
    return { id, csrf: s.csrf, token: s.token }
  }

  /**
   * The token behind a request's session cookie, after the CSRF rules: an
   * unsafe method needs CSRF_HEADER, an upgrade needs its own origin
   * (CSRF_REJECTED otherwise). undefined without a (live) session.
   */
  credential(request: FastifyRequest): string | undefined {
    const s = this.sessionOf(request)
    if (s === undefined) return undefined
    if (isUpgrade(request)) {
      if (!sameOrigin(request)) throw new ServiceError('CSRF_REJECTED', 'a WebSocket with the session cookie must come from this server\'s own pages')
    } else if (!SAFE_METHODS.has(request.method)) {
      const h = request.headers[CSRF_HEADER]
      if (typeof h !== 'string' || !sameText(h, s.csrf)) throw new ServiceError('CSRF_REJECTED', `a request with the session cookie must carry its CSRF token (${CSRF_HEADER})`)
    }
    return s.token
  }

  end(id: string): void {
    this.sessions.delete(id)
  }

  get size(): number {
    return this.sessions.size
  }
}

function trim<V>(m: Map<string, V>): void {
  while (m.size > MAX_WEB_SESSIONS) m.delete(m.keys().next().value!)
}

function isUpgrade(request: FastifyRequest): boolean {
  const u = request.headers.upgrade
  return typeof u === 'string' && u.toLowerCase() === 'websocket'
}

/** The Origin header names this very server (scheme-less compare of host:port with Host). */
function sameOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin
  const host = request.headers.host
  if (typeof origin !== 'string' || typeof host !== 'string') return false
  try {
    return new URL(origin).host === host
  } catch {
    return false
  }
}

/** The Set-Cookie value of a new session (Secure under TLS). */
export function sessionCookie(id: string, secure: boolean): string {
  return `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${SESSION_IDLE_MS / 1000}${secure ? '; Secure' : ''}`
}

/** The Set-Cookie value that removes the session cookie. */
export function clearedCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure ? '; Secure' : ''}`
}

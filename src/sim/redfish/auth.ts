/**
 * Who a Redfish request comes from: the BMC's one user table (the IPMI
 * users, so a password set over either interface works on both), Redfish
 * sessions (SessionService, X-Auth-Token) and HTTP Basic.
 * Owns the session table: tokens, the session limit, idle expiry. Tokens
 * come from node:crypto and are never logged or put in a resource body.
 * Redfish: DSP0266 §13.3 (authentication), §13.3.4 (sessions); roles are
 * the standard ReadOnly, Operator and Administrator (DSP8011 privileges).
 * Invariant: a session stays valid only while its user exists, is enabled
 * and keeps at least User privilege; changing that ends it on next use.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { Priv, type SimUser } from '../state.js'

export const ROLES = ['ReadOnly', 'Operator', 'Administrator'] as const
export type RoleId = (typeof ROLES)[number]

/** The IPMI privilege limit each role is stored as (IPMI v2.0 §6.8). */
export const ROLE_PRIVILEGE: Readonly<Record<RoleId, number>> = { ReadOnly: Priv.User, Operator: Priv.Operator, Administrator: Priv.Administrator }

/** Redfish privileges (DSP8011) an operation may need. */
export type Privilege = 'Login' | 'ConfigureSelf' | 'ConfigureComponents' | 'ConfigureManager' | 'ConfigureUsers'

/** The privileges each standard role holds (DSP8011). */
export const ROLE_PRIVILEGES: Readonly<Record<RoleId, readonly Privilege[]>> = {
  ReadOnly: ['Login', 'ConfigureSelf'],
  Operator: ['Login', 'ConfigureSelf', 'ConfigureComponents'],
  Administrator: ['Login', 'ConfigureSelf', 'ConfigureComponents', 'ConfigureManager', 'ConfigureUsers'],
}

/** The role of an IPMI privilege limit; undefined when it grants no Redfish access (callback, no access). */
export function roleOf(privilege: number): RoleId | undefined {
  if (privilege === Priv.NoAccess || privilege < Priv.User) return undefined
  if (privilege >= Priv.Administrator) return 'Administrator'
  return privilege === Priv.Operator ? 'Operator' : 'ReadOnly'
}

export interface RedfishSession {
  /** The Session resource's Id (a counter; the token is the secret). */
  id: string
  token: string
  userId: number
  userName: string
  createdMs: number
  lastUsedMs: number
}

/** Who made a request, resolved. */
export interface Principal {
  user: SimUser
  role: RoleId
  session: RedfishSession | undefined
}

export type LoginResult = { ok: true; session: RedfishSession } | { ok: false; reason: 'credentials' | 'limit' }

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b)
}

/** The enabled user with this name and password, able to log in; undefined otherwise. */
export function checkPassword(users: readonly SimUser[], name: string, password: string): SimUser | undefined {
  const n = Buffer.from(name, 'utf8')
  const p = Buffer.from(password, 'utf8')
  const u = users.find((x) => x.id >= 1 && x.name.length > 0 && x.name.equals(n))
  if (u === undefined || !u.enabled || roleOf(u.privilege) === undefined) return undefined
  return sameBytes(u.password, p) ? u : undefined
}

export class SessionTable {
  private readonly byToken = new Map<string, RedfishSession>()
  private nextId = 1

  constructor(private readonly limit: number, private readonly idleTimeoutMs: number) {}

  get count(): number {
    return this.byToken.size
  }

  get maxSessions(): number {
    return this.limit
  }

  /** The SessionService SessionTimeout: seconds a session may stay unused. */
  get timeoutSeconds(): number {
    return Math.round(this.idleTimeoutMs / 1000)
  }

  list(): RedfishSession[] {
    return [...this.byToken.values()]
  }

  byId(id: string): RedfishSession | undefined {
    return this.list().find((s) => s.id === id)
  }

  open(user: SimUser, nowMs: number, limitForced: boolean): LoginResult {
    this.sweep(nowMs)
    if (limitForced || this.byToken.size >= this.limit) return { ok: false, reason: 'limit' }
    const session: RedfishSession = {
      id: String(this.nextId++), token: randomBytes(16).toString('hex'), userId: user.id,
      userName: user.name.toString('utf8'), createdMs: nowMs, lastUsedMs: nowMs,
    }
    this.byToken.set(session.token, session)
    return { ok: true, session }
  }

  /** The live session for a token (its idle clock restarts), or undefined. */
  use(token: string, nowMs: number): RedfishSession | undefined {
    this.sweep(nowMs)
    const s = this.byToken.get(token)
    if (s !== undefined) s.lastUsedMs = nowMs
    return s
  }

  close(session: RedfishSession): void {
    this.byToken.delete(session.token)
  }

  clear(): void {
    this.byToken.clear()
  }

  private sweep(nowMs: number): void {
    for (const s of this.byToken.values()) if (nowMs - s.lastUsedMs > this.idleTimeoutMs) this.byToken.delete(s.token)
  }
}

/** Parses `Authorization: Basic base64(user:password)`; undefined when absent or malformed. */
export function parseBasic(header: string | undefined): { name: string; password: string } | undefined {
  if (header === undefined) return undefined
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header)
  if (m === null) return undefined
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon < 0) return undefined
  return { name: decoded.slice(0, colon), password: decoded.slice(colon + 1) }
}

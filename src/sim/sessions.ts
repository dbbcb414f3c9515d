/**
 * The simulated BMC's session table: a fixed number of slots shared by
 * handshakes in progress and active sessions, as on real BMCs (often 4-8
 * LAN sessions; a leaked session holds its slot until the idle timeout).
 * Owns slot accounting, managed-system session ID allocation, idle and
 * setup expiry (checked lazily when packets arrive: no timers) and each
 * session's per-session state. Does not parse packets or run commands.
 * Spec: IPMI v2.0 §13.17 (IDs are chosen by each side, never 0), §6.12.13.
 */
import type { SessionCrypto } from '../ipmi/packet.js'
import type { BmcHandshake } from './keys.js'
import { InboundWindow } from './inbound-window.js'
import type { Prng } from './prng.js'
import type { SimUser } from './state.js'
import type { Reply } from './sim-bmc.js'

export type SimSessionState = 'opened' | 'rakp2-sent' | 'active'

/** A response kept for duplicate detection, keyed by rqSeq. */
export interface CachedRequest {
  netFn: number
  cmd: number
  data: Buffer
  response: Buffer
  atMs: number
  /** Value of the session's request counter when it was handled. */
  ordinal: number
}

export interface SimSession {
  /** SIDc: ours; consoles put it in every packet they send. */
  readonly bmcSessionId: number
  /** SIDm: the console's; we put it in every packet we send. */
  readonly consoleSessionId: number
  state: SimSessionState
  readonly auth: number
  readonly integrity: number
  readonly confidentiality: number
  readonly suite: number
  /** Open Session "requested maximum privilege" (0 = highest the channel allows). */
  readonly requestedMaxPrivilege: number
  /** The ceiling for Set Session Privilege Level, fixed at RAKP 1. */
  maxPrivilege: number
  /** The current privilege: User after login until Set Session Privilege Level (IPMI v2.0 §22.18). */
  privilege: number
  user: SimUser | undefined
  handshake: BmcHandshake | undefined
  /** The last RAKP 1 and our answer, so an identical retransmit gets the same RAKP 2. */
  lastRakp1: Buffer | undefined
  lastRakp2: Buffer | undefined
  crypto: SessionCrypto | undefined
  readonly window: InboundWindow
  outSeq: number
  readonly createdAtMs: number
  lastActivityMs: number
  /** Where this session's console was last heard from: replies and unsolicited payloads (SOL) go there. */
  reply: Reply | undefined
  readonly recent: Map<number, CachedRequest>
  requestCounter: number
}

export interface NewSession {
  consoleSessionId: number
  auth: number
  integrity: number
  confidentiality: number
  suite: number
  requestedMaxPrivilege: number
  nowMs: number
}

export class SessionTable {
  private readonly sessions = new Map<number, SimSession>()

  constructor(readonly slots: number, private readonly prng: Prng) {}

  get size(): number {
    return this.sessions.size
  }

  get(bmcSessionId: number): SimSession | undefined {
    return this.sessions.get(bmcSessionId >>> 0)
  }

  values(): IterableIterator<SimSession> {
    return this.sessions.values()
  }

  /** A new session in state 'opened', or undefined when every slot is taken. */
  open(n: NewSession): SimSession | undefined {
    if (this.sessions.size >= this.slots) return undefined
    let id = 0
    while (id === 0 || this.sessions.has(id)) id = this.prng.u32()
    const s: SimSession = {
      bmcSessionId: id,
      consoleSessionId: n.consoleSessionId,
      state: 'opened',
      auth: n.auth,
      integrity: n.integrity,
      confidentiality: n.confidentiality,
      suite: n.suite,
      requestedMaxPrivilege: n.requestedMaxPrivilege,
      maxPrivilege: 0,
      privilege: 0,
      user: undefined,
      handshake: undefined,
      lastRakp1: undefined,
      lastRakp2: undefined,
      crypto: undefined,
      window: new InboundWindow(),
      outSeq: 0,
      createdAtMs: n.nowMs,
      lastActivityMs: n.nowMs,
      reply: undefined,
      recent: new Map(),
      requestCounter: 0,
    }
    this.sessions.set(id, s)
    return s
  }

  delete(bmcSessionId: number): boolean {
    return this.sessions.delete(bmcSessionId >>> 0)
  }

  clear(): SimSession[] {
    const all = [...this.sessions.values()]
    this.sessions.clear()
    return all
  }

  /** Removes sessions idle too long and handshakes left unfinished; returns them. */
  sweep(nowMs: number, idleTimeoutMs: number, setupTimeoutMs: number): SimSession[] {
    const gone: SimSession[] = []
    for (const s of this.sessions.values()) {
      const limit = s.state === 'active' ? idleTimeoutMs : setupTimeoutMs
      if (nowMs - s.lastActivityMs > limit) gone.push(s)
    }
    for (const s of gone) this.sessions.delete(s.bmcSessionId)
    return gone
  }
}

/** The next outbound session sequence number: starts at 1, never 0 (IPMI v2.0 §6.12.13). */
export function nextOutSeq(s: SimSession): number {
  s.outSeq = (s.outSeq + 1) >>> 0
  if (s.outSeq === 0) s.outSeq = 1
  return s.outSeq
}

/**
 * IpmiClient: a BMC as callers see it. Runs typed commands on a session that
 * it opens on first use and opens again after the BMC was lost, one login at
 * a time (concurrent callers share it). Remembers the cipher suite that
 * worked so a reconnect does not probe again.
 *
 * Learns the BMC's quirks: detection code (here, in the session and in SOL)
 * reports each adaptation through noteLearned, and the client emits
 * 'learned' once per name; `profile` is what it knows so far, starting from
 * SessionConfig.profile (src/session/profile.ts).
 *
 * Owns the current Session and its transport; every reconnect closes the old
 * session first, so at most one exists (DESIGN lesson 2). Does not retry
 * failed commands: a BMC_UNREACHABLE goes to the caller, who owns the policy.
 */
import { EventEmitter } from 'node:events'
import { decodeResponse, type IpmiCommand } from '../ipmi/command.js'
import { IpmiError } from '../ipmi/errors.js'
import { systemClock, type Clock } from './clock.js'
import { sessionTiming, type SessionConfig } from './config.js'
import { addLearned, EMPTY_PROFILE, profileHas, type LearnedEntry, type LearnedProfile, type WorkaroundName } from './profile.js'
import { Session, type SessionInfo, type SessionState } from './session.js'
import type { PacketTransport } from './transport.js'
import { createUdpTransport } from './udp-transport.js'
import type { RawResponse, RequestOptions } from './request-table.js'

export interface BmcTarget {
  host: string
  port?: number | undefined
}

export interface ClientDeps {
  clock?: Clock
  transportFactory?: (host: string, port: number) => Promise<PacketTransport>
}

interface ClientEvents {
  state: [state: SessionState, error?: IpmiError]
  session: [session: Session]
  /** A quirk detected and adapted to, the first time per client and name. */
  learned: [entry: LearnedEntry]
  /** The profile changed (a new entry, or a new suite for a known one): what a store keeps. */
  profile: [profile: LearnedProfile]
}

/** QUIRK(idletimeout-short): keepalives are never learned down below this. */
export const MIN_LEARNED_KEEPALIVE_MS = 1000
/** QUIRK(idletimeout-short): sessions dropped while idle, each followed by a prompt login, in a row before the first learning. */
export const IDLE_DROPS_TO_LEARN = 2

export class IpmiClient extends EventEmitter<ClientEvents> {
  private session: Session | undefined
  private connecting: Promise<Session> | undefined
  private workingSuite: number | undefined
  private closed = false
  private _profile: LearnedProfile
  /** QUIRK(idletimeout-short): a keepalive interval shorter than the configured one, learned from sessions the BMC dropped. */
  private learnedKeepaliveMs: number | undefined
  /** The keepalive interval of a session that was lost on its keepalive, until the next login says why. */
  private idleSuspectMs: number | undefined
  /** QUIRK(idletimeout-short): sessions lost on their keepalive and replaced by a prompt login, in a row, before anything was learned. */
  private idleDropsInARow = 0
  private readonly clock: Clock
  private readonly transportFactory: (host: string, port: number) => Promise<PacketTransport>

  constructor(readonly target: BmcTarget, readonly config: SessionConfig, deps: ClientDeps = {}) {
    super()
    this.clock = deps.clock ?? systemClock
    this.transportFactory = deps.transportFactory ?? createUdpTransport
    this._profile = config.profile ?? EMPTY_PROFILE
    this.workingSuite = this._profile.cipherSuite
  }

  /** What is known about this BMC: the stored profile plus what this client learned. */
  get profile(): LearnedProfile {
    return this._profile
  }

  /** True when the profile (learned before or now) or the configured workarounds hold `name`. */
  hasWorkaround(name: WorkaroundName): boolean {
    return profileHas(name, this._profile, this.config.workarounds)
  }

  /**
   * Records a detected quirk and emits 'learned' the first time per name
   * (the stored profile counts: a name it already holds is not emitted
   * again). `cipherSuite` is kept with entries that make the suite worth
   * remembering (cipher-suites-silent, cipher-suite).
   */
  noteLearned(name: WorkaroundName, detail: string, cipherSuite?: number): void {
    const before = this._profile
    const known = before.entries.some((e) => e.name === name)
    this._profile = addLearned(before, { name, detail }, new Date(), cipherSuite)
    if (!known) this.emit('learned', { name, detail })
    if (this._profile !== before) this.emit('profile', this._profile)
  }

  get currentSession(): Session | undefined {
    return this.session?.state === 'established' ? this.session : undefined
  }

  get info(): SessionInfo | undefined {
    return this.currentSession?.info
  }

  /** The established session, logging in when there is none. */
  async connect(): Promise<Session> {
    if (this.closed) throw new IpmiError('BMC_SESSION_CLOSED', 'client is closed')
    const s = this.currentSession
    if (s !== undefined) return s
    this.connecting ??= this.open().finally(() => {
      this.connecting = undefined
    })
    return this.connecting
  }

  async run<Req, Res>(command: IpmiCommand<Req, Res>, req: Req, opts: RequestOptions = {}): Promise<Res> {
    const r = await this.raw(command.netFn, command.cmd, command.encode(req), { idempotent: command.idempotent ?? true, ...opts })
    return decodeResponse(command, r.cc, r.data)
  }

  async raw(netFn: number, cmd: number, data: Uint8Array, opts: RequestOptions = {}): Promise<RawResponse> {
    const s = await this.connect()
    return s.request(netFn, cmd, data, opts)
  }

  /** Closes the current session (Close Session sent) and refuses further use. */
  async close(): Promise<void> {
    this.closed = true
    // Closing the session also abandons a login in flight, without waiting for its timeouts.
    await this.session?.close()
    await this.connecting?.catch(() => undefined)
    await this.session?.close()
  }

  /** Drops the current session (Close Session sent) but stays usable: the next command logs in again. */
  async reset(): Promise<void> {
    const s = this.session
    await s?.close()
    await this.connecting?.catch(() => undefined)
    if (this.session === s) this.session = undefined
  }

  private async open(): Promise<Session> {
    const old = this.session
    this.session = undefined
    await old?.close()
    const transport = await this.transportFactory(this.target.host, this.target.port ?? 623)
    const k = this.learnedKeepaliveMs
    const s = new Session(transport, k === undefined ? this.config : { ...this.config, timing: { ...this.config.timing, keepaliveMs: k } }, this.clock)
    this.session = s
    s.on('state', (state, err) => {
      if (this.session !== s) return
      if (state === 'closed' && err?.details.stage === 'keepalive') this.idleSuspectMs = s.timing.keepaliveMs
      this.emit('state', state, err)
    })
    s.on('learned', (name, detail, suite) => this.noteLearned(name, detail, suite))
    const started = this.clock.now()
    try {
      const info = await s.connect(this.workingSuite, this.hasWorkaround('cipher-suites-silent'))
      this.workingSuite = info.cipherSuite
      this.learnIdleTimeout(s, this.clock.now() - started)
    } catch (e) {
      if (this.session === s) this.session = undefined
      throw e
    }
    if (this.closed) {
      await s.close()
      throw new IpmiError('BMC_SESSION_CLOSED', 'client was closed during login')
    }
    this.emit('session', s)
    return s
  }

  /**
   * QUIRK(idletimeout-short): the last session died on its keepalive, and
   * this login went through at once (no step waited for a retransmit), so the
   * BMC was up all along and had dropped the session for being idle that
   * long. The first time, that pattern must show twice in a row: a BMC reset
   * whose downtime ends just before the login (the drop is only noticed a
   * keepalive plus its timeout later) looks the same once, never twice in a
   * row. Then keepalives go at half that interval from this session on
   * (halving again each time it happens again, never below
   * MIN_LEARNED_KEEPALIVE_MS). A login that had to wait, or a session lost
   * for another reason, starts the count again.
   */
  private learnIdleTimeout(s: Session, loginMs: number): void {
    const idle = this.idleSuspectMs
    this.idleSuspectMs = undefined
    if (idle === undefined || loginMs >= sessionTiming(this.config).retransmitMs) {
      this.idleDropsInARow = 0
      return
    }
    this.idleDropsInARow++
    if (this.learnedKeepaliveMs === undefined && this.idleDropsInARow < IDLE_DROPS_TO_LEARN) return
    const next = Math.max(MIN_LEARNED_KEEPALIVE_MS, Math.floor(idle / 2))
    if (next >= idle) return
    this.learnedKeepaliveMs = next
    s.setKeepaliveInterval(next)
    this.noteLearned('idle-timeout', `BMC dropped a session idle for ${idle} ms; keepalive every ${next} ms`)
  }
}

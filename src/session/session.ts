/**
 * One RMCP+ session with one BMC: login (with cipher suite and privilege
 * fallback), the request table, retransmits, keepalive and Close Session.
 *
 * Owns: sequence numbers in both directions, rqSeq allocation, integrity and
 * confidentiality of every packet, and the decision that the BMC is gone.
 * Does not own: sockets (a PacketTransport is injected), time (a Clock is
 * injected), reconnecting (IpmiClient makes a new Session), SOL state.
 * Spec: IPMI v2.0 §13 (RMCP+), reference/ipmi-spec.md §3.
 * Invariants: every inbound packet is checked for integrity before anything
 * else; a packet that fails any check is dropped and counted, never thrown.
 * Once closed, a Session ignores everything and never reopens.
 */
import { randomBytes } from 'node:crypto'
import { EventEmitter } from 'node:events'
import { integrityCodeLength, IntegrityAlg } from '../ipmi/crypto.js'
import { IpmiError } from '../ipmi/errors.js'
import { CloseSession } from '../ipmi/commands/close-session.js'
import { SetSessionPrivilegeLevel } from '../ipmi/commands/set-session-privilege-level.js'
import { ChassisAction, ChassisControl } from '../ipmi/commands/chassis-control.js'
import type { PrivilegeLevel } from '../ipmi/commands/common.js'
import { decodeLanResponse } from '../ipmi/lan-message.js'
import {
  decodeV15Packet, encodeSessionPacket, openRmcpPlusPacket, parseRmcpPlusPacket, PayloadType,
  sessionFormat, type RmcpPlusIn, type SessionCrypto,
} from '../ipmi/packet.js'
import { Privilege, PRIVILEGE_NAMES } from '../ipmi/rakp.js'
import type { Clock, TimerHandle } from './clock.js'
import type { PacketTransport } from './transport.js'
import { SequenceWindow } from './sequence-window.js'
import { sessionTiming, type SessionConfig, type SessionTiming } from './config.js'
import { RequestTable, type RawResponse, type RequestOptions } from './request-table.js'
import { negotiate } from './negotiate.js'
import type { WorkaroundName } from './profile.js'
import { parseWithAnyPad } from './relaxed-trailer.js'

export type SessionState = 'idle' | 'connecting' | 'established' | 'closing' | 'closed'
export type DropReason = 'malformed' | 'integrity' | 'unknown_session' | 'sequence' | 'unmatched' | 'closed'

export interface SessionStats {
  packetsSent: number
  packetsReceived: number
  retransmits: number
  dropped: Record<DropReason, number>
  /**
   * Answers with a wrong data checksum taken anyway because their packet's
   * integrity check (HMAC over the same bytes) passed: QUIRK(Supermicro X9)
   * "nochecksumcheck". Under a suite without integrity they are dropped.
   */
  checksumsForgiven: number
  /**
   * Packets whose integrity pad had the wrong length, taken because their
   * AuthCode (which covers the pad) verified: QUIRK(integritypad).
   */
  padsForgiven: number
}

export interface SessionInfo {
  cipherSuite: number
  privilege: string
  remoteConsoleSessionId: number
  managedSystemSessionId: number
}

interface SessionEvents {
  state: [state: SessionState, error?: IpmiError]
  sol: [payload: Buffer]
  dropped: [reason: DropReason]
  /** A quirk detected and adapted to (IpmiClient passes it on as 'learned'); `cipherSuite` rides with suite entries. */
  learned: [name: WorkaroundName, detail: string, cipherSuite?: number]
  /** Chassis Control power up, cycle or hard reset was answered 00h on this session: the host restarts. */
  hostPower: []
}

/** Chassis Control actions that start the host again (IPMI v2.0 §28.3). */
const HOST_RESTARTING_ACTIONS: ReadonlySet<number> = new Set([ChassisAction.PowerUp, ChassisAction.PowerCycle, ChassisAction.HardReset])

type Waiter = (payloadType: number, payload: Buffer, sessionId: number) => boolean

export class Session extends EventEmitter<SessionEvents> {
  readonly timing: SessionTiming
  readonly stats: SessionStats = {
    packetsSent: 0, packetsReceived: 0, retransmits: 0,
    dropped: { malformed: 0, integrity: 0, unknown_session: 0, sequence: 0, unmatched: 0, closed: 0 },
    checksumsForgiven: 0, padsForgiven: 0,
  }
  private _state: SessionState = 'idle'
  private _info: SessionInfo | undefined
  private crypto: SessionCrypto | undefined
  private outSeq = 0
  private readonly window: SequenceWindow
  private readonly table: RequestTable
  private waiters = new Set<Waiter>()
  private keepaliveTimer: TimerHandle | undefined
  private keepaliveCommand: { netFn: number; cmd: number; data: Buffer } = { netFn: 0x06, cmd: 0x01, data: Buffer.alloc(0) }
  private closeError: IpmiError | undefined

  constructor(
    private readonly transport: PacketTransport,
    readonly config: SessionConfig,
    private readonly clock: Clock,
    private readonly random: (n: number) => Buffer = randomBytes,
  ) {
    super()
    this.timing = sessionTiming(config)
    this.window = new SequenceWindow(this.timing.windowSize)
    this.table = new RequestTable(this.timing, clock, Math.random, {
      send: (lanMessage) => this.sendPayload(PayloadType.Ipmi, lanMessage),
      retransmitted: () => this.stats.retransmits++,
    })
    transport.onPacket((d) => this.onDatagram(d))
  }

  get state(): SessionState {
    return this._state
  }

  get info(): SessionInfo | undefined {
    return this._info
  }

  /**
   * Logs in. Rejects with a typed IpmiError; the session is then closed.
   * `skipSuiteProbe`: the BMC is known not to answer Get Channel Cipher Suites.
   */
  async connect(preferredSuite?: number, skipSuiteProbe = false): Promise<SessionInfo> {
    if (this._state !== 'idle') throw new IpmiError('BMC_SESSION_CLOSED', `cannot connect a session in state ${this._state}`)
    this.setState('connecting')
    const deadline = this.clock.now() + this.timing.connectTimeoutMs
    try {
      const result = await negotiate({
        config: this.config,
        timing: this.timing,
        preferredSuite,
        skipSuiteProbe,
        // A session closed during login stops the login at once.
        remainingMs: () => (this._state === 'connecting' ? deadline - this.clock.now() : 0),
        random: this.random,
        sendPreSession: (d) => this.send(d),
        awaitPacket: (w, ms) => this.awaitPacket(w, ms),
        activate: (r) => {
          this.crypto = r.crypto
          this._info = { cipherSuite: r.suite, privilege: 'none', remoteConsoleSessionId: r.remoteConsoleSessionId, managedSystemSessionId: r.managedSystemSessionId }
        },
        release: () => {
          if (this._info === undefined) return
          void this.sendCloseSession()
          this._info = undefined
          this.crypto = undefined
        },
        learn: (name, detail) => this.emit('learned', name, detail),
        setPrivilege: async (priv) => {
          return this.request(SetSessionPrivilegeLevel.netFn, SetSessionPrivilegeLevel.cmd, SetSessionPrivilegeLevel.encode({ privilege: priv as PrivilegeLevel }), { timeoutMs: Math.max(1, deadline - this.clock.now()) })
        },
      })
      this._info = { ...this._info!, privilege: PRIVILEGE_NAMES[result.privilege] ?? String(result.privilege) }
      this.setState('established')
      this.armKeepalive()
      for (const e of result.learned) this.emit('learned', e.name, e.detail, result.suite)
      return this._info
    } catch (e) {
      const err = e instanceof IpmiError ? e : new IpmiError('BMC_PROTOCOL_ERROR', `login failed: ${(e as Error).message}`, { cause: e })
      // A session the BMC already opened (privilege refused afterwards) must not hold a slot.
      if (this._info !== undefined) await this.sendCloseSession()
      this.finish(err)
      throw err
    }
  }

  /** Sends one IPMI request and resolves with its completion code and data. */
  request(netFn: number, cmd: number, data: Uint8Array, opts: RequestOptions = {}): Promise<RawResponse> {
    // During login (state connecting) the session's own Set Session Privilege Level goes through here too.
    if (this._info === undefined || (this._state !== 'established' && this._state !== 'connecting')) {
      return Promise.reject(this.closeError ?? new IpmiError('BMC_SESSION_CLOSED', 'session is not established', { retryable: true }))
    }
    const p = this.table.request(netFn, cmd, Buffer.from(data), opts)
    if (netFn === ChassisControl.netFn && cmd === ChassisControl.cmd && HOST_RESTARTING_ACTIONS.has((data[0] ?? 0) & 0x0f)) {
      p.then((r) => {
        if (r.cc === 0) this.emit('hostPower')
      }, () => undefined)
    }
    // Every retransmit went unanswered: the BMC has lost this session (reboot,
    // idle timeout) or is gone. Mark it lost so IpmiClient logs in again; the
    // keepalive cannot notice while traffic keeps re-arming its timer.
    p.catch((e: IpmiError) => {
      if (e.code === 'BMC_UNREACHABLE' && Number(e.details.attempts) > 0 && this._state === 'established') this.lose(e)
    })
    return p
  }

  /** Sends a SOL payload (IPMI v2.0 §15.9) with the session's integrity and confidentiality. */
  sendSol(payload: Buffer): void {
    if (this._state !== 'established') return
    this.sendPayload(PayloadType.Sol, payload)
  }

  /** While SOL is active, Get Payload Instance Info is the better keepalive (reference §3.3). */
  setKeepalive(cmd: { netFn: number; cmd: number; data: Buffer }, intervalMs?: number, timeoutMs?: number): void {
    this.keepaliveCommand = cmd
    if (intervalMs !== undefined) this.timing.keepaliveMs = intervalMs
    if (timeoutMs !== undefined) this.timing.keepaliveTimeoutMs = timeoutMs
    this.armKeepalive()
  }

  /** A new keepalive interval for the command in use (IpmiClient learns a shorter one from a BMC that drops idle sessions). */
  setKeepaliveInterval(ms: number): void {
    this.timing.keepaliveMs = ms
    this.armKeepalive()
  }

  /**
   * Sends Close Session once (IPMI v2.0 §22.19) and closes. Never throws.
   * During login it abandons the attempt at once; a BMC session that the
   * login may already hold (RAKP 3 sent: the BMC activates it then, before
   * its RAKP 4 arrives) is still closed on the BMC.
   */
  async close(): Promise<void> {
    if (this._state === 'closed' || this._state === 'closing') return
    const open = this._info !== undefined
    this.setState('closing')
    if (open) await this.sendCloseSession()
    this.finish(new IpmiError('BMC_SESSION_CLOSED', 'session closed', { retryable: true }))
  }

  private async sendCloseSession(): Promise<void> {
    if (this._info === undefined || this._state === 'closed') return
    const req = CloseSession.encode({ managedSystemSessionId: this._info.managedSystemSessionId })
    await this.table.request(CloseSession.netFn, CloseSession.cmd, req, { timeoutMs: this.timing.closeTimeoutMs, retries: 0 }).catch(() => undefined)
  }

  /** Marks the session lost (the BMC stopped answering): rejects everything pending. */
  lose(error: IpmiError): void {
    if (this._state === 'closed') return
    this.finish(error)
  }

  private finish(error: IpmiError): void {
    if (this._state === 'closed') return
    this.closeError = error
    if (this.keepaliveTimer) this.clock.clearTimeout(this.keepaliveTimer)
    this.keepaliveTimer = undefined
    this.table.failAll(error)
    for (const w of this.waiters) w(-1, Buffer.alloc(0), -1)
    this.waiters.clear()
    this.transport.close()
    this._state = 'closed'
    this.emit('state', 'closed', error)
  }

  private setState(s: SessionState): void {
    this._state = s
    this.emit('state', s)
  }

  private send(d: Buffer): void {
    this.stats.packetsSent++
    this.transport.send(d)
  }

  private nextSeq(): number {
    // Never 0: it is reserved for pre-session traffic (reference §3.1).
    this.outSeq = (this.outSeq + 1) >>> 0
    if (this.outSeq === 0) this.outSeq = 1
    return this.outSeq
  }

  private sendPayload(payloadType: number, payload: Buffer): void {
    if (this._info === undefined) return
    this.send(encodeSessionPacket(payloadType, this._info.managedSystemSessionId, this.nextSeq(), payload, this.crypto))
    this.armKeepalive()
  }

  private armKeepalive(): void {
    if (this.keepaliveTimer) this.clock.clearTimeout(this.keepaliveTimer)
    this.keepaliveTimer = undefined
    if (this._state !== 'established' || this.timing.keepaliveMs <= 0) return
    const ms = this.timing.keepaliveMs * (1 - Math.random() * 0.1)
    this.keepaliveTimer = this.clock.setTimeout(() => this.keepalive(), ms)
  }

  private keepalive(): void {
    this.keepaliveTimer = undefined
    if (this._state !== 'established') return
    const k = this.keepaliveCommand
    this.table.request(k.netFn, k.cmd, k.data, { timeoutMs: this.timing.keepaliveTimeoutMs }).then(
      () => this.armKeepalive(),
      (e: IpmiError) => {
        if (e.code === 'BMC_UNREACHABLE') {
          this.lose(new IpmiError('BMC_UNREACHABLE', 'BMC stopped answering (keepalive timed out)', { retryable: true, details: { stage: 'keepalive' } }))
        } else this.armKeepalive()
      },
    )
  }

  private awaitPacket<T>(accept: (payloadType: number, payload: Buffer, sessionId: number) => T | undefined, timeoutMs: number): Promise<T | undefined> {
    return new Promise((resolve) => {
      if (this._state !== 'connecting') {
        resolve(undefined)
        return
      }
      const waiter: Waiter = (pt, payload, sid) => {
        if (pt === -1) {
          done(undefined)
          return true
        }
        let v: T | undefined
        try {
          v = accept(pt, payload, sid)
        } catch {
          v = undefined // a malformed answer is no answer
        }
        if (v === undefined) return false
        done(v)
        return true
      }
      const timer = this.clock.setTimeout(() => done(undefined), timeoutMs)
      const done = (v: T | undefined) => {
        this.clock.clearTimeout(timer)
        this.waiters.delete(waiter)
        resolve(v)
      }
      this.waiters.add(waiter)
    })
  }

  /** QUIRK(integritypad): an in-session packet framed with a wrong pad, when this session has integrity; undefined otherwise. */
  private withAnyPad(d: Buffer): RmcpPlusIn | undefined {
    const c = this.crypto
    if (this._info === undefined || c === undefined || c.integrity === IntegrityAlg.None) return undefined
    const p = parseWithAnyPad(d, integrityCodeLength(c.integrity))
    return p !== undefined && p.sessionId === this._info.remoteConsoleSessionId ? p : undefined
  }

  private drop(reason: DropReason): void {
    this.stats.dropped[reason]++
    this.emit('dropped', reason)
  }

  private offer(pt: number, payload: Buffer, sid: number): boolean {
    for (const w of this.waiters) if (w(pt, payload, sid)) return true
    return false
  }

  private onDatagram(d: Buffer): void {
    this.stats.packetsReceived++
    if (this._state === 'closed') return this.drop('closed')
    try {
      if (sessionFormat(d) === 'v15') {
        const p = decodeV15Packet(d)
        if (!this.offer(-2, p.payload, p.sessionId)) this.drop('unmatched')
        return
      }
      let p: RmcpPlusIn
      let oddPad = false
      try {
        p = parseRmcpPlusPacket(d)
      } catch (e) {
        const relaxed = this.withAnyPad(d)
        if (relaxed === undefined) throw e
        p = relaxed
        oddPad = true
      }
      if (p.payloadType >= PayloadType.OpenSessionRequest && p.payloadType <= PayloadType.Rakp4) {
        if (!this.offer(p.payloadType, p.rawPayload, p.sessionId)) this.drop('unmatched')
        return
      }
      if (p.sessionId === 0 && !p.authenticated) {
        // Pre-session RMCP+ answer (Get Channel Cipher Suites).
        if (!this.offer(p.payloadType, p.rawPayload, 0)) this.drop('unmatched')
        return
      }
      if (this._info === undefined || p.sessionId !== this._info.remoteConsoleSessionId) return this.drop('unknown_session')
      let payload: Buffer
      try {
        payload = openRmcpPlusPacket(p, this.crypto)
      } catch {
        return this.drop('integrity')
      }
      if (oddPad) {
        // The AuthCode over the odd pad verified.
        this.stats.padsForgiven++
        if (this.stats.padsForgiven === 1) this.emit('learned', 'integrity-pad', 'BMC answers with an integrity pad of the wrong length; taken because the AuthCode, which covers the pad, verifies')
      }
      if (!this.window.accept(p.sessionSeq)) return this.drop('sequence')
      if (p.payloadType === PayloadType.Sol) {
        this.emit('sol', payload)
        return
      }
      if (p.payloadType !== PayloadType.Ipmi) return this.drop('unmatched')
      const r = decodeLanResponse(payload, { forgiveDataChecksum: this.crypto !== undefined && this.crypto.integrity !== IntegrityAlg.None })
      if (r.dataChecksumForgiven === true && ++this.stats.checksumsForgiven === 1) {
        this.emit('learned', 'nochecksumcheck', `an answer with a wrong data checksum passed the integrity check (suite ${this._info.cipherSuite}) and was taken`)
      }
      if (!this.table.deliver(r)) this.drop('unmatched')
    } catch {
      this.drop('malformed')
    }
  }
}

export { Privilege }

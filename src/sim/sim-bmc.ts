/**
 * SimBmc: one simulated BMC speaking IPMI 2.0 / RMCP+ over any datagram
 * carrier. Feed it datagrams with handleDatagram(bytes, reply); it answers
 * through `reply` (now, or later when a delay fault is set).
 *
 * Owns: its state (users, K_G, GUID, device, chassis, boot options), the
 * session table, inbound sequence windows, rqSeq duplicate detection and the
 * fault gate. Does not own sockets (udp-server.ts binds one to UDP) or SOL
 * (payload type 1 goes to a handler registered with registerPayload; the
 * Activate Payload family comes in through registerCommand).
 * Spec: IPMI v2.0 §13 (RMCP+ framing, session setup), §6.12.13 (sequence
 * numbers), Table 5-2 (completion codes); framing reuses src/ipmi.
 * Invariants: every in-session packet is checked for its session, then its
 * AuthCode, then decrypted, then checked against the sequence window, and
 * only then parsed; a packet that fails any check is dropped and counted,
 * never answered and never thrown. Nothing here throws out of handleDatagram.
 */
import { EventEmitter } from 'node:events'
import { decodeLanRequest, encodeLanResponse } from '../ipmi/lan-message.js'
import {
  decodeV15Packet, encodeRmcpPlusPacket, encodeV15Packet, openRmcpPlusPacket, parseRmcpPlusPacket, PayloadType, sessionFormat,
} from '../ipmi/packet.js'
import { APP_COMMANDS } from './app-commands.js'
import { CHASSIS_COMMANDS } from './chassis-commands.js'
import { CC, commandKey, type CommandResult, type ResolvedConfig, type SessionCloseReason, type SimCommand, type SimContext } from './context.js'
import { FaultGate, realClock, type FaultCounters, type SimClock, type SimFaults } from './faults.js'
import { handleOpenSession, handleRakp1, handleRakp3, type HandshakeEnv } from './handshake.js'
import { Prng } from './prng.js'
import { integrityCode, integrityCodeLength } from '../ipmi/crypto.js'
import {
  COLD_RESET_AFTER_SOL_MS, CONSOLE_COLD_RESET_DOWNTIME_MS, quirkCipherSuites, quirkIdleTimeoutMs, responseChecksum, storedPassword, validateQuirks,
  wrongIntegrityPad, type QuirkName,
} from './quirks.js'
import { nextOutSeq, SessionTable, type SimSession } from './sessions.js'
import {
  DEFAULT_GUID, defaultDevice, emptyUser, makeChassis, makeUser, Priv,
  type ChassisState, type DeviceIdentity, type SimBmcConfig, type SimUser,
} from './state.js'
import { USER_COMMANDS } from './user-commands.js'

/** Sends a datagram back; `peer` ("address:port" of the console, when the carrier knows it) lets a test tell whose session is whose. */
export interface Reply {
  (datagram: Buffer): void
  readonly peer?: string
}

export type SimDropReason = 'malformed' | 'presession' | 'unknown_session' | 'integrity' | 'sequence' | 'payload' | 'rebooting' | 'dead' | 'internal'

export interface SimBmcStats {
  received: number
  sent: number
  dropped: Record<SimDropReason, number>
  /** Requests seen again with the same rqSeq, netFn, cmd and data. */
  duplicateRequests: number
  logins: number
  coldResets: number
  /** Handled in-session commands by name ("Get Device ID"; "unknown" for 0xC1). */
  commands: Record<string, number>
}

/** What a payload handler (SOL) gets for one inbound payload. */
export interface PayloadContext {
  readonly bmc: SimBmc
  readonly session: SimSession
  /** Sends a payload of the same type back on this session. */
  send(payload: Buffer): void
}
export type PayloadHandler = (payload: Buffer, ctx: PayloadContext) => void

interface SimBmcEvents {
  'session:opened': [session: SimSession]
  'session:closed': [session: SimSession, reason: SessionCloseReason]
  /** Cold Reset (over IPMI or Redfish Manager.Reset): every session of every interface is gone. */
  'cold-reset': []
}

export interface SimBmcDeps {
  clock?: SimClock
  /** Seed for fault decisions (default: the config seed + 1). */
  faultSeed?: number
}

/** rqSeq duplicates count within this long and within this many later requests (half the 6-bit space). */
const DUPLICATE_WINDOW_MS = 5000
const DUPLICATE_WINDOW_REQUESTS = 32

export class SimBmc extends EventEmitter<SimBmcEvents> implements SimContext {
  readonly config: ResolvedConfig
  readonly users: SimUser[]
  readonly chassis: ChassisState
  readonly device: DeviceIdentity
  readonly guid: Buffer
  readonly kg: Buffer | undefined
  readonly sessions: SessionTable
  readonly stats: SimBmcStats = {
    received: 0, sent: 0, duplicateRequests: 0, logins: 0, coldResets: 0, commands: {},
    dropped: { malformed: 0, presession: 0, unknown_session: 0, integrity: 0, sequence: 0, payload: 0, rebooting: 0, dead: 0, internal: 0 },
  }
  /** The last exception a handler threw (a simulator bug); tests assert it stays undefined. */
  lastInternalError: unknown
  private readonly clock: SimClock
  private readonly prng: Prng
  private readonly gate: FaultGate
  private readonly commands = new Map<number, SimCommand>()
  private readonly payloads = new Map<number, PayloadHandler>()
  private rebootUntilMs = -Infinity
  private dead = false

  constructor(cfg: SimBmcConfig = {}, deps: SimBmcDeps = {}) {
    super()
    const seed = cfg.seed ?? 1
    this.clock = deps.clock ?? realClock
    this.prng = new Prng(seed)
    this.gate = new FaultGate(this.clock, deps.faultSeed ?? seed + 1)
    const quirks: ReadonlySet<QuirkName> = new Set(validateQuirks(cfg.quirks ?? []))
    this.config = {
      cipherSuites: quirkCipherSuites(quirks, cfg.cipherSuites ?? [3, 17]),
      maxSessions: cfg.maxSessions ?? 4,
      maxUsers: cfg.maxUsers ?? 10,
      // QUIRK(cipher-suites-silent) wins over the config knob it names.
      answerCipherSuitesPreSession: quirks.has('cipher-suites-silent') ? false : cfg.answerCipherSuitesPreSession ?? true,
      roleRefusal: cfg.roleRefusal ?? 0x09,
      duplicateMode: cfg.duplicateMode ?? 'resend',
      // QUIRK(idletimeout-short): sessions expire sooner.
      idleTimeoutMs: quirkIdleTimeoutMs(quirks, cfg.idleTimeoutMs ?? 60_000),
      setupTimeoutMs: cfg.setupTimeoutMs ?? 10_000,
      // QUIRK(coldreset-console): "all sessions gone for a minute" unless told otherwise.
      coldResetDowntimeMs: cfg.coldResetDowntimeMs ?? (quirks.has('coldreset-console') ? CONSOLE_COLD_RESET_DOWNTIME_MS : 2000),
      coldResetAfterSolMs: cfg.coldResetAfterSolMs ?? COLD_RESET_AFTER_SOL_MS,
      channelPrivilegeLimit: Priv.Administrator,
      quirks,
    }
    this.users = Array.from({ length: this.config.maxUsers + 1 }, (_, id) => emptyUser(id))
    for (const u of cfg.users ?? [{ id: 2, name: 'admin', password: 'password' }]) {
      if (u.id < 1 || u.id > this.config.maxUsers) throw new RangeError(`user id ${u.id} outside 1..${this.config.maxUsers}`)
      const user = makeUser(u)
      // QUIRK(password16): the BMC keeps 16 bytes of a longer password.
      const kept = storedPassword(quirks, user.password)
      if (kept !== user.password) Object.assign(user, { password: kept, passwordSize: 16 as const })
      this.users[u.id] = user
    }
    this.kg = cfg.kg !== undefined && cfg.kg.some((b) => b !== 0) ? Buffer.from(cfg.kg) : undefined
    this.guid = Buffer.from(cfg.guid ?? DEFAULT_GUID)
    if (this.guid.length !== 16) throw new RangeError('a GUID is 16 bytes')
    this.device = defaultDevice(cfg.device)
    this.chassis = makeChassis(cfg.powerOn ?? false)
    this.sessions = new SessionTable(this.config.maxSessions, this.prng)
    for (const c of [...APP_COMMANDS, ...CHASSIS_COMMANDS, ...USER_COMMANDS]) this.registerCommand(c)
    // QUIRK(sessiontable-full): clients that died left every slot held; they expire with the idle timeout.
    if (quirks.has('sessiontable-full')) this.fillWithLeakedSessions()
  }

  /** QUIRK(sessiontable-full): every slot taken by an active session nobody will use (keys random, so no one can). */
  private fillWithLeakedSessions(): void {
    for (let i = 0; i < this.config.maxSessions; i++) {
      const s = this.sessions.open({
        consoleSessionId: this.prng.u32() | 1, auth: 1, integrity: 1, confidentiality: 1, suite: 3, requestedMaxPrivilege: Priv.Administrator, nowMs: this.nowMs(),
      })
      if (s === undefined) break
      s.state = 'active'
      s.crypto = { integrity: 1, confidentiality: 1, k1: this.prng.bytes(20), k2: this.prng.bytes(20) }
    }
  }

  nowMs(): number {
    return this.clock.now()
  }

  get faults(): Readonly<SimFaults> {
    return this.gate.faults
  }

  get faultCounters(): Readonly<FaultCounters> {
    return this.gate.counters
  }

  /** Changes fault injection at runtime; unspecified fields keep their value. */
  setFaults(f: Partial<SimFaults>): void {
    this.gate.set(f)
  }

  /** Adds or replaces a command handler (the SOL engineer's seam for Activate Payload and friends). */
  registerCommand(c: SimCommand): void {
    this.commands.set(commandKey(c.netFn, c.cmd), c)
  }

  /** Routes in-session payloads of this type (1 = SOL) to a handler; 0 and the setup types are built in. */
  registerPayload(payloadType: number, handler: PayloadHandler): void {
    if (payloadType === PayloadType.Ipmi || (payloadType >= PayloadType.OpenSessionRequest && payloadType <= PayloadType.Rakp4)) {
      throw new RangeError(`payload type ${payloadType} is handled by SimBmc itself`)
    }
    this.payloads.set(payloadType, handler)
  }

  /** Active sessions, for tests and the CLI. */
  activeSessions(): SimSession[] {
    return [...this.sessions.values()].filter((s) => s.state === 'active')
  }

  /** Sends an unsolicited payload (SOL output) to an active session's console; false if it cannot. */
  sendPayload(bmcSessionId: number, payloadType: number, payload: Buffer): boolean {
    const s = this.sessions.get(bmcSessionId)
    if (s === undefined || s.state !== 'active' || s.reply === undefined) return false
    this.sendInSession(s, payloadType, payload, this.through(s.reply))
    return true
  }

  closeSession(bmcSessionId: number, reason: SessionCloseReason): void {
    const s = this.sessions.get(bmcSessionId)
    if (s === undefined) return
    this.sessions.delete(bmcSessionId)
    this.emit('session:closed', s, reason)
  }

  coldReset(): void {
    this.stats.coldResets++
    for (const s of this.sessions.clear()) this.emit('session:closed', s, 'cold-reset')
    this.rebootUntilMs = this.nowMs() + this.config.coldResetDowntimeMs
    this.emit('cold-reset')
  }

  /** True while the BMC "reboots" after a Cold Reset (nothing is answered). */
  get isRebooting(): boolean {
    return this.nowMs() < this.rebootUntilMs
  }

  /**
   * Runs a registered command as another interface of this BMC would (the
   * Redfish side): the same handler, checks and side effects (SEL entries)
   * as over IPMI, without a session. Unknown commands answer 0xC1.
   */
  runCommand(netFn: number, cmd: number, data: Buffer): CommandResult {
    const c = this.commands.get(commandKey(netFn, cmd))
    if (c === undefined) return { cc: CC.InvalidCommand }
    const r = this.run(c, data, undefined)
    r.after?.()
    return r
  }

  /**
   * Fault "die": the BMC stops (every session is gone, nothing is answered)
   * until revive(). The UDP binding also closes its socket, so consoles see
   * ICMP port unreachable, as with a BMC whose network stack went away.
   */
  die(): void {
    this.dead = true
    for (const s of this.sessions.clear()) this.emit('session:closed', s, 'died')
  }

  revive(): void {
    this.dead = false
  }

  get isDead(): boolean {
    return this.dead
  }

  /** Clears fault timers; the BMC answers nothing afterwards that was still delayed. */
  dispose(): void {
    this.gate.dispose()
  }

  /** One inbound datagram. Never throws. */
  handleDatagram(datagram: Uint8Array, reply: Reply): void {
    this.stats.received++
    const now = this.nowMs()
    if (this.dead) return this.drop('dead')
    if (now < this.rebootUntilMs) return this.drop('rebooting')
    if (!this.gate.admit()) return
    for (const s of this.sessions.sweep(now, this.config.idleTimeoutMs, this.config.setupTimeoutMs)) {
      this.emit('session:closed', s, s.state === 'active' ? 'idle-timeout' : 'setup-timeout')
    }
    const d = Buffer.isBuffer(datagram) ? datagram : Buffer.from(datagram)
    const send = this.through(reply)
    try {
      if (sessionFormat(d) === 'v15') this.onV15(d, send)
      else this.onV20(d, send, reply)
    } catch (e) {
      if ((e as { code?: unknown }).code === 'IPMI_DECODE_ERROR') return this.drop('malformed')
      this.lastInternalError = e
      this.drop('internal')
    }
  }

  /** A reply function that counts and passes through the fault gate. */
  private through(reply: Reply): Reply {
    return (b) => {
      this.stats.sent++
      this.gate.emit(reply, b)
    }
  }

  private drop(reason: SimDropReason): void {
    this.stats.dropped[reason]++
  }

  /** IPMI 1.5 framing: only session-less requests (Get Channel Auth Caps) are answered. */
  private onV15(d: Buffer, send: Reply): void {
    const p = decodeV15Packet(d)
    if (p.authType !== 0 || p.sessionId !== 0) return this.drop('presession') // no IPMI 1.5 sessions here
    const response = this.preSessionRequest(p.payload)
    if (response !== undefined) send(encodeV15Packet(response))
  }

  private onV20(d: Buffer, send: Reply, rawReply: Reply): void {
    const p = parseRmcpPlusPacket(d)
    const t = p.payloadType
    if (t >= PayloadType.OpenSessionRequest && t <= PayloadType.Rakp4) {
      if (p.sessionId !== 0 || p.authenticated || p.encrypted) return this.drop('presession')
      return this.onSetup(t, p.rawPayload, send, rawReply)
    }
    if (p.sessionId === 0) {
      if (p.authenticated || p.encrypted || t !== PayloadType.Ipmi) return this.drop('presession')
      const response = this.preSessionRequest(p.rawPayload)
      if (response !== undefined) send(encodeRmcpPlusPacket({ payloadType: PayloadType.Ipmi, sessionId: 0, sessionSeq: 0, payload: response }))
      return
    }
    const s = this.sessions.get(p.sessionId)
    if (s === undefined || s.state !== 'active') return this.drop('unknown_session')
    let payload: Buffer
    try {
      payload = openRmcpPlusPacket(p, s.crypto)
    } catch {
      return this.drop('integrity')
    }
    // The window moves only for authenticated packets, so a forged number cannot push it.
    if (!s.window.accept(p.sessionSeq)) return this.drop('sequence')
    s.lastActivityMs = this.nowMs()
    s.reply = rawReply
    if (t === PayloadType.Ipmi) return this.inSessionRequest(s, payload, send)
    const handler = this.payloads.get(t)
    if (handler === undefined) return this.drop('payload')
    handler(payload, { bmc: this, session: s, send: (b) => this.sendInSession(s, t, b, send) })
  }

  private onSetup(t: number, payload: Buffer, send: Reply, rawReply: Reply): void {
    const env: HandshakeEnv = { bmc: this, prng: this.prng, wrongCredentials: this.gate.faults.wrongCredentials }
    const frame = (type: number, b: Buffer | undefined) => {
      if (b !== undefined) send(encodeRmcpPlusPacket({ payloadType: type, sessionId: 0, sessionSeq: 0, payload: b }))
    }
    if (t === PayloadType.OpenSessionRequest) return frame(PayloadType.OpenSessionResponse, handleOpenSession(env, payload))
    if (t === PayloadType.Rakp1) return frame(PayloadType.Rakp2, handleRakp1(env, payload))
    if (t === PayloadType.Rakp3) {
      const r4 = handleRakp3(env, payload)
      frame(PayloadType.Rakp4, r4)
      if (r4 !== undefined && r4[1] === 0) {
        const s = this.sessions.get(payload.readUInt32LE(4))
        if (s !== undefined) {
          s.reply = rawReply
          this.stats.logins++
          this.emit('session:opened', s)
        }
      }
      return
    }
    this.drop('presession') // 0x11, 0x13, 0x15 travel the other way
  }

  /** A LAN request outside any session: only commands marked preSession are answered. */
  private preSessionRequest(lan: Buffer): Buffer | undefined {
    const req = decodeLanRequest(lan)
    const c = this.commands.get(commandKey(req.netFn, req.cmd))
    if (c === undefined || c.preSession !== true) {
      this.drop('presession')
      return undefined
    }
    // QUIRK(ipmi_sim): some BMCs ignore Get Channel Cipher Suites before a session.
    if (c.cmd === 0x54 && !this.config.answerCipherSuitesPreSession) {
      this.drop('presession')
      return undefined
    }
    const r = this.run(c, req.data, undefined)
    return encodeLanResponse(req, r.cc, r.data)
  }

  private inSessionRequest(s: SimSession, lan: Buffer, send: Reply): void {
    const req = decodeLanRequest(lan)
    const now = this.nowMs()
    const cached = s.recent.get(req.rqSeq)
    if (cached !== undefined && cached.netFn === req.netFn && cached.cmd === req.cmd && cached.data.equals(req.data) &&
      now - cached.atMs <= DUPLICATE_WINDOW_MS && s.requestCounter - cached.ordinal < DUPLICATE_WINDOW_REQUESTS) {
      // A retransmit: never run it twice (Chassis Control, Cold Reset are not idempotent).
      this.stats.duplicateRequests++
      const again = this.config.duplicateMode === 'resend' ? cached.response : encodeLanResponse(req, CC.DuplicateRequest)
      return this.sendInSession(s, PayloadType.Ipmi, again, send)
    }
    const c = this.commands.get(commandKey(req.netFn, req.cmd))
    let r: CommandResult
    if (c === undefined) r = { cc: CC.InvalidCommand }
    else if (s.privilege < c.privilege) r = { cc: CC.InsufficientPrivilege }
    else r = this.run(c, req.data, s)
    const name = c?.name ?? 'unknown'
    this.stats.commands[name] = (this.stats.commands[name] ?? 0) + 1
    // QUIRK(nochecksumcheck): the BMC gets checksum 2 wrong on every in-session answer.
    const response = responseChecksum(this.config.quirks, encodeLanResponse(req, r.cc, r.data))
    s.requestCounter++
    s.recent.set(req.rqSeq, { netFn: req.netFn, cmd: req.cmd, data: req.data, response, atMs: now, ordinal: s.requestCounter })
    this.sendInSession(s, PayloadType.Ipmi, response, send)
    r.after?.()
  }

  private run(c: SimCommand, data: Buffer, s: SimSession | undefined): CommandResult {
    try {
      return c.handle(data, this, s)
    } catch (e) {
      this.lastInternalError = e
      return { cc: CC.Unspecified }
    }
  }

  private sendInSession(s: SimSession, payloadType: number, payload: Buffer, send: Reply): void {
    const packet = encodeRmcpPlusPacket({ payloadType, sessionId: s.consoleSessionId, sessionSeq: nextOutSeq(s), payload, crypto: s.crypto })
    const c = s.crypto
    // QUIRK(integritypad): the pad is 2 bytes off, the AuthCode computed over what is sent.
    if (c !== undefined && this.config.quirks.has('integritypad')) {
      return send(wrongIntegrityPad(packet, integrityCodeLength(c.integrity), (signed) => integrityCode(c.integrity, c.k1, signed)))
    }
    send(packet)
  }
}

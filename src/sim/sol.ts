/**
 * SimSol: Serial-over-LAN for one simulated BMC. attachSol(bmc) plugs into
 * SimBmc's seams: the payload commands (sol-commands.ts), payload type 1
 * (SOL packets, to a SolLink), and session:closed (a closed session loses
 * its SOL, as on ipmi_sim). Behind it sits a ConsoleHost: the "system" that
 * prints a boot log at a set rate and echoes what is typed.
 *
 * Owns: who holds SOL instance 1 (a session, a phantom "someone else" from
 * the sol-held fault, or nobody), the active SolLink, the host, power-change
 * detection (power on, cycle and reset start the boot log again; power off
 * makes character transfer unavailable) and one Ticker subscription while
 * active. Spec: IPMI v2.0 §15 (SOL), §24 (payload commands).
 * Hazards: a hung BMC (fault) neither sends nor ages its SOL state; a console
 * that stops answering loses its session after the BMC's idle timeout, and
 * with it the SOL instance, so nobody's output goes to a dead address for ever.
 */
import { decodeSolPacket } from '../ipmi/sol-packet.js'
import { deafToSolInput, stuckOnInput, type StuckInput } from './quirks.js'
import { PayloadType } from '../ipmi/packet.js'
import { ConsoleHost, type ConsoleHostOptions } from './console-host.js'
import { realClock, type SimClock } from './faults.js'
import type { SimBmc } from './sim-bmc.js'
import type { SimSession } from './sessions.js'
import { solCommands, type SolControl } from './sol-commands.js'
import { DEFAULT_SOL_TIMING, SolLink, type SolLinkStats, type SolLinkTiming } from './sol-link.js'
import { CC } from './context.js'
import { Priv } from './state.js'
import { Ticker } from './ticker.js'

export interface SimSolOptions {
  host?: ConsoleHostOptions
  timing?: Partial<SolLinkTiming>
  /** Most data bytes the BMC accepts per console packet (inbound payload size minus 4); default 200. */
  inboundMaxData?: number
  /** The UDP port reported by Activate Payload; listenUdp sets it to the bound port. Default 623. */
  payloadPort?: number
  /** A shared ticker (a fleet uses one); by default the SOL makes its own on `clock`. */
  ticker?: Ticker
  clock?: SimClock
  tickMs?: number
}

export interface SimSolStats {
  activations: number
  refusedBusy: number
  /** Deactivate Payload from the holder itself. */
  deactivations: number
  /** Deactivated by another session or taken by the sol-held fault. */
  kicked: number
  /** The holder's session closed or timed out. */
  lostWithSession: number
  /** SOL packets from a session that does not hold the instance. */
  strayPackets: number
  malformedPackets: number
}

interface Holder {
  session: SimSession
  link: SolLink
  /** QUIRK(serialalertsdeferred): console input is dropped, its packets taken for their ACKs only. */
  deafToInput: boolean
  /** QUIRK(solsilent-reboot): the host restarted under this activation; nothing flows either way any more. */
  silent: boolean
  /** QUIRK(solpacketseq): the input sequence number the BMC is stuck on, until a packet with another one comes. */
  stuck: StuckInput
}

export class SimSol implements SolControl {
  readonly host: ConsoleHost
  readonly stats: SimSolStats = { activations: 0, refusedBusy: 0, deactivations: 0, kicked: 0, lostWithSession: 0, strayPackets: 0, malformedPackets: 0 }
  enabled = true
  privilege: number = Priv.User
  forceEncryption = false
  forceAuthentication = false
  accumulateMs: number
  sendThreshold: number
  retryCount: number
  retryIntervalMs: number
  bitRate = 0x0a // 115200
  payloadPort: number
  readonly inboundPayloadSize: number
  readonly outboundPayloadSize: number
  /** Link counters of activations that ended. */
  private readonly pastLinks: SolLinkStats
  private holder: Holder | undefined
  private phantomId = 0
  private readonly ticker: Ticker
  private readonly ownTicker: boolean
  private untick: (() => void) | undefined
  private readonly timing: SolLinkTiming
  private lastPower: { on: boolean; restarts: number }
  /** QUIRK(coldreset-console): when SOL was first activated, and whether the one reset happened. */
  private firstActivationMs: number | undefined
  private consoleResetDone = false
  private readonly sessionClosed = (s: SimSession) => {
    if (this.holder?.session === s) {
      this.stats.lostWithSession++
      this.release()
    }
  }

  constructor(readonly bmc: SimBmc, opts: SimSolOptions = {}) {
    this.timing = { ...DEFAULT_SOL_TIMING, ...opts.timing }
    this.accumulateMs = this.timing.accumulateMs
    this.sendThreshold = this.timing.sendThreshold
    this.retryCount = this.timing.retryCount
    this.retryIntervalMs = this.timing.retryIntervalMs
    this.payloadPort = opts.payloadPort ?? 623
    const inboundMax = opts.inboundMaxData ?? 200
    if (inboundMax < 1 || inboundMax > 255) throw new RangeError('inboundMaxData must be 1..255')
    this.inboundPayloadSize = inboundMax + 4
    this.outboundPayloadSize = this.timing.maxSendData + 4
    this.pastLinks = {
      packetsSent: 0, retransmits: 0, packetsGivenUp: 0, bytesLost: 0, bytesAccepted: 0, bytesReceived: 0, acksSent: 0,
      duplicatesReceived: 0, nacksReceived: 0, partialAcks: 0, staleAcks: 0, overrunBytes: 0, breaks: 0,
    }
    this.ownTicker = opts.ticker === undefined
    this.ticker = opts.ticker ?? new Ticker(opts.clock ?? realClock, opts.tickMs ?? 25)
    this.host = new ConsoleHost(opts.host ?? {}, {
      emit: (b) => {
        if (this.holder?.silent !== true) this.holder?.link.write(b, this.bmc.nowMs())
      },
      breakDetected: () => this.holder?.link.reportBreak(this.bmc.nowMs()),
    })
    this.lastPower = this.powerSnapshot()
    for (const c of solCommands(this)) bmc.registerCommand(c)
    bmc.registerPayload(PayloadType.Sol, (payload, ctx) => this.onPayload(payload, ctx.session))
    bmc.on('session:closed', this.sessionClosed)
    // QUIRK(solactive-stale): a console that died left SOL active; it stays so until Deactivate Payload.
    if (bmc.config.quirks.has('solactive-stale')) this.holdByOther(true)
  }

  /** The holder's session ID, the phantom's, or 0. */
  ownerSessionId(): number {
    return this.holder?.session.bmcSessionId ?? this.phantomId
  }

  get active(): boolean {
    return this.holder !== undefined
  }

  /** Link counters of every activation so far, the current one included. */
  linkStats(): SolLinkStats {
    const out = { ...this.pastLinks }
    if (this.holder !== undefined) addStats(out, this.holder.link.stats)
    return out
  }

  /** The active link (undefined when no console holds SOL). */
  get link(): SolLink | undefined {
    return this.holder?.link
  }

  /**
   * Fault "SOL held by someone else": a session we do not know holds the
   * instance, so Activate Payload answers 0x80 until someone sends
   * Deactivate Payload (takeover) or the fault is cleared. A console holding
   * SOL when the fault is set is kicked (it sees "SOL deactivated").
   */
  holdByOther(on: boolean): void {
    if (!on) {
      this.phantomId = 0
      return
    }
    if (this.holder !== undefined) {
      this.stats.kicked++
      this.holder.link.sendDeactivated()
      this.release()
    }
    // Odd IDs above 2^31 never collide with the session table's picks in practice; checked anyway.
    let id = 0x80000001
    while (this.bmc.sessions.get(id) !== undefined) id += 2
    this.phantomId = id
  }

  get heldByOther(): boolean {
    return this.phantomId !== 0
  }

  activate(session: SimSession, aux = 0): number {
    if (this.holder !== undefined || this.phantomId !== 0) {
      this.stats.refusedBusy++
      return 0x80
    }
    const link = new SolLink({
      send: (payload) => void this.bmc.sendPayload(session.bmcSessionId, PayloadType.Sol, payload),
      input: (bytes) => this.host.input(bytes, this.bmc.nowMs()),
      serialBreak: () => this.host.serialBreak(),
      available: () => this.bmc.chassis.powerOn,
    }, {
      ...this.timing, accumulateMs: this.accumulateMs, sendThreshold: this.sendThreshold,
      retryCount: this.retryCount, retryIntervalMs: this.retryIntervalMs,
    })
    this.holder = { session, link, deafToInput: deafToSolInput(this.bmc.config.quirks, aux), silent: false, stuck: this.bmc.config.quirks.has('solpacketseq') ? 'waiting' : 'never' }
    this.firstActivationMs ??= this.bmc.nowMs()
    this.stats.activations++
    this.lastPower = this.powerSnapshot()
    this.untick?.()
    this.untick = this.ticker.add((now) => this.tick(now))
    return CC.Ok
  }

  deactivate(by: SimSession): number {
    // QUIRK(soldeactivate-noop): only the activating session can deactivate; others hear "already deactivated".
    const noop = this.bmc.config.quirks.has('soldeactivate-noop')
    if (noop && (this.phantomId !== 0 || (this.holder !== undefined && this.holder.session !== by))) return 0x80
    if (this.phantomId !== 0) {
      this.phantomId = 0
      this.stats.kicked++
      return CC.Ok
    }
    const h = this.holder
    if (h === undefined) return 0x80 // already deactivated
    if (h.session === by) this.stats.deactivations++
    else {
      this.stats.kicked++
      h.link.sendDeactivated()
    }
    this.release()
    return CC.Ok
  }

  /** Stops the ticker subscription (and the ticker itself when it is ours). */
  dispose(): void {
    this.release()
    this.bmc.off('session:closed', this.sessionClosed)
    if (this.ownTicker) this.ticker.stop()
  }

  private release(): void {
    const h = this.holder
    if (h !== undefined) addStats(this.pastLinks, h.link.stats)
    this.holder = undefined
    this.untick?.()
    this.untick = undefined
    this.host.pause()
  }

  private onPayload(payload: Buffer, session: SimSession): void {
    const h = this.holder
    if (h === undefined || h.session !== session) {
      this.stats.strayPackets++
      return
    }
    let p
    try {
      p = decodeSolPacket(payload)
    } catch {
      this.stats.malformedPackets++
      return
    }
    // QUIRK(solpacketseq): stuck on one input packet; a resend with a new sequence number gets through.
    const stuck = stuckOnInput(h.stuck, p.seq, p.data.length)
    h.stuck = stuck.next
    // QUIRK(serialalertsdeferred), QUIRK(solsilent-reboot), QUIRK(solpacketseq): keep what the packet ACKs, drop what it carries.
    if ((h.deafToInput || h.silent || stuck.drop) && p.seq !== 0) p = { ...p, seq: 0, flags: 0, data: Buffer.alloc(0) }
    h.link.onPacket(p, this.bmc.nowMs())
  }

  private tick(now: number): void {
    const h = this.holder
    if (h === undefined) return
    if (this.bmc.faults.hang) {
      // A hung BMC reads nothing from the serial port and sends nothing.
      this.host.pause()
      return
    }
    if (now - h.session.lastActivityMs > this.bmc.config.idleTimeoutMs) {
      this.bmc.closeSession(h.session.bmcSessionId, 'idle-timeout') // session:closed releases SOL
      return
    }
    // QUIRK(coldreset-console): the BMC resets itself once, in the middle of the console.
    if (this.bmc.config.quirks.has('coldreset-console') && !this.consoleResetDone && this.firstActivationMs !== undefined &&
      now - this.firstActivationMs >= this.bmc.config.coldResetAfterSolMs) {
      this.consoleResetDone = true
      this.bmc.coldReset() // session:closed releases SOL
      return
    }
    const power = this.powerSnapshot()
    if (power.on && (!this.lastPower.on || power.restarts !== this.lastPower.restarts)) {
      this.host.restart(now)
      // QUIRK(solsilent-reboot): the activation outlives the host's restart but carries nothing more.
      if (this.bmc.config.quirks.has('solsilent-reboot')) h.silent = true
    }
    this.lastPower = power
    if (power.on) this.host.tick(now)
    else this.host.pause()
    h.link.tick(now)
  }

  private powerSnapshot(): { on: boolean; restarts: number } {
    const a = this.bmc.chassis.actions
    return { on: this.bmc.chassis.powerOn, restarts: a.powerCycle + a.hardReset + a.powerUp }
  }
}

function addStats(into: SolLinkStats, add: SolLinkStats): void {
  for (const k of Object.keys(into) as (keyof SolLinkStats)[]) into[k] += add[k]
}

/** Adds SOL to a SimBmc (its payload commands, payload type 1 and a console host). */
export function attachSol(bmc: SimBmc, opts: SimSolOptions = {}): SimSol {
  return new SimSol(bmc, opts)
}

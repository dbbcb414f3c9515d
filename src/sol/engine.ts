/**
 * SOL data path of one active SOL instance: packet sequence numbers, ACK and
 * NACK with accepted-character counts, retransmit, BREAK, the standing
 * CTS/DCD control bits, coalescing of small writes and back-pressure.
 *
 * Owns: seq/ack state in both directions and every retransmit decision.
 * Does not own: sockets, sessions or activation; it opens nothing and its
 * only timers go through the injected Clock. The caller feeds received SOL
 * payloads (already integrity-checked and decrypted) and write()s; the engine
 * answers through the io callbacks (payloads to send, bytes to deliver,
 * status, drain, failure).
 * Spec: IPMI v2.0 §15.9, Table 15-2; reference/ipmi-spec.md §4.3-§4.4.
 * Invariants and hazards: one packet of ours in flight at a time (pyghmi,
 * ipmitool); a retransmit keeps its seq so the BMC can see the duplicate
 * (QUIRK(various) "solpacketseq": optional fresh seq); a partial accept
 * resends only the unaccepted tail, as a new packet; a BMC retransmit reuses
 * its seq and may append bytes, so only bytes beyond those already delivered
 * for that seq are delivered; a late copy of an earlier seq is never
 * delivered twice. Never retransmit before retransmitMs: some BMCs mishandle
 * early retries.
 * Flow control towards the BMC (graceful overload, issue 18): while io.admit()
 * says no (the main thread is behind: src/bridge/credit.ts), a packet with a
 * new seq is neither delivered nor ACKed. The BMC keeps its bytes and sends
 * the packet again after its retry interval; once admit() says yes, the next
 * copy is taken and ACKed as usual, so nothing is lost, doubled or reordered.
 * A packet is held at most maxHoldMs from its first copy, well inside a BMC's
 * retry budget (after which it would drop the bytes), and then taken anyway.
 * Why not a NACK: ipmi_sim, after a NACK, stops sending until it sees an ACK
 * for a sequence number it has not sent yet (lanserv/sol.c
 * handle_sol_port_payload), so output would stop for good; a withheld ACK is
 * what every BMC's retransmit handles (reference/ipmi-spec.md §4.4).
 */
import type { Clock, TimerHandle } from '../session/clock.js'
import {
  decodeSolPacket, encodeSolAck, encodeSolPacket, SOL_MAX_DATA, SolOperation, SolStatus,
} from '../ipmi/sol-packet.js'
import type { WorkaroundName } from '../session/profile.js'
import { SendQueue } from './send-queue.js'
import { DEFAULT_SOL_TUNING, type SolEngineTuning } from './tuning.js'

export { clampPayloadSize, DEFAULT_SOL_TUNING, type SolEngineTuning } from './tuning.js'

/** Status the BMC reports in byte 4 of its packets. */
export interface SolRemoteStatus {
  /** Character transfer unavailable (often: the host is powered off). */
  transferUnavailable: boolean
  /** The BMC is refusing our bytes for now (NACK). */
  paused: boolean
}

export type SolEngineFailure = { reason: 'unreachable' | 'sol_deactivated'; message: string }

export interface SolEngineIo {
  /** A SOL payload to transmit on the session. */
  send(payload: Buffer): void
  /** Console output, in order, each byte once. */
  deliver(data: Buffer): void
  /** The remote status changed, or the BMC reported an event (break, overrun). */
  status(s: SolRemoteStatus, event?: 'break_detected' | 'transmit_overrun'): void
  /** Buffered bytes fell below half the high-water mark after write() returned false. */
  drain(): void
  /** Nothing queued and nothing in flight. */
  idle?(): void
  /** The data path is dead; the engine has stopped. */
  failed(f: SolEngineFailure): void
  /** Whether console output may be taken now; false: leave a new packet with the BMC (no ACK). Absent: always. */
  admit?(): boolean
  /** An adaptation to this BMC (src/session/profile.ts), e.g. a stuck packet sent under a new sequence number. */
  learned?(name: WorkaroundName, detail: string): void
}

export interface SolEngineStats {
  packetsSent: number
  acksSent: number
  retransmits: number
  packetsReceived: number
  malformed: number
  bytesDelivered: number
  /** Bytes of BMC retransmits that had been delivered already. */
  duplicateBytes: number
  /** Late copies of earlier packets, dropped. */
  stalePackets: number
  bytesAccepted: number
  partialAcks: number
  nacks: number
  /** Packets whose last try went under a new sequence number (QUIRK(solpacketseq)). */
  reseqs: number
  /** BMC packets left unacknowledged because admit() said no (each copy counts). */
  withheld: number
  /** Held packets taken after maxHoldMs although admit() still said no. */
  heldTooLong: number
}

interface InFlight {
  seq: number
  flags: number
  data: Buffer
  attempts: number
  /** Whether it already went out under a second sequence number (QUIRK(solpacketseq): at most once). */
  reseq: boolean
  firstSentAt: number
  timer: TimerHandle | undefined
  /** When its retransmit timer is due; how late timers fired is the thread's own starvation, not BMC silence. */
  dueAt: number
  starvedMs: number
}

/** A BMC retransmit with nothing new (never delivered: only its length is read). */
const NO_BYTES = Buffer.alloc(0)

/** How many earlier sequence numbers count as "already seen" (half the 1..15 cycle). */
const STALE_WINDOW = 7

export class SolEngine {
  readonly tuning: SolEngineTuning
  readonly stats: SolEngineStats = {
    packetsSent: 0, acksSent: 0, retransmits: 0, packetsReceived: 0, malformed: 0, bytesDelivered: 0,
    duplicateBytes: 0, stalePackets: 0, bytesAccepted: 0, partialAcks: 0, nacks: 0, reseqs: 0, withheld: 0, heldTooLong: 0,
  }
  private readonly queue = new SendQueue()
  private inFlight: InFlight | undefined
  private lastSeq = 0
  private controlFlags = 0
  private remoteNack = false
  private transferUnavailable = false
  private nackProbeTimer: TimerHandle | undefined
  private coalesceTimer: TimerHandle | undefined
  private needDrain = false
  private stopped = false
  private started = false
  // Receive side: the BMC's current seq, how many of its bytes were delivered, earlier seqs.
  private rxSeq = 0
  private rxLen = 0
  private rxRecent: number[] = []
  /** The BMC packet left unacknowledged for want of credit, and when its first copy came. */
  private held: { seq: number; since: number } | undefined

  constructor(
    private readonly clock: Clock,
    /** Most data bytes per packet we send: the BMC's inbound payload size, clamped (see clampPayloadSize). */
    readonly maxDataPerPacket: number,
    private readonly io: SolEngineIo,
    tuning: Partial<SolEngineTuning> = {},
  ) {
    this.tuning = { ...DEFAULT_SOL_TUNING, ...tuning }
    if (!Number.isInteger(maxDataPerPacket) || maxDataPerPacket < 1 || maxDataPerPacket > SOL_MAX_DATA) {
      throw new RangeError(`maxDataPerPacket must be 1..${SOL_MAX_DATA}, got ${maxDataPerPacket}`)
    }
  }

  /** Starts sending (the priming packet, when enabled). Call once, after wiring io. */
  start(): void {
    if (this.stopped || this.started) return
    this.started = true
    if (this.tuning.primeSequence) this.queue.unshiftOp(0)
    this.pump()
  }

  /** Bytes accepted by write() and not yet sent (the in-flight packet excluded). */
  get bufferedBytes(): number {
    return this.queue.bytes
  }

  /** True when nothing waits to be sent and nothing waits for an ACK. */
  get idle(): boolean {
    return this.inFlight === undefined && this.queue.empty
  }

  get active(): boolean {
    return !this.stopped
  }

  /**
   * Queues console input. Returns false once highWaterMark bytes wait (the
   * bytes are still taken; wait for drain). Throws RangeError past
   * maxBufferedBytes: a writer that ignores back-pressure is a bug.
   */
  write(data: Uint8Array): boolean {
    if (this.stopped) throw new RangeError('SOL engine is stopped')
    if (this.queue.bytes + data.length > this.tuning.maxBufferedBytes) {
      throw new RangeError(`SOL write buffer overflow: ${this.queue.bytes} bytes wait and the limit is ${this.tuning.maxBufferedBytes}; wait for 'drain'`)
    }
    this.queue.push(Buffer.from(data))
    this.schedulePump()
    const ok = this.queue.bytes < this.tuning.highWaterMark
    if (!ok) this.needDrain = true
    return ok
  }

  /** Queues a BREAK at this point of the byte stream (Table 15-2 byte 4 b4). */
  sendBreak(): void {
    if (this.stopped) return
    this.queue.pushOp(SolOperation.Break)
    this.pump()
  }

  /**
   * Sets the standing CTS / DCD-DSR control bits (Table 15-2 byte 4 b3, b2).
   * They ride in every packet we send, ACKs included, because BMCs apply them
   * from any packet; a change goes out at once in a packet of its own.
   */
  setControl(c: { deassertCts?: boolean; deassertDcdDsr?: boolean }): void {
    if (this.stopped) return
    let f = this.controlFlags
    if (c.deassertCts !== undefined) f = c.deassertCts ? f | SolOperation.DeassertCts : f & ~SolOperation.DeassertCts
    if (c.deassertDcdDsr !== undefined) f = c.deassertDcdDsr ? f | SolOperation.DeassertDcdDsr : f & ~SolOperation.DeassertDcdDsr
    if (f === this.controlFlags) return
    this.controlFlags = f
    this.queue.pushOp(0)
    this.pump()
  }

  /** Feeds one received SOL payload. Malformed payloads are counted and dropped, never thrown. */
  receive(payload: Buffer): void {
    if (this.stopped) return
    let p
    try {
      p = decodeSolPacket(payload)
    } catch {
      this.stats.malformed++
      return
    }
    this.stats.packetsReceived++
    const flags = p.flags
    if ((flags & SolStatus.Deactivated) !== 0) {
      this.fail({ reason: 'sol_deactivated', message: 'BMC reports SOL deactivated (status bit 4)' })
      return
    }
    this.noteStatus(flags)
    if (p.seq !== 0) this.receiveData(p.seq, p.data)
    if (this.stopped) return
    if (p.ackSeq !== 0) this.receiveAck(p.ackSeq, p.acceptedCount, (flags & SolStatus.Nack) !== 0)
    this.pump()
  }

  /** Stops the engine: clears every timer and drops what is queued. Idempotent. */
  stop(): void {
    if (this.stopped) return
    this.stopped = true
    this.clearTimers()
    this.queue.clear()
    this.inFlight = undefined
  }

  private receiveData(seq: number, data: Buffer): void {
    let fresh: Buffer
    let copies = 1
    if (seq === this.rxSeq) {
      copies += this.tuning.redundantAcks
      // A BMC retransmit: same seq, maybe with bytes appended (ipmitool check_sol_packet_for_new_data).
      fresh = data.length > this.rxLen ? data.subarray(this.rxLen) : NO_BYTES
      this.stats.duplicateBytes += Math.min(data.length, this.rxLen)
      this.rxLen = Math.max(this.rxLen, data.length)
    } else if (this.rxRecent.includes(seq)) {
      // A late copy of a packet already ACKed: its bytes were delivered then.
      this.stats.stalePackets++
      return
    } else {
      if (this.withhold(seq)) return
      if (this.rxSeq !== 0) {
        this.rxRecent.push(this.rxSeq)
        if (this.rxRecent.length > STALE_WINDOW) this.rxRecent.shift()
      }
      this.rxSeq = seq
      this.rxLen = data.length
      fresh = data
    }
    // ACK the whole packet as received so far; the count is one byte.
    const ack = encodeSolAck(seq, Math.min(this.rxLen, SOL_MAX_DATA), this.controlFlags)
    for (let i = 0; i < copies; i++) this.sendRaw(ack, true)
    if (fresh.length > 0) {
      this.stats.bytesDelivered += fresh.length
      this.io.deliver(fresh)
    }
  }

  /** Whether to leave this new packet with the BMC for now (no credit, and not held for maxHoldMs yet). */
  private withhold(seq: number): boolean {
    if (this.io.admit === undefined || this.io.admit()) {
      this.held = undefined
      return false
    }
    const now = this.clock.now()
    if (this.held?.seq !== seq) this.held = { seq, since: now }
    if (now - this.held.since < this.tuning.maxHoldMs) {
      this.stats.withheld++
      return true
    }
    this.stats.heldTooLong++
    this.held = undefined
    return false
  }

  private receiveAck(ackSeq: number, count: number, nack: boolean): void {
    this.remoteNack = nack
    if (nack) this.stats.nacks++
    const f = this.inFlight
    if (f !== undefined && f.seq === ackSeq) {
      if (f.timer !== undefined) this.clock.clearTimeout(f.timer)
      this.inFlight = undefined
      const accepted = Math.min(count, f.data.length)
      this.stats.bytesAccepted += accepted
      if (accepted < f.data.length) {
        // Resend only what the BMC did not take, as a new packet (ipmitool is_sol_partial_ack).
        this.stats.partialAcks++
        this.queue.unshift(f.data.subarray(accepted))
      }
      this.afterDequeue()
    }
    if (this.remoteNack) this.armNackProbe()
    else this.clearNackProbe()
    this.notify()
  }

  /** The status bits of a BMC packet (SolStatus), read in place: one per packet, so no decoded object. */
  private noteStatus(flags: number): void {
    if ((flags & SolStatus.BreakDetected) !== 0) this.io.status(this.remoteStatus(), 'break_detected')
    if ((flags & SolStatus.TransmitOverrun) !== 0) this.io.status(this.remoteStatus(), 'transmit_overrun')
    const unavailable = (flags & SolStatus.TransferUnavailable) !== 0
    if (unavailable !== this.transferUnavailable) {
      this.transferUnavailable = unavailable
      this.notify()
    }
  }

  /** The status last reported through io.status (transferUnavailable, paused); undefined before the first. */
  private notified: [boolean, boolean] | undefined
  private notify(): void {
    const n = this.notified
    if (n !== undefined && n[0] === this.transferUnavailable && n[1] === this.remoteNack) return
    this.notified = [this.transferUnavailable, this.remoteNack]
    this.io.status(this.remoteStatus())
  }

  private remoteStatus(): SolRemoteStatus {
    return { transferUnavailable: this.transferUnavailable, paused: this.remoteNack }
  }

  private schedulePump(): void {
    if (this.inFlight !== undefined || this.coalesceTimer !== undefined) return
    if (this.tuning.coalesceMs <= 0) {
      this.pump()
      return
    }
    this.coalesceTimer = this.clock.setTimeout(() => {
      this.coalesceTimer = undefined
      this.pump()
    }, this.tuning.coalesceMs)
  }

  /** Sends the next packet when none is in flight and the BMC is not pausing us. */
  private pump(probe = false): void {
    if (this.stopped || !this.started || this.inFlight !== undefined || this.coalesceTimer !== undefined) return
    if (this.queue.empty) {
      this.io.idle?.()
      return
    }
    if (this.remoteNack && !probe) return
    const next = this.queue.take(this.maxDataPerPacket)
    if (next === undefined) return
    const f: InFlight = { seq: this.nextSeq(), flags: next.op, data: next.data, attempts: 0, reseq: false, firstSentAt: this.clock.now(), timer: undefined, dueAt: 0, starvedMs: 0 }
    this.inFlight = f
    this.transmit(f)
    this.afterDequeue()
  }

  private transmit(f: InFlight): void {
    f.attempts++
    this.sendRaw(encodeSolPacket({ seq: f.seq, ackSeq: 0, acceptedCount: 0, flags: f.flags | this.controlFlags, data: f.data }), false)
    const wait = Math.min(this.tuning.retransmitMs * f.attempts, this.tuning.maxRetransmitMs)
    f.dueAt = this.clock.now() + wait
    f.timer = this.clock.setTimeout(() => this.onRetransmitTimer(f), wait)
  }

  private onRetransmitTimer(f: InFlight): void {
    f.timer = undefined
    if (this.inFlight !== f || this.stopped) return
    const now = this.clock.now()
    // A timer that fired late shows this thread had no CPU meanwhile: that time is not the BMC's silence.
    f.starvedMs += Math.max(0, now - f.dueAt)
    const waited = now - f.firstSentAt - f.starvedMs
    if (f.attempts > this.tuning.retries || waited >= this.tuning.ackTimeoutMs) {
      this.fail({ reason: 'unreachable', message: `BMC stopped acknowledging SOL data (${f.attempts} tries in ${Math.round(waited)} ms)` })
      return
    }
    this.stats.retransmits++
    if (this.tuning.freshSeqOnRetransmit) f.seq = this.nextSeq()
    else if (!f.reseq && this.tuning.reseqLastTry && this.isLastTry(f, waited)) {
      // QUIRK(solpacketseq): the BMC may be stuck on this number; a new one gets it going.
      const stuck = f.seq
      f.seq = this.nextSeq()
      f.reseq = true
      this.stats.reseqs++
      this.io.learned?.('solpacketseq', `SOL packet ${stuck} was not acknowledged after ${f.attempts} sends; sent again as ${f.seq}`)
    }
    this.transmit(f)
  }

  /** Whether the send about to go out is the last before onRetransmitTimer gives up (same tests, one send later). */
  private isLastTry(f: InFlight, waited: number): boolean {
    const nextWait = Math.min(this.tuning.retransmitMs * (f.attempts + 1), this.tuning.maxRetransmitMs)
    return f.attempts + 1 > this.tuning.retries || waited + nextWait >= this.tuning.ackTimeoutMs
  }

  private armNackProbe(): void {
    if (this.nackProbeTimer !== undefined) return
    this.nackProbeTimer = this.clock.setTimeout(() => {
      this.nackProbeTimer = undefined
      // No "ready" ACK came (it may have been lost): try again; the BMC takes what fits.
      if (this.remoteNack && this.inFlight === undefined) this.pump(true)
      if (this.remoteNack && !this.queue.empty) this.armNackProbe()
    }, this.tuning.nackProbeMs)
  }

  private clearNackProbe(): void {
    if (this.nackProbeTimer !== undefined) this.clock.clearTimeout(this.nackProbeTimer)
    this.nackProbeTimer = undefined
  }

  private afterDequeue(): void {
    if (this.needDrain && this.queue.bytes <= this.tuning.highWaterMark / 2) {
      this.needDrain = false
      this.io.drain()
    }
  }

  private nextSeq(): number {
    this.lastSeq = this.lastSeq >= 15 ? 1 : this.lastSeq + 1
    return this.lastSeq
  }

  private sendRaw(payload: Buffer, ack: boolean): void {
    if (ack) this.stats.acksSent++
    else this.stats.packetsSent++
    this.io.send(payload)
  }

  private clearTimers(): void {
    if (this.inFlight?.timer !== undefined) this.clock.clearTimeout(this.inFlight.timer)
    if (this.coalesceTimer !== undefined) this.clock.clearTimeout(this.coalesceTimer)
    this.coalesceTimer = undefined
    this.clearNackProbe()
  }

  private fail(f: SolEngineFailure): void {
    if (this.stopped) return
    this.stop()
    this.io.failed(f)
  }
}

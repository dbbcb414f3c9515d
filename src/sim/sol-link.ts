/**
 * The BMC half of one active SOL instance: character data both ways with
 * packet sequence numbers, ACKs with accepted counts, NACKs, retransmits of
 * unacknowledged output and the status bits (IPMI v2.0 §15.9, Table 15-2;
 * timing from the SOL configuration parameters 3 and 4, Table 26-5).
 * Written from the spec for the BMC direction, not from our client's engine.
 *
 * Owns: the outbound queue (what the system wrote to its serial port), the
 * one packet in flight, the last inbound packet (to re-ACK a retransmit
 * without delivering it twice) and counters. No sockets, no timers: the
 * owner feeds onPacket(), write() and tick(now); packets go out via send().
 * Rules kept here:
 * - One BMC-to-console data packet in flight; sequence numbers 1..15
 *   cycling (0 is an ACK-only packet, which needs no ACK).
 * - Every console packet with seq != 0 is ACKed by an ACK-only packet
 *   carrying the number of characters accepted; a retransmit (the same seq
 *   again) is ACKed again and only bytes beyond those already accepted are
 *   delivered.
 * - An ACK with a short accepted count puts the unaccepted tail back at the
 *   front of the queue; it goes out in a new packet with a new seq. A NACK
 *   does the same and pauses output for one retry interval or until the
 *   console sends a packet without NACK.
 * - A packet not ACKed within the retry interval is sent again with the same
 *   seq, up to the retry count, then given up (its bytes are lost, counted).
 * - While the system cannot take characters (powered off) console data is
 *   refused: ACK with count 0 and NACK + "character transfer unavailable".
 */
import { encodeSolPacket, SOL_MAX_DATA, SOL_SEQ_MAX, SolOperation, SolStatus, type SolPacket } from '../ipmi/sol-packet.js'

export interface SolLinkTiming {
  /** Most character bytes per outbound packet (outbound payload size minus the 4-byte header); <= 255. */
  maxSendData: number
  /** Character accumulate interval: a partial packet goes out when its oldest byte is this old. */
  accumulateMs: number
  /** Character send threshold: a packet goes out as soon as this many bytes wait. */
  sendThreshold: number
  /** Resends of an unacknowledged packet before it is given up (parameter 4, b2:0). */
  retryCount: number
  /** Wait for an ACK before resending (parameter 4 byte 2, 10 ms units on the wire). */
  retryIntervalMs: number
  /** Bytes the BMC buffers towards the console; more is dropped and reported as transmit overrun. */
  bufferBytes: number
  /** Resend with newly queued bytes appended to the same seq (allowed by the spec; tests clients). */
  appendOnRetransmit: boolean
}

export const DEFAULT_SOL_TIMING: Readonly<SolLinkTiming> = Object.freeze({
  maxSendData: 200, accumulateMs: 50, sendThreshold: 128, retryCount: 7, retryIntervalMs: 500, bufferBytes: 16384, appendOnRetransmit: false,
})

export interface SolLinkPeer {
  /** Sends one SOL payload to the console. */
  send(payload: Buffer): void
  /** Characters from the console, for the system. */
  input(bytes: Buffer): void
  /** A BREAK requested by the console. */
  serialBreak(): void
  /** False while the system cannot take characters (powered off). */
  available(): boolean
}

export interface SolLinkStats {
  packetsSent: number
  retransmits: number
  packetsGivenUp: number
  bytesLost: number
  /** Output bytes the console ACKed as accepted. */
  bytesAccepted: number
  /** Console bytes delivered to the system. */
  bytesReceived: number
  acksSent: number
  duplicatesReceived: number
  nacksReceived: number
  partialAcks: number
  staleAcks: number
  overrunBytes: number
  breaks: number
}

interface InFlight {
  seq: number
  data: Buffer
  flags: number
  sentAtMs: number
  tries: number
}

export class SolLink {
  readonly timing: SolLinkTiming
  readonly stats: SolLinkStats = {
    packetsSent: 0, retransmits: 0, packetsGivenUp: 0, bytesLost: 0, bytesAccepted: 0, bytesReceived: 0, acksSent: 0,
    duplicatesReceived: 0, nacksReceived: 0, partialAcks: 0, staleAcks: 0, overrunBytes: 0, breaks: 0,
  }
  private queue: Buffer[] = []
  private queued = 0
  private oldestAtMs = 0
  private inFlight: InFlight | undefined
  private nextSeq = 1
  private lastIn: { seq: number; accepted: number } | undefined
  private pausedUntilMs = -Infinity
  private overrun = false
  private breakDetected = false
  private statusDirty = false
  private wasAvailable: boolean

  constructor(private readonly peer: SolLinkPeer, timing: Partial<SolLinkTiming> = {}) {
    this.timing = { ...DEFAULT_SOL_TIMING, ...timing }
    if (this.timing.maxSendData < 1 || this.timing.maxSendData > SOL_MAX_DATA) throw new RangeError(`maxSendData must be 1..${SOL_MAX_DATA}`)
    this.wasAvailable = peer.available()
  }

  /** Bytes waiting to go out (not counting the packet in flight). */
  get pending(): number {
    return this.queued
  }

  get awaitingAck(): boolean {
    return this.inFlight !== undefined
  }

  /** The system wrote to its serial port. */
  write(bytes: Buffer, nowMs: number): void {
    if (bytes.length === 0) return
    const room = Math.max(0, this.timing.bufferBytes - this.queued)
    if (bytes.length > room) {
      this.stats.overrunBytes += bytes.length - room
      this.overrun = true
      bytes = bytes.subarray(0, room)
      if (bytes.length === 0) return
    }
    if (this.queued === 0) this.oldestAtMs = nowMs
    this.queue.push(bytes)
    this.queued += bytes.length
    this.pump(nowMs)
  }

  /** The system put a BREAK on its line: reported in the next packet's status. */
  reportBreak(nowMs: number): void {
    this.breakDetected = true
    this.statusDirty = true
    this.pump(nowMs)
  }

  /** Drops queued output (console asked "flush outbound", or SOL is going away). */
  flushOutbound(): void {
    this.queue = []
    this.queued = 0
  }

  /** One SOL payload from the console, already decoded. */
  onPacket(p: SolPacket, nowMs: number): void {
    if (p.ackSeq !== 0) this.onAck(p, nowMs)
    else if ((p.flags & SolOperation.Nack) === 0) this.pausedUntilMs = -Infinity
    if (p.seq !== 0) this.onData(p)
    this.pump(nowMs)
  }

  /** Retransmits and timed sends; call it every few tens of milliseconds. */
  tick(nowMs: number): void {
    const available = this.peer.available()
    if (available !== this.wasAvailable) {
      this.wasAvailable = available
      this.statusDirty = true
    }
    const f = this.inFlight
    if (f !== undefined && nowMs - f.sentAtMs >= this.timing.retryIntervalMs) {
      if (f.tries > this.timing.retryCount) {
        this.stats.packetsGivenUp++
        this.stats.bytesLost += f.data.length
        this.inFlight = undefined
      } else {
        if (this.timing.appendOnRetransmit && this.queued > 0 && f.data.length < this.timing.maxSendData) {
          f.data = Buffer.concat([f.data, this.take(this.timing.maxSendData - f.data.length)])
        }
        f.tries++
        f.sentAtMs = nowMs
        this.stats.retransmits++
        this.peer.send(encodeSolPacket({ seq: f.seq, ackSeq: 0, acceptedCount: 0, flags: f.flags, data: f.data }))
      }
    }
    this.pump(nowMs)
  }

  /** A last packet telling the console that SOL was deactivated under it; no ACK is awaited. */
  sendDeactivated(): void {
    this.peer.send(encodeSolPacket({ seq: this.advanceSeq(), ackSeq: 0, acceptedCount: 0, flags: SolStatus.Deactivated, data: Buffer.alloc(0) }))
    this.inFlight = undefined
    this.flushOutbound()
  }

  private onAck(p: SolPacket, nowMs: number): void {
    const f = this.inFlight
    if (f === undefined || p.ackSeq !== f.seq) {
      this.stats.staleAcks++
      return
    }
    this.inFlight = undefined
    const accepted = Math.min(p.acceptedCount, f.data.length)
    this.stats.bytesAccepted += accepted
    const nack = (p.flags & SolOperation.Nack) !== 0
    if (nack) {
      this.stats.nacksReceived++
      this.pausedUntilMs = nowMs + this.timing.retryIntervalMs
    } else this.pausedUntilMs = -Infinity
    if (accepted < f.data.length) {
      if (!nack) this.stats.partialAcks++
      this.unshift(f.data.subarray(accepted), nowMs)
    }
  }

  private onData(p: SolPacket): void {
    const again = this.lastIn !== undefined && this.lastIn.seq === p.seq
    let accepted = again ? this.lastIn!.accepted : 0
    let flags = 0
    if (again) this.stats.duplicatesReceived++
    else {
      // Operations act once per packet, not again on its retransmits.
      if ((p.flags & SolOperation.FlushOutbound) !== 0) this.flushOutbound()
      if ((p.flags & SolOperation.Break) !== 0) {
        this.stats.breaks++
        this.peer.serialBreak()
      }
    }
    const fresh = p.data.subarray(Math.min(accepted, p.data.length))
    if (fresh.length > 0) {
      if (this.peer.available()) {
        accepted += fresh.length
        this.stats.bytesReceived += fresh.length
        this.peer.input(Buffer.from(fresh))
      } else flags = SolStatus.Nack | SolStatus.TransferUnavailable
    }
    this.lastIn = { seq: p.seq, accepted }
    this.stats.acksSent++
    this.peer.send(encodeSolPacket({ seq: 0, ackSeq: p.seq, acceptedCount: Math.min(accepted, 0xff), flags: flags | this.standingStatus(), data: Buffer.alloc(0) }))
  }

  /** Sends the next packet when nothing is in flight and the queue is due (threshold or accumulate interval). */
  private pump(nowMs: number): void {
    if (this.inFlight !== undefined || nowMs < this.pausedUntilMs) return
    const due = this.queued >= this.timing.sendThreshold || (this.queued > 0 && nowMs - this.oldestAtMs >= this.timing.accumulateMs)
    if (!due && !this.statusDirty) return
    const data = this.take(this.timing.maxSendData)
    const flags = this.standingStatus() | (this.overrun ? SolStatus.TransmitOverrun : 0) | (this.breakDetected ? SolStatus.BreakDetected : 0)
    this.overrun = false
    this.breakDetected = false
    this.statusDirty = false
    this.inFlight = { seq: this.advanceSeq(), data, flags, sentAtMs: nowMs, tries: 1 }
    this.stats.packetsSent++
    this.peer.send(encodeSolPacket({ seq: this.inFlight.seq, ackSeq: 0, acceptedCount: 0, flags, data }))
  }

  private standingStatus(): number {
    return this.peer.available() ? 0 : SolStatus.TransferUnavailable
  }

  private advanceSeq(): number {
    const s = this.nextSeq
    this.nextSeq = s >= SOL_SEQ_MAX ? 1 : s + 1
    return s
  }

  private take(max: number): Buffer {
    const n = Math.min(max, this.queued)
    if (n === 0) return Buffer.alloc(0)
    const parts: Buffer[] = []
    let got = 0
    while (got < n) {
      const head = this.queue[0]!
      const want = n - got
      if (head.length <= want) {
        parts.push(head)
        this.queue.shift()
        got += head.length
      } else {
        parts.push(head.subarray(0, want))
        this.queue[0] = head.subarray(want)
        got += want
      }
    }
    this.queued -= n
    // What is left keeps its age: a backlog goes out as soon as the console ACKs.
    return parts.length === 1 ? Buffer.from(parts[0]!) : Buffer.concat(parts, n)
  }

  private unshift(bytes: Buffer, nowMs: number): void {
    if (bytes.length === 0) return
    // An unaccepted tail is due at once (it already waited its accumulate interval).
    this.oldestAtMs = Math.min(this.queued === 0 ? Infinity : this.oldestAtMs, nowMs - this.timing.accumulateMs)
    this.queue.unshift(Buffer.from(bytes))
    this.queued += bytes.length
  }
}

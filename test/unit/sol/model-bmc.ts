// A model of ipmi_sim's SOL side (OpenIPMI lanserv/sol.c, read for this
// purpose), driven by a ManualClock, for deterministic tests of SolEngine
// over a lossy link. What it copies from ipmi_sim:
// - a 32-byte inbound buffer; a packet that does not fit is accepted in
//   part, and the ACK carries NACK while the buffer is full; when the buffer
//   drains from full, an unsolicited ACK without NACK says "ready";
// - duplicate detection only by "seq equals the last ACKed seq";
// - one outbound packet in flight, up to 255 bytes, resent every second with
//   whatever has been appended since; a short ACK resends the rest at once.
// Unlike ipmi_sim it never gives up a packet (ipmi_sim drops it after 4
// resends), so a test can demand an exact byte stream under heavy loss.
import type { ManualClock, TimerHandle } from '../../../src/session/clock.js'
import { decodeSolPacket, encodeSolPacket } from '../../../src/ipmi/sol-packet.js'

const INBUF = 32
const OUTBUF = 16384

export class ModelBmc {
  /** Bytes that reached the host's serial port. */
  readonly host: Buffer[] = []
  private inbuf = Buffer.alloc(0)
  private outbuf = Buffer.alloc(0)
  private currSeq = 1
  private lastAcked = 0
  private lastAckedLen = 0
  private waitingAck = false
  private timer: TimerHandle | undefined
  private drainTimer: TimerHandle | undefined
  breaks = 0

  constructor(
    private readonly clock: ManualClock,
    /** Sends a payload to the console (through the test's link). */
    private readonly send: (payload: Buffer) => void,
    private readonly drainBytesPerMs = 64,
  ) {}

  /** Room for host output (the TCP side stops reading when full). */
  get outRoom(): number {
    return OUTBUF - this.outbuf.length
  }

  /** The host wrote to its serial port. */
  hostWrites(data: Buffer): void {
    if (data.length > this.outRoom) throw new Error('model: host overran the outbound buffer')
    this.outbuf = Buffer.concat([this.outbuf, data])
    if (!this.waitingAck) {
      this.sendData(false)
      this.armRetransmit()
    }
  }

  receive(payload: Buffer): void {
    const p = decodeSolPacket(payload)
    const isDup = p.seq === this.lastAcked
    if (!isDup && (p.flags & 0x10) !== 0) this.breaks++
    let needAck = false
    if (p.seq !== 0) {
      if (isDup) needAck = true
      else {
        const take = Math.min(p.data.length, INBUF - this.inbuf.length)
        this.inbuf = Buffer.concat([this.inbuf, p.data.subarray(0, take)])
        this.lastAcked = p.seq
        this.lastAckedLen = take
        needAck = true
        this.armDrain()
      }
    }
    if (p.ackSeq === this.currSeq && this.waitingAck) {
      this.nextSeq()
      if (this.timer !== undefined) this.clock.clearTimeout(this.timer)
      this.timer = undefined
      const sent = Math.min(this.outbuf.length, 255)
      const count = Math.min(p.acceptedCount, sent)
      this.outbuf = this.outbuf.subarray(count)
      if (this.outbuf.length > 0) {
        this.sendData(needAck)
        needAck = false
        this.armRetransmit()
      } else this.waitingAck = false
    }
    if (needAck) this.sendAck()
  }

  stop(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer)
    if (this.drainTimer !== undefined) this.clock.clearTimeout(this.drainTimer)
  }

  private full(): number {
    return this.inbuf.length === INBUF ? 0x40 : 0
  }

  private sendData(withAck: boolean): void {
    this.waitingAck = true
    this.send(encodeSolPacket({
      seq: this.currSeq, ackSeq: withAck ? this.lastAcked : 0, acceptedCount: withAck ? this.lastAckedLen : 0,
      flags: this.full(), data: this.outbuf.subarray(0, 255),
    }))
  }

  private sendAck(): void {
    this.send(encodeSolPacket({ seq: 0, ackSeq: this.lastAcked, acceptedCount: this.lastAckedLen, flags: this.full(), data: Buffer.alloc(0) }))
  }

  private nextSeq(): void {
    this.currSeq = this.currSeq >= 15 ? 1 : this.currSeq + 1
  }

  private armRetransmit(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer)
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined
      if (!this.waitingAck) return
      this.sendData(false)
      this.armRetransmit()
    }, 1000)
  }

  private armDrain(): void {
    if (this.drainTimer !== undefined) return
    this.drainTimer = this.clock.setTimeout(() => {
      this.drainTimer = undefined
      const wasFull = this.inbuf.length === INBUF
      const n = Math.min(this.drainBytesPerMs, this.inbuf.length)
      this.host.push(Buffer.from(this.inbuf.subarray(0, n)))
      this.inbuf = this.inbuf.subarray(n)
      if (wasFull) this.sendAck()
      if (this.inbuf.length > 0) this.armDrain()
    }, 1)
  }
}

// The BMC half of SOL, stepped by hand: a fake peer records what the link
// sends and what reaches the "system"; time is a number we pass in. Each rule
// of the module header (IPMI v2.0 §15.9) has a case here.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { decodeSolPacket, encodeSolPacket, SolOperation, SolStatus, type SolPacket } from '../../../src/ipmi/sol-packet.js'
import { SolLink, type SolLinkTiming } from '../../../src/sim/sol-link.js'

function setup(timing: Partial<SolLinkTiming> = {}) {
  const sent: SolPacket[] = []
  const input: Buffer[] = []
  let breaks = 0
  let power = true
  const link = new SolLink({
    send: (b) => sent.push(decodeSolPacket(b)),
    input: (b) => input.push(b),
    serialBreak: () => breaks++,
    available: () => power,
  }, { accumulateMs: 50, sendThreshold: 100, retryCount: 2, retryIntervalMs: 500, maxSendData: 200, ...timing })
  return {
    link, sent, input,
    get breaks() { return breaks },
    setPower(on: boolean) { power = on },
    /** A console packet (data, ACK or both). */
    console(p: Partial<SolPacket>, now: number) {
      link.onPacket(decodeSolPacket(encodeSolPacket({ seq: 0, ackSeq: 0, acceptedCount: 0, flags: 0, data: Buffer.alloc(0), ...p })), now)
    },
  }
}

const bytes = (s: string) => Buffer.from(s, 'latin1')

describe('SolLink output (BMC to console)', () => {
  it('holds a few bytes for the accumulate interval, sends at once past the threshold', () => {
    const t = setup()
    t.link.write(bytes('hello'), 0)
    t.link.tick(49)
    assert.equal(t.sent.length, 0)
    t.link.tick(50)
    assert.equal(t.sent.length, 1)
    assert.deepEqual({ ...t.sent[0]!, data: t.sent[0]!.data.toString() }, { seq: 1, ackSeq: 0, acceptedCount: 0, flags: 0, data: 'hello' })
    const u = setup()
    u.link.write(Buffer.alloc(100, 0x41), 0)
    assert.equal(u.sent.length, 1, 'the threshold sends without waiting')
  })

  it('keeps one packet in flight; an ACK lets the next go; sequence numbers run 1..15 and skip 0', () => {
    const t = setup({ sendThreshold: 1 })
    const seqs: number[] = []
    for (let i = 0; i < 20; i++) {
      t.link.write(bytes(`x${i}`), i)
      t.link.write(bytes('more'), i) // queued behind the packet in flight
      const p = t.sent.at(-1)!
      seqs.push(p.seq)
      t.console({ ackSeq: p.seq, acceptedCount: p.data.length }, i)
    }
    assert.deepEqual(seqs.slice(0, 16), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 1])
    assert.ok(!t.link.awaitingAck || t.link.pending === 0)
    const all = Buffer.concat(t.sent.map((p) => p.data)).toString()
    assert.equal(all, Array.from({ length: 20 }, (_, i) => `x${i}more`).join(''), 'every byte once, in order')
  })

  it('a short accepted count puts the tail back; it goes out in a new packet with a new seq', () => {
    const t = setup({ sendThreshold: 1 })
    t.link.write(bytes('abcdef'), 0)
    t.console({ ackSeq: 1, acceptedCount: 4 }, 10)
    assert.equal(t.sent.length, 2)
    assert.equal(t.sent[1]!.seq, 2)
    assert.equal(t.sent[1]!.data.toString(), 'ef')
    assert.equal(t.link.stats.partialAcks, 1)
    assert.equal(t.link.stats.bytesAccepted, 4)
  })

  it('a NACK pauses output for a retry interval (or until a packet without NACK), then resends', () => {
    const t = setup({ sendThreshold: 1 })
    t.link.write(bytes('abc'), 0)
    t.console({ ackSeq: 1, acceptedCount: 0, flags: SolOperation.Nack }, 10)
    assert.equal(t.sent.length, 1, 'paused')
    t.link.tick(400)
    assert.equal(t.sent.length, 1)
    t.console({}, 450) // any packet without NACK resumes
    assert.equal(t.sent.length, 2)
    assert.equal(t.sent[1]!.data.toString(), 'abc')
    assert.equal(t.link.stats.nacksReceived, 1)
  })

  it('resends an unacknowledged packet with the same seq, retryCount times, then gives it up', () => {
    const t = setup({ sendThreshold: 1, retryCount: 2 })
    t.link.write(bytes('lost'), 0)
    for (const now of [499, 500, 1000, 1500, 2000]) t.link.tick(now)
    assert.deepEqual(t.sent.map((p) => [p.seq, p.data.toString()]), [[1, 'lost'], [1, 'lost'], [1, 'lost']])
    assert.equal(t.link.stats.retransmits, 2)
    assert.equal(t.link.stats.packetsGivenUp, 1)
    assert.equal(t.link.stats.bytesLost, 4)
    t.link.write(bytes('next'), 2100)
    assert.equal(t.sent.at(-1)!.seq, 2, 'the next packet takes the next number')
  })

  it('appendOnRetransmit: a resend carries newly queued bytes after the old ones, same seq', () => {
    const t = setup({ sendThreshold: 1, appendOnRetransmit: true })
    t.link.write(bytes('ab'), 0)
    t.link.write(bytes('cd'), 1)
    t.link.tick(500)
    assert.deepEqual(t.sent.map((p) => [p.seq, p.data.toString()]), [[1, 'ab'], [1, 'abcd']])
  })

  it('a full buffer drops what does not fit and says so (transmit overrun) in the next packet', () => {
    const t = setup({ bufferBytes: 10, sendThreshold: 200 })
    t.link.write(Buffer.alloc(15, 0x41), 0)
    assert.equal(t.link.stats.overrunBytes, 5)
    t.link.tick(60)
    assert.equal(t.sent[0]!.data.length, 10)
    assert.equal(t.sent[0]!.flags & SolStatus.TransmitOverrun, SolStatus.TransmitOverrun)
  })

  it('power off: a status packet says "character transfer unavailable"; a break the system sends is reported', () => {
    const t = setup()
    t.setPower(false)
    t.link.tick(0)
    assert.equal(t.sent.length, 1)
    assert.equal(t.sent[0]!.flags, SolStatus.TransferUnavailable)
    assert.equal(t.sent[0]!.data.length, 0)
    t.console({ ackSeq: 1 }, 1)
    t.setPower(true)
    t.link.reportBreak(2)
    assert.equal(t.sent[1]!.flags, SolStatus.BreakDetected)
  })

  it('sendDeactivated: one packet with the "SOL deactivated" bit, queue dropped', () => {
    const t = setup()
    t.link.write(bytes('pending'), 0)
    t.link.sendDeactivated()
    assert.equal(t.sent.length, 1)
    assert.equal(t.sent[0]!.flags, SolStatus.Deactivated)
    assert.equal(t.link.pending, 0)
  })
})

describe('SolLink input (console to BMC)', () => {
  it('delivers data once and ACKs it with an ACK-only packet carrying the accepted count', () => {
    const t = setup()
    t.console({ seq: 3, data: bytes('ls\r') }, 0)
    assert.deepEqual(t.input.map(String), ['ls\r'])
    assert.deepEqual(t.sent, [{ seq: 0, ackSeq: 3, acceptedCount: 3, flags: 0, data: Buffer.alloc(0) }])
  })

  it('a retransmit (same seq) is ACKed again but not delivered again; extra bytes on it are delivered', () => {
    const t = setup()
    t.console({ seq: 3, data: bytes('ab') }, 0)
    t.console({ seq: 3, data: bytes('ab') }, 1)
    t.console({ seq: 3, data: bytes('abcd') }, 2)
    assert.deepEqual(t.input.map(String), ['ab', 'cd'])
    assert.deepEqual(t.sent.map((p) => [p.ackSeq, p.acceptedCount]), [[3, 2], [3, 2], [3, 4]])
    assert.equal(t.link.stats.duplicatesReceived, 2)
    t.console({ seq: 4, data: bytes('ab') }, 3)
    assert.equal(t.input.length, 3, 'a new seq is new data')
  })

  it('BREAK and flush-outbound act once per packet, not again on its retransmit', () => {
    const t = setup({ sendThreshold: 200 })
    t.link.write(bytes('queued output'), 0)
    t.console({ seq: 1, flags: SolOperation.Break | SolOperation.FlushOutbound }, 1)
    t.console({ seq: 1, flags: SolOperation.Break | SolOperation.FlushOutbound }, 2)
    assert.equal(t.breaks, 1)
    assert.equal(t.link.stats.breaks, 1)
    assert.equal(t.link.pending, 0)
    assert.deepEqual(t.sent.map((p) => [p.ackSeq, p.acceptedCount]), [[1, 0], [1, 0]])
  })

  it('while the system is off, data is refused: accepted 0, NACK + transfer unavailable; a retransmit after power on gets through', () => {
    const t = setup()
    t.setPower(false)
    t.console({ seq: 5, data: bytes('hi') }, 0)
    assert.equal(t.input.length, 0)
    assert.deepEqual(t.sent.map((p) => [p.ackSeq, p.acceptedCount, p.flags]), [[5, 0, SolStatus.Nack | SolStatus.TransferUnavailable]])
    t.setPower(true)
    t.console({ seq: 5, data: bytes('hi') }, 1)
    assert.deepEqual(t.input.map(String), ['hi'])
    assert.deepEqual([t.sent[1]!.ackSeq, t.sent[1]!.acceptedCount, t.sent[1]!.flags], [5, 2, 0])
  })

  it('an ACK for a seq not in flight is ignored and counted', () => {
    const t = setup({ sendThreshold: 1 })
    t.link.write(bytes('a'), 0)
    t.console({ ackSeq: 9, acceptedCount: 1 }, 1)
    assert.ok(t.link.awaitingAck)
    assert.equal(t.link.stats.staleAcks, 1)
  })
})

// SolEngine stepped by hand with a ManualClock: ACK/NACK, partial accepts,
// BMC retransmits with appended data, retransmit limits, BREAK, control
// bits, coalescing and back-pressure (IPMI v2.0 §15.9; reference §4.4).
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { ManualClock } from '../../../src/session/clock.js'
import { decodeSolPacket, encodeSolPacket, SolOperation, SolStatus, type SolPacket } from '../../../src/ipmi/sol-packet.js'
import { clampPayloadSize, SolEngine, type SolEngineFailure, type SolEngineTuning, type SolRemoteStatus } from '../../../src/sol/engine.js'

function harness(maxData = 28, tuning: Partial<SolEngineTuning> = {}) {
  const clock = new ManualClock()
  const sent: SolPacket[] = []
  const delivered: Buffer[] = []
  const statuses: { s: SolRemoteStatus; ev: string | undefined }[] = []
  const failures: SolEngineFailure[] = []
  const learned: string[] = []
  let drains = 0
  const engine = new SolEngine(clock, maxData, {
    send: (p) => sent.push(decodeSolPacket(p)),
    deliver: (d) => delivered.push(d),
    status: (s, ev) => statuses.push({ s, ev }),
    drain: () => drains++,
    failed: (f) => failures.push(f),
    learned: (name) => learned.push(name),
  }, { primeSequence: false, ...tuning })
  engine.start()
  const bmc = (p: Partial<SolPacket>): void =>
    engine.receive(encodeSolPacket({ seq: 0, ackSeq: 0, acceptedCount: 0, flags: 0, data: Buffer.alloc(0), ...p }))
  return {
    clock, engine, sent, delivered, statuses, failures, learned, bmc,
    get drains() {
      return drains
    },
    text: () => Buffer.concat(delivered).toString(),
    take: () => sent.splice(0, sent.length),
  }
}

describe('SolEngine receive path', () => {
  test('delivers BMC data and ACKs it with the accepted count', () => {
    const h = harness()
    h.bmc({ seq: 1, data: Buffer.from('login: ') })
    assert.equal(h.text(), 'login: ')
    assert.deepEqual(h.take(), [{ seq: 0, ackSeq: 1, acceptedCount: 7, flags: 0, data: Buffer.alloc(0) }])
  })

  test('a BMC retransmit with appended bytes delivers only the new bytes and ACKs the full length', () => {
    const h = harness()
    h.bmc({ seq: 4, data: Buffer.from('abc') })
    h.bmc({ seq: 4, data: Buffer.from('abcdef') })
    h.bmc({ seq: 4, data: Buffer.from('abcdef') }) // exact duplicate: nothing new
    assert.equal(h.text(), 'abcdef')
    // A packet sent again means our ACK was lost: that one is ACKed twice (redundantAcks).
    assert.deepEqual(h.take().map((p) => [p.ackSeq, p.acceptedCount]), [[4, 3], [4, 6], [4, 6], [4, 6], [4, 6]])
    assert.equal(h.engine.stats.duplicateBytes, 9)
  })

  test('a late copy of an earlier packet is dropped, not delivered twice', () => {
    const h = harness()
    h.bmc({ seq: 1, data: Buffer.from('one ') })
    h.bmc({ seq: 2, data: Buffer.from('two ') })
    h.bmc({ seq: 1, data: Buffer.from('one ') })
    h.bmc({ seq: 3, data: Buffer.from('three') })
    assert.equal(h.text(), 'one two three')
    assert.equal(h.engine.stats.stalePackets, 1)
  })

  test('sequence numbers that wrap 15 -> 1 and skip (BMC gave up a packet) are new data', () => {
    const h = harness()
    let expect = ''
    for (let i = 0; i < 40; i++) {
      const seq = (i % 15) + 1
      h.bmc({ seq, data: Buffer.from(`${i},`) })
      expect += `${i},`
    }
    h.bmc({ seq: 8, data: Buffer.from('skip') }) // 40 % 15 + 1 = 11 expected; 8 is 3 behind: stale
    h.bmc({ seq: 13, data: Buffer.from('gap') }) // 2 ahead: new
    assert.equal(h.text(), `${expect}gap`)
  })

  test('status bits: transfer unavailable and break detected are reported; deactivated stops the engine', () => {
    const h = harness()
    h.bmc({ seq: 0, ackSeq: 0, flags: SolStatus.TransferUnavailable })
    h.bmc({ seq: 1, flags: SolStatus.TransferUnavailable | SolStatus.BreakDetected, data: Buffer.from('x') })
    assert.deepEqual(h.statuses.map((s) => [s.s.transferUnavailable, s.ev]), [[true, undefined], [true, 'break_detected']])
    h.bmc({ flags: SolStatus.Deactivated })
    assert.deepEqual(h.failures.map((f) => f.reason), ['sol_deactivated'])
    assert.equal(h.engine.active, false)
    h.bmc({ seq: 2, data: Buffer.from('late') })
    assert.equal(h.text(), 'x')
  })

  test('malformed payloads are counted and dropped', () => {
    const h = harness()
    h.engine.receive(Buffer.from([1, 0]))
    assert.equal(h.engine.stats.malformed, 1)
    assert.equal(h.sent.length, 0)
  })
})

describe('SolEngine send path', () => {
  test('first write goes out at once; later writes coalesce while it is in flight', () => {
    const h = harness(28)
    assert.equal(h.engine.write(Buffer.from('l')), true)
    h.engine.write(Buffer.from('s'))
    h.engine.write(Buffer.from(' -l\r'))
    assert.deepEqual(h.take().map((p) => [p.seq, p.data.toString()]), [[1, 'l']])
    h.bmc({ ackSeq: 1, acceptedCount: 1 })
    assert.deepEqual(h.take().map((p) => [p.seq, p.data.toString()]), [[2, 's -l\r']])
    h.bmc({ ackSeq: 2, acceptedCount: 5 })
    assert.equal(h.engine.idle, true)
  })

  test('packets never exceed the clamped inbound size', () => {
    const h = harness(28)
    h.engine.write(Buffer.alloc(100, 0x61))
    const sizes: number[] = []
    for (let i = 0; i < 10 && !h.engine.idle; i++) {
      const [p] = h.take()
      assert.ok(p)
      sizes.push(p.data.length)
      h.bmc({ ackSeq: p.seq, acceptedCount: p.data.length })
    }
    assert.deepEqual(sizes, [28, 28, 28, 16])
  })

  test('a partial ACK resends only the unaccepted tail, as a new packet', () => {
    const h = harness(28)
    h.engine.write(Buffer.from('0123456789'))
    h.take()
    h.bmc({ ackSeq: 1, acceptedCount: 4 })
    assert.deepEqual(h.take().map((p) => [p.seq, p.data.toString()]), [[2, '456789']])
    assert.equal(h.engine.stats.partialAcks, 1)
  })

  test('a NACK pauses sending until an ACK without NACK; a lost "ready" is covered by a probe', () => {
    const h = harness(28, { nackProbeMs: 1000 })
    h.engine.write(Buffer.from('abcdefgh'))
    h.take()
    h.bmc({ ackSeq: 1, acceptedCount: 3, flags: SolStatus.Nack })
    h.engine.write(Buffer.from('ij'))
    assert.equal(h.sent.length, 0, 'paused by NACK')
    assert.equal(h.statuses.at(-1)?.s.paused, true)
    h.bmc({ ackSeq: 1, acceptedCount: 3 }) // "ready": unsolicited ACK without NACK
    assert.deepEqual(h.take().map((p) => p.data.toString()), ['defghij'])
    h.bmc({ ackSeq: 2, acceptedCount: 0, flags: SolStatus.Nack })
    h.clock.advance(999)
    assert.equal(h.sent.length, 0)
    h.clock.advance(1)
    assert.deepEqual(h.take().map((p) => [p.seq, p.data.toString()]), [[3, 'defghij']])
  })

  test('an unanswered packet is resent with the same seq, then the BMC counts as gone', () => {
    const h = harness(28, { retransmitMs: 500, maxRetransmitMs: 2000, ackTimeoutMs: 9000, retries: 20, reseqLastTry: false })
    h.engine.write(Buffer.from('x'))
    const times: number[] = []
    for (let t = 0; t < 12_000 && h.failures.length === 0; t += 100) {
      for (const p of h.take()) {
        assert.equal(p.seq, 1)
        times.push(h.clock.now())
      }
      h.clock.advance(100)
    }
    assert.deepEqual(times, [0, 500, 1500, 3000, 5000, 7000])
    assert.equal(h.failures[0]?.reason, 'unreachable')
    assert.equal(h.clock.now(), 9000)
    assert.equal(h.clock.pending, 0, 'no timers left behind')
  })

  test('QUIRK(solpacketseq): only the last try before giving up goes under a new seq, once, and is reported', () => {
    const h = harness(28, { retransmitMs: 500, maxRetransmitMs: 2000, ackTimeoutMs: 9000, retries: 20 })
    h.engine.write(Buffer.from('x'))
    const sends: [number, number][] = []
    for (let t = 0; t < 12_000 && h.failures.length === 0; t += 100) {
      for (const p of h.take()) sends.push([h.clock.now(), p.seq])
      h.clock.advance(100)
    }
    assert.deepEqual(sends, [[0, 1], [500, 1], [1500, 1], [3000, 1], [5000, 1], [7000, 2]])
    assert.equal(h.engine.stats.reseqs, 1)
    assert.deepEqual(h.learned, ['solpacketseq'])
    assert.equal(h.failures[0]?.reason, 'unreachable', 'a BMC that takes neither number is still gone at 9 s')
  })

  test('QUIRK(solpacketseq): a BMC stuck on seq 1 ACKs the last try under seq 2 and the data path goes on', () => {
    const h = harness(28, { retransmitMs: 500, maxRetransmitMs: 2000, ackTimeoutMs: 9000, retries: 20 })
    h.engine.write(Buffer.from('x'))
    for (let t = 0; t < 8000; t += 100) {
      // Stuck: seq 1 is never ACKed, however often it comes.
      for (const p of h.take()) if (p.seq === 2) h.bmc({ ackSeq: 2, acceptedCount: 1 })
      h.clock.advance(100)
    }
    assert.equal(h.failures.length, 0)
    assert.equal(h.engine.idle, true)
    h.engine.write(Buffer.from('y'))
    assert.deepEqual(h.take().map((p) => [p.seq, p.data.toString()]), [[3, 'y']])
  })

  test('retries bound the retransmits too; freshSeqOnRetransmit gives each resend a new seq', () => {
    const h = harness(28, { retransmitMs: 100, retries: 2, freshSeqOnRetransmit: true })
    h.engine.write(Buffer.from('x'))
    h.clock.advance(10_000)
    assert.deepEqual(h.take().map((p) => p.seq), [1, 2, 3])
    assert.equal(h.failures.length, 1)
  })

  test('an ACK for another seq does not complete the packet in flight', () => {
    const h = harness()
    h.engine.write(Buffer.from('abc'))
    h.take()
    h.bmc({ ackSeq: 9, acceptedCount: 3 })
    assert.equal(h.engine.idle, false)
    h.bmc({ ackSeq: 1, acceptedCount: 3 })
    assert.equal(h.engine.idle, true)
  })

  test('BREAK keeps its place in the stream and travels in a data-less packet', () => {
    const h = harness()
    h.engine.write(Buffer.from('a'))
    h.engine.write(Buffer.from('b'))
    h.engine.sendBreak()
    h.engine.write(Buffer.from('c'))
    const order: string[] = []
    for (let i = 0; i < 5 && !h.engine.idle; i++) {
      const [p] = h.take()
      assert.ok(p)
      order.push(p.flags & SolOperation.Break ? 'BREAK' : p.data.toString())
      h.bmc({ ackSeq: p.seq, acceptedCount: p.data.length })
    }
    assert.deepEqual(order, ['a', 'b', 'BREAK', 'c'])
  })

  test('CTS/DCD control bits ride in every packet, ACKs included', () => {
    const h = harness()
    h.engine.setControl({ deassertCts: true })
    const [ctl] = h.take()
    assert.equal(ctl?.flags, SolOperation.DeassertCts)
    h.bmc({ ackSeq: ctl!.seq, seq: 5, data: Buffer.from('hi') })
    h.engine.setControl({ deassertDcdDsr: true })
    h.engine.write(Buffer.from('z'))
    const rest = h.take()
    assert.equal(rest[0]?.flags, SolOperation.DeassertCts, 'ACK of seq 5')
    assert.equal(rest[1]?.flags, SolOperation.DeassertCts | SolOperation.DeassertDcdDsr)
    h.engine.setControl({ deassertCts: true }) // no change: no packet
    assert.equal(h.sent.length, 0)
  })
})

describe('SolEngine back-pressure', () => {
  test('write() says false past the high-water mark, drain comes at half, overflow throws', () => {
    const h = harness(28, { highWaterMark: 100, maxBufferedBytes: 200 })
    assert.equal(h.engine.write(Buffer.alloc(90)), true)
    assert.equal(h.engine.write(Buffer.alloc(40)), false)
    assert.throws(() => h.engine.write(Buffer.alloc(120)), RangeError)
    let drainsAt = -1
    for (let i = 0; i < 10 && !h.engine.idle; i++) {
      const [p] = h.take()
      h.bmc({ ackSeq: p!.seq, acceptedCount: p!.data.length })
      if (h.drains === 1 && drainsAt < 0) drainsAt = h.engine.bufferedBytes
    }
    assert.equal(h.drains, 1)
    assert.ok(drainsAt <= 50 && drainsAt >= 0, `drained at ${drainsAt}`)
  })

  test('stop() clears every timer and ignores later input', () => {
    const h = harness(28, { coalesceMs: 5 })
    h.engine.write(Buffer.from('abc'))
    h.engine.stop()
    assert.equal(h.clock.pending, 0)
    assert.throws(() => h.engine.write(Buffer.from('x')), RangeError)
    h.bmc({ seq: 1, data: Buffer.from('x') })
    assert.equal(h.delivered.length, 0)
  })

  test('coalesceMs gathers writes made within the window into one packet', () => {
    const h = harness(28, { coalesceMs: 5 })
    h.engine.write(Buffer.from('a'))
    h.engine.write(Buffer.from('b'))
    assert.equal(h.sent.length, 0)
    h.clock.advance(5)
    assert.deepEqual(h.take().map((p) => p.data.toString()), ['ab'])
  })
})

test('start() primes the sequence with one data-less packet before any data (QUIRK ipmi_sim)', () => {
  const h = harness(28, { primeSequence: true })
  // harness() already called start(); a fresh engine shows the order.
  const clock = new ManualClock()
  const sent: SolPacket[] = []
  const e = new SolEngine(clock, 28, { send: (p) => sent.push(decodeSolPacket(p)), deliver: () => undefined, status: () => undefined, drain: () => undefined, failed: () => undefined })
  e.write(Buffer.from('x'))
  assert.equal(sent.length, 0, 'nothing before start()')
  e.start()
  assert.deepEqual(sent.map((p) => [p.seq, p.data.length]), [[1, 0]])
  e.receive(encodeSolPacket({ seq: 0, ackSeq: 1, acceptedCount: 0, flags: 0, data: Buffer.alloc(0) }))
  assert.deepEqual(sent.map((p) => [p.seq, p.data.toString()]), [[1, ''], [2, 'x']])
  assert.deepEqual(h.take().map((p) => [p.seq, p.data.length]), [[1, 0]])
})

test('clampPayloadSize: header off, 255 cap, fallback for nonsense', () => {
  assert.equal(clampPayloadSize(32), 28)
  assert.equal(clampPayloadSize(0x4000), 255)
  assert.equal(clampPayloadSize(259), 255)
  assert.equal(clampPayloadSize(0), 32)
  assert.equal(clampPayloadSize(4), 32)
})

describe('SolEngine flow control towards the BMC (admit)', () => {
  function gated(tuning: Partial<SolEngineTuning> = {}) {
    let open = false
    const clock = new ManualClock()
    const sent: SolPacket[] = []
    const delivered: Buffer[] = []
    const engine = new SolEngine(clock, 28, {
      send: (p) => sent.push(decodeSolPacket(p)),
      deliver: (d) => delivered.push(d),
      status: () => undefined,
      drain: () => undefined,
      failed: () => undefined,
      admit: () => open,
    }, { primeSequence: false, ...tuning })
    engine.start()
    const bmc = (seq: number, text: string): void =>
      engine.receive(encodeSolPacket({ seq, ackSeq: 0, acceptedCount: 0, flags: 0, data: Buffer.from(text) }))
    return {
      clock, engine, sent, bmc,
      text: () => Buffer.concat(delivered).toString(),
      set open(v: boolean) {
        open = v
      },
    }
  }

  test('without credit a new packet is neither delivered nor ACKed; its next copy is taken once credit is back', () => {
    const h = gated()
    h.bmc(1, 'held ')
    h.clock.advance(500)
    h.bmc(1, 'held ') // the BMC's retransmit
    assert.equal(h.text(), '')
    assert.equal(h.sent.length, 0, 'no ACK: the BMC keeps the bytes')
    assert.equal(h.engine.stats.withheld, 2)
    h.open = true
    h.clock.advance(500)
    h.bmc(1, 'held ')
    h.bmc(2, 'next')
    assert.equal(h.text(), 'held next', 'in order, once each')
    assert.deepEqual(h.sent.map((p) => [p.ackSeq, p.acceptedCount]), [[1, 5], [2, 4]])
  })

  test('a packet held for maxHoldMs is taken anyway, so a BMC never gives it up', () => {
    const h = gated({ maxHoldMs: 1200 })
    h.bmc(3, 'a')
    h.clock.advance(1000)
    h.bmc(3, 'a')
    assert.equal(h.text(), '')
    h.clock.advance(500)
    h.bmc(3, 'a')
    assert.equal(h.text(), 'a')
    assert.equal(h.engine.stats.heldTooLong, 1)
    assert.deepEqual(h.sent.map((p) => p.ackSeq), [3])
    // The next packet starts its own hold.
    h.bmc(4, 'b')
    assert.equal(h.text(), 'a')
  })

  test('a retransmit of a packet already taken is ACKed again and not withheld (its bytes were delivered)', () => {
    const h = gated()
    h.open = true
    h.bmc(5, 'x')
    h.open = false
    h.bmc(5, 'x') // our ACK was lost
    assert.equal(h.text(), 'x')
    assert.equal(h.engine.stats.withheld, 0)
    assert.ok(h.sent.filter((p) => p.ackSeq === 5).length >= 2)
  })
})

describe('SolEngine retransmit deadline under starvation', () => {
  /** A clock whose timers run late: run(at) moves time to `at` and only then runs what was due before it. */
  function lateClock() {
    let t = 0
    let seq = 0
    const timers = new Map<number, { at: number; fn: () => void }>()
    return {
      now: () => t,
      setTimeout: (fn: () => void, ms: number) => {
        timers.set(++seq, { at: t + ms, fn })
        return { id: seq }
      },
      clearTimeout: (h: { id: unknown }) => void timers.delete(h.id as number),
      run(at: number) {
        t = at
        for (const [id, e] of [...timers]) if (e.at <= at) {
          timers.delete(id)
          e.fn()
        }
      },
    }
  }

  function engineOn(clock: ReturnType<typeof lateClock>) {
    const failures: SolEngineFailure[] = []
    const engine = new SolEngine(clock, 28, {
      send: () => undefined, deliver: () => undefined, status: () => undefined, drain: () => undefined,
      failed: (f) => failures.push(f),
    }, { primeSequence: false, retransmitMs: 500, maxRetransmitMs: 500, retries: 100, ackTimeoutMs: 3000 })
    engine.start()
    engine.write(Buffer.from('ls\r'))
    return { engine, failures }
  }

  test('time the thread was starved (timers firing late) does not count as the BMC not acknowledging', () => {
    const clock = lateClock()
    const { engine, failures } = engineOn(clock)
    // Each retransmit timer (due 500 ms after the last send) runs 1 s late: 6 s of wall time, 4 s of it starved.
    for (let i = 1; i <= 4; i++) clock.run(i * 1500)
    assert.deepEqual(failures, [], 'not unreachable: only 2 s of the 3 s budget were the BMC\'s')
    assert.equal(engine.stats.retransmits, 4)
  })

  test('a BMC silent while the thread runs on time is still unreachable within the budget', () => {
    const clock = lateClock()
    const { failures } = engineOn(clock)
    for (let i = 1; i <= 7; i++) clock.run(i * 500)
    assert.equal(failures[0]?.reason, 'unreachable')
  })
})

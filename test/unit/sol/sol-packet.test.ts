// SOL payload codec (IPMI v2.0 §15.9, Table 15-2): vectors from an
// ipmi_sim 2.0.33 session, round trips, field checks and truncation.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import {
  decodeSolPacket, encodeSolAck, encodeSolPacket, SOL_MAX_DATA, SolOperation, SolStatus,
} from '../../../src/ipmi/sol-packet.js'
import { IpmiDecodeError } from '../../../src/ipmi/errors.js'

const hex = (s: string): Buffer => Buffer.from(s.replace(/[\s|]/g, ''), 'hex')

const vectors = [
  {
    name: 'BMC data packet, seq 1, no ACK',
    hex: '01 00 00 00 | 68656c6c6f0d0a',
    value: { seq: 1, ackSeq: 0, acceptedCount: 0, flags: 0, data: Buffer.from('hello\r\n') },
    source: 'ipmi_sim 2.0.33 capture (decrypted)',
  },
  {
    name: 'BMC ACK of seq 1, 32 accepted, NACK (inbound buffer full)',
    hex: '00 01 20 40',
    value: { seq: 0, ackSeq: 1, acceptedCount: 32, flags: SolStatus.Nack, data: Buffer.alloc(0) },
    source: 'ipmi_sim 2.0.33 capture (decrypted)',
  },
  {
    name: 'console BREAK packet, seq 2',
    hex: '02 00 00 10',
    value: { seq: 2, ackSeq: 0, acceptedCount: 0, flags: SolOperation.Break, data: Buffer.alloc(0) },
    source: 'spec layout',
  },
  {
    name: 'console data with piggybacked ACK and CTS deasserted',
    hex: '0f 03 05 08 | 41',
    value: { seq: 15, ackSeq: 3, acceptedCount: 5, flags: SolOperation.DeassertCts, data: Buffer.from('A') },
    source: 'spec layout',
  },
]

describe('SOL packet codec', () => {
  for (const v of vectors) {
    test(`${v.name} (${v.source})`, () => {
      assert.deepEqual(decodeSolPacket(hex(v.hex)), v.value)
      assert.deepEqual(encodeSolPacket(v.value), hex(v.hex))
    })
  }

  test('every prefix shorter than the 4-byte header is a decode error, never a crash', () => {
    const full = hex('01 00 00 00 41')
    for (let n = 0; n < 4; n++) assert.throws(() => decodeSolPacket(full.subarray(0, n)), IpmiDecodeError)
  })

  test('reserved upper nibbles of seq and ack are ignored', () => {
    const p = decodeSolPacket(hex('f3 e2 01 00'))
    assert.equal(p.seq, 3)
    assert.equal(p.ackSeq, 2)
  })

  test('encoder refuses out-of-range fields', () => {
    const ok = { seq: 1, ackSeq: 0, acceptedCount: 0, flags: 0, data: Buffer.alloc(0) }
    assert.throws(() => encodeSolPacket({ ...ok, seq: 16 }), RangeError)
    assert.throws(() => encodeSolPacket({ ...ok, ackSeq: -1 }), RangeError)
    assert.throws(() => encodeSolPacket({ ...ok, acceptedCount: 256 }), RangeError)
    assert.throws(() => encodeSolPacket({ ...ok, data: Buffer.alloc(SOL_MAX_DATA + 1) }), RangeError)
    assert.throws(() => encodeSolPacket({ ...ok, seq: 0, data: Buffer.from('x') }), RangeError)
    assert.equal(encodeSolPacket({ ...ok, data: Buffer.alloc(SOL_MAX_DATA) }).length, 4 + SOL_MAX_DATA)
  })

  test('a BMC packet larger than 255 data bytes still decodes', () => {
    const p = decodeSolPacket(Buffer.concat([hex('01 00 00 00'), Buffer.alloc(300, 0x41)]))
    assert.equal(p.data.length, 300)
  })

  test('ACK-only packets and status bits', () => {
    assert.deepEqual(encodeSolAck(7, 28, SolOperation.DeassertDcdDsr), hex('00 07 1c 04'))
    // Written directly (one per received packet): the same bytes and the same refusals as the general encoder.
    for (const [ackSeq, count, flags] of [[1, 0, 0], [15, 255, 0x0c], [9, 4, 0x1ff]] as const) {
      assert.deepEqual(encodeSolAck(ackSeq, count, flags), encodeSolPacket({ seq: 0, ackSeq, acceptedCount: count, flags, data: Buffer.alloc(0) }))
    }
    assert.throws(() => encodeSolAck(16, 0), RangeError)
    assert.throws(() => encodeSolAck(1, 256), RangeError)
  })
})

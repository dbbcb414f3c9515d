// Property tests: random, mutated and truncated SDR, FRU and SEL bytes give
// a value or IPMI_DECODE_ERROR, never a TypeError, RangeError or crash, and
// what decodes is plain JSON (it is served as-is by the API).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { decodeSdrRecord, type SdrRecord } from '../../../src/ipmi/sdr-records.js'
import { decodeBoardArea, decodeChassisArea, decodeFruInventory, decodeMultiRecords, decodeProductArea } from '../../../src/ipmi/fru-format.js'
import { decodeSelRecord, describeSelRecord } from '../../../src/ipmi/sel-record.js'
import { decodeTypedText } from '../../../src/ipmi/type-length.js'
import { bytes, isDecodeError } from './commands/vectors.js'
import { LAB_FRU0, LAB_FRU1, LAB_SDR, LAB_SEL } from './lab-records.js'

/** Runs f; a decode error is fine, anything else fails the property. Returns the value or undefined. */
function decodeOrTypedError<T>(f: () => T): T | undefined {
  try {
    return f()
  } catch (e) {
    if (!isDecodeError(e)) throw e
    return undefined
  }
}

function jsonRoundTrips(v: unknown): void {
  assert.deepEqual(JSON.parse(JSON.stringify(v)), v)
}

const labSdr = Object.values(LAB_SDR).map((h) => bytes(h))
const labSdrRecords: SdrRecord[] = labSdr.map((b) => decodeSdrRecord(b))

/** A lab record with some bytes overwritten and possibly cut. */
const mutated = (sources: Buffer[]) =>
  fc
    .tuple(fc.constantFrom(...sources), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }), fc.option(fc.nat()))
    .map(([src, edits, cut]) => {
      const b = Buffer.from(src)
      for (const [at, v] of edits) b[at % b.length] = v
      return cut === null ? b : b.subarray(0, cut % (b.length + 1))
    })

test('SDR: arbitrary bytes', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), (a) => {
    const r = decodeOrTypedError(() => decodeSdrRecord(a))
    if (r !== undefined) jsonRoundTrips(r)
  }), { numRuns: 2000 })
})

test('SDR: well-formed headers of every interesting type with random bodies', () => {
  const rec = fc
    .tuple(fc.constantFrom(0x01, 0x02, 0x03, 0x08, 0x11, 0x12, 0xc0), fc.uint8Array({ maxLength: 70 }), fc.boolean())
    .map(([type, body, honest]) => Buffer.concat([Buffer.from([1, 0, 0x51, type, honest ? body.length : (body.length * 7) & 0xff]), body]))
  fc.assert(fc.property(rec, (b) => {
    const r = decodeOrTypedError(() => decodeSdrRecord(b))
    if (r !== undefined) jsonRoundTrips(r)
  }), { numRuns: 3000 })
})

test('SDR: mutated and truncated lab records', () => {
  fc.assert(fc.property(mutated(labSdr), (b) => {
    decodeOrTypedError(() => decodeSdrRecord(b))
  }), { numRuns: 3000 })
})

test('FRU: arbitrary images, and each area decoder on arbitrary bytes', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (a) => {
    const inv = decodeOrTypedError(() => decodeFruInventory(a))
    if (inv !== undefined) jsonRoundTrips(inv)
    for (const f of [decodeChassisArea, decodeBoardArea, decodeProductArea, decodeMultiRecords]) decodeOrTypedError(() => f(a))
  }), { numRuns: 2000 })
})

test('FRU: mutated and truncated lab images never crash; a header that decodes gives an inventory', () => {
  fc.assert(fc.property(mutated([bytes(LAB_FRU0), bytes(LAB_FRU1)]), (b) => {
    const inv = decodeOrTypedError(() => decodeFruInventory(b))
    if (inv !== undefined) jsonRoundTrips(inv)
  }), { numRuns: 3000 })
})

test('FRU: every truncation of the lab images decodes the header or fails typed', () => {
  for (const img of [bytes(LAB_FRU0), bytes(LAB_FRU1)]) {
    for (let n = 0; n <= img.length; n++) {
      const inv = decodeOrTypedError(() => decodeFruInventory(img.subarray(0, n)))
      assert.equal(inv === undefined, n < 8, `cut at ${n}`)
    }
  }
})

test('SEL: arbitrary records described with and without the SDR', () => {
  fc.assert(fc.property(fc.uint8Array({ minLength: 0, maxLength: 24 }), (a) => {
    const rec = decodeOrTypedError(() => decodeSelRecord(a))
    if (rec === undefined) {
      assert.ok(a.length < 16)
      return
    }
    jsonRoundTrips(describeSelRecord(rec))
    jsonRoundTrips(describeSelRecord(rec, labSdrRecords))
  }), { numRuns: 3000 })
})

test('SEL: lab records with random event bytes against the lab SDR', () => {
  fc.assert(fc.property(mutated(LAB_SEL.map((h) => bytes(h))), (b) => {
    const rec = decodeOrTypedError(() => decodeSelRecord(b))
    if (rec !== undefined) assert.equal(typeof describeSelRecord(rec, labSdrRecords).text, 'string')
  }), { numRuns: 3000 })
})

test('type/length text: any type, any bytes', () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 3 }), fc.uint8Array({ maxLength: 64 }), fc.boolean(), (t, a, sdr) => {
    assert.equal(typeof decodeTypedText(t, a, sdr), 'string')
  }))
})

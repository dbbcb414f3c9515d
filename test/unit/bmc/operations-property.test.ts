// Property tests one level up: a BMC whose SDR, sensor, FRU and SEL answers
// are random, truncated or mutated bytes (and random completion codes) makes
// the operations resolve or reject with a typed IpmiError (a stable `code`),
// never a TypeError/RangeError, never an endless loop.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { readSdrRepository } from '../../../src/bmc/sdr.js'
import { readSensors } from '../../../src/bmc/sensors.js'
import { readFru } from '../../../src/bmc/fru.js'
import { listSel } from '../../../src/bmc/sel.js'
import { bytes } from '../ipmi/commands/vectors.js'
import { LAB_FRU0, LAB_SDR, LAB_SEL } from '../ipmi/lab-records.js'
import { FakeBmc, type RawAnswer } from './fake-bmc.js'

const TYPED = new Set(['IPMI_DECODE_ERROR', 'BMC_COMMAND_FAILED', 'BMC_PROTOCOL_ERROR', 'BMC_BUSY'])

async function typedOrValue(p: Promise<unknown>): Promise<void> {
  try {
    const v = await p
    JSON.stringify(v)
  } catch (e) {
    const code = (e as { code?: unknown }).code
    if (typeof code !== 'string' || !TYPED.has(code)) throw e
  }
}

/** An answer: random bytes, a cut or mutated copy of a real one, or a completion code. */
const answer = (real: Buffer[]) =>
  fc.oneof(
    fc.uint8Array({ maxLength: 40 }).map((a): RawAnswer => ({ cc: 0, data: Buffer.from(a) })),
    fc.tuple(fc.constantFrom(...real), fc.nat(), fc.nat(), fc.integer({ min: 0, max: 255 })).map(([r, cut, at, v]): RawAnswer => {
      const b = Buffer.from(r.subarray(0, cut % (r.length + 1)))
      if (b.length > 0) b[at % b.length] = v
      return { cc: 0, data: b }
    }),
    fc.constantFrom(0xc0, 0xc5, 0xc9, 0xca, 0xcb, 0xcc, 0xd5, 0xff).map((cc): RawAnswer => ({ cc })),
  )

const sdrAnswers = Object.values(LAB_SDR).map((h) => Buffer.concat([Buffer.from([0xff, 0xff]), bytes(h)]))
const selAnswers = LAB_SEL.map((h) => Buffer.concat([Buffer.from([0xff, 0xff]), bytes(h)]))
const fruAnswers = [Buffer.concat([Buffer.from([64]), bytes(LAB_FRU0).subarray(0, 64)]), Buffer.concat([Buffer.from([8]), bytes(LAB_FRU0).subarray(40, 48)])]

/** A fake BMC that answers command `cmd` from the script (then from the tables once the script runs out). */
function scripted(netFn: number, cmd: number, script: RawAnswer[]): FakeBmc {
  let i = 0
  return new FakeBmc({
    sdr: Object.values(LAB_SDR).map((h) => bytes(h)),
    sel: LAB_SEL.map((h) => bytes(h)),
    fru: new Map([[0, { data: Buffer.concat([bytes(LAB_FRU0), Buffer.alloc(100)]) }]]),
    sensors: new Map([[1, { cc: 0, data: bytes('2d c0 00 00') }]]),
    intercept: (n, c) => (n === netFn && c === cmd ? script[i++] : undefined),
  })
}

test('SDR walk and sensor list with random Get SDR answers', async () => {
  await fc.assert(fc.asyncProperty(fc.array(answer(sdrAnswers), { maxLength: 30 }), async (script) => {
    await typedOrValue(readSdrRepository(scripted(0x0a, 0x23, script)))
    await typedOrValue(readSensors(scripted(0x0a, 0x23, script)))
  }), { numRuns: 300 })
})

test('sensor list with random Get Sensor Reading answers resolves: bad readings are per-sensor', async () => {
  await fc.assert(fc.asyncProperty(fc.array(answer([bytes('2d c0 00 00'), bytes('00 c0 01 00')]), { maxLength: 12 }), async (script) => {
    const report = await readSensors(scripted(0x04, 0x2d, script))
    assert.equal(report.sensors.length, 7) // every Full and Compact record of LAB_SDR
  }), { numRuns: 300 })
})

test('FRU read with random Read FRU Data answers', async () => {
  await fc.assert(fc.asyncProperty(fc.array(answer(fruAnswers), { maxLength: 20 }), async (script) => {
    await typedOrValue(readFru(scripted(0x0a, 0x11, script), 0))
  }), { numRuns: 300 })
})

test('SEL list with random Get SEL Entry answers', async () => {
  await fc.assert(fc.asyncProperty(fc.array(answer(selAnswers), { maxLength: 20 }), async (script) => {
    await typedOrValue(listSel(scripted(0x0a, 0x43, script)))
  }), { numRuns: 300 })
})

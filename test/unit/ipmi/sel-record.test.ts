// SEL records (IPMI v2.0 §32, Table 32-1; event data Table 29-6) and their
// text: the lab's seeded entries must read exactly as `ipmitool sel list`
// and `sel elist` printed them (ipmitool 1.8.19 against ipmi_sim 2.0.33), plus
// the sensor-specific, generic, data-2 and OEM cases.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { decodeSdrRecord, type SdrRecord } from '../../../src/ipmi/sdr-records.js'
import { decodeSelRecord, describeSelRecord, selTime, type StandardSelRecord } from '../../../src/ipmi/sel-record.js'
import { assertedStates, eventStateText } from '../../../src/ipmi/sensor-events.js'
import { sensorTypeName } from '../../../src/ipmi/sensor-types.js'
import { bytes, isDecodeError } from './commands/vectors.js'
import { LAB_SDR, LAB_SEL } from './lab-records.js'

const sdr: SdrRecord[] = Object.values(LAB_SDR).map((h) => decodeSdrRecord(bytes(h)))

describe('lab SEL entries', () => {
  const entries = LAB_SEL.map((h) => describeSelRecord(decodeSelRecord(bytes(h))))
  test('`sel list` text (ipmitool pads "going low " with a blank we trim)', () => {
    assert.deepEqual(entries.map((e) => e.text), [
      'Temperature #0x01 | Upper Critical going high | Asserted',
      'Temperature #0x01 | Upper Critical going high | Deasserted',
      'Fan #0x02 | Lower Critical going low | Asserted',
      'Power Supply #0x04 | Failure detected | Asserted',
      'Physical Security #0x05 | General Chassis intrusion | Asserted',
    ])
    assert.deepEqual(entries.map((e) => e.id), [1, 2, 3, 4, 5])
  })
  test('pre-init timestamps ("Pre-Init |0000002323|")', () => {
    assert.deepEqual(entries[0]?.time, { raw: 2323, iso: null, preInit: true })
  })
  test('`sel elist` text with the SDR: names, readings and thresholds in units', () => {
    const withSdr = LAB_SEL.map((h) => describeSelRecord(decodeSelRecord(bytes(h)), sdr))
    assert.deepEqual(withSdr.map((e) => e.text), [
      'Temperature CPU Temp | Upper Critical going high | Asserted | Reading 96 > Threshold 95 degrees C',
      'Temperature CPU Temp | Upper Critical going high | Deasserted | Reading 84 < Threshold 95 degrees C',
      'Fan Fan1 | Lower Critical going low | Asserted | Reading 540 < Threshold 600 RPM',
      'Power Supply PSU1 Status | Failure detected | Asserted',
      'Physical Security Chassis Intru | General Chassis intrusion | Asserted',
    ])
    assert.equal(withSdr[2]?.reading, 540)
    assert.equal(withSdr[2]?.threshold, 600)
    assert.equal(withSdr[2]?.unit, 'RPM')
  })
})

test('decodeSelRecord: standard fields, and every truncation throws', () => {
  const b = bytes(LAB_SEL[1]!)
  assert.deepEqual(decodeSelRecord(b), {
    kind: 'standard', recordId: 2, recordType: 2, timestamp: 0x913, generatorId: 0x20, evmRevision: 4, sensorType: 1, sensorNumber: 1,
    deassertion: true, eventType: 1, eventData: [0x59, 0x54, 0x5f],
  } satisfies StandardSelRecord)
  for (let n = 0; n < 16; n++) assert.throws(() => decodeSelRecord(b.subarray(0, n)), isDecodeError)
})

test('timestamps: wall clock, pre-init boundary, unspecified', () => {
  assert.deepEqual(selTime(0x65000000), { raw: 0x65000000, iso: '2023-09-12T06:06:56.000Z', preInit: false })
  assert.equal(selTime(0x20000000).preInit, true)
  assert.equal(selTime(0x20000001).preInit, false)
  assert.deepEqual(selTime(0xffffffff), { raw: 0xffffffff, iso: null, preInit: false })
  const e = describeSelRecord(decodeSelRecord(bytes('10 00 02 00 00 00 65 20 00 04 12 00 6f 05 ff ff')))
  assert.equal(e.time?.iso, '2023-09-12T06:06:56.000Z')
  // System Event "Timestamp Clock Sync"; sensor number 0 prints no "#0x00".
  assert.equal(e.text, 'System Event | Timestamp Clock Sync | Asserted')
})

test('event data 2 extension codes (Table 29-6 b7:6) pick the specific text', () => {
  // System Firmware Progress (0Fh), offset 2 progress, data 2 = 13h "System boot initiated".
  const withCode = describeSelRecord(decodeSelRecord(bytes('20 00 02 00 00 00 65 01 00 04 0f 00 6f c2 13 ff')))
  assert.equal(withCode.event, 'System boot initiated')
  // The same without b7:6 set: the generic per-offset text.
  const without = describeSelRecord(decodeSelRecord(bytes('21 00 02 00 00 00 65 01 00 04 0f 00 6f 02 13 ff')))
  assert.equal(without.event, 'Unknown Progress')
  assert.equal(eventStateText(0x2b, 0x6f, 1, 0x09), 'Firmware or software change detected, BIOS/EFI change')
  assert.equal(eventStateText(0x08, 0x6f, 6, 0x03), 'Config Error: Power Supply Rating Mismatch')
  assert.equal(eventStateText(0x08, 0x6f, 6, 0x77), 'Config Error')
})

test('generic event types and OEM records', () => {
  // Generic redundancy (0Bh) on a power unit: "Redundancy Lost".
  const red = describeSelRecord(decodeSelRecord(bytes('30 00 02 00 00 00 65 20 00 04 09 0a 0b 01 ff ff')))
  assert.equal(red.text, 'Power Unit #0x0a | Redundancy Lost | Asserted')
  // OEM event/reading type 70h: no description.
  assert.equal(describeSelRecord(decodeSelRecord(bytes('31 00 02 00 00 00 65 20 00 04 c1 0a 70 01 ff ff'))).text, 'Unknown #0x0a |  | Asserted')
  const ts = describeSelRecord(decodeSelRecord(bytes('32 00 c1 00 00 00 65 4c 1c 00 01 02 03 04 05 06')))
  assert.equal(ts.text, 'OEM record c1 | 001c4c | 010203040506')
  assert.equal(ts.time?.iso, '2023-09-12T06:06:56.000Z')
  const nots = describeSelRecord(decodeSelRecord(bytes('33 00 e0 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d')))
  assert.equal(nots.text, 'OEM record e0 | 0102030405060708090a0b0c0d')
  assert.equal(nots.time, null)
})

test('sensor type names and asserted discrete states', () => {
  assert.equal(sensorTypeName(0x01), 'Temperature')
  assert.equal(sensorTypeName(0x2c), 'FRU State')
  assert.equal(sensorTypeName(0x2d), 'Unknown')
  assert.equal(sensorTypeName(0xc0), 'Unknown')
  assert.deepEqual(assertedStates(0x08, 0x6f, 0b1011), [
    { offset: 0, text: 'Presence detected' },
    { offset: 1, text: 'Failure detected' },
    { offset: 3, text: 'Power Supply AC lost' },
  ])
  assert.deepEqual(assertedStates(0x09, 0x0b, 0x01), [{ offset: 0, text: 'Fully Redundant' }])
  assert.deepEqual(assertedStates(0x22, 0x6f, 1 << 13), []) // 0Dh has no text (ipmitool's table skips it)
  assert.deepEqual(assertedStates(0x01, 0x00, 0xffff), [])
})

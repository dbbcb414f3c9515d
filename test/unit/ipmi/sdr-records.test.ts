// SDR record decoding (IPMI v2.0 §43): the lab BMC's records as ipmi_sim
// serves them (sdrcomp -r of test/lab/ipmi-sim/sensors.sdrs), every
// truncation, and the record kinds an operator sees.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { decodeSdrHeader, decodeSdrRecord, isSensorRecord, type FullSensorRecord } from '../../../src/ipmi/sdr-records.js'
import { bytes, isDecodeError } from './commands/vectors.js'
import { LAB_SDR } from './lab-records.js'

describe('lab records', () => {
  test('MC device locator', () => {
    assert.deepEqual(decodeSdrRecord(bytes(LAB_SDR.mcLocator!)), {
      kind: 'mc-locator', recordId: 1, deviceSlaveAddress: 0x20, channel: 0, staticController: false, globalInit: 0, deviceSupport: 0x9f,
      entity: { id: 6, instance: 1, logical: false }, oem: 0, name: 'Lab BMC',
    })
  })

  test('event-only record', () => {
    const r = decodeSdrRecord(bytes(LAB_SDR.watchdogEventOnly!))
    assert.equal(r.kind, 'event-only')
    assert.ok(r.kind === 'event-only')
    assert.equal(r.name, 'BMC Watchdog')
    assert.equal(r.sensorType, 0x23)
    assert.equal(r.eventReadingType, 0x6f)
    assert.deepEqual(r.key, { ownerId: 0x20, ownerLun: 0, channel: 0, sensorNumber: 0 })
  })

  test('full threshold record: CPU Temp', () => {
    const r = decodeSdrRecord(bytes(LAB_SDR.cpuTemp!)) as FullSensorRecord
    assert.equal(r.kind, 'full')
    assert.equal(r.name, 'CPU Temp')
    assert.deepEqual(r.key, { ownerId: 0x20, ownerLun: 0, channel: 0, sensorNumber: 1 })
    assert.deepEqual(r.entity, { id: 3, instance: 1, logical: false })
    assert.equal(r.sensorType, 1)
    assert.equal(r.eventReadingType, 1)
    assert.equal(r.readableThresholds, 0b111000) // unc, ucr, unr
    assert.equal(r.settableThresholds, 0b111000)
    assert.deepEqual(r.thresholds, { unr: 105, ucr: 95, unc: 85, lnr: 0, lcr: 0, lnc: 0 })
    assert.equal(r.nominalReading, 45)
    assert.equal(r.normalMaximum, undefined)
    assert.equal(r.sensorMaximum, 127)
    assert.deepEqual(r.units, { percentage: false, modifierRelation: 0, rate: 0, baseUnit: 1, modifierUnit: 0 })
    assert.deepEqual(r.factors, { m: 1, tolerance: 0, b: 0, accuracy: 1, accuracyExp: 0, rExp: 0, bExp: 0 })
    assert.equal(r.direction, 1)
    assert.deepEqual(r.capabilities, { ignoreIfEntityAbsent: false, autoRearm: true, hysteresisSupport: 0, thresholdAccess: 2, eventMessageControl: 0 })
  })

  test('full records with non-trivial factors', () => {
    const inlet = decodeSdrRecord(bytes(LAB_SDR.inletTemp!)) as FullSensorRecord
    assert.equal(inlet.analogFormat, 2)
    assert.deepEqual(inlet.factors, { m: 5, tolerance: 2, b: -25, accuracy: 0, accuracyExp: 0, rExp: -1, bExp: 1 })
    assert.equal(inlet.readableThresholds, 0)
    const cur = decodeSdrRecord(bytes(LAB_SDR.psuCurrent!)) as FullSensorRecord
    assert.deepEqual(cur.factors, { m: 300, tolerance: 0, b: -400, accuracy: 0, accuracyExp: 0, rExp: -3, bExp: 0 })
    assert.equal(cur.readableThresholds, 0b011000)
  })

  test('compact discrete record: no thresholds, no numeric format', () => {
    const r = decodeSdrRecord(bytes(LAB_SDR.psuStatus!))
    assert.ok(r.kind === 'compact')
    assert.equal(r.name, 'PSU1 Status')
    assert.equal(r.eventReadingType, 0x6f)
    assert.equal(r.analogFormat, 3)
    assert.equal(r.readingMask, 0x000b)
    assert.equal(r.readableThresholds, 0)
    assert.deepEqual(r.sharing, { count: 0, modifierType: 0, modifierOffset: 0, entityInstanceIncrements: false })
    assert.equal(isSensorRecord(r), true)
  })

  test('FRU device locator', () => {
    assert.deepEqual(decodeSdrRecord(bytes(LAB_SDR.riserFru!)), {
      kind: 'fru-locator', recordId: 14, deviceAccessAddress: 0x20, fruDeviceId: 1, logical: true, accessLun: 0, privateBusId: 0,
      channel: 0, deviceType: 0x10, deviceTypeModifier: 0, entity: { id: 7, instance: 2, logical: false }, oem: 0, name: 'Riser FRU',
    })
  })

  test('every truncated lab record throws IPMI_DECODE_ERROR; extra trailing bytes are ignored', () => {
    for (const [name, hex] of Object.entries(LAB_SDR)) {
      const b = bytes(hex)
      for (let n = 0; n < b.length; n++) assert.throws(() => decodeSdrRecord(b.subarray(0, n)), isDecodeError, `${name} cut at ${n}`)
      // ipmi_sim sends zeros after some records.
      assert.deepEqual(decodeSdrRecord(Buffer.concat([b, Buffer.alloc(6)])), decodeSdrRecord(b), name)
    }
  })
})

test('header and unknown record types', () => {
  assert.deepEqual(decodeSdrHeader(bytes('34 12 51 c0 03')), { recordId: 0x1234, sdrVersion: 0x51, recordType: 0xc0, length: 3 })
  assert.deepEqual(decodeSdrRecord(bytes('34 12 51 c0 03 aa bb cc')), { kind: 'other', recordId: 0x1234, recordType: 0xc0, body: 'aabbcc' })
})

test('ID strings: 6-bit ASCII and BCD plus names, a zero type/length byte, a string cut by the record end', () => {
  const full = bytes(LAB_SDR.cpuTemp!)
  const at = 47 // the ID string type/length byte (spec byte 48)
  const with6bit = Buffer.concat([full.subarray(0, at), bytes('83 29 dc a6')]) // "IPMI" in 3 bytes
  with6bit[4] = with6bit.length - 5
  assert.equal((decodeSdrRecord(with6bit) as FullSensorRecord).name, 'IPMI')
  const bcd = Buffer.concat([full.subarray(0, at), bytes('42 12 3b')])
  bcd[4] = bcd.length - 5
  assert.equal((decodeSdrRecord(bcd) as FullSensorRecord).name, '123-')
  const none = Buffer.concat([full.subarray(0, at), bytes('00')])
  none[4] = none.length - 5
  assert.equal((decodeSdrRecord(none) as FullSensorRecord).name, '')
  const cut = Buffer.concat([full.subarray(0, at), bytes('c8 41 42')]) // says 8 bytes, record has 2
  cut[4] = cut.length - 5
  assert.equal((decodeSdrRecord(cut) as FullSensorRecord).name, 'AB')
})

// SDR repository, sensor, SEL and FRU command codecs (IPMI v2.0 §31, §33,
// §34, §35). Responses are ipmi_sim 2.0.33 answers to `ipmitool raw` on the
// lab BMC (test/lab/ipmi-sim), requests are the spec layouts.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { GetSdrRepositoryInfo, SdrUpdateMode } from '../../../../src/ipmi/commands/get-sdr-repository-info.js'
import { ReserveSdrRepository } from '../../../../src/ipmi/commands/reserve-sdr-repository.js'
import { GetSdr } from '../../../../src/ipmi/commands/get-sdr.js'
import { GetSensorReading } from '../../../../src/ipmi/commands/get-sensor-reading.js'
import { GetSensorReadingFactors } from '../../../../src/ipmi/commands/get-sensor-reading-factors.js'
import { GetSelInfo } from '../../../../src/ipmi/commands/get-sel-info.js'
import { ReserveSel } from '../../../../src/ipmi/commands/reserve-sel.js'
import { GetSelEntry } from '../../../../src/ipmi/commands/get-sel-entry.js'
import { ClearSel, ClearSelAction } from '../../../../src/ipmi/commands/clear-sel.js'
import { GetFruInventoryAreaInfo } from '../../../../src/ipmi/commands/get-fru-inventory-area-info.js'
import { ReadFruData, fruDataBytes } from '../../../../src/ipmi/commands/read-fru-data.js'
import { bytes, describeCommand, isDecodeError } from './vectors.js'

const SIM = 'ipmi_sim 2.0.33 via ipmitool raw'
const SPEC = 'spec layout'

describeCommand({
  command: GetSdrRepositoryInfo,
  netFn: 0x0a,
  cmd: 0x20,
  minLength: 14,
  encode: [{ name: 'no data', req: undefined, hex: '', source: SPEC }],
  decode: [
    {
      // 14 records, "64 KB - 2" free, last add 0x913 s after init, reserve supported.
      name: 'lab repository',
      hex: '51 | 0e 00 | fe ff | 13 09 00 00 | 00 00 00 00 | 02',
      value: {
        sdrVersion: 0x51, recordCount: 14, freeSpaceBytes: 0xfffe, lastAdditionTimestamp: 0x913, lastEraseTimestamp: 0,
        overflow: false, updateMode: SdrUpdateMode.Unspecified, deleteSdrSupported: false, partialAddSupported: false,
        reserveSupported: true, getAllocationInfoSupported: false,
      },
      source: SIM,
    },
    {
      name: 'every operation bit',
      hex: '51 | 00 00 | 00 10 | ff ff ff ff | 01 00 00 5f | ef',
      value: {
        sdrVersion: 0x51, recordCount: 0, freeSpaceBytes: 0x1000, lastAdditionTimestamp: 0xffffffff, lastEraseTimestamp: 0x5f000001,
        overflow: true, updateMode: SdrUpdateMode.Both, deleteSdrSupported: true, partialAddSupported: true,
        reserveSupported: true, getAllocationInfoSupported: true,
      },
      source: SPEC,
    },
  ],
})

describeCommand({
  command: ReserveSdrRepository,
  netFn: 0x0a,
  cmd: 0x22,
  minLength: 2,
  encode: [{ name: 'no data', req: undefined, hex: '', source: SPEC }],
  decode: [{ name: 'reservation 6', hex: '06 00', value: { reservationId: 6 }, source: SIM }],
})

describeCommand({
  command: GetSdr,
  netFn: 0x0a,
  cmd: 0x23,
  minLength: 2,
  encode: [
    { name: 'first record, whole', req: { reservationId: 0, recordId: 0, offset: 0, count: 0xff }, hex: '00 00 | 00 00 | 00 | ff', source: SIM },
    { name: 'header of record 3', req: { reservationId: 0x1234, recordId: 3, offset: 0, count: 5 }, hex: '34 12 | 03 00 | 00 | 05', source: SPEC },
  ],
  rejects: [
    { name: 'count 0', req: { reservationId: 0, recordId: 0, offset: 0, count: 0 } },
    { name: 'record ID over 16 bits', req: { reservationId: 0, recordId: 0x10000, offset: 0, count: 5 } },
  ],
  decode: [
    {
      name: 'MC locator record 1, next 2',
      hex: '02 00 | 01 00 51 12 12 20 00 00 9f 00 00 00 06 01 00 c7 4c 61 62 20 42 4d 43 00 00 00 00 00 00',
      value: { nextRecordId: 2, data: bytes('01 00 51 12 12 20 00 00 9f 00 00 00 06 01 00 c7 4c 61 62 20 42 4d 43 00 00 00 00 00 00') },
      source: SIM,
    },
    { name: 'header only of record 3', hex: '04 00 | 03 00 51 01 33', value: { nextRecordId: 4, data: bytes('03 00 51 01 33') }, source: SIM },
  ],
})

describeCommand({
  command: GetSensorReading,
  netFn: 0x04,
  cmd: 0x2d,
  minLength: 2,
  encode: [{ name: 'sensor 1', req: { sensorNumber: 1 }, hex: '01', source: SIM }],
  rejects: [{ name: 'sensor FFh (reserved)', req: { sensorNumber: 0xff } }],
  decode: [
    {
      name: 'CPU Temp 45, scanning, events on',
      hex: '2d c0 00 00',
      value: { raw: 45, eventMessagesEnabled: true, scanningEnabled: true, readingUnavailable: false, states: 0, statesPresent: true },
      source: SIM,
    },
    {
      name: 'PSU1 Current past upper non-critical',
      hex: 'e6 40 08 00',
      value: { raw: 0xe6, eventMessagesEnabled: false, scanningEnabled: true, readingUnavailable: false, states: 0x08, statesPresent: true },
      source: SIM,
    },
    {
      name: 'Volt 5V scanning disabled',
      hex: 'fa 00 00 00',
      value: { raw: 0xfa, eventMessagesEnabled: false, scanningEnabled: false, readingUnavailable: false, states: 0, statesPresent: true },
      source: SIM,
    },
    {
      name: 'reading unavailable, byte 4 b7 reserved bit dropped',
      hex: '00 60 00 81',
      value: { raw: 0, eventMessagesEnabled: false, scanningEnabled: true, readingUnavailable: true, states: 0x0100, statesPresent: true },
      source: SPEC,
    },
    {
      name: 'no state bytes',
      hex: '10 c0',
      value: { raw: 0x10, eventMessagesEnabled: true, scanningEnabled: true, readingUnavailable: false, states: 0, statesPresent: false },
      source: SPEC,
    },
  ],
})

describeCommand({
  command: GetSensorReadingFactors,
  netFn: 0x04,
  cmd: 0x23,
  minLength: 7,
  encode: [{ name: 'sensor 1 at raw 45', req: { sensorNumber: 1, rawReading: 45 }, hex: '01 2d', source: SPEC }],
  decode: [
    {
      // M = 300 (0x12c: low 2c, b7:6 of next byte 01), tolerance 3, B = -400 (0x270), accuracy 0x12 exp 1, Rexp -3, Bexp 2.
      name: 'non-linear factors',
      hex: '2e | 2c 43 70 92 04 d2',
      value: { nextReading: 0x2e, factors: { m: 300, tolerance: 3, b: -400, accuracy: 0x12, accuracyExp: 1, rExp: -3, bExp: 2 } },
      source: SPEC,
    },
  ],
})

describeCommand({
  command: GetSelInfo,
  netFn: 0x0a,
  cmd: 0x40,
  minLength: 14,
  encode: [{ name: 'no data', req: undefined, hex: '', source: SPEC }],
  decode: [
    {
      name: 'lab SEL, 5 entries',
      hex: '51 | 05 00 | b0 1f | 13 09 00 00 | 00 00 00 00 | 0a',
      value: {
        selVersion: 0x51, entries: 5, freeSpaceBytes: 8112, lastAdditionTimestamp: 0x913, lastEraseTimestamp: 0,
        overflow: false, deleteSupported: true, partialAddSupported: false, reserveSupported: true, getAllocationInfoSupported: false,
      },
      source: SIM,
    },
  ],
})

describeCommand({
  command: ReserveSel,
  netFn: 0x0a,
  cmd: 0x42,
  minLength: 2,
  encode: [{ name: 'no data', req: undefined, hex: '', source: SPEC }],
  decode: [{ name: 'reservation 1', hex: '01 00', value: { reservationId: 1 }, source: SIM }],
})

describeCommand({
  command: GetSelEntry,
  netFn: 0x0a,
  cmd: 0x43,
  minLength: 2,
  encode: [
    { name: 'first entry, whole, no reservation', req: { recordId: 0 }, hex: '00 00 | 00 00 | 00 | ff', source: SIM },
    { name: 'partial read', req: { reservationId: 7, recordId: 0x1234, offset: 5, count: 4 }, hex: '07 00 | 34 12 | 05 | 04', source: SPEC },
  ],
  decode: [
    {
      name: 'entry 1 (CPU Temp upper critical), next 2',
      hex: '02 00 | 01 00 02 13 09 00 00 20 00 04 01 01 01 59 60 5f',
      value: { nextRecordId: 2, data: bytes('01 00 02 13 09 00 00 20 00 04 01 01 01 59 60 5f') },
      source: SIM,
    },
  ],
})

describeCommand({
  command: ClearSel,
  netFn: 0x0a,
  cmd: 0x47,
  minLength: 1,
  encode: [
    { name: 'initiate erase', req: { reservationId: 2, action: ClearSelAction.InitiateErase }, hex: '02 00 | 43 4c 52 | aa', source: SPEC },
    { name: 'get status', req: { reservationId: 2, action: ClearSelAction.GetStatus }, hex: '02 00 | 43 4c 52 | 00', source: SPEC },
  ],
  rejects: [{ name: 'unknown action', req: { reservationId: 2, action: 0x55 as ClearSelAction } }],
  decode: [
    { name: 'erase completed', hex: '01', value: { completed: true }, source: SIM },
    { name: 'erase in progress', hex: '00', value: { completed: false }, source: SPEC },
  ],
})

describeCommand({
  command: GetFruInventoryAreaInfo,
  netFn: 0x0a,
  cmd: 0x10,
  minLength: 3,
  encode: [{ name: 'FRU 0', req: { fruId: 0 }, hex: '00', source: SIM }],
  rejects: [{ name: 'FRU FFh', req: { fruId: 0xff } }],
  decode: [
    { name: '256 bytes, byte access', hex: '00 01 00', value: { sizeBytes: 256, accessByWords: false }, source: SIM },
    { name: 'word access', hex: '00 08 01', value: { sizeBytes: 2048, accessByWords: true }, source: SPEC },
  ],
})

describeCommand({
  command: ReadFruData,
  netFn: 0x0a,
  cmd: 0x11,
  minLength: 1,
  encode: [
    { name: 'common header of FRU 0', req: { fruId: 0, offset: 0, count: 8 }, hex: '00 | 00 00 | 08', source: SIM },
    { name: 'FRU 1 at 0x148', req: { fruId: 1, offset: 0x148, count: 16 }, hex: '01 | 48 01 | 10', source: SPEC },
  ],
  rejects: [{ name: 'count 0', req: { fruId: 0, offset: 0, count: 0 } }],
  decode: [{ name: 'FRU 0 header', hex: '08 | 01 00 01 05 10 00 00 e9', value: { count: 8, data: bytes('01 00 01 05 10 00 00 e9') }, source: SIM }],
})

test('fruDataBytes takes count bytes (2 × count for words) and rejects a short answer', () => {
  const res = ReadFruData.decode(bytes('02 | 01 02 03 04 05'), 0)
  assert.deepEqual(fruDataBytes(res, false), bytes('01 02'))
  assert.deepEqual(fruDataBytes(res, true), bytes('01 02 03 04'))
  assert.throws(() => fruDataBytes(ReadFruData.decode(bytes('04 | 01 02 03'), 0), false), isDecodeError)
  assert.throws(() => fruDataBytes(ReadFruData.decode(bytes('03 | 01 02 03 04 05'), 0), true), isDecodeError)
})

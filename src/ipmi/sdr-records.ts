/**
 * Sensor Data Records: decoders for the record types an operator needs
 * (IPMI v2.0 §43): Full Sensor (01h, Table 43-1), Compact Sensor (02h,
 * Table 43-2), Event-Only (03h, Table 43-3), FRU Device Locator (11h,
 * Table 43-7) and Management Controller Device Locator (12h, Table 43-8).
 * Other types are kept as raw hex.
 *
 * Pure: bytes in, plain JSON-able objects out (no Buffers), so records can
 * be cached and served as they are. Byte offsets in comments are the spec's
 * 1-based ones; code indexes are 0-based (spec byte n = index n - 1).
 * Invariant: a record shorter than its fixed fields throws IpmiDecodeError;
 * an ID string longer than the record is cut at the record's end (ipmitool
 * reads past it).
 */
import { Reader } from './bytes.js'
import { IpmiDecodeError } from './errors.js'
import { decodeConversionFactors, type AnalogFormat, type ConversionFactors, type SensorUnits } from './sensor-conversion.js'
import { decodeTypedText } from './type-length.js'

export const SdrRecordType = {
  FullSensor: 0x01,
  CompactSensor: 0x02,
  EventOnlySensor: 0x03,
  EntityAssociation: 0x08,
  GenericDeviceLocator: 0x10,
  FruDeviceLocator: 0x11,
  McDeviceLocator: 0x12,
  OemRecord: 0xc0,
} as const

export interface SdrHeader {
  recordId: number
  /** 51h for IPMI 1.5/2.0 records. */
  sdrVersion: number
  recordType: number
  /** Bytes after the 5-byte header. */
  length: number
}

export function decodeSdrHeader(b: Uint8Array): SdrHeader {
  const r = new Reader('SDR record header', b)
  return { recordId: r.u16(), sdrVersion: r.u8(), recordType: r.u8(), length: r.u8() }
}

export interface SdrEntity {
  /** Entity ID (IPMI v2.0 §43.14, Table 43-13), e.g. 3 = processor. */
  id: number
  instance: number
  /** Instance byte b7: a logical container entity rather than a physical one. */
  logical: boolean
}

/** Sensor owner and number: what Get Sensor Reading needs to reach the sensor. */
export interface SensorKey {
  /** Byte 6: b7:1 IPMB slave address (or software ID when b0 = 1). 20h = the BMC. */
  ownerId: number
  /** Byte 7 b1:0. */
  ownerLun: number
  /** Byte 7 b7:4. */
  channel: number
  sensorNumber: number
}

interface SensorRecordBase {
  recordId: number
  key: SensorKey
  entity: SdrEntity
  sensorType: number
  eventReadingType: number
  name: string
}

/** Fields common to Full and Compact sensor records (bytes 6-24). */
export interface SensorRecordCommon extends SensorRecordBase {
  init: {
    /** Byte 11 b0: scanning enabled by default after init. */
    scanningEnabled: boolean
    /** Byte 11 b1: event generation enabled by default. */
    eventsEnabled: boolean
    /** Byte 11 b4: thresholds are initialised from this record. */
    thresholds: boolean
  }
  capabilities: {
    ignoreIfEntityAbsent: boolean
    autoRearm: boolean
    /** b5:4: 0 none, 1 readable, 2 readable and settable, 3 fixed. */
    hysteresisSupport: number
    /** b3:2: 0 none, 1 readable, 2 readable and settable, 3 fixed. */
    thresholdAccess: number
    /** b1:0: 0 per threshold/state, 1 entire sensor, 2 global only, 3 none. */
    eventMessageControl: number
  }
  /** Bytes 15-16: assertion event mask (threshold: b14:12 lower reading mask). */
  assertionMask: number
  /** Bytes 17-18: deassertion event mask (threshold: b14:12 upper reading mask). */
  deassertionMask: number
  /** Bytes 19-20: discrete reading mask, or (threshold sensors) readable b5:0 | settable b13:8. */
  readingMask: number
  /** Threshold sensors (else 0): readable thresholds, b0 lnc, b1 lcr, b2 lnr, b3 unc, b4 ucr, b5 unr. */
  readableThresholds: number
  settableThresholds: number
  analogFormat: AnalogFormat
  units: SensorUnits
}

export interface RawThresholds {
  unr: number
  ucr: number
  unc: number
  lnr: number
  lcr: number
  lnc: number
}

export interface FullSensorRecord extends SensorRecordCommon {
  kind: 'full'
  /** Byte 24 b6:0. */
  linearization: number
  factors: ConversionFactors
  /** Byte 29 b1:0: 0 unspecified, 1 input, 2 output. */
  direction: number
  /** Raw values, present only when byte 31 flags them as specified. */
  nominalReading?: number
  normalMaximum?: number
  normalMinimum?: number
  sensorMaximum: number
  sensorMinimum: number
  /** Raw threshold bytes 37-42 (meaningful only where readableThresholds says so). */
  thresholds: RawThresholds
  hysteresis: { positive: number; negative: number }
  oem: number
}

export interface SensorSharing {
  /** Share count b3:0: how many sensors this record describes (0 and 1 mean one). */
  count: number
  /** b5:4: 0 numeric, 1 alpha instance modifier. */
  modifierType: number
  modifierOffset: number
  entityInstanceIncrements: boolean
}

export interface CompactSensorRecord extends SensorRecordCommon {
  kind: 'compact'
  direction: number
  sharing: SensorSharing
  hysteresis: { positive: number; negative: number }
  oem: number
}

export interface EventOnlyRecord extends SensorRecordBase {
  kind: 'event-only'
  direction: number
  sharing: SensorSharing
  oem: number
}

export interface FruDeviceLocatorRecord {
  kind: 'fru-locator'
  recordId: number
  /** Byte 6: slave address of the controller that gives access (b7:1 as a byte, b0 = 0). */
  deviceAccessAddress: number
  /** Byte 7: FRU device ID (logical) or slave address (physical). */
  fruDeviceId: number
  /** Byte 8 b7: a logical FRU device (reached with Read FRU Data). */
  logical: boolean
  accessLun: number
  privateBusId: number
  channel: number
  deviceType: number
  deviceTypeModifier: number
  entity: SdrEntity
  oem: number
  name: string
}

export interface McDeviceLocatorRecord {
  kind: 'mc-locator'
  recordId: number
  deviceSlaveAddress: number
  channel: number
  /** Byte 8 b5: static controller (ipmitool prints "Static MC" vs "Dynamic MC"). */
  staticController: boolean
  /** Byte 8 b1:0: 0 enable event message generation, 1 disable, 2 do not init. */
  globalInit: number
  /** Byte 9: b7 chassis, b6 bridge, b5 IPMB event generator, b4 IPMB event receiver, b3 FRU inventory, b2 SEL, b1 SDR repository, b0 sensor. */
  deviceSupport: number
  entity: SdrEntity
  oem: number
  name: string
}

export interface OtherSdrRecord {
  kind: 'other'
  recordId: number
  recordType: number
  /** The record body after the header, hex. */
  body: string
}

export type SdrRecord = FullSensorRecord | CompactSensorRecord | EventOnlyRecord | FruDeviceLocatorRecord | McDeviceLocatorRecord | OtherSdrRecord
export type SensorRecord = FullSensorRecord | CompactSensorRecord

function entity(id: number, inst: number): SdrEntity {
  return { id, instance: inst & 0x7f, logical: (inst & 0x80) !== 0 }
}

/** An ID string: type/length byte at `at`, then the bytes (IPMI v2.0 §43.15), cut at the record end. */
function idString(rec: Buffer, at: number): string {
  const tl = rec[at]
  if (tl === undefined || tl === 0) return ''
  const bytes = rec.subarray(at + 1, Math.min(rec.length, at + 1 + (tl & 0x1f)))
  return decodeTypedText(tl >> 6, bytes, true)
}

function key(r: Reader): SensorKey {
  const ownerId = r.u8()
  const lun = r.u8()
  return { ownerId, ownerLun: lun & 0x03, channel: lun >> 4, sensorNumber: r.u8() }
}

function sharing(a: number, b: number): SensorSharing {
  return { count: a & 0x0f, modifierType: (a >> 4) & 0x03, modifierOffset: b & 0x7f, entityInstanceIncrements: (b & 0x80) !== 0 }
}

/** Bytes 6-24 of Full and Compact records (Tables 43-1 and 43-2). */
function sensorCommon(recordId: number, r: Reader): Omit<SensorRecordCommon, 'name'> {
  const k = key(r)
  const e = entity(r.u8(), r.u8())
  const init = r.u8()
  const caps = r.u8()
  const sensorType = r.u8()
  const eventReadingType = r.u8()
  const assertionMask = r.u16()
  const deassertionMask = r.u16()
  const readingMask = r.u16()
  const units1 = r.u8()
  const baseUnit = r.u8()
  const modifierUnit = r.u8()
  return {
    recordId,
    key: k,
    entity: e,
    sensorType,
    eventReadingType,
    init: { scanningEnabled: (init & 0x01) !== 0, eventsEnabled: (init & 0x02) !== 0, thresholds: (init & 0x10) !== 0 },
    capabilities: {
      ignoreIfEntityAbsent: (caps & 0x80) !== 0,
      autoRearm: (caps & 0x40) !== 0,
      hysteresisSupport: (caps >> 4) & 0x03,
      thresholdAccess: (caps >> 2) & 0x03,
      eventMessageControl: caps & 0x03,
    },
    assertionMask,
    deassertionMask,
    readingMask,
    readableThresholds: eventReadingType === 0x01 ? readingMask & 0x3f : 0,
    settableThresholds: eventReadingType === 0x01 ? (readingMask >> 8) & 0x3f : 0,
    analogFormat: (units1 >> 6) as AnalogFormat,
    units: { percentage: (units1 & 0x01) !== 0, modifierRelation: (units1 >> 1) & 0x03, rate: (units1 >> 3) & 0x07, baseUnit, modifierUnit },
  }
}

function decodeFull(recordId: number, rec: Buffer): FullSensorRecord {
  const r = new Reader('Full Sensor Record', rec, 5)
  const common = sensorCommon(recordId, r)
  const linearization = r.u8() & 0x7f
  const factorBytes = r.bytes(6)
  const flags = r.u8()
  const nominal = r.u8()
  const normalMax = r.u8()
  const normalMin = r.u8()
  const sensorMaximum = r.u8()
  const sensorMinimum = r.u8()
  const thresholds = { unr: r.u8(), ucr: r.u8(), unc: r.u8(), lnr: r.u8(), lcr: r.u8(), lnc: r.u8() }
  const hysteresis = { positive: r.u8(), negative: r.u8() }
  r.bytes(2) // reserved
  const oem = r.u8()
  r.need(1) // ID string type/length (byte 48)
  const out: FullSensorRecord = {
    kind: 'full',
    ...common,
    name: idString(rec, r.offset),
    linearization,
    factors: decodeConversionFactors(factorBytes),
    direction: factorBytes[4]! & 0x03,
    sensorMaximum,
    sensorMinimum,
    thresholds,
    hysteresis,
    oem,
  }
  if ((flags & 0x01) !== 0) out.nominalReading = nominal
  if ((flags & 0x02) !== 0) out.normalMaximum = normalMax
  if ((flags & 0x04) !== 0) out.normalMinimum = normalMin
  return out
}

function decodeCompact(recordId: number, rec: Buffer): CompactSensorRecord {
  const r = new Reader('Compact Sensor Record', rec, 5)
  const common = sensorCommon(recordId, r)
  const s1 = r.u8()
  const s2 = r.u8()
  const hysteresis = { positive: r.u8(), negative: r.u8() }
  r.bytes(3) // reserved
  const oem = r.u8()
  r.need(1) // ID string type/length (byte 32)
  return { kind: 'compact', ...common, name: idString(rec, r.offset), direction: s1 >> 6, sharing: sharing(s1, s2), hysteresis, oem }
}

function decodeEventOnly(recordId: number, rec: Buffer): EventOnlyRecord {
  const r = new Reader('Event-Only Sensor Record', rec, 5)
  const k = key(r)
  const e = entity(r.u8(), r.u8())
  const sensorType = r.u8()
  const eventReadingType = r.u8()
  const s1 = r.u8()
  const s2 = r.u8()
  r.u8() // reserved
  const oem = r.u8()
  r.need(1) // ID string type/length (byte 17)
  return { kind: 'event-only', recordId, key: k, entity: e, sensorType, eventReadingType, name: idString(rec, r.offset), direction: s1 >> 6, sharing: sharing(s1, s2), oem }
}

function decodeFruLocator(recordId: number, rec: Buffer): FruDeviceLocatorRecord {
  const r = new Reader('FRU Device Locator Record', rec, 5)
  const deviceAccessAddress = r.u8()
  const fruDeviceId = r.u8()
  const access = r.u8()
  const channel = r.u8() >> 4
  r.u8() // reserved
  const deviceType = r.u8()
  const deviceTypeModifier = r.u8()
  const e = entity(r.u8(), r.u8())
  const oem = r.u8()
  r.need(1) // ID string type/length (byte 16)
  return {
    kind: 'fru-locator', recordId, deviceAccessAddress, fruDeviceId,
    logical: (access & 0x80) !== 0, accessLun: (access >> 3) & 0x03, privateBusId: access & 0x07,
    channel, deviceType, deviceTypeModifier, entity: e, oem, name: idString(rec, r.offset),
  }
}

function decodeMcLocator(recordId: number, rec: Buffer): McDeviceLocatorRecord {
  const r = new Reader('Management Controller Device Locator Record', rec, 5)
  const deviceSlaveAddress = r.u8()
  const channel = r.u8() & 0x0f
  const power = r.u8()
  const deviceSupport = r.u8()
  r.bytes(3) // reserved
  const e = entity(r.u8(), r.u8())
  const oem = r.u8()
  r.need(1) // ID string type/length (byte 16)
  return {
    kind: 'mc-locator', recordId, deviceSlaveAddress, channel,
    staticController: (power & 0x20) !== 0, globalInit: power & 0x03, deviceSupport, entity: e, oem, name: idString(rec, r.offset),
  }
}

/**
 * Decodes one whole record, header included. The header's length must be
 * covered by the bytes given; extra bytes beyond it are ignored.
 */
export function decodeSdrRecord(bytes: Uint8Array): SdrRecord {
  const h = decodeSdrHeader(bytes)
  const total = 5 + h.length
  if (bytes.length < total) throw new IpmiDecodeError(`SDR record ${h.recordId}`, 0, total, bytes.length, `header says ${total} bytes, got ${bytes.length}`)
  const rec = Buffer.from(bytes.buffer, bytes.byteOffset, total)
  switch (h.recordType) {
    case SdrRecordType.FullSensor:
      return decodeFull(h.recordId, rec)
    case SdrRecordType.CompactSensor:
      return decodeCompact(h.recordId, rec)
    case SdrRecordType.EventOnlySensor:
      return decodeEventOnly(h.recordId, rec)
    case SdrRecordType.FruDeviceLocator:
      return decodeFruLocator(h.recordId, rec)
    case SdrRecordType.McDeviceLocator:
      return decodeMcLocator(h.recordId, rec)
    default:
      return { kind: 'other', recordId: h.recordId, recordType: h.recordType, body: rec.subarray(5).toString('hex') }
  }
}

export function isSensorRecord(r: SdrRecord): r is SensorRecord {
  return r.kind === 'full' || r.kind === 'compact'
}

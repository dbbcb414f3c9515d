/**
 * System Event Log records: the 16-byte record of IPMI v2.0 §32.1,
 * Table 32-1 (standard, type 02h and the other types below C0h), §32.2
 * (OEM timestamped, C0h-DFh) and §32.3 (OEM non-timestamped, E0h-FFh), and
 * their description in ipmitool's words: sensor type, event state text
 * (Table 42-2/42-3 through sensor-events.ts), Asserted/Deasserted, and for
 * threshold events the trigger reading and threshold (Table 29-6).
 *
 * Pure; results are plain JSON-able objects. Timestamps (§37): seconds since
 * 1970, except that values up to 20000000h count seconds since the BMC
 * started ("Pre-Init" in ipmitool) and FFFFFFFFh means unspecified.
 */
import { Reader } from './bytes.js'
import { convertReading, formatUnits } from './sensor-conversion.js'
import { eventStateText } from './sensor-events.js'
import { sensorTypeName } from './sensor-types.js'
import type { FullSensorRecord, SdrRecord } from './sdr-records.js'

export const SEL_RECORD_LENGTH = 16
/** Timestamps at or below this count seconds since BMC init (IPMI v2.0 §37). */
export const TIMESTAMP_INIT_DONE = 0x20000000
export const TIMESTAMP_UNSPECIFIED = 0xffffffff

export interface StandardSelRecord {
  kind: 'standard'
  recordId: number
  recordType: number
  timestamp: number
  /** Bytes 8-9: b0 0 = IPMB slave address in b7:1, 1 = system software ID; byte 9 b7:4 channel, b1:0 LUN. */
  generatorId: number
  /** 04h for IPMI 1.5/2.0 event messages. */
  evmRevision: number
  sensorType: number
  sensorNumber: number
  /** Byte 13 b7: 0 assertion, 1 deassertion. */
  deassertion: boolean
  /** Byte 13 b6:0: event/reading type code. */
  eventType: number
  /** Event data 1-3 (Table 29-6). */
  eventData: [number, number, number]
}

export interface OemTimestampedSelRecord {
  kind: 'oem-timestamped'
  recordId: number
  recordType: number
  timestamp: number
  manufacturerId: number
  /** Bytes 11-16, hex. */
  oemData: string
}

export interface OemSelRecord {
  kind: 'oem'
  recordId: number
  recordType: number
  /** Bytes 4-16, hex. */
  oemData: string
}

export type SelRecord = StandardSelRecord | OemTimestampedSelRecord | OemSelRecord

export function decodeSelRecord(b: Uint8Array): SelRecord {
  const r = new Reader('SEL record', b)
  r.need(SEL_RECORD_LENGTH)
  const recordId = r.u16()
  const recordType = r.u8()
  if (recordType >= 0xe0) return { kind: 'oem', recordId, recordType, oemData: r.bytes(13).toString('hex') }
  const timestamp = r.u32()
  if (recordType >= 0xc0) return { kind: 'oem-timestamped', recordId, recordType, timestamp, manufacturerId: r.u24(), oemData: r.bytes(6).toString('hex') }
  const generatorId = r.u16()
  const evmRevision = r.u8()
  const sensorType = r.u8()
  const sensorNumber = r.u8()
  const dirType = r.u8()
  return {
    kind: 'standard', recordId, recordType, timestamp, generatorId, evmRevision, sensorType, sensorNumber,
    deassertion: (dirType & 0x80) !== 0, eventType: dirType & 0x7f, eventData: [r.u8(), r.u8(), r.u8()],
  }
}

export interface SelTime {
  /** The raw 32-bit timestamp. */
  raw: number
  /** ISO 8601 UTC time, or null when pre-init or unspecified. */
  iso: string | null
  /** Seconds since the BMC started (timestamp ≤ 20000000h). */
  preInit: boolean
}

export function selTime(raw: number): SelTime {
  if (raw === TIMESTAMP_UNSPECIFIED) return { raw, iso: null, preInit: false }
  if (raw <= TIMESTAMP_INIT_DONE) return { raw, iso: null, preInit: true }
  return { raw, iso: new Date(raw * 1000).toISOString(), preInit: false }
}

/** One SEL entry in operator terms: what `ipmitool sel list` / `sel elist` print, as fields. */
export interface SelEntry {
  id: number
  recordType: number
  time: SelTime | null
  /** Sensor type name ("Temperature"), or "OEM record c0" for OEM records. */
  sensorType: string
  sensorTypeCode?: number
  sensorNumber?: number
  /** The sensor's SDR name, when an SDR was given and matched; else "#0x01"-style as ipmitool prints. */
  sensor?: string
  /** State text ("Upper Critical going high"); "" when there is none (OEM types). */
  event: string
  direction?: 'Asserted' | 'Deasserted'
  /** Threshold events with an SDR: trigger reading and threshold in units (Table 29-6, data 2 and 3). */
  reading?: number
  threshold?: number
  unit?: string
  /** ipmitool's one-line form: "Temperature #0x01 | Upper Critical going high | Asserted". */
  text: string
  record: SelRecord
}

/**
 * The sensor's SDR for a SEL record: same owner (generator ID low byte),
 * sensor number and sensor type, as ipmitool's ipmi_sdr_find_sdr_bynumtype.
 */
export function findSelSensor(rec: StandardSelRecord, sdr: readonly SdrRecord[]): SdrRecord | undefined {
  const owner = rec.generatorId & 0xff
  return sdr.find(
    (s) => (s.kind === 'full' || s.kind === 'compact' || s.kind === 'event-only') && s.key.ownerId === owner && s.key.sensorNumber === rec.sensorNumber && s.sensorType === rec.sensorType,
  )
}

function fmt(v: number): string {
  return v === Math.trunc(v) ? String(v) : v.toFixed(2)
}

/**
 * Describes a record. With `sdr` (the BMC's records), sensors are named and
 * threshold events carry their reading and threshold in units, as in
 * `ipmitool sel elist`; without it the text matches `ipmitool sel list`.
 */
export function describeSelRecord(rec: SelRecord, sdr?: readonly SdrRecord[]): SelEntry {
  if (rec.kind !== 'standard') {
    const type = `OEM record ${rec.recordType.toString(16).padStart(2, '0')}`
    const time = rec.kind === 'oem-timestamped' ? selTime(rec.timestamp) : null
    const mfr = rec.kind === 'oem-timestamped' ? `${rec.manufacturerId.toString(16).padStart(6, '0')} | ` : ''
    return { id: rec.recordId, recordType: rec.recordType, time, sensorType: type, event: '', text: `${type} | ${mfr}${rec.oemData}`, record: rec }
  }
  const [ed1, ed2, ed3] = rec.eventData
  const sensorType = sensorTypeName(rec.sensorType)
  const sensorRec = sdr === undefined ? undefined : findSelSensor(rec, sdr)
  const sensor = sensorRec !== undefined && 'name' in sensorRec ? sensorRec.name : rec.sensorNumber !== 0 ? `#0x${rec.sensorNumber.toString(16).padStart(2, '0')}` : undefined
  // Event data 1 b7:6 != 0: data 2 may carry an extension code (ipmitool checks any non-zero value).
  const oemType = rec.eventType >= 0x70 && rec.eventType < 0x7f
  const event = oemType ? '' : (eventStateText(rec.sensorType, rec.eventType, ed1 & 0x0f, (ed1 & 0xc0) !== 0 ? ed2 : undefined) ?? '')
  const direction = rec.deassertion ? 'Deasserted' : 'Asserted'
  const entry: SelEntry = {
    id: rec.recordId, recordType: rec.recordType, time: selTime(rec.timestamp), sensorType, sensorTypeCode: rec.sensorType,
    sensorNumber: rec.sensorNumber, event, direction, text: '', record: rec,
  }
  if (sensor !== undefined) entry.sensor = sensor
  const parts = [sensor === undefined ? sensorType : `${sensorType} ${sensor}`, event, direction]
  if (sensorRec?.kind === 'full' && rec.eventType === 0x01) {
    const full: FullSensorRecord = sensorRec
    const conv = (raw: number): number => convertReading(full.factors, full.analogFormat, full.linearization, raw) ?? 0
    // Table 29-6: b7:6 = 01b trigger reading in data 2, b5:4 = 01b trigger threshold in data 3.
    const reading = ((ed1 >> 6) & 0x03) === 1 ? conv(ed2) : 0
    entry.reading = reading
    let text = `Reading ${fmt(reading)}`
    if (((ed1 >> 4) & 0x03) === 1) {
      const threshold = conv(ed3)
      // Odd offsets are "going high"; a deassertion reverses the comparison.
      const high = (ed1 & 0x0f) % 2 === 1 !== rec.deassertion
      entry.threshold = threshold
      entry.unit = formatUnits(full.units)
      text += ` ${high ? '>' : '<'} Threshold ${fmt(threshold)} ${entry.unit}`
    }
    parts.push(text)
  }
  entry.text = parts.join(' | ')
  return entry
}

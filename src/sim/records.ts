/**
 * Encoders for the records a simulated BMC serves: Sensor Data Records
 * (IPMI v2.0 §43: Full Sensor, Table 43-1; Compact Sensor, Table 43-2; MC
 * Device Locator, Table 43-8), SEL event records (§32.1, Table 32-1) and a
 * FRU inventory image (Platform Management FRU Information Storage
 * Definition v1.0 r1.3: §8 common header, §10-§12 chassis, board and
 * product areas, §13 type/length bytes).
 * The decoders live in src/ipmi (our client's side); these are written from
 * the tables, and unit tests check both the round trip and ipmitool's reading.
 * Offsets in comments are the spec's 1-based byte numbers.
 * Invariant: every record's length byte and checksum are computed here,
 * never typed in; names longer than 16 bytes (SDR) or 63 bytes (FRU) throw.
 */

export const SDR_VERSION = 0x51
const BMC_ADDRESS = 0x20

export interface SdrEntity {
  id: number
  instance: number
}

/** Raw threshold values; absent ones are not readable (mask bit clear). */
export interface RawThresholdSet {
  lnc?: number
  lcr?: number
  lnr?: number
  unc?: number
  ucr?: number
  unr?: number
}

export const THRESHOLD_BITS = { lnc: 0x01, lcr: 0x02, lnr: 0x04, unc: 0x08, ucr: 0x10, unr: 0x20 } as const

export interface FullSensorSpec {
  recordId: number
  sensorNumber: number
  name: string
  entity: SdrEntity
  /** Sensor type code (Table 42-3): 01h temperature, 02h voltage, 04h fan ... */
  sensorType: number
  /** Unit type code (Table 43-15): 1 degrees C, 4 Volts, 18 RPM ... */
  baseUnit: number
  /** y = (M*x + B*10^Bexp) * 10^Rexp; M and B are 10-bit two's complement, exponents 4-bit. */
  m: number
  b?: number
  bExp?: number
  rExp?: number
  nominal?: number
  thresholds: RawThresholdSet
}

export interface CompactSensorSpec {
  recordId: number
  sensorNumber: number
  name: string
  entity: SdrEntity
  sensorType: number
  /** Event/reading type code: 6Fh sensor-specific, 01h-0Ch generic. */
  eventReadingType: number
  /** Discrete states the sensor can report (bit n = offset n). */
  states: number
}

function idString(name: string, max: number): Buffer {
  const b = Buffer.from(name, 'latin1')
  if (b.length > max) throw new RangeError(`name "${name}" is longer than ${max} bytes`)
  // Type/length: 11b = 8-bit ASCII + Latin-1, b4:0 (SDR) / b5:0 (FRU) = length.
  return Buffer.concat([Buffer.from([0xc0 | b.length]), b])
}

function withHeader(recordId: number, type: number, body: Buffer): Buffer {
  const h = Buffer.alloc(5)
  h.writeUInt16LE(recordId, 0)
  h[2] = SDR_VERSION
  h[3] = type
  h[4] = body.length // byte 5: bytes after the header
  return Buffer.concat([h, body])
}

function tenBit(field: string, v: number): number {
  if (!Number.isInteger(v) || v < -512 || v > 511) throw new RangeError(`${field} must fit 10-bit two's complement, got ${v}`)
  return v & 0x3ff
}

function fourBit(field: string, v: number): number {
  if (!Number.isInteger(v) || v < -8 || v > 7) throw new RangeError(`${field} must fit 4-bit two's complement, got ${v}`)
  return v & 0x0f
}

export function thresholdMask(t: RawThresholdSet): number {
  let m = 0
  for (const [k, bit] of Object.entries(THRESHOLD_BITS)) if (t[k as keyof RawThresholdSet] !== undefined) m |= bit
  return m
}

/** Full Sensor Record (type 01h), threshold-based, linear, unsigned readings. */
export function encodeFullSensorRecord(s: FullSensorSpec): Buffer {
  const readable = thresholdMask(s.thresholds)
  const body = Buffer.alloc(42) // bytes 6..47; the name (48..) follows
  body[0] = BMC_ADDRESS // 6: sensor owner ID
  body[1] = 0x00 // 7: owner LUN 0, channel 0
  body[2] = s.sensorNumber // 8
  body[3] = s.entity.id // 9
  body[4] = s.entity.instance // 10
  body[5] = 0x67 // 11: init scanning, events, sensor type; scanning and events enabled
  body[6] = 0x44 // 12: auto re-arm; thresholds readable (b3:2 = 01b); per-threshold event control
  body[7] = s.sensorType // 13
  body[8] = 0x01 // 14: event/reading type: threshold
  // 15-16: b14:12 lower threshold reading mask; 17-18: b14:12 upper threshold reading mask.
  body.writeUInt16LE((readable & 0x07) << 12, 9)
  body.writeUInt16LE(((readable >> 3) & 0x07) << 12, 11)
  body[13] = readable // 19: readable thresholds
  body[14] = 0x00 // 20: settable thresholds: none
  body[15] = 0x00 // 21: units 1: unsigned, no rate, no modifier, not a percentage
  body[16] = s.baseUnit // 22
  body[17] = 0x00 // 23: modifier unit
  body[18] = 0x00 // 24: linearization: linear
  const m = tenBit('M', s.m)
  const b = tenBit('B', s.b ?? 0)
  body[19] = m & 0xff // 25
  body[20] = (m >> 8) << 6 // 26: M high bits, tolerance 0
  body[21] = b & 0xff // 27
  body[22] = (b >> 8) << 6 // 28: B high bits, accuracy 0
  body[23] = 0x00 // 29: accuracy high, exponent, direction unspecified
  body[24] = (fourBit('Rexp', s.rExp ?? 0) << 4) | fourBit('Bexp', s.bExp ?? 0) // 30
  body[25] = s.nominal !== undefined ? 0x01 : 0x00 // 31: nominal reading given
  body[26] = s.nominal ?? 0 // 32
  body[27] = 0x00 // 33 normal max
  body[28] = 0x00 // 34 normal min
  body[29] = 0xff // 35 sensor maximum
  body[30] = 0x00 // 36 sensor minimum
  const t = s.thresholds
  body[31] = t.unr ?? 0 // 37
  body[32] = t.ucr ?? 0 // 38
  body[33] = t.unc ?? 0 // 39
  body[34] = t.lnr ?? 0 // 40
  body[35] = t.lcr ?? 0 // 41
  body[36] = t.lnc ?? 0 // 42
  // 43-44 hysteresis, 45-46 reserved, 47 OEM: 0.
  return withHeader(s.recordId, 0x01, Buffer.concat([body, idString(s.name, 16)]))
}

/** Compact Sensor Record (type 02h) for a discrete sensor without a numeric reading. */
export function encodeCompactSensorRecord(s: CompactSensorSpec): Buffer {
  const body = Buffer.alloc(26) // bytes 6..31
  body[0] = BMC_ADDRESS
  body[1] = 0x00
  body[2] = s.sensorNumber
  body[3] = s.entity.id
  body[4] = s.entity.instance
  body[5] = 0x67 // 11
  body[6] = 0x40 // 12: auto re-arm, per-state event control
  body[7] = s.sensorType // 13
  body[8] = s.eventReadingType // 14
  body.writeUInt16LE(s.states & 0x7fff, 9) // 15-16 assertion events
  body.writeUInt16LE(s.states & 0x7fff, 11) // 17-18 deassertion events
  body.writeUInt16LE(s.states & 0x7fff, 13) // 19-20 discrete reading mask
  body[15] = 0xc0 // 21: units 1: no numeric reading
  // 22-31: units, sharing (one sensor), hysteresis, reserved, OEM: 0.
  return withHeader(s.recordId, 0x02, Buffer.concat([body, idString(s.name, 16)]))
}

/** Management Controller Device Locator (type 12h) for the BMC itself. */
export function encodeMcLocatorRecord(recordId: number, name: string, capabilities = 0x8f): Buffer {
  const body = Buffer.alloc(10) // bytes 6..15
  body[0] = BMC_ADDRESS // 6: device slave address
  body[1] = 0x00 // 7: channel 0
  body[2] = 0x00 // 8: power state notification / global initialisation
  body[3] = capabilities // 9: b7 chassis, b3 FRU, b2 SEL, b1 SDR repository, b0 sensor device
  body[7] = 0x06 // 13: entity: system management module
  body[8] = 0x01 // 14: instance
  return withHeader(recordId, 0x12, Buffer.concat([body, idString(name, 16)]))
}

export interface SelEventSpec {
  recordId: number
  /** Seconds since 1970 (or since BMC init when below 20000000h). */
  timestamp: number
  sensorType: number
  sensorNumber: number
  /** Event/reading type code (b6:0). */
  eventType: number
  deassertion?: boolean
  /** Event data 1-3 (data 1 b3:0 = offset). Unused bytes are FFh. */
  data: [number, number?, number?]
}

/** A system event record (type 02h), generated by the BMC (generator ID 0020h), EvM rev 04h. */
export function encodeSelEvent(e: SelEventSpec): Buffer {
  const b = Buffer.alloc(16)
  b.writeUInt16LE(e.recordId, 0)
  b[2] = 0x02
  b.writeUInt32LE(e.timestamp >>> 0, 3)
  b.writeUInt16LE(BMC_ADDRESS, 7)
  b[9] = 0x04
  b[10] = e.sensorType
  b[11] = e.sensorNumber
  b[12] = (e.deassertion === true ? 0x80 : 0) | (e.eventType & 0x7f)
  b[13] = e.data[0]
  b[14] = e.data[1] ?? 0xff
  b[15] = e.data[2] ?? 0xff
  return b
}

export interface FruSpec {
  chassis?: { type: number; partNumber: string; serialNumber: string }
  board?: { mfgDateMinutes: number; manufacturer: string; productName: string; serialNumber: string; partNumber: string; fruFileId: string }
  product?: { manufacturer: string; productName: string; partNumber: string; version: string; serialNumber: string; assetTag: string; fruFileId: string }
  /** Size of the FRU device (default 256); the image is zero-padded to it. */
  sizeBytes?: number
}

function zeroSumByte(b: Buffer, end: number): number {
  let s = 0
  for (let i = 0; i < end; i++) s = (s + b[i]!) & 0xff
  return (0x100 - s) & 0xff
}

/** An area: version, length in 8-byte units, fixed bytes, fields, C1h, zero pad, checksum. */
function area(fixed: number[], fields: string[]): Buffer {
  const parts = [Buffer.from([0x01, 0, ...fixed]), ...fields.map((f) => idString(f, 63)), Buffer.from([0xc1])]
  const raw = Buffer.concat(parts)
  const len = Math.ceil((raw.length + 1) / 8) * 8
  const out = Buffer.alloc(len)
  raw.copy(out)
  out[1] = len / 8
  out[len - 1] = zeroSumByte(out, len - 1)
  return out
}

export function encodeFruImage(f: FruSpec): Buffer {
  const areas: { slot: number; bytes: Buffer }[] = []
  if (f.chassis !== undefined) areas.push({ slot: 2, bytes: area([f.chassis.type], [f.chassis.partNumber, f.chassis.serialNumber]) })
  if (f.board !== undefined) {
    const d = f.board.mfgDateMinutes
    areas.push({ slot: 3, bytes: area([0x00, d & 0xff, (d >> 8) & 0xff, (d >> 16) & 0xff], [f.board.manufacturer, f.board.productName, f.board.serialNumber, f.board.partNumber, f.board.fruFileId]) })
  }
  if (f.product !== undefined) {
    const p = f.product
    areas.push({ slot: 4, bytes: area([0x00], [p.manufacturer, p.productName, p.partNumber, p.version, p.serialNumber, p.assetTag, p.fruFileId]) })
  }
  const header = Buffer.alloc(8)
  header[0] = 0x01
  let offset = 8
  for (const a of areas) {
    header[a.slot] = offset / 8
    offset += a.bytes.length
  }
  header[7] = zeroSumByte(header, 7)
  const size = f.sizeBytes ?? 256
  if (offset > size) throw new RangeError(`FRU data is ${offset} bytes, more than the device's ${size}`)
  const image = Buffer.alloc(size)
  Buffer.concat([header, ...areas.map((a) => a.bytes)]).copy(image)
  return image
}

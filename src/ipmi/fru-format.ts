/**
 * FRU inventory format: the common header and the chassis, board, product and
 * multi-record areas of the Platform Management FRU Information Storage
 * Definition v1.0 rev 1.3 (§8 common header, §10 chassis info, §11 board
 * info, §12 product info, §16 multi-record; type/length fields §13 via
 * type-length.ts).
 *
 * Pure: bytes in, plain JSON-able objects out. Owns no I/O; src/bmc/fru.ts
 * fetches the bytes. Invariants: a structural problem (a field or area that
 * runs past its end, a bad format version) throws IpmiDecodeError; a bad
 * checksum does not (ipmitool prints such areas too) and is reported as
 * `checksumValid: false`. Multi-records are kept as raw hex.
 */
import { IpmiDecodeError } from './errors.js'
import { TEXT_ENCODINGS, decodeTypedText, type TextEncoding } from './type-length.js'

export const FRU_HEADER_LENGTH = 8
/** Type/length byte C1h ends an area's field list (§13). */
export const FRU_END_OF_FIELDS = 0xc1
/** 1996-01-01 00:00 UTC, the epoch of board manufacturing dates (§11, Table 11-1), in seconds since 1970. */
export const FRU_DATE_EPOCH_SECONDS = 820454400

export interface FruField {
  value: string
  encoding: TextEncoding
}

export interface FruHeader {
  /** Format version b3:0, 1 for this spec. */
  formatVersion: number
  /** Byte offsets of the areas (the header gives multiples of 8); 0 = area absent. */
  internalUseOffset: number
  chassisOffset: number
  boardOffset: number
  productOffset: number
  multiRecordOffset: number
  checksumValid: boolean
}

export interface FruChassisArea {
  /** SMBIOS chassis type code. */
  type: number
  /** ipmitool's name for it ("Rack Mount Chassis"); unknown codes read "Unknown". */
  typeName: string
  partNumber: FruField
  serialNumber: FruField
  custom: FruField[]
  checksumValid: boolean
}

export interface FruBoardArea {
  language: number
  /** Minutes since 1996-01-01 00:00 UTC; 0 = unspecified. */
  mfgDateMinutes: number
  /** ISO 8601 UTC manufacturing time, or null when unspecified. */
  mfgDate: string | null
  manufacturer: FruField
  productName: FruField
  serialNumber: FruField
  partNumber: FruField
  fruFileId: FruField
  custom: FruField[]
  checksumValid: boolean
}

export interface FruProductArea {
  language: number
  manufacturer: FruField
  productName: FruField
  partNumber: FruField
  version: FruField
  serialNumber: FruField
  assetTag: FruField
  fruFileId: FruField
  custom: FruField[]
  checksumValid: boolean
}

export interface FruMultiRecord {
  /** Record type ID (00h power supply, 01h DC output, ... C0h-FFh OEM). */
  type: number
  formatVersion: number
  endOfList: boolean
  /** Record data, hex. */
  data: string
  headerChecksumValid: boolean
  dataChecksumValid: boolean
}

export const CHASSIS_TYPE_NAMES: readonly string[] = [
  'Unspecified', 'Other', 'Unknown', 'Desktop', 'Low Profile Desktop', 'Pizza Box', 'Mini Tower', 'Tower', 'Portable',
  'LapTop', 'Notebook', 'Hand Held', 'Docking Station', 'All in One', 'Sub Notebook', 'Space-saving', 'Lunch Box',
  'Main Server Chassis', 'Expansion Chassis', 'SubChassis', 'Bus Expansion Chassis', 'Peripheral Chassis', 'RAID Chassis',
  'Rack Mount Chassis', 'Sealed-case PC', 'Multi-system Chassis', 'CompactPCI', 'AdvancedTCA', 'Blade', 'Blade Enclosure',
]

/** Zero-sum checksum over b (§16.2.2 and each area's last byte). */
export function zeroSum(b: Uint8Array): boolean {
  let sum = 0
  for (const x of b) sum = (sum + x) & 0xff
  return sum === 0
}

export function decodeFruHeader(b: Uint8Array): FruHeader {
  if (b.length < FRU_HEADER_LENGTH) throw new IpmiDecodeError('FRU common header', 0, FRU_HEADER_LENGTH, b.length)
  const formatVersion = b[0]! & 0x0f
  if (formatVersion !== 1) throw new IpmiDecodeError('FRU common header', 0, 1, 1, `unknown format version ${formatVersion}`)
  return {
    formatVersion,
    internalUseOffset: b[1]! * 8,
    chassisOffset: b[2]! * 8,
    boardOffset: b[3]! * 8,
    productOffset: b[4]! * 8,
    multiRecordOffset: b[5]! * 8,
    checksumValid: zeroSum(b.subarray(0, FRU_HEADER_LENGTH)),
  }
}

/** The bytes of one info area: version 1 at byte 0, length in multiples of 8 at byte 1. */
export function areaBytes(b: Uint8Array, what: string): Uint8Array {
  if (b.length < 2) throw new IpmiDecodeError(what, 0, 2, b.length)
  if ((b[0]! & 0x0f) !== 1) throw new IpmiDecodeError(what, 0, 1, 1, `unknown format version ${b[0]! & 0x0f}`)
  const len = b[1]! * 8
  if (len === 0) throw new IpmiDecodeError(what, 1, 8, 0, 'area length is 0')
  if (b.length < len) throw new IpmiDecodeError(what, 0, len, b.length, `area is ${len} bytes, got ${b.length}`)
  return b.subarray(0, len)
}

/** Walks the type/length fields of an area body from `start` (§13). */
class FieldCursor {
  pos: number
  ended = false
  constructor(private readonly area: Uint8Array, start: number, private readonly what: string) {
    this.pos = start
  }

  /** The next field; an empty field once C1h (end of fields) was seen. */
  next(): FruField {
    if (this.ended) return { value: '', encoding: 'text' }
    const tl = this.area[this.pos]
    // The last byte is the checksum: a field list must end before it.
    if (tl === undefined || this.pos >= this.area.length - 1) throw new IpmiDecodeError(this.what, this.pos, 1, 0, 'fields run into the checksum (no C1h end marker)')
    if (tl === FRU_END_OF_FIELDS) {
      this.ended = true
      return { value: '', encoding: 'text' }
    }
    const len = tl & 0x3f
    const from = this.pos + 1
    if (from + len > this.area.length - 1) throw new IpmiDecodeError(this.what, this.pos, len, this.area.length - 1 - from, 'field runs past the area')
    this.pos = from + len
    return { value: decodeTypedText(tl >> 6, this.area.subarray(from, from + len)), encoding: TEXT_ENCODINGS[tl >> 6]! }
  }

  /**
   * The remaining (custom) fields up to C1h. QUIRK(various): a list that
   * reaches the checksum byte without C1h ends there (ipmitool tolerates it).
   */
  rest(): FruField[] {
    const out: FruField[] = []
    while (!this.ended && this.pos < this.area.length - 1) {
      const f = this.next()
      if (!this.ended) out.push(f)
    }
    return out
  }
}

export function decodeChassisArea(b: Uint8Array): FruChassisArea {
  const what = 'FRU chassis info area'
  const area = areaBytes(b, what)
  if (area.length < 4) throw new IpmiDecodeError(what, 2, 4, area.length)
  const type = area[2]!
  const c = new FieldCursor(area, 3, what)
  const partNumber = c.next()
  const serialNumber = c.next()
  // Out-of-table codes read "Unknown" (ipmitool uses entry 2 for them).
  return { type, typeName: CHASSIS_TYPE_NAMES[type] ?? 'Unknown', partNumber, serialNumber, custom: c.rest(), checksumValid: zeroSum(area) }
}

export function fruDate(minutes: number): string | null {
  return minutes === 0 ? null : new Date((FRU_DATE_EPOCH_SECONDS + minutes * 60) * 1000).toISOString()
}

export function decodeBoardArea(b: Uint8Array): FruBoardArea {
  const what = 'FRU board info area'
  const area = areaBytes(b, what)
  if (area.length < 7) throw new IpmiDecodeError(what, 2, 7, area.length)
  const minutes = area[3]! | (area[4]! << 8) | (area[5]! << 16)
  const c = new FieldCursor(area, 6, what)
  return {
    language: area[2]!,
    mfgDateMinutes: minutes,
    mfgDate: fruDate(minutes),
    manufacturer: c.next(),
    productName: c.next(),
    serialNumber: c.next(),
    partNumber: c.next(),
    fruFileId: c.next(),
    custom: c.rest(),
    checksumValid: zeroSum(area),
  }
}

export function decodeProductArea(b: Uint8Array): FruProductArea {
  const what = 'FRU product info area'
  const area = areaBytes(b, what)
  if (area.length < 4) throw new IpmiDecodeError(what, 2, 4, area.length)
  const c = new FieldCursor(area, 3, what)
  return {
    language: area[2]!,
    manufacturer: c.next(),
    productName: c.next(),
    partNumber: c.next(),
    version: c.next(),
    serialNumber: c.next(),
    assetTag: c.next(),
    fruFileId: c.next(),
    custom: c.rest(),
    checksumValid: zeroSum(area),
  }
}

/** Size of one multi-record (header + data) starting at b[0], without decoding it. */
export function multiRecordLength(b: Uint8Array): number {
  if (b.length < 5) throw new IpmiDecodeError('FRU multi-record header', 0, 5, b.length)
  return 5 + b[2]!
}

/**
 * Multi-record area: records of a 5-byte header (type, b7 end of list |
 * b3:0 format 2, data length, data checksum, header checksum) and data,
 * until the end-of-list bit (§16.1). `maxRecords` bounds a corrupt chain.
 */
export function decodeMultiRecords(b: Uint8Array, maxRecords = 64): FruMultiRecord[] {
  const out: FruMultiRecord[] = []
  let pos = 0
  for (;;) {
    if (out.length >= maxRecords) throw new IpmiDecodeError('FRU multi-record area', pos, 0, 0, `more than ${maxRecords} records without an end-of-list mark`)
    const rest = b.subarray(pos)
    const len = multiRecordLength(rest)
    if (rest.length < len) throw new IpmiDecodeError('FRU multi-record', pos, len, rest.length, 'record runs past the data read')
    const h = rest.subarray(0, 5)
    const data = rest.subarray(5, len)
    let sum = 0
    for (const x of data) sum = (sum + x) & 0xff
    out.push({
      type: h[0]!,
      formatVersion: h[1]! & 0x0f,
      endOfList: (h[1]! & 0x80) !== 0,
      data: Buffer.from(data).toString('hex'),
      headerChecksumValid: zeroSum(h),
      dataChecksumValid: ((sum + h[3]!) & 0xff) === 0,
    })
    pos += len
    if ((h[1]! & 0x80) !== 0) return out
  }
}

export interface FruInventory {
  header: FruHeader
  chassis?: FruChassisArea
  board?: FruBoardArea
  product?: FruProductArea
  multiRecords: FruMultiRecord[]
  /** Areas that could not be decoded (the others still are). */
  errors: { area: 'chassis' | 'board' | 'product' | 'multi-record'; message: string }[]
}

type AreaName = FruInventory['errors'][number]['area']

/**
 * Decodes a FRU image (offset 0 = common header). A broken header throws;
 * a broken area is left out and named in `errors`, so one bad area does not
 * hide the others (ipmitool also prints what it can).
 */
export function decodeFruInventory(image: Uint8Array): FruInventory {
  const header = decodeFruHeader(image)
  const inv: FruInventory = { header, multiRecords: [], errors: [] }
  const area = <T>(name: AreaName, offset: number, decode: (b: Uint8Array) => T, set: (v: T) => void): void => {
    // Offsets inside the header itself are invalid; ipmitool skips them too.
    if (offset < FRU_HEADER_LENGTH) return
    try {
      if (offset >= image.length) throw new IpmiDecodeError(`FRU ${name} area`, offset, 1, 0, `offset ${offset} is past the FRU's ${image.length} bytes`)
      set(decode(image.subarray(offset)))
    } catch (e) {
      if (!(e instanceof IpmiDecodeError)) throw e
      inv.errors.push({ area: name, message: e.message })
    }
  }
  area('chassis', header.chassisOffset, decodeChassisArea, (v) => (inv.chassis = v))
  area('board', header.boardOffset, decodeBoardArea, (v) => (inv.board = v))
  area('product', header.productOffset, decodeProductArea, (v) => (inv.product = v))
  area('multi-record', header.multiRecordOffset, decodeMultiRecords, (v) => (inv.multiRecords = v))
  return inv
}

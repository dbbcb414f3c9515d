// FRU format (Platform Management FRU Information Storage Definition v1.0:
// §8 header, §10-12 areas, §13 type/length fields, §16 multi-records): every
// field encoding, the lab FRUs compared with what `ipmitool fru print`
// printed for them, and the error rules (structure throws, checksums flag).
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import {
  decodeBoardArea,
  decodeChassisArea,
  decodeFruHeader,
  decodeFruInventory,
  decodeMultiRecords,
  decodeProductArea,
  fruDate,
} from '../../../src/ipmi/fru-format.js'
import { decode6BitAscii, decodeBcdPlus, decodeLatin1, decodeTypedText } from '../../../src/ipmi/type-length.js'
import { bytes, isDecodeError } from './commands/vectors.js'
import { LAB_FRU0, LAB_FRU1 } from './lab-records.js'

describe('type/length encodings (§13)', () => {
  test('6-bit packed ASCII: 3 bytes hold 4 characters, LS bits first', () => {
    // "IPMI": I=29h, P=30h, M=2Dh, I=29h packed little-endian in 6-bit units.
    assert.equal(decode6BitAscii(bytes('29 dc a6')), 'IPMI')
    assert.equal(decode6BitAscii(bytes('29 dc')), 'IP') // floor(16 / 6) characters
    assert.equal(decode6BitAscii(bytes('29')), 'I')
    assert.equal(decode6BitAscii(bytes('')), '')
    assert.equal(decode6BitAscii(bytes('00 00 00')), '    ')
    assert.equal(decode6BitAscii(bytes('ff ff ff')), '____')
  })

  test('BCD plus: every nibble of the alphabet, high nibble first', () => {
    assert.equal(decodeBcdPlus(bytes('01 23 45 67 89 ab cd ef')), '0123456789 -.:,_')
  })

  test('8-bit ASCII + Latin-1 stops at NUL', () => {
    assert.equal(decodeLatin1(bytes('41 42 00 43')), 'AB')
    assert.equal(decodeLatin1(bytes('e9 74 e9')), 'été')
  })

  test('binary shows as lowercase hex; SDR "unicode" as text', () => {
    assert.equal(decodeTypedText(0, bytes('de ad be ef')), 'deadbeef')
    assert.equal(decodeTypedText(0, bytes('41 42'), true), 'AB')
    assert.equal(decodeTypedText(3, bytes('41 42')), 'AB')
  })
})

describe('lab FRU 0 (8-bit fields), as `ipmitool fru print 0` shows it', () => {
  const inv = decodeFruInventory(bytes(LAB_FRU0))
  test('header', () => {
    assert.deepEqual(inv.header, { formatVersion: 1, internalUseOffset: 0, chassisOffset: 8, boardOffset: 40, productOffset: 128, multiRecordOffset: 0, checksumValid: true })
    assert.deepEqual(inv.errors, [])
    assert.deepEqual(inv.multiRecords, [])
  })
  test('chassis', () => {
    assert.equal(inv.chassis?.typeName, 'Rack Mount Chassis')
    assert.equal(inv.chassis?.partNumber.value, 'NW-CH2U-R')
    assert.equal(inv.chassis?.serialNumber.value, 'NWC2311X0093')
    assert.equal(inv.chassis?.checksumValid, true)
  })
  test('board, with the manufacturing date ("Thu Jun 15 10:30:00 2023 UTC")', () => {
    assert.equal(inv.board?.mfgDate, '2023-06-15T10:30:00.000Z')
    assert.equal(inv.board?.manufacturer.value, 'Northwind Computing')
    assert.equal(inv.board?.productName.value, 'NW-2U-MB Mainboard')
    assert.equal(inv.board?.serialNumber.value, 'NWB2310A0042')
    assert.equal(inv.board?.partNumber.value, '900-24015-0001-000')
    assert.equal(inv.board?.fruFileId.value, 'fru-v1.3')
  })
  test('product', () => {
    const p = inv.product
    assert.deepEqual(
      [p?.manufacturer, p?.productName, p?.partNumber, p?.version, p?.serialNumber, p?.assetTag].map((f) => f?.value),
      ['Northwind Computing', 'Northwind R2240', 'R2240-A1', '1.02', 'NWR2240-0007531', 'RACK12-U07'],
    )
  })
})

describe('lab FRU 1 (every encoding), as `ipmitool fru print 1` shows it', () => {
  const inv = decodeFruInventory(bytes(LAB_FRU1))
  test('board: 6-bit ASCII, BCD plus, binary and custom fields; "Wed Feb  3 04:05:00 2021 UTC"', () => {
    const b = inv.board!
    assert.equal(inv.chassis, undefined)
    assert.equal(b.mfgDate, '2021-02-03T04:05:00.000Z')
    assert.deepEqual(b.manufacturer, { value: 'NORTHWIND CO', encoding: 'ascii-6bit' })
    assert.deepEqual(b.productName, { value: 'Riser R1', encoding: 'text' })
    assert.deepEqual(b.serialNumber, { value: '2021-00042', encoding: 'bcd-plus' })
    assert.deepEqual(b.partNumber, { value: 'RSR-0001-A01', encoding: 'ascii-6bit' })
    assert.deepEqual(b.fruFileId, { value: '0102', encoding: 'binary' })
    assert.deepEqual(b.custom, [{ value: 'deadbeef', encoding: 'binary' }, { value: 'REV B', encoding: 'text' }])
  })
  test('product: empty fields stay empty, custom field kept', () => {
    const p = inv.product!
    assert.deepEqual(p.productName, { value: 'RISER CARD X', encoding: 'ascii-6bit' })
    assert.deepEqual(p.partNumber, { value: '2023-06.15', encoding: 'bcd-plus' })
    assert.equal(p.assetTag.value, '')
    assert.equal(p.fruFileId.value, '')
    assert.deepEqual(p.custom, [{ value: 'CFG=2x16', encoding: 'text' }])
  })
  test('multi-records are kept raw, with their checksums checked', () => {
    assert.deepEqual(inv.multiRecords, [
      { type: 0x01, formatVersion: 2, endOfList: false, data: '01b0049cffc404600432000000', headerChecksumValid: true, dataChecksumValid: true },
      { type: 0xc0, formatVersion: 2, endOfList: true, data: '4c1c00010203', headerChecksumValid: true, dataChecksumValid: true },
    ])
  })
})

describe('errors', () => {
  const fru0 = bytes(LAB_FRU0)
  test('an unknown header version or a short header throws', () => {
    assert.throws(() => decodeFruHeader(bytes('02 00 01 05 10 00 00 e8')), isDecodeError)
    assert.throws(() => decodeFruHeader(fru0.subarray(0, 7)), isDecodeError)
    assert.equal(decodeFruHeader(bytes('01 00 01 05 10 00 00 00')).checksumValid, false)
  })
  test('a bad area checksum is flagged, not thrown', () => {
    const bad = Buffer.from(fru0)
    bad[8 + 5] = 0x58 // a chassis part number character
    const inv = decodeFruInventory(bad)
    assert.equal(inv.chassis?.checksumValid, false)
    assert.equal(inv.chassis?.partNumber.value, 'NX-CH2U-R')
  })
  test('a broken area is reported in errors and the other areas still decode', () => {
    const bad = Buffer.from(fru0)
    bad[40 + 1] = 0x20 // board area length 256 bytes: past the end of the FRU
    const inv = decodeFruInventory(bad)
    assert.equal(inv.board, undefined)
    assert.deepEqual(inv.errors.map((e) => e.area), ['board'])
    assert.equal(inv.chassis?.serialNumber.value, 'NWC2311X0093')
    assert.equal(inv.product?.productName.value, 'Northwind R2240')
  })
  test('a field that runs past its area throws; a custom list without C1h ends at the checksum', () => {
    // Chassis area of 8 bytes: version, length 1, type, then a 5-byte field in a 4-byte body.
    assert.throws(() => decodeChassisArea(bytes('01 01 17 c5 41 42 43 00')), isDecodeError)
    // Version, length 1, type, empty part and serial, a 1-byte binary custom field, then the checksum.
    const body = [0x01, 0x01, 0x17, 0xc0, 0xc0, 0x01, 0x41]
    const area = Buffer.from([...body, (0x100 - (body.reduce((a, b) => a + b, 0) & 0xff)) & 0xff])
    const c = decodeChassisArea(area)
    assert.equal(c.checksumValid, true)
    assert.deepEqual(c.custom, [{ value: '41', encoding: 'binary' }])
  })
  test('every truncation of an area throws IPMI_DECODE_ERROR', () => {
    const board = fru0.subarray(40, 128)
    const product = fru0.subarray(128)
    for (let n = 0; n < 88; n++) assert.throws(() => decodeBoardArea(board.subarray(0, n)), isDecodeError, `board ${n}`)
    for (let n = 0; n < 96; n++) assert.throws(() => decodeProductArea(product.subarray(0, n)), isDecodeError, `product ${n}`)
  })
  test('a multi-record chain without an end mark is bounded', () => {
    const rec = [0x01, 0x02, 0x00, 0x00, 0xfd] // empty record, no end-of-list bit
    assert.throws(() => decodeMultiRecords(Buffer.from(Array.from({ length: 100 }, () => rec).flat())), isDecodeError)
    assert.throws(() => decodeMultiRecords(bytes('01 82 04 00 79 aa')), isDecodeError) // data cut short
  })
  test('board date 0 is unspecified', () => {
    assert.equal(fruDate(0), null)
    assert.equal(fruDate(1), '1996-01-01T00:01:00.000Z')
  })
})

#!/usr/bin/env node
// Prints the `mc_add_fru_data` command of sim.emu for FRU 1 ("Riser FRU",
// named by the FRU Device Locator in sensors.sdrs). Unlike FRU 0 it uses
// every field encoding of the Platform Management FRU Information Storage
// Definition v1.0 §13 (binary, BCD plus, 6-bit packed ASCII, 8-bit ASCII),
// custom fields, and a multi-record area (§16). Edit, run
// `node test/lab/ipmi-sim/make-fru-riser.mjs`, and paste the output into sim.emu.
// 6-bit strings are a multiple of 4 characters and BCD plus strings of 2, so
// every field fills its bytes exactly (ipmitool prints padding bits as
// characters otherwise). BCD plus is packed high nibble first, the order
// ipmitool reads.

import { Buffer } from 'node:buffer'

const FRU_SIZE = 256

function text(s) {
  return [0xc0 | s.length, ...Buffer.from(s, 'latin1')]
}

function binary(hex) {
  const b = Buffer.from(hex, 'hex')
  return [0x00 | b.length, ...b]
}

function bcdPlus(s) {
  const alphabet = '0123456789 -.:,_'
  if (s.length % 2 !== 0) throw new Error(`BCD plus string needs an even length: ${s}`)
  const out = []
  for (let i = 0; i < s.length; i += 2) out.push((alphabet.indexOf(s[i]) << 4) | alphabet.indexOf(s[i + 1]))
  if (out.some((b) => b < 0)) throw new Error(`not BCD plus: ${s}`)
  return [0x40 | out.length, ...out]
}

function sixBit(s) {
  if (s.length % 4 !== 0) throw new Error(`6-bit string needs a multiple of 4 characters: ${s}`)
  const out = []
  for (let i = 0; i < s.length; i += 4) {
    let bits = 0
    for (let j = 0; j < 4; j++) {
      const c = s.charCodeAt(i + j) - 0x20
      if (c < 0 || c > 0x3f) throw new Error(`not 6-bit ASCII: ${s}`)
      bits |= c << (6 * j)
    }
    out.push(bits & 0xff, (bits >> 8) & 0xff, (bits >> 16) & 0xff)
  }
  return [0x80 | out.length, ...out]
}

function area(bytes) {
  const body = [...bytes, 0xc1]
  while ((body.length + 1) % 8 !== 0) body.push(0)
  body[1] = (body.length + 1) / 8
  body.push((0x100 - (body.reduce((a, b) => a + b, 0) & 0xff)) & 0xff)
  return body
}

// Minutes since 1996-01-01 00:00 UTC: 2021-02-03 04:05 UTC.
const m = (Date.UTC(2021, 1, 3, 4, 5) - Date.UTC(1996, 0, 1)) / 60000
const boardArea = area([
  0x01, 0, 0x00, m & 0xff, (m >> 8) & 0xff, (m >> 16) & 0xff,
  ...sixBit('NORTHWIND CO'), // manufacturer
  ...text('Riser R1'), // product name
  ...bcdPlus('2021-00042'), // serial number
  ...sixBit('RSR-0001-A01'), // part number
  ...binary('0102'), // FRU file ID
  ...binary('deadbeef'), // custom
  ...text('REV B'), // custom
])
const productArea = area([
  0x01, 0, 0x00,
  ...text('Northwind Computing'), // manufacturer
  ...sixBit('RISER CARD X'), // name
  ...bcdPlus('2023-06.15'), // part number
  ...text('A1'), // version
  ...text('RSR2311X0007'), // serial number
  0xc0, // asset tag: empty
  0xc0, // FRU file ID: empty
  ...text('CFG=2x16'), // custom
])

// Multi-record area (§16): a DC output record (type 01h) and an OEM record
// (C0h, manufacturer 7244), the last with the end-of-list bit.
function record(type, data, last) {
  const sum = (b) => (0x100 - (b.reduce((a, x) => a + x, 0) & 0xff)) & 0xff
  const h = [type, 0x02 | (last ? 0x80 : 0), data.length, sum(data)]
  return [...h, sum(h), ...data]
}
const multi = [
  ...record(0x01, [0x01, 0xb0, 0x04, 0x9c, 0xff, 0xc4, 0x04, 0x60, 0x04, 0x32, 0x00, 0x00, 0x00], false),
  ...record(0xc0, [0x4c, 0x1c, 0x00, 0x01, 0x02, 0x03], true),
]
while (multi.length % 8 !== 0) multi.push(0)

const boardOff = 1
const productOff = boardOff + boardArea.length / 8
const multiOff = productOff + productArea.length / 8
const header = [0x01, 0x00, 0x00, boardOff, productOff, multiOff, 0x00]
header.push((0x100 - (header.reduce((a, b) => a + b, 0) & 0xff)) & 0xff)

const data = [...header, ...boardArea, ...productArea, ...multi]
if (data.length > FRU_SIZE) throw new Error('FRU data larger than the FRU device')

const hex = data.map((b) => `0x${b.toString(16).padStart(2, '0')}`)
const rows = []
for (let i = 0; i < hex.length; i += 12) rows.push(`\t${hex.slice(i, i + 12).join(' ')}`)
console.log(`mc_add_fru_data 0x20 1 ${FRU_SIZE} data \\\n${rows.join(' \\\n')}`)

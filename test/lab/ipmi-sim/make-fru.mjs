#!/usr/bin/env node
// Prints the `mc_add_fru_data` command of sim.emu: the lab BMC's FRU 0 with a
// chassis, a board and a product area (Platform Management FRU Information
// Storage Definition v1.0 §8-11). Edit the strings here, run
// `node test/lab/ipmi-sim/make-fru.mjs`, and paste the output into sim.emu.
// Strings use type/length 0xC0|len (8-bit ASCII + Latin 1).

import { Buffer } from 'node:buffer'

const chassis = { type: 0x17 /* rack mount chassis */, part: 'NW-CH2U-R', serial: 'NWC2311X0093' }
const board = {
  // Minutes since 1996-01-01 00:00 UTC: 2023-06-15 10:30 UTC.
  mfgMinutes: (Date.UTC(2023, 5, 15, 10, 30) - Date.UTC(1996, 0, 1)) / 60000,
  manufacturer: 'Northwind Computing',
  product: 'NW-2U-MB Mainboard',
  serial: 'NWB2310A0042',
  part: '900-24015-0001-000',
  fileId: 'fru-v1.3',
}
const product = {
  manufacturer: 'Northwind Computing',
  name: 'Northwind R2240',
  part: 'R2240-A1',
  version: '1.02',
  serial: 'NWR2240-0007531',
  asset: 'RACK12-U07',
  fileId: 'fru-v1.3',
}
const FRU_SIZE = 256

function str(s) {
  if (s.length > 63) throw new Error(`FRU string too long: ${s}`)
  return [0xc0 | s.length, ...Buffer.from(s, 'latin1')]
}

// Pads an area to a multiple of 8 bytes (including the checksum) and appends
// the zero-sum checksum; byte 1 is the length in multiples of 8 bytes.
function area(bytes) {
  const body = [...bytes, 0xc1] // 0xC1: end of fields
  while ((body.length + 1) % 8 !== 0) body.push(0)
  body[1] = (body.length + 1) / 8
  const sum = body.reduce((a, b) => a + b, 0)
  body.push((0x100 - (sum & 0xff)) & 0xff)
  return body
}

const chassisArea = area([0x01, 0, chassis.type, ...str(chassis.part), ...str(chassis.serial)])
const m = board.mfgMinutes
const boardArea = area([
  0x01, 0, 0x00 /* English */, m & 0xff, (m >> 8) & 0xff, (m >> 16) & 0xff,
  ...str(board.manufacturer), ...str(board.product), ...str(board.serial), ...str(board.part),
  ...str(board.fileId),
])
const productArea = area([
  0x01, 0, 0x00,
  ...str(product.manufacturer), ...str(product.name), ...str(product.part), ...str(product.version),
  ...str(product.serial), ...str(product.asset), ...str(product.fileId),
])

const chassisOff = 1
const boardOff = chassisOff + chassisArea.length / 8
const productOff = boardOff + boardArea.length / 8
const header = [0x01, 0x00, chassisOff, boardOff, productOff, 0x00, 0x00]
header.push((0x100 - (header.reduce((a, b) => a + b, 0) & 0xff)) & 0xff)

const data = [...header, ...chassisArea, ...boardArea, ...productArea]
if (data.length > FRU_SIZE) throw new Error('FRU data larger than the FRU device')

const hex = data.map((b) => `0x${b.toString(16).padStart(2, '0')}`)
const rows = []
for (let i = 0; i < hex.length; i += 12) rows.push(`\t${hex.slice(i, i + 12).join(' ')}`)
console.log(`mc_add_fru_data 0x20 0 ${FRU_SIZE} data \\\n${rows.join(' \\\n')}`)

// `bmcvisor ipmi sdr | sensors | fru | sel` without a simulator: the fake BMC
// serves the lab's records and readings, and the text must equal what
// ipmitool 1.8.19 printed for the same data on ipmi_sim (copied below), so a
// formatting change is caught without the lab. Also the argument checks.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { hardwareCommand } from '../../../src/cli/ipmi-hardware.js'
import { formatHardware } from '../../../src/cli/format-hardware.js'
import { bytes } from '../ipmi/commands/vectors.js'
import { LAB_FRU0, LAB_SDR, LAB_SEL } from '../ipmi/lab-records.js'
import { FakeBmc } from '../bmc/fake-bmc.js'

const readings = new Map([
  [1, { cc: 0, data: bytes('2d c0 00 00') }],
  [2, { cc: 0, data: bytes('50 c0 00 00') }],
  [3, { cc: 0, data: bytes('c8 c0 00 00') }],
  [4, { cc: 0, data: bytes('00 c0 01 00') }],
  [5, { cc: 0, data: bytes('00 c0 00 00') }],
  [6, { cc: 0, data: bytes('e7 40 00 00') }],
  [7, { cc: 0, data: bytes('e6 40 08 00') }],
])

const bmc = () =>
  new FakeBmc({
    sdr: Object.values(LAB_SDR).map((h) => bytes(h)),
    sensors: readings,
    sel: LAB_SEL.map((h) => bytes(h)),
    fru: new Map([[0, { data: Buffer.concat([bytes(LAB_FRU0), Buffer.alloc(40)]) }]]),
    deviceSupport: 0x9f,
  })

async function text(cmd: string[]): Promise<string> {
  return formatHardware(cmd, await hardwareCommand(bmc(), cmd))
}

test('sdr list', async () => {
  assert.equal(await text(['sdr']), [
    'CPU Temp         | 45 degrees C      | ok',
    'Fan1             | 4800 RPM          | ok',
    'Volt 12V         | 12 Volts          | ok',
    'PSU1 Status      | 0x01              | ok',
    'Chassis Intru    | 0x00              | ok',
    'Inlet Temp       | -37.50 degrees    | ok',
    'PSU1 Current     | 68.60 Amps        | nc',
  ].join('\n'))
})

test('sdr elist', async () => {
  assert.equal(await text(['sdr', 'elist']), [
    'CPU Temp         | 01h | ok  |  3.1 | 45 degrees C',
    'Fan1             | 02h | ok  | 29.1 | 4800 RPM',
    'Volt 12V         | 03h | ok  | 10.1 | 12 Volts',
    'PSU1 Status      | 04h | ok  | 10.1 | Presence detected',
    'Chassis Intru    | 05h | ok  | 23.1 | ',
    'Inlet Temp       | 06h | ok  | 39.1 | -37.50 degrees ',
    'PSU1 Current     | 07h | unc | 10.1 | 68.60 Amps',
  ].join('\n'))
})

test('sensor list', async () => {
  assert.equal(await text(['sensors']), [
    'CPU Temp         | 45.000     | degrees C  | ok    | na        | na        | na        | 85.000    | 95.000    | 105.000   ',
    'Fan1             | 4800.000   | RPM        | ok    | 300.000   | 600.000   | 900.000   | na        | na        | na        ',
    'Volt 12V         | 12.000     | Volts      | ok    | na        | 10.200    | 10.800    | 13.200    | 13.800    | na        ',
    'PSU1 Status      | 0x1        | discrete   | 0x0100| na        | na        | na        | na        | na        | na        ',
    'Chassis Intru    | 0x0        | discrete   | 0x0000| na        | na        | na        | na        | na        | na        ',
    'Inlet Temp       | -37.500    | degrees C  | ok    | na        | na        | na        | na        | na        | na        ',
    'PSU1 Current     | 68.600     | Amps       | nc    | na        | na        | na        | 65.600    | 71.600    | na        ',
  ].join('\n'))
})

test('fru print 0 and sel list', async () => {
  assert.equal(await text(['fru', '0']), [
    ' Chassis Type          : Rack Mount Chassis',
    ' Chassis Part Number   : NW-CH2U-R',
    ' Chassis Serial        : NWC2311X0093',
    ' Board Mfg Date        : Thu Jun 15 10:30:00 2023 UTC',
    ' Board Mfg             : Northwind Computing',
    ' Board Product         : NW-2U-MB Mainboard',
    ' Board Serial          : NWB2310A0042',
    ' Board Part Number     : 900-24015-0001-000',
    ' Product Manufacturer  : Northwind Computing',
    ' Product Name          : Northwind R2240',
    ' Product Part Number   : R2240-A1',
    ' Product Version       : 1.02',
    ' Product Serial        : NWR2240-0007531',
    ' Product Asset Tag     : RACK12-U07',
  ].join('\n'))
  const sel = (await text(['sel', 'list'])).split('\n')
  assert.equal(sel[0], '   1 |  Pre-Init  |0000002323| Temperature #0x01 | Upper Critical going high | Asserted')
  assert.equal(sel.length, 5)
})

test('argument errors are VALIDATION_FAILED', async () => {
  for (const cmd of [['sdr', 'bogus'], ['fru', '255'], ['fru', 'x'], ['sel', 'drop'], ['sensors', 'extra']]) {
    await assert.rejects(hardwareCommand(bmc(), cmd), { code: 'VALIDATION_FAILED' }, cmd.join(' '))
  }
})

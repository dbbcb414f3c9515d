// Management controller commands: Get Device ID, Get System GUID, Cold Reset
// (IPMI v2.0 §20.1, §20.2, §22.14).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ColdReset } from '../../../../src/ipmi/commands/cold-reset.js'
import { GetDeviceId } from '../../../../src/ipmi/commands/get-device-id.js'
import { GetSystemGuid, formatGuid } from '../../../../src/ipmi/commands/get-system-guid.js'
import { bytes, describeCommand } from './vectors.js'

const SIM = 'ipmi_sim 2.0.33 capture'

describeCommand({
  command: GetDeviceId,
  netFn: 0x06,
  cmd: 0x01,
  minLength: 11,
  encode: [{ name: 'no data', req: undefined, hex: '', source: 'ipmitool 1.8.19 -vvvv request' }],
  decode: [
    {
      // mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02: the sim also sends 4 zero aux bytes.
      name: 'ipmi_sim test MC',
      hex: '00 | 03 | 09 | 08 | 02 | 9f | 91 12 00 | 02 0f | 00 00 00 00',
      value: {
        deviceId: 0,
        deviceRevision: 3,
        providesDeviceSdrs: false,
        firmwareMajor: 9,
        firmwareMinor: 8,
        deviceAvailable: true,
        ipmiVersion: '2.0',
        additionalDeviceSupport: 0x9f,
        manufacturerId: 0x1291,
        productId: 0x0f02,
        auxFirmwareRevision: bytes('00 00 00 00'),
      },
      source: SIM,
    },
  ],
})

const simGuid = 'a1 23 45 67 89 ab cd ef a1 23 45 67 89 ab cd ef'

describeCommand({
  command: GetSystemGuid,
  netFn: 0x06,
  cmd: 0x37,
  minLength: 16,
  encode: [{ name: 'no data', req: undefined, hex: '', source: 'spec layout' }],
  decode: [{ name: 'lan.conf guid a123456789abcdef…', hex: simGuid, value: { raw: bytes(simGuid) }, source: SIM }],
})

test('formatGuid matches what ipmitool 1.8.19 `mc guid smbios|ipmi` printed for the same bytes', () => {
  const raw = bytes(simGuid)
  assert.equal(formatGuid(raw), '674523a1-ab89-efcd-a123-456789abcdef')
  assert.equal(formatGuid(raw, 'smbios'), '674523a1-ab89-efcd-a123-456789abcdef')
  assert.equal(formatGuid(raw, 'ipmi'), 'efcdab89-6745-23a1-efcd-ab89674523a1')
  assert.equal(formatGuid(raw, 'rfc4122'), 'a1234567-89ab-cdef-a123-456789abcdef')
  assert.equal(raw.toString('hex'), simGuid.replace(/ /g, ''), 'formatting must not reorder the kept bytes')
  assert.throws(() => formatGuid(raw.subarray(0, 15)), RangeError)
})

describeCommand({
  command: ColdReset,
  netFn: 0x06,
  cmd: 0x02,
  minLength: 0,
  encode: [{ name: 'no data', req: undefined, hex: '', source: 'spec layout' }],
  decode: [{ name: 'completion code only', hex: '', value: undefined, source: 'spec layout' }],
})

test('Cold Reset is marked non-idempotent', () => {
  assert.equal(ColdReset.idempotent, false)
})

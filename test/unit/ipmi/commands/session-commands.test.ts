// Session setup commands: Get Channel Auth Caps, Get Channel Cipher Suites,
// Set Session Privilege Level, Close Session (IPMI v2.0 §22.13-22.19).
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { CloseSession } from '../../../../src/ipmi/commands/close-session.js'
import {
  GetChannelAuthCapabilities,
  supportsRmcpPlus,
  type GetChannelAuthCapabilitiesResponse,
} from '../../../../src/ipmi/commands/get-channel-auth-capabilities.js'
import {
  GetChannelCipherSuites,
  isLastCipherSuitePage,
  parseCipherSuiteRecords,
} from '../../../../src/ipmi/commands/get-channel-cipher-suites.js'
import { SetSessionPrivilegeLevel } from '../../../../src/ipmi/commands/set-session-privilege-level.js'
import { PrivilegeLevel } from '../../../../src/ipmi/commands/common.js'
import { bytes, describeCommand, isDecodeError } from './vectors.js'

const SIM = 'ipmi_sim 2.0.33 capture'
const IPMITOOL = 'ipmitool 1.8.19 -vvvv request'

const simCaps: GetChannelAuthCapabilitiesResponse = {
  channel: 1,
  ipmiV20ExtendedData: true,
  authTypes: { none: true, md2: true, md5: true, password: true, oem: false },
  kgNonZero: false,
  perMessageAuthDisabled: false,
  userLevelAuthDisabled: false,
  nonNullUsernames: true,
  nullUsernames: true,
  anonymousLogin: false,
  supportsIpmiV20: true,
  supportsIpmiV15: true,
  oemIana: 0,
  oemAuxData: 0,
}

describeCommand({
  command: GetChannelAuthCapabilities,
  netFn: 0x06,
  cmd: 0x38,
  minLength: 8,
  encode: [
    { name: 'v2.0 data, this channel, Administrator', req: { maxPrivilege: PrivilegeLevel.Administrator }, hex: '8e 04', source: IPMITOOL },
    { name: '1.5 form (pyghmi retry after 0xCC)', req: { ipmiV20Data: false, maxPrivilege: PrivilegeLevel.Administrator }, hex: '0e 04', source: 'spec layout' },
    { name: 'channel 1, Operator', req: { channel: 1, maxPrivilege: PrivilegeLevel.Operator }, hex: '81 03', source: 'spec layout' },
  ],
  rejects: [
    { name: 'privilege 0', req: { maxPrivilege: 0 as PrivilegeLevel } },
    { name: 'channel 16', req: { channel: 16, maxPrivilege: PrivilegeLevel.User } },
  ],
  decode: [
    { name: 'answer to 8e 04', hex: '01 | 97 | 06 | 03 | 00 00 00 | 00', value: simCaps, source: SIM },
    {
      name: 'answer to 0e 04 (1.5 form: byte 4 reserved)',
      hex: '01 | 17 | 06 | 00 | 00 00 00 | 00',
      value: { ...simCaps, ipmiV20ExtendedData: false, supportsIpmiV20: false, supportsIpmiV15: false },
      source: SIM,
    },
    {
      name: 'K_G set, per-message auth off, OEM auth type with IANA 343',
      hex: '02 | a0 | 38 | 02 | 57 01 00 | 05',
      value: {
        channel: 2,
        ipmiV20ExtendedData: true,
        authTypes: { none: false, md2: false, md5: false, password: false, oem: true },
        kgNonZero: true,
        perMessageAuthDisabled: true,
        userLevelAuthDisabled: true,
        nonNullUsernames: false,
        nullUsernames: false,
        anonymousLogin: false,
        supportsIpmiV20: true,
        supportsIpmiV15: false,
        oemIana: 343,
        oemAuxData: 5,
      },
      source: 'spec layout',
    },
  ],
})

test('supportsRmcpPlus needs both the v2.0 data bit and the v2.0 support bit', () => {
  assert.equal(supportsRmcpPlus(simCaps), true)
  assert.equal(supportsRmcpPlus({ ...simCaps, supportsIpmiV20: false }), false)
  assert.equal(supportsRmcpPlus(GetChannelAuthCapabilities.decode(bytes('01 17 06 03 00 00 00 00'), 0)), false)
})

// ipmi_sim pages for payload type 0, list indexes 0..5 (`raw 0x06 0x54 0x0e 0x00 0x8N`).
const simPages = [
  '01 c0 00 00 40 80 c0 01 01 40 80 c0 02 01 41 80 c0',
  '01 03 01 41 81 c0 04 01 41 82 c0 05 01 41 83 c0 06',
  '01 02 40 80 c0 07 02 42 80 c0 08 02 42 81 c0 09 02',
  '01 42 82 c0 0a 02 42 83 c0 0b 02 43 80 c0 0c 02 43',
  '01 81 c0 0d 02 43 82 c0 0e 02 43 83',
  '01',
]

describeCommand({
  command: GetChannelCipherSuites,
  netFn: 0x06,
  cmd: 0x54,
  minLength: 1,
  encode: [
    { name: 'IPMI payload, index 0', req: { listIndex: 0 }, hex: '0e 00 80', source: 'ipmitool raw, as lanplus sends it' },
    { name: 'SOL payload, channel 1, index 3', req: { channel: 1, payloadType: 1, listIndex: 3 }, hex: '01 01 83', source: 'spec layout' },
  ],
  rejects: [{ name: 'list index 64', req: { listIndex: 64 } }],
  decode: [
    { name: 'full first page', hex: simPages[0] ?? '', value: { channel: 1, recordData: bytes('c0 00 00 40 80 c0 01 01 40 80 c0 02 01 41 80 c0') }, source: SIM },
    { name: 'empty last page', hex: '01', value: { channel: 1, recordData: Buffer.alloc(0) }, source: SIM },
  ],
})

describe('parseCipherSuiteRecords', () => {
  test('joins the ipmi_sim pages and reads suites 0..14', () => {
    const pages = simPages.map((p) => GetChannelCipherSuites.decode(bytes(p), 0))
    assert.deepEqual(
      pages.map(isLastCipherSuitePage),
      [false, false, false, false, true, true],
    )
    const records = parseCipherSuiteRecords(Buffer.concat(pages.map((p) => p.recordData)))
    assert.equal(records.length, 15)
    assert.deepEqual(records[0], { id: 0, auth: 0, integrity: 0, confidentiality: 0 })
    assert.deepEqual(records[3], { id: 3, auth: 1, integrity: 1, confidentiality: 1 })
    assert.deepEqual(records[8], { id: 8, auth: 2, integrity: 2, confidentiality: 1 })
    assert.deepEqual(records[14], { id: 14, auth: 2, integrity: 3, confidentiality: 3 })
    assert.deepEqual(records.map((r) => r.id), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14])
  })

  test('reads an OEM record (0xC1 + IANA) between standard ones', () => {
    const records = parseCipherSuiteRecords(bytes('c0 11 03 44 81 | c1 80 57 01 00 01 41 82 | c0 03 01 41 81'))
    assert.deepEqual(records, [
      { id: 17, auth: 3, integrity: 4, confidentiality: 1 },
      { id: 0x80, auth: 1, integrity: 1, confidentiality: 2, oemIana: 343 },
      { id: 3, auth: 1, integrity: 1, confidentiality: 1 },
    ])
  })

  test('an IANA byte that looks like a start tag is not a record boundary', () => {
    assert.deepEqual(parseCipherSuiteRecords(bytes('c1 05 c0 c1 00 01 40 80')), [{ id: 5, auth: 1, integrity: 0, confidentiality: 0, oemIana: 0x00c1c0 }])
  })

  test('integrity and confidentiality left out read as none', () => {
    assert.deepEqual(parseCipherSuiteRecords(bytes('c0 00 00 c0 01 01')), [
      { id: 0, auth: 0, integrity: 0, confidentiality: 0 },
      { id: 1, auth: 1, integrity: 0, confidentiality: 0 },
    ])
  })

  test('empty data is an empty list', () => {
    assert.deepEqual(parseCipherSuiteRecords(Buffer.alloc(0)), [])
  })

  test('truncated or malformed record data throws IPMI_DECODE_ERROR', () => {
    for (const hex of ['c0', 'c0 03', 'c1 80 57 01', 'c1 80 57 01 00', '01 02', 'c0 03 01 41 81 ff 00']) {
      assert.throws(() => parseCipherSuiteRecords(bytes(hex)), isDecodeError, hex)
    }
  })
})

describeCommand({
  command: SetSessionPrivilegeLevel,
  netFn: 0x06,
  cmd: 0x3b,
  minLength: 1,
  encode: [
    { name: 'Administrator', req: { privilege: PrivilegeLevel.Administrator }, hex: '04', source: IPMITOOL },
    { name: 'report present level', req: { privilege: 0 }, hex: '00', source: 'spec layout' },
  ],
  rejects: [{ name: 'level 6', req: { privilege: 6 as PrivilegeLevel } }],
  decode: [
    { name: 'now Administrator', hex: '04', value: { privilege: 4 }, source: SIM },
    { name: 'dropped to User', hex: '02', value: { privilege: 2 }, source: SIM },
  ],
})

describeCommand({
  command: CloseSession,
  netFn: 0x06,
  cmd: 0x3c,
  minLength: 0,
  encode: [
    { name: 'BMC session 0x1902', req: { managedSystemSessionId: 0x1902 }, hex: '02 19 00 00', source: IPMITOOL },
    { name: 'by handle', req: { managedSystemSessionId: 0, sessionHandle: 7 }, hex: '00 00 00 00 07', source: 'spec layout' },
    { name: 'handle ignored with a real ID', req: { managedSystemSessionId: 0xa0a2a3a4, sessionHandle: 7 }, hex: 'a4 a3 a2 a0', source: 'spec layout' },
  ],
  rejects: [{ name: 'ID over 32 bits', req: { managedSystemSessionId: 2 ** 32 } }],
  decode: [{ name: 'completion code only', hex: '', value: undefined, source: SIM }],
})

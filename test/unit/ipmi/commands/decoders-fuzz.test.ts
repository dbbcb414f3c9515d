// Every decoder exported by src/ipmi/commands, fed arbitrary bytes, either
// returns a value or throws IPMI_DECODE_ERROR: never a TypeError, RangeError
// or out-of-bounds read. Also checks that no two commands share (netFn, cmd).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import * as commands from '../../../../src/ipmi/commands/index.js'
import type { IpmiCommand } from '../../../../src/ipmi/command.js'
import { isDecodeError } from './vectors.js'

function isCommand(v: unknown): v is IpmiCommand<unknown, unknown> {
  return typeof v === 'object' && v !== null && 'netFn' in v && 'cmd' in v && 'decode' in v && 'encode' in v
}

const all = Object.entries(commands).filter((e): e is [string, IpmiCommand<unknown, unknown>] => isCommand(e[1]))

const parameterDecoders: [string, (b: Uint8Array) => unknown][] = [
  ['parseCipherSuiteRecords', commands.parseCipherSuiteRecords],
  ['decodeBootFlags', commands.decodeBootFlags],
  ['decodeBootInfoAcknowledge', commands.decodeBootInfoAcknowledge],
  ['decodeBootFlagValidBitClearing', commands.decodeBootFlagValidBitClearing],
  ['decodeSetInProgress', commands.decodeSetInProgress],
]

test('index exports every command object', () => {
  assert.deepEqual(all.map(([n]) => n).sort(), [
    'ActivatePayload',
    'ChassisControl',
    'ChassisIdentify',
    'ClearSel',
    'CloseSession',
    'ColdReset',
    'DeactivatePayload',
    'GetChannelAuthCapabilities',
    'GetChannelCipherSuites',
    'GetChassisStatus',
    'GetDeviceId',
    'GetFruInventoryAreaInfo',
    'GetPayloadActivationStatus',
    'GetPayloadInstanceInfo',
    'GetSdr',
    'GetSdrRepositoryInfo',
    'GetSelEntry',
    'GetSelInfo',
    'GetSensorReading',
    'GetSensorReadingFactors',
    'GetSolConfigurationParameters',
    'GetSystemBootOptions',
    'GetSystemGuid',
    'GetUserAccess',
    'GetUserName',
    'ReadFruData',
    'ReserveSdrRepository',
    'ReserveSel',
    'SetSessionPrivilegeLevel',
    'SetSolConfigurationParameters',
    'SetSystemBootOptions',
    'SetUserAccess',
    'SetUserName',
    'SetUserPassword',
    'SetUserPayloadAccess',
  ])
})

test('no two commands share a netFn/cmd pair, and each has a name', () => {
  const seen = new Map<string, string>()
  for (const [exportName, c] of all) {
    assert.ok(c.name.length > 0, exportName)
    const key = `${c.netFn}/${c.cmd}`
    assert.equal(seen.get(key), undefined, `${exportName} reuses ${key}`)
    seen.set(key, exportName)
  }
})

const onlyDecodeErrors = (decode: (b: Buffer) => unknown) =>
  fc.property(fc.uint8Array({ maxLength: 40 }), (arr) => {
    try {
      decode(Buffer.from(arr))
    } catch (e) {
      if (!isDecodeError(e)) throw e
    }
  })

for (const [exportName, c] of all) {
  test(`${exportName}.decode throws only IPMI_DECODE_ERROR on arbitrary bytes`, () => {
    fc.assert(onlyDecodeErrors((b) => c.decode(b, 0)), { numRuns: 300 })
  })
}

for (const [name, decode] of parameterDecoders) {
  test(`${name} throws only IPMI_DECODE_ERROR on arbitrary bytes`, () => {
    fc.assert(onlyDecodeErrors(decode), { numRuns: 500 })
  })
}

// SOL-related commands: Activate/Deactivate Payload, Get Payload Activation
// Status, Get Payload Instance Info, Get/Set SOL Configuration Parameters
// (IPMI v2.0 §24, §26).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { decodeResponse } from '../../../../src/ipmi/command.js'
import { ActivatePayload, SerialAlertBehavior, type ActivatePayloadResponse } from '../../../../src/ipmi/commands/activate-payload.js'
import { DeactivatePayload } from '../../../../src/ipmi/commands/deactivate-payload.js'
import { GetPayloadActivationStatus } from '../../../../src/ipmi/commands/get-payload-activation-status.js'
import { GetPayloadInstanceInfo } from '../../../../src/ipmi/commands/get-payload-instance-info.js'
import { GetSolConfigurationParameters } from '../../../../src/ipmi/commands/get-sol-configuration-parameters.js'
import { SetSolConfigurationParameters } from '../../../../src/ipmi/commands/set-sol-configuration-parameters.js'
import { SolParameter } from '../../../../src/ipmi/commands/sol-configuration-parameters.js'
import { bytes, describeCommand } from './vectors.js'

const SIM = 'ipmi_sim 2.0.33 capture'
const IPMITOOL = 'ipmitool 1.8.19 -vvvv request'

const simActivation: ActivatePayloadResponse = {
  testMode: false,
  auxData: bytes('00 00 00 00'),
  inboundPayloadSize: 32,
  outboundPayloadSize: 0x4000,
  port: 16623,
  vlan: null,
}

describeCommand({
  command: ActivatePayload,
  netFn: 0x06,
  cmd: 0x48,
  minLength: 12,
  encode: [
    {
      name: 'ipmitool: encrypt, authenticate, alerts deferred, hold handshake (0xC6)',
      req: { instance: 1, sol: { encrypt: true, authenticate: true, serialAlerts: SerialAlertBehavior.Deferred, holdHandshake: true } },
      hex: '01 01 c6 00 00 00',
      source: 'ipmitool lib/ipmi_sol.c; accepted by ipmi_sim',
    },
    { name: 'pyghmi (0xC0)', req: { instance: 1, sol: { encrypt: true, authenticate: true } }, hex: '01 01 c0 00 00 00', source: 'pyghmi 1.5.34 request' },
    { name: 'ipmitool i82571spt: alerts succeed only (0x08)', req: { instance: 1, sol: { serialAlerts: SerialAlertBehavior.Succeed } }, hex: '01 01 08 00 00 00', source: 'ipmitool lib/ipmi_sol.c' },
    { name: 'test mode, instance 2', req: { instance: 2, sol: { testMode: true } }, hex: '01 02 20 00 00 00', source: 'spec layout' },
  ],
  rejects: [
    { name: 'instance 0', req: { instance: 0 } },
    { name: 'instance 16', req: { instance: 16 } },
    { name: 'alert behaviour 3', req: { instance: 1, sol: { serialAlerts: 3 as SerialAlertBehavior } } },
  ],
  decode: [
    { name: 'ipmi_sim on port 16623', hex: '00 00 00 00 | 20 00 | 00 40 | ef 40 | ff ff', value: simActivation, source: SIM },
    { name: 'digest example, port 16001', hex: '00 00 00 00 | 20 00 | 00 40 | 81 3e | ff ff', value: { ...simActivation, port: 16001 }, source: 'digest §4.1 ipmi_sim example' },
    {
      name: 'test mode, VLAN 100, byte-swapped port 623 reported as sent',
      hex: '01 00 00 00 | f8 00 | f8 00 | 02 6f | 64 00',
      value: { testMode: true, auxData: bytes('01 00 00 00'), inboundPayloadSize: 248, outboundPayloadSize: 248, port: 0x6f02, vlan: 100 },
      source: 'spec layout',
    },
  ],
})

test('decodeResponse: Activate Payload 0x80 is "already active on another session"', () => {
  assert.throws(
    () => decodeResponse(ActivatePayload, 0x80, Buffer.alloc(0)),
    (e: Error & { code?: string; cc?: number; retryable?: boolean; details?: Record<string, unknown> }) => {
      assert.equal(e.name, 'CompletionCodeError')
      assert.equal(e.code, 'BMC_COMMAND_FAILED')
      assert.equal(e.cc, 0x80)
      assert.equal(e.retryable, false)
      assert.equal(e.details?.meaning, 'payload already active on another session')
      assert.equal(e.details?.netFn, 0x06)
      assert.equal(e.details?.cmd, 0x48)
      assert.match(e.message, /Activate Payload failed: completion code 0x80/)
      return true
    },
  )
})

test('decodeResponse: the other Activate Payload codes and a generic one', () => {
  const meaning = (cc: number) => {
    try {
      decodeResponse(ActivatePayload, cc, Buffer.alloc(0))
    } catch (e) {
      return (e as { details: { meaning: string } }).details.meaning
    }
    return 'no error'
  }
  assert.equal(meaning(0x81), 'payload type is disabled')
  assert.equal(meaning(0x82), 'payload activation limit reached')
  assert.equal(meaning(0x83), 'cannot activate payload with encryption')
  assert.equal(meaning(0x84), 'cannot activate payload without encryption')
  assert.equal(meaning(0xcc), 'invalid data field in request')
  assert.deepEqual(decodeResponse(ActivatePayload, 0, bytes('00 00 00 00 20 00 00 40 ef 40 ff ff')), simActivation)
})

describeCommand({
  command: DeactivatePayload,
  netFn: 0x06,
  cmd: 0x49,
  minLength: 0,
  encode: [{ name: '`sol deactivate`', req: { instance: 1 }, hex: '01 01 00 00 00 00', source: IPMITOOL }],
  rejects: [{ name: 'instance 0', req: { instance: 0 } }],
  decode: [{ name: 'completion code only', hex: '', value: undefined, source: SIM }],
})

test('decodeResponse: Deactivate Payload 0x80 is "already deactivated"', () => {
  assert.throws(() => decodeResponse(DeactivatePayload, 0x80, Buffer.alloc(0)), /\(payload already deactivated\)/)
  assert.throws(() => decodeResponse(DeactivatePayload, 0x81, Buffer.alloc(0)), /\(payload type is disabled\)/)
})

describeCommand({
  command: GetPayloadActivationStatus,
  netFn: 0x06,
  cmd: 0x4a,
  minLength: 3,
  encode: [{ name: 'SOL', req: {}, hex: '01', source: SIM }],
  decode: [
    { name: 'nothing active', hex: '01 00 00', value: { instanceCapacity: 1, activeInstances: [] }, source: SIM },
    { name: 'instance 1 active', hex: '01 01 00', value: { instanceCapacity: 1, activeInstances: [1] }, source: SIM },
    { name: 'instances 2, 8, 9 and 16 of 15', hex: '0f 82 81', value: { instanceCapacity: 15, activeInstances: [2, 8, 9, 16] }, source: 'spec layout' },
  ],
})

describeCommand({
  command: GetPayloadInstanceInfo,
  netFn: 0x06,
  cmd: 0x4b,
  minLength: 4,
  encode: [{ name: 'SOL instance 1 (pyghmi keepalive)', req: { instance: 1 }, hex: '01 01', source: SIM }],
  decode: [
    {
      name: 'owned by BMC session 0x0682, serial port 1',
      hex: '82 06 00 00 | 01 00 00 00 00 00 00 00',
      value: { managedSystemSessionId: 0x0682, portNumber: 1, payloadSpecific: bytes('01 00 00 00 00 00 00 00') },
      source: SIM,
    },
    { name: 'not active, ID only', hex: '00 00 00 00', value: { managedSystemSessionId: 0, payloadSpecific: Buffer.alloc(0) }, source: 'spec layout' },
  ],
})

describeCommand({
  command: GetSolConfigurationParameters,
  netFn: 0x0c,
  cmd: 0x22,
  minLength: 1,
  encode: [
    { name: 'SOL enable on channel 1', req: { channel: 1, parameter: SolParameter.SolEnable }, hex: '01 01 00 00', source: SIM },
    { name: 'revision only, this channel', req: { revisionOnly: true, parameter: SolParameter.PayloadPort }, hex: '8e 08 00 00', source: 'spec layout' },
  ],
  rejects: [{ name: 'parameter 256', req: { parameter: 256 } }],
  decode: [
    { name: 'SOL enabled', hex: '11 01', value: { parameterRevision: 0x11, data: bytes('01') }, source: SIM },
    { name: 'revision only', hex: '11', value: { parameterRevision: 0x11, data: Buffer.alloc(0) }, source: 'spec layout' },
    { name: 'payload port 623', hex: '11 6f 02', value: { parameterRevision: 0x11, data: bytes('6f 02') }, source: 'spec layout' },
  ],
})

describeCommand({
  command: SetSolConfigurationParameters,
  netFn: 0x0c,
  cmd: 0x21,
  minLength: 0,
  encode: [
    { name: '`sol set enabled true 1`: set in progress', req: { channel: 1, parameter: SolParameter.SetInProgress, data: bytes('01') }, hex: '01 00 01', source: IPMITOOL },
    { name: '`sol set enabled true 1`: enable', req: { channel: 1, parameter: SolParameter.SolEnable, data: bytes('01') }, hex: '01 01 01', source: IPMITOOL },
    { name: 'retry 7 times every 500 ms', req: { parameter: SolParameter.SolRetry, data: bytes('07 32') }, hex: '0e 04 07 32', source: 'spec layout' },
  ],
  rejects: [{ name: 'channel 16', req: { channel: 16, parameter: 1, data: bytes('01') } }],
  decode: [{ name: 'completion code only', hex: '', value: undefined, source: SIM }],
})

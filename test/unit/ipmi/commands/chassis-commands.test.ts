// Chassis commands: Get Chassis Status, Chassis Control, Chassis Identify,
// Get/Set System Boot Options and the boot option parameter codecs (IPMI v2.0 §28).
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { ChassisAction, CHASSIS_ACTION_BY_NAME, ChassisControl } from '../../../../src/ipmi/commands/chassis-control.js'
import { ChassisIdentify } from '../../../../src/ipmi/commands/chassis-identify.js'
import { GetChassisStatus, IdentifyState, PowerRestorePolicy, type ChassisStatus } from '../../../../src/ipmi/commands/get-chassis-status.js'
import { GetSystemBootOptions, bootOverrideFrom } from '../../../../src/ipmi/commands/get-system-boot-options.js'
import {
  SetSystemBootOptions,
  bootFlagsRequest,
  bootInfoAcknowledgeRequest,
  setInProgressRequest,
  validBitClearingRequest,
} from '../../../../src/ipmi/commands/set-system-boot-options.js'
import {
  BOOT_DEVICE_BY_NAME,
  BootDevice,
  SetInProgressState,
  bootDeviceName,
  bootFlagsFor,
  decodeBootFlagValidBitClearing,
  decodeBootFlags,
  decodeBootInfoAcknowledge,
  decodeSetInProgress,
  encodeBootFlags,
  type BootFlags,
} from '../../../../src/ipmi/commands/boot-option-parameters.js'
import { bytes, describeCommand, isDecodeError } from './vectors.js'

const SIM = 'ipmi_sim 2.0.33 capture'
const IPMITOOL = 'ipmitool 1.8.19 -vvvv request'

const simStatusOn: ChassisStatus = {
  power: { powerOn: true, powerOverload: false, interlock: false, powerFault: false, powerControlFault: false, restorePolicy: PowerRestorePolicy.AlwaysOff },
  lastPowerEvent: { acFailed: false, overload: false, interlock: false, fault: false, powerOnByCommand: false },
  misc: { intrusion: false, frontPanelLockout: false, driveFault: false, coolingFault: false, identifyState: IdentifyState.Off, identifySupported: false },
}

describeCommand({
  command: GetChassisStatus,
  netFn: 0x00,
  cmd: 0x01,
  minLength: 3,
  encode: [{ name: 'no data', req: undefined, hex: '', source: IPMITOOL }],
  decode: [
    { name: 'power on, 3 bytes', hex: '01 00 00', value: simStatusOn, source: SIM },
    {
      name: 'every flag, restore previous, identify indefinite, front panel byte',
      hex: '3f | 1f | 6f | a5',
      value: {
        power: { powerOn: true, powerOverload: true, interlock: true, powerFault: true, powerControlFault: true, restorePolicy: PowerRestorePolicy.Previous },
        lastPowerEvent: { acFailed: true, overload: true, interlock: true, fault: true, powerOnByCommand: true },
        misc: { intrusion: true, frontPanelLockout: true, driveFault: true, coolingFault: true, identifyState: IdentifyState.IndefiniteOn, identifySupported: true },
        frontPanel: {
          sleepDisableAllowed: true,
          diagDisableAllowed: false,
          resetDisableAllowed: true,
          powerDisableAllowed: false,
          sleepDisabled: false,
          diagDisabled: true,
          resetDisabled: false,
          powerDisabled: true,
        },
      },
      source: 'spec layout',
    },
    {
      name: 'off, always-on policy, timed identify, AC failed',
      hex: '40 01 50 00',
      value: {
        power: { ...simStatusOn.power, powerOn: false, restorePolicy: PowerRestorePolicy.AlwaysOn },
        lastPowerEvent: { ...simStatusOn.lastPowerEvent, acFailed: true },
        misc: { ...simStatusOn.misc, identifyState: IdentifyState.TimedOn, identifySupported: true },
        frontPanel: {
          sleepDisableAllowed: false,
          diagDisableAllowed: false,
          resetDisableAllowed: false,
          powerDisableAllowed: false,
          sleepDisabled: false,
          diagDisabled: false,
          resetDisabled: false,
          powerDisabled: false,
        },
      },
      source: 'spec layout',
    },
  ],
})

describeCommand({
  command: ChassisControl,
  netFn: 0x00,
  cmd: 0x02,
  minLength: 0,
  encode: [
    { name: 'power cycle', req: { action: ChassisAction.PowerCycle }, hex: '02', source: IPMITOOL },
    { name: 'power up', req: { action: CHASSIS_ACTION_BY_NAME.on }, hex: '01', source: SIM },
    { name: 'soft shutdown', req: { action: CHASSIS_ACTION_BY_NAME.soft }, hex: '05', source: 'spec layout' },
  ],
  rejects: [{ name: 'action 6', req: { action: 6 as ChassisAction } }],
  decode: [{ name: 'completion code only', hex: '', value: undefined, source: SIM }],
})

test('Chassis Control is marked non-idempotent', () => {
  assert.equal(ChassisControl.idempotent, false)
})

describeCommand({
  command: ChassisIdentify,
  netFn: 0x00,
  cmd: 0x04,
  minLength: 0,
  encode: [
    { name: 'BMC default interval', req: {}, hex: '', source: 'ipmitool `chassis identify` with no argument' },
    { name: '10 seconds', req: { intervalSeconds: 10 }, hex: '0a', source: IPMITOOL },
    { name: 'off', req: { intervalSeconds: 0 }, hex: '00', source: 'spec layout' },
    { name: 'force on', req: { forceOn: true }, hex: '00 01', source: IPMITOOL },
  ],
  rejects: [
    { name: '256 seconds', req: { intervalSeconds: 256 } },
    { name: 'negative', req: { intervalSeconds: -1 } },
  ],
  decode: [
    { name: 'completion code only', hex: '', value: undefined, source: 'spec layout' },
    {
      name: 'ipmi_sim garbage is ignored',
      hex: '1c d7 8a 46 56 00 00 56 e0 53 e4 dd 7f 00 00 a0 98 2e 20',
      value: undefined,
      source: SIM,
    },
  ],
})

describeCommand({
  command: GetSystemBootOptions,
  netFn: 0x00,
  cmd: 0x09,
  minLength: 2,
  encode: [
    { name: 'boot flags', req: { parameter: 5 }, hex: '05 00 00', source: IPMITOOL },
    { name: 'mailbox block 2', req: { parameter: 7, setSelector: 1, blockSelector: 2 }, hex: '07 01 02', source: 'spec layout' },
  ],
  rejects: [{ name: 'parameter 128', req: { parameter: 128 } }],
  decode: [
    { name: 'boot flags after `bootdev pxe`', hex: '01 05 | 00 04 00 00 00', value: { parameterVersion: 1, parameter: 5, invalidOrLocked: false, data: bytes('00 04 00 00 00') }, source: SIM },
    { name: 'boot info ack with no data', hex: '01 04', value: { parameterVersion: 1, parameter: 4, invalidOrLocked: false, data: Buffer.alloc(0) }, source: SIM },
    { name: 'locked parameter', hex: '01 85 | 80 04 00 00 00', value: { parameterVersion: 1, parameter: 5, invalidOrLocked: true, data: bytes('80 04 00 00 00') }, source: 'spec layout' },
  ],
})

describeCommand({
  command: SetSystemBootOptions,
  netFn: 0x00,
  cmd: 0x08,
  minLength: 0,
  encode: [
    { name: 'set in progress', req: setInProgressRequest(SetInProgressState.SetInProgress), hex: '00 01', source: IPMITOOL },
    { name: 'clear BIOS/POST ack', req: bootInfoAcknowledgeRequest({ biosPost: false }), hex: '04 01 01', source: IPMITOOL },
    { name: 'bootdev cdrom', req: bootFlagsRequest(bootFlagsFor('cdrom')), hex: '05 80 14 00 00 00', source: IPMITOOL },
    { name: 'bootdev pxe persistent efiboot', req: bootFlagsRequest(bootFlagsFor('pxe', { persistent: true, uefi: true })), hex: '05 e0 04 00 00 00', source: IPMITOOL },
    { name: 'pyghmi: keep valid bit past the 60 s timeout', req: validBitClearingRequest({ dontClearOnPefReset: false, dontClearOnTimeout: true, dontClearOnWatchdogReset: false, dontClearOnPushbuttonReset: false, dontClearOnPowerUp: false }), hex: '03 08', source: 'pyghmi 1.5.34 request' },
    { name: 'commit write', req: setInProgressRequest(SetInProgressState.CommitWrite), hex: '00 02', source: 'spec layout' },
    { name: 'mark invalid', req: { parameter: 5, markInvalid: true, data: bytes('00 00 00 00 00') }, hex: '85 00 00 00 00 00', source: 'spec layout' },
  ],
  rejects: [{ name: 'parameter 128', req: { parameter: 128, data: Buffer.alloc(0) } }],
  decode: [{ name: 'completion code only', hex: '', value: undefined, source: SIM }],
})

describe('boot option parameters', () => {
  const everything: BootFlags = {
    valid: true,
    persistent: false,
    uefi: true,
    cmosClear: true,
    lockKeyboard: false,
    device: BootDevice.Floppy,
    screenBlank: false,
    lockResetButton: true,
    lockPowerButton: true,
    firmwareVerbosity: 2,
    forceProgressEventTraps: false,
    userPasswordBypass: true,
    lockSleepButton: false,
    consoleRedirection: 1,
    biosSharedModeOverride: true,
    biosMuxControl: 5,
    deviceInstance: 0x13,
  }

  test('boot flags round trip with every field set', () => {
    const wire = encodeBootFlags(everything)
    assert.equal(wire.toString('hex'), 'a0bdc90d13')
    assert.deepEqual(decodeBootFlags(wire), everything)
  })

  test('ipmi_sim read-back of `bootdev pxe` is PXE with the valid bit dropped', () => {
    const res = GetSystemBootOptions.decode(bytes('01 05 00 04 00 00 00'), 0)
    const flags = decodeBootFlags(res.data)
    assert.equal(flags.device, BootDevice.Pxe)
    assert.equal(bootDeviceName(flags.device), 'pxe')
    assert.equal(flags.valid, false)
    assert.equal(bootOverrideFrom(res), undefined)
  })

  test('bootOverrideFrom returns flags only when valid and not locked', () => {
    const valid = GetSystemBootOptions.decode(bytes('01 05 80 08 00 00 00'), 0)
    assert.equal(bootOverrideFrom(valid)?.device, BootDevice.Disk)
    assert.equal(bootOverrideFrom(GetSystemBootOptions.decode(bytes('01 85 80 08 00 00 00'), 0)), undefined)
    assert.throws(() => bootOverrideFrom(GetSystemBootOptions.decode(bytes('01 04'), 0)), RangeError)
  })

  test('device names map to the shifted values ipmitool and pyghmi send', () => {
    const shifted = Object.fromEntries(Object.entries(BOOT_DEVICE_BY_NAME).map(([n, sel]) => [n, sel << 2]))
    assert.deepEqual(shifted, { none: 0x00, pxe: 0x04, disk: 0x08, safe: 0x0c, diag: 0x10, cdrom: 0x14, bios: 0x18, floppy: 0x3c })
    assert.equal(bootDeviceName(BootDevice.RemoteCdDvd), undefined)
  })

  test('set in progress, valid bit clearing and boot info acknowledge decode', () => {
    assert.equal(decodeSetInProgress(bytes('01')), SetInProgressState.SetInProgress)
    assert.deepEqual(decodeBootFlagValidBitClearing(bytes('19')), {
      dontClearOnPefReset: true,
      dontClearOnTimeout: true,
      dontClearOnWatchdogReset: false,
      dontClearOnPushbuttonReset: false,
      dontClearOnPowerUp: true,
    })
    assert.deepEqual(decodeBootInfoAcknowledge(bytes('00 1e')), { biosPost: true, osLoader: false, osServicePartition: false, sms: false, oem: false })
  })

  test('boot info acknowledge write mask covers only the parties given', () => {
    assert.equal(bootInfoAcknowledgeRequest({ sms: true, oem: false }).data.toString(), bytes('18 10').toString())
  })

  test('short parameter data throws IPMI_DECODE_ERROR', () => {
    for (let n = 0; n < 5; n++) assert.throws(() => decodeBootFlags(bytes('80 04 00 00 00').subarray(0, n)), isDecodeError)
    assert.throws(() => decodeBootInfoAcknowledge(Buffer.alloc(0)), isDecodeError, 'ipmi_sim sends parameter 4 with no data')
    assert.throws(() => decodeBootInfoAcknowledge(bytes('00')), isDecodeError)
    assert.throws(() => decodeSetInProgress(Buffer.alloc(0)), isDecodeError)
    assert.throws(() => decodeBootFlagValidBitClearing(Buffer.alloc(0)), isDecodeError)
  })

  test('out-of-range boot flag fields are refused, not masked', () => {
    assert.throws(() => encodeBootFlags({ ...everything, device: 16 }), RangeError)
    assert.throws(() => encodeBootFlags({ ...everything, deviceInstance: 32 }), RangeError)
  })
})

// The pure mappings of ComputerSystem and Manager documents (src/redfish/map-system.ts): power
// state during transitions, reset types against the BMC's allowable values, the boot override
// both ways, identify, manager info and the system choice. No sockets.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import {
  bootOf, bootPatch, identifyPatch, identifyPropertyOf, mcInfoOf, pickResetType, pickSystem, powerStateOf, RESET_TYPES_FOR,
} from '../../../src/redfish/map-system.js'
import { POWER_ACTIONS } from '../../../src/bmc/chassis.js'

describe('powerStateOf', () => {
  it('reports the state the machine is in now, with the BMC word beside it', () => {
    assert.deepEqual(powerStateOf({ PowerState: 'On' }), { state: 'on', powerState: 'On' })
    assert.deepEqual(powerStateOf({ PowerState: 'Off' }), { state: 'off', powerState: 'Off' })
    assert.deepEqual(powerStateOf({ PowerState: 'PoweringOn' }), { state: 'off', powerState: 'PoweringOn' })
    assert.deepEqual(powerStateOf({ PowerState: 'PoweringOff' }), { state: 'on', powerState: 'PoweringOff' })
    assert.throws(() => powerStateOf({}), { code: 'BMC_PROTOCOL_ERROR' })
  })
})

describe('pickResetType', () => {
  it('every power action has reset types', () => {
    for (const a of POWER_ACTIONS) assert.ok(RESET_TYPES_FOR[a].length > 0, a)
  })
  it('takes the first candidate the BMC allows, the preferred one when it lists none', () => {
    assert.equal(pickResetType('on', RESET_TYPES_FOR.on, ['ForceOn', 'ForceOff']), 'ForceOn')
    assert.equal(pickResetType('on', RESET_TYPES_FOR.on, ['On', 'ForceOn']), 'On')
    assert.equal(pickResetType('cycle', RESET_TYPES_FOR.cycle, undefined), 'PowerCycle')
  })
  it('refuses an action the BMC does not allow, naming what it does', () => {
    assert.throws(() => pickResetType('cycle', RESET_TYPES_FOR.cycle, ['On', 'ForceOff']), (e: { code: string; details: Record<string, unknown> }) =>
      e.code === 'BMC_NOT_SUPPORTED' && e.details.allowed === 'On,ForceOff' && e.details.wanted === 'PowerCycle')
  })
})

describe('boot override', () => {
  const sys = { Boot: { BootSourceOverrideEnabled: 'Continuous', BootSourceOverrideTarget: 'Hdd', BootSourceOverrideMode: 'Legacy', 'BootSourceOverrideTarget@Redfish.AllowableValues': ['None', 'Pxe', 'Hdd'] } }
  it('reads target, persistence and mode', () => {
    assert.deepEqual(bootOf(sys), { device: 'disk', persistent: true, uefi: false, valid: true, target: 'Hdd', enabled: 'Continuous' })
    assert.equal(bootOf({ Boot: { BootSourceOverrideEnabled: 'Disabled', BootSourceOverrideTarget: 'Pxe' } }).device, 'none')
    assert.equal(bootOf({ Boot: { BootSourceOverrideEnabled: 'Once', BootSourceOverrideTarget: 'Usb' } }).device, 'unknown')
    assert.equal(bootOf({}).valid, false)
  })
  it('writes Once/Continuous and the mode only where the BMC has it', () => {
    assert.deepEqual(bootPatch(sys, 'pxe', { persistent: false, uefi: true }), { Boot: { BootSourceOverrideEnabled: 'Once', BootSourceOverrideTarget: 'Pxe', BootSourceOverrideMode: 'UEFI' } })
    assert.deepEqual(bootPatch({ Boot: {} }, 'pxe', { persistent: true, uefi: true }), { Boot: { BootSourceOverrideEnabled: 'Continuous', BootSourceOverrideTarget: 'Pxe' } })
    assert.deepEqual(bootPatch(sys, 'none', { persistent: true, uefi: true }), { Boot: { BootSourceOverrideEnabled: 'Disabled', BootSourceOverrideTarget: 'None' } })
  })
  it('refuses a target the BMC does not list, and safe mode, which Redfish lacks', () => {
    assert.throws(() => bootPatch(sys, 'cdrom', { persistent: false, uefi: false }), { code: 'BMC_NOT_SUPPORTED' })
    assert.throws(() => bootPatch({ Boot: {} }, 'safe', { persistent: false, uefi: false }), { code: 'BMC_NOT_SUPPORTED' })
  })
})

describe('identify', () => {
  it('prefers LocationIndicatorActive over the deprecated IndicatorLED', () => {
    assert.equal(identifyPropertyOf({ LocationIndicatorActive: false, IndicatorLED: 'Off' }), 'LocationIndicatorActive')
    assert.equal(identifyPropertyOf({ IndicatorLED: 'Off' }), 'IndicatorLED')
    assert.equal(identifyPropertyOf({}), undefined)
  })
  it('maps off, on and blink', () => {
    assert.deepEqual(identifyPatch('IndicatorLED', { seconds: 0, force: false }), { IndicatorLED: 'Off' })
    assert.deepEqual(identifyPatch('IndicatorLED', { seconds: 15, force: true }), { IndicatorLED: 'Lit' })
    assert.deepEqual(identifyPatch('IndicatorLED', { seconds: 15, force: false }), { IndicatorLED: 'Blinking' })
    assert.deepEqual(identifyPatch('LocationIndicatorActive', { seconds: 0, force: false }), { LocationIndicatorActive: false })
    assert.deepEqual(identifyPatch('LocationIndicatorActive', { seconds: 5, force: false }), { LocationIndicatorActive: true })
  })
})

describe('mcInfoOf and pickSystem', () => {
  it('takes firmware, model and UUID from the Manager, zeros for the IPMI-only numbers', () => {
    const v = mcInfoOf({ Id: 'bmc', FirmwareVersion: '2.1', Model: 'M', UUID: 'u', ManagerType: 'BMC', Status: { State: 'Enabled', Health: 'OK' } }, { RedfishVersion: '1.15.0' })
    assert.deepEqual([v.firmwareRevision, v.model, v.uuid, v.managerId, v.deviceId, v.deviceAvailable, v.health, v.redfishVersion], ['2.1', 'M', 'u', 'bmc', 0, true, 'OK', '1.15.0'])
  })
  it('picks the configured system by Id or path, else the first', () => {
    const m = [{ path: '/redfish/v1/Systems/a', doc: { Id: 'A' } }, { path: '/redfish/v1/Systems/b', doc: { Id: 'B' } }]
    assert.equal(pickSystem(m, undefined), m[0])
    assert.equal(pickSystem(m, 'B'), m[1])
    assert.equal(pickSystem(m, 'b'), m[1])
    assert.equal(pickSystem(m, 'c'), undefined)
  })
})

/**
 * The simulated BMC's Chassis-netFn commands (netFn 0x00): Get Chassis
 * Status (§28.2), Chassis Control (§28.3), Chassis Identify (§28.5), Set and
 * Get System Boot Options (§28.12, §28.13; parameters 0, 3, 4, 5 of Table
 * 28-14). State lives in ChassisState; every executed Chassis Control action
 * is counted there, so tests can tell "ran once" from "ran twice".
 * Choices: power cycle, hard reset, NMI and soft shutdown while off answer
 * 0xD5 (the spec recommends no action and D5h); boot flags lose their valid
 * bit 60 s after being set unless parameter 3 b3 says otherwise.
 */
import { CC, fail, ok, type CommandResult, type SimCommand, type SimContext } from './context.js'
import { Priv } from './state.js'

const CHASSIS = 0x00
const VALID_BIT_TIMEOUT_MS = 60_000

/** 0 off, 1 on for an interval, 2 on until turned off (Get Chassis Status byte 3 b5:4); also read by the Redfish side. */
export function identifyState(bmc: SimContext): number {
  const until = bmc.chassis.identifyUntilMs
  if (until === 'forever') return 2
  if (until !== undefined && bmc.nowMs() < until) return 1
  bmc.chassis.identifyUntilMs = undefined
  return 0
}

export const GetChassisStatusHandler: SimCommand = {
  name: 'Get Chassis Status', netFn: CHASSIS, cmd: 0x01, privilege: Priv.User,
  handle(data, bmc) {
    if (data.length !== 0) return fail(CC.RequestLengthInvalid)
    const c = bmc.chassis
    return ok(Buffer.from([
      (c.powerOn ? 0x01 : 0) | ((c.restorePolicy & 0x03) << 5),
      c.lastPowerEvent,
      0x40 | (identifyState(bmc) << 4), // b6: identify supported
      0x00, // front panel: no buttons can be disabled
    ]))
  },
}

export const ChassisControlHandler: SimCommand = {
  name: 'Chassis Control', netFn: CHASSIS, cmd: 0x02, privilege: Priv.Operator,
  handle(data, bmc) {
    if (data.length !== 1) return fail(CC.RequestLengthInvalid)
    const c = bmc.chassis
    const action = data[0]! & 0x0f
    if (action > 5) return fail(CC.InvalidDataField)
    if (!c.powerOn && action >= 2) return fail(CC.NotSupportedInPresentState)
    switch (action) {
      case 0: c.actions.powerDown++; c.powerOn = false; break
      case 1: c.actions.powerUp++; c.powerOn = true; c.lastPowerEvent = 0x10; break // b4: last power on by command
      case 2: c.actions.powerCycle++; c.lastPowerEvent = 0x10; break
      case 3: c.actions.hardReset++; break
      case 4: c.actions.diagnosticInterrupt++; break
      default: c.actions.softShutdown++; c.powerOn = false; break
    }
    return ok()
  },
}

export const ChassisIdentifyHandler: SimCommand = {
  name: 'Chassis Identify', netFn: CHASSIS, cmd: 0x04, privilege: Priv.Operator,
  handle(data, bmc) {
    if (data.length > 2) return fail(CC.RequestLengthInvalid)
    const force = data.length === 2 && (data[1]! & 0x01) !== 0
    const seconds = data.length >= 1 ? data[0]! : 15 // default interval when omitted
    bmc.chassis.identifyUntilMs = force ? 'forever' : seconds === 0 ? undefined : bmc.nowMs() + seconds * 1000
    return ok()
  },
}

/** Data length of each parameter this BMC supports (Table 28-14). */
const PARAM_LENGTH: Readonly<Record<number, number>> = { 0: 1, 3: 1, 4: 2, 5: 5 }

function setParameter(bmc: SimContext, param: number, d: Buffer): CommandResult {
  const boot = bmc.chassis.boot
  switch (param) {
    case 0: {
      const v = d[0]! & 0x03
      if (v === 3) return fail(CC.InvalidDataField)
      // 0x81: "set in progress" while a set is already in progress.
      if (v === 1 && boot.setInProgress === 1) return fail(0x81)
      boot.setInProgress = v
      return ok()
    }
    case 3:
      boot.validBitClearing = d[0]! & 0x1f
      return ok()
    case 4: {
      const mask = d[0]! & 0x1f
      boot.bootInfoAck = (boot.bootInfoAck & ~mask) | (d[1]! & mask)
      return ok()
    }
    default:
      boot.bootFlags = Buffer.from(d)
      if ((d[0]! & 0x80) !== 0) boot.bootFlagsSetAtMs = bmc.nowMs()
      return ok()
  }
}

export const SetSystemBootOptionsHandler: SimCommand = {
  name: 'Set System Boot Options', netFn: CHASSIS, cmd: 0x08, privilege: Priv.Operator,
  handle(data, bmc) {
    if (data.length < 1) return fail(CC.RequestLengthInvalid)
    const param = data[0]! & 0x7f
    const len = PARAM_LENGTH[param]
    if (len === undefined) return fail(0x80) // parameter not supported
    if (data.length - 1 !== len) return fail(CC.RequestLengthInvalid)
    const r = setParameter(bmc, param, data.subarray(1))
    if (r.cc === CC.Ok) {
      if ((data[0]! & 0x80) !== 0) bmc.chassis.boot.invalid.add(param)
      else bmc.chassis.boot.invalid.delete(param)
    }
    return r
  },
}

function readParameter(bmc: SimContext, param: number): Buffer {
  const boot = bmc.chassis.boot
  switch (param) {
    case 0: return Buffer.from([boot.setInProgress])
    case 3: return Buffer.from([boot.validBitClearing])
    case 4: return Buffer.from([0x00, boot.bootInfoAck])
    default: return currentBootFlags(bmc)
  }
}

/** Parameter 5 as it reads now: the valid bit is cleared 60 s after it was set unless parameter 3 b3 keeps it. */
export function currentBootFlags(bmc: SimContext): Buffer {
  const boot = bmc.chassis.boot
  const flags = boot.bootFlags
  const keep = (boot.validBitClearing & 0x08) !== 0
  if ((flags[0]! & 0x80) !== 0 && !keep && bmc.nowMs() - boot.bootFlagsSetAtMs >= VALID_BIT_TIMEOUT_MS) flags[0] = flags[0]! & 0x7f
  return Buffer.from(flags)
}

export const GetSystemBootOptionsHandler: SimCommand = {
  name: 'Get System Boot Options', netFn: CHASSIS, cmd: 0x09, privilege: Priv.Operator,
  handle(data, bmc) {
    if (data.length !== 3) return fail(CC.RequestLengthInvalid)
    const param = data[0]! & 0x7f
    if (PARAM_LENGTH[param] === undefined) return fail(0x80)
    const invalid = bmc.chassis.boot.invalid.has(param) ? 0x80 : 0
    return ok(Buffer.concat([Buffer.from([0x01, param | invalid]), readParameter(bmc, param)]))
  },
}

export const CHASSIS_COMMANDS: readonly SimCommand[] = [
  GetChassisStatusHandler, ChassisControlHandler, ChassisIdentifyHandler, SetSystemBootOptionsHandler, GetSystemBootOptionsHandler,
]

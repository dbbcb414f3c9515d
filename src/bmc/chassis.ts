/**
 * Chassis operations: power state and control, identify, boot device
 * (IPMI v2.0 §28). Each function is one operator-level action built from the
 * command codecs; the BMC's answer is returned in operator terms.
 */
import { GetChassisStatus, type ChassisStatus } from '../ipmi/commands/get-chassis-status.js'
import { ChassisControl, CHASSIS_ACTION_BY_NAME } from '../ipmi/commands/chassis-control.js'
import { ChassisIdentify } from '../ipmi/commands/chassis-identify.js'
import { GetSystemBootOptions } from '../ipmi/commands/get-system-boot-options.js'
import { bootFlagsRequest, setInProgressRequest, SetSystemBootOptions } from '../ipmi/commands/set-system-boot-options.js'
import { BootOptionParameter, bootDeviceName, bootFlagsFor, decodeBootFlags, SetInProgressState, type BootDeviceName } from '../ipmi/commands/boot-option-parameters.js'
import { IpmiError } from '../ipmi/errors.js'
import type { CommandRunner } from './runner.js'

export type PowerAction = keyof typeof CHASSIS_ACTION_BY_NAME
export const POWER_ACTIONS = Object.keys(CHASSIS_ACTION_BY_NAME) as PowerAction[]

export interface PowerState {
  state: 'on' | 'off'
}

export async function chassisStatus(r: CommandRunner): Promise<ChassisStatus> {
  return r.run(GetChassisStatus, undefined)
}

export async function powerStatus(r: CommandRunner): Promise<PowerState> {
  const s = await r.run(GetChassisStatus, undefined)
  return { state: s.power.powerOn ? 'on' : 'off' }
}

/** Chassis Control: not idempotent, so a retransmit answered 0xCF counts as done (reference §3.2). */
export async function powerControl(r: CommandRunner, action: PowerAction): Promise<{ action: PowerAction }> {
  const code = CHASSIS_ACTION_BY_NAME[action]
  if (code === undefined) throw new IpmiError('BMC_PROTOCOL_ERROR', `unknown power action ${String(action)}`)
  await r.run(ChassisControl, { action: code })
  return { action }
}

export interface IdentifyRequest {
  /** Seconds to blink (0 turns it off); default 15 as the spec's default. */
  seconds?: number
  /** On until turned off. */
  force?: boolean
}

export async function identify(r: CommandRunner, req: IdentifyRequest): Promise<{ seconds: number; force: boolean }> {
  const seconds = Math.max(0, Math.min(255, Math.floor(req.seconds ?? 15)))
  const force = req.force ?? false
  await r.run(ChassisIdentify, force ? { intervalSeconds: seconds, forceOn: true } : { intervalSeconds: seconds })
  return { seconds, force }
}

export interface BootDevice {
  device: BootDeviceName | 'unknown'
  persistent: boolean
  uefi: boolean
  /** The BMC reports the override as valid (some, like ipmi_sim, never keep this bit). */
  valid: boolean
}

export async function getBootDevice(r: CommandRunner): Promise<BootDevice> {
  const res = await r.run(GetSystemBootOptions, { parameter: BootOptionParameter.BootFlags })
  const f = decodeBootFlags(res.data)
  return { device: bootDeviceName(f.device) ?? 'unknown', persistent: f.persistent, uefi: f.uefi, valid: f.valid && !res.invalidOrLocked }
}

/**
 * Set the boot device: set-in-progress, boot flags (valid), set-complete, as
 * ipmitool does. Set-in-progress is optional in the spec, so a BMC that
 * refuses it is not an error; a refusal of the flags themselves is.
 */
export async function setBootDevice(r: CommandRunner, device: BootDeviceName, opts: { persistent?: boolean; uefi?: boolean } = {}): Promise<BootDevice> {
  const begun = await r.run(SetSystemBootOptions, setInProgressRequest(SetInProgressState.SetInProgress)).then(() => true, ignoreCompletionCode)
  try {
    await r.run(SetSystemBootOptions, bootFlagsRequest(bootFlagsFor(device, opts)))
  } finally {
    if (begun) await r.run(SetSystemBootOptions, setInProgressRequest(SetInProgressState.SetComplete)).catch(ignoreCompletionCode)
  }
  return { device, persistent: opts.persistent ?? false, uefi: opts.uefi ?? false, valid: true }
}

function ignoreCompletionCode(e: unknown): false {
  if (e instanceof IpmiError && (e.code === 'BMC_COMMAND_FAILED' || e.code === 'BMC_BUSY')) return false
  throw e
}

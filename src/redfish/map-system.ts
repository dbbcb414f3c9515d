/**
 * ComputerSystem and Manager documents in our operation shapes (the ones
 * src/bmc returns over IPMI): power state, reset types for our power
 * actions, the boot override, the identify light, the manager's identity,
 * and the choice of system among several. Pure: documents in, values out.
 * Schemas: DMTF ComputerSystem.v1 (PowerState, Boot, Actions
 * #ComputerSystem.Reset, IndicatorLED, LocationIndicatorActive), Manager.v1.
 */
import { assertNever } from '../bridge/messages.js'
import { ServiceError } from '../errors.js'
import type { BootDevice, PowerAction } from '../bmc/chassis.js'
import type { McInfo } from '../bmc/mc.js'
import type { BootDeviceName } from '../ipmi/commands/boot-option-parameters.js'
import type { Doc } from './client.js'

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)
const obj = (v: unknown): Doc => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Doc) : {})

/**
 * On and off as IPMI's chassis power bit reports them: the state the
 * machine is in now. A transition (PoweringOn, PoweringOff) is not there
 * yet, so PoweringOn reads `off` and PoweringOff `on`; `powerState` keeps
 * the BMC's word so a caller can see the transition.
 */
export function powerStateOf(system: Doc): { state: 'on' | 'off'; powerState: string } {
  const ps = str(system.PowerState)
  if (ps === undefined) throw new ServiceError('BMC_PROTOCOL_ERROR', 'the ComputerSystem has no PowerState')
  const on = ps === 'On' || ps === 'PoweringOff' || ps === 'Paused'
  return { state: on ? 'on' : 'off', powerState: ps }
}

/** Our power actions as ComputerSystem ResetType values, preferred first (Resource.v1 ResetType). */
export const RESET_TYPES_FOR: Readonly<Record<PowerAction, readonly string[]>> = {
  on: ['On', 'ForceOn'],
  off: ['ForceOff'],
  cycle: ['PowerCycle'],
  reset: ['ForceRestart'],
  soft: ['GracefulShutdown'],
  diag: ['Nmi'],
}

/** The `ResetType@Redfish.AllowableValues` of an action object, or undefined when the BMC lists none. */
export function allowableResetTypes(action: Doc): string[] | undefined {
  const v = action['ResetType@Redfish.AllowableValues']
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined
}

/**
 * The ResetType for an action: the first of ours the BMC allows. Without a
 * list (it is optional) the preferred one is sent and the BMC judges it.
 * BMC_NOT_SUPPORTED names what the BMC does allow.
 */
export function pickResetType(action: PowerAction | 'bmc', candidates: readonly string[], allowed: readonly string[] | undefined): string {
  if (allowed === undefined) return candidates[0]!
  const pick = candidates.find((c) => allowed.includes(c))
  if (pick !== undefined) return pick
  throw new ServiceError('BMC_NOT_SUPPORTED', `the BMC does not allow ${action} (it needs ResetType ${candidates.join(' or ')}; allowed: ${allowed.join(', ') || 'none'})`, {
    details: { action, wanted: candidates.join(','), allowed: allowed.join(',') },
  })
}

/** The Manager.Reset types for a BMC reset, gentlest first (IPMI's cold reset restarts the BMC too). */
export const MANAGER_RESET_TYPES = ['GracefulRestart', 'ForceRestart'] as const

/** Our boot devices as BootSourceOverrideTarget values; `safe` (disk, safe mode) has none. */
export const BOOT_TARGET_FOR: Readonly<Record<BootDeviceName, string | undefined>> = {
  none: 'None',
  pxe: 'Pxe',
  disk: 'Hdd',
  safe: undefined,
  diag: 'Diags',
  cdrom: 'Cd',
  bios: 'BiosSetup',
  floppy: 'Floppy',
}

export interface RedfishBoot extends BootDevice {
  /** The BMC's own words, for targets we have no name for (Usb, UefiHttp, ...). */
  target: string | undefined
  enabled: string | undefined
}

export function bootOf(system: Doc): RedfishBoot {
  const b = obj(system.Boot)
  const target = str(b.BootSourceOverrideTarget)
  const enabled = str(b.BootSourceOverrideEnabled)
  const name = (Object.keys(BOOT_TARGET_FOR) as BootDeviceName[]).find((k) => BOOT_TARGET_FOR[k] === target)
  const disabled = enabled === undefined || enabled === 'Disabled'
  return {
    device: disabled ? 'none' : (name ?? 'unknown'),
    persistent: enabled === 'Continuous',
    uefi: str(b.BootSourceOverrideMode) === 'UEFI',
    valid: !disabled,
    target,
    enabled,
  }
}

/** The Boot PATCH for a device; BMC_NOT_SUPPORTED when the BMC's allowable targets lack it. */
export function bootPatch(system: Doc, device: BootDeviceName, opts: { persistent: boolean; uefi: boolean }): Doc {
  const target = BOOT_TARGET_FOR[device]
  const b = obj(system.Boot)
  const allowedRaw = b['BootSourceOverrideTarget@Redfish.AllowableValues']
  const allowed = Array.isArray(allowedRaw) ? allowedRaw.filter((x): x is string => typeof x === 'string') : undefined
  if (target === undefined || (allowed !== undefined && !allowed.includes(target))) {
    throw new ServiceError('BMC_NOT_SUPPORTED', `the BMC offers no boot override to ${device}${allowed ? ` (allowed: ${allowed.join(', ')})` : ''}`, {
      details: { device, ...(allowed ? { allowed: allowed.join(',') } : {}) },
    })
  }
  const boot: Doc = device === 'none'
    ? { BootSourceOverrideEnabled: 'Disabled', BootSourceOverrideTarget: 'None' }
    : { BootSourceOverrideEnabled: opts.persistent ? 'Continuous' : 'Once', BootSourceOverrideTarget: target }
  // Only where the BMC has the property: some refuse a PATCH naming one they lack.
  if (device !== 'none' && 'BootSourceOverrideMode' in b) boot.BootSourceOverrideMode = opts.uefi ? 'UEFI' : 'Legacy'
  return { Boot: boot }
}

export type IdentifyProperty = 'LocationIndicatorActive' | 'IndicatorLED'

/** Which identify property a document has: LocationIndicatorActive (current), else IndicatorLED (deprecated). */
export function identifyPropertyOf(doc: Doc): IdentifyProperty | undefined {
  if (typeof doc.LocationIndicatorActive === 'boolean') return 'LocationIndicatorActive'
  if (typeof doc.IndicatorLED === 'string') return 'IndicatorLED'
  return undefined
}

/**
 * The PATCH for an identify request (seconds 0 = off, force = on until
 * turned off, else blink). Redfish has no timed identify: IndicatorLED
 * blinks until turned off, LocationIndicatorActive is on until turned off.
 */
export function identifyPatch(prop: IdentifyProperty, req: { seconds: number; force: boolean }): Doc {
  const off = req.seconds === 0 && !req.force
  switch (prop) {
    case 'LocationIndicatorActive':
      return { LocationIndicatorActive: !off }
    case 'IndicatorLED':
      return { IndicatorLED: off ? 'Off' : req.force ? 'Lit' : 'Blinking' }
    default:
      return assertNever(prop)
  }
}

export interface RedfishMcInfo extends McInfo {
  managerId: string
  name: string | undefined
  model: string | undefined
  uuid: string | undefined
  managerType: string | undefined
  health: string | undefined
  redfishVersion: string | undefined
}

/**
 * The Manager as mc.info's shape. The IPMI-only numbers (device id,
 * revision, manufacturer and product ids) have no Redfish source and read 0;
 * ipmiVersion is empty; the Redfish facts come in fields of their own.
 */
export function mcInfoOf(manager: Doc, root: Doc): RedfishMcInfo {
  const status = obj(manager.Status)
  return {
    deviceId: 0,
    deviceRevision: 0,
    firmwareRevision: str(manager.FirmwareVersion) ?? '',
    ipmiVersion: '',
    manufacturerId: 0,
    productId: 0,
    providesDeviceSdrs: false,
    deviceAvailable: str(status.State) === undefined || str(status.State) === 'Enabled',
    additionalDeviceSupport: [],
    managerId: str(manager.Id) ?? '',
    name: str(manager.Name),
    model: str(manager.Model),
    uuid: str(manager.UUID),
    managerType: str(manager.ManagerType),
    health: str(status.Health),
    redfishVersion: str(root.RedfishVersion),
  }
}

/** The member a configured system id names (its Id, or its path's last segment), else the first; undefined for none. */
export function pickSystem<T extends { path: string; doc: Doc }>(members: readonly T[], systemId: string | undefined): T | undefined {
  if (systemId === undefined) return members[0]
  return members.find((m) => m.doc.Id === systemId || m.path.replace(/\/+$/, '').split('/').pop() === systemId)
}

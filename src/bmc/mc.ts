/**
 * Management controller operations: identity (Get Device ID, Get System
 * GUID) and Cold Reset (IPMI v2.0 §20).
 */
import { GetDeviceId, type DeviceId } from '../ipmi/commands/get-device-id.js'
import { GetSystemGuid, formatGuid, type GuidLayout } from '../ipmi/commands/get-system-guid.js'
import { ColdReset } from '../ipmi/commands/cold-reset.js'
import { IpmiError } from '../ipmi/errors.js'
import type { CommandRunner } from './runner.js'

export interface McInfo {
  deviceId: number
  deviceRevision: number
  /** As ipmitool prints it: major.minor with the BCD minor as two digits ("9.08"). */
  firmwareRevision: string
  ipmiVersion: string
  manufacturerId: number
  productId: number
  providesDeviceSdrs: boolean
  deviceAvailable: boolean
  additionalDeviceSupport: string[]
  auxFirmwareRevision?: string
}

const DEVICE_SUPPORT_BITS = ['Sensor Device', 'SDR Repository Device', 'SEL Device', 'FRU Inventory Device', 'IPMB Event Receiver', 'IPMB Event Generator', 'Bridge', 'Chassis Device']

export function describeDeviceId(d: DeviceId): McInfo {
  const out: McInfo = {
    deviceId: d.deviceId,
    deviceRevision: d.deviceRevision,
    firmwareRevision: `${d.firmwareMajor}.${String(d.firmwareMinor).padStart(2, '0')}`,
    ipmiVersion: d.ipmiVersion,
    manufacturerId: d.manufacturerId,
    productId: d.productId,
    providesDeviceSdrs: d.providesDeviceSdrs,
    deviceAvailable: d.deviceAvailable,
    additionalDeviceSupport: DEVICE_SUPPORT_BITS.filter((_, i) => (d.additionalDeviceSupport & (1 << i)) !== 0),
  }
  if (d.auxFirmwareRevision !== undefined) out.auxFirmwareRevision = d.auxFirmwareRevision.toString('hex')
  return out
}

export async function mcInfo(r: CommandRunner): Promise<McInfo> {
  return describeDeviceId(await r.run(GetDeviceId, undefined))
}

/**
 * Vendors disagree on the GUID byte order (FreeIPMI "guidformat"). Like
 * ipmitool, pick the first layout whose version nibble is a defined UUID
 * version (1-5): SMBIOS order, then the IPMI spec's full reversal, then as is.
 */
export async function systemGuid(r: CommandRunner): Promise<{ guid: string; encoding: GuidLayout; raw: string }> {
  const g = await r.run(GetSystemGuid, undefined)
  const layouts: GuidLayout[] = ['smbios', 'ipmi', 'rfc4122']
  const pick = layouts.find((l) => /^[1-5]$/.test(formatGuid(g.raw, l)[14] ?? '')) ?? 'smbios'
  return { guid: formatGuid(g.raw, pick), encoding: pick, raw: g.raw.toString('hex') }
}

/**
 * Cold Reset. The BMC reboots and often never answers, so silence after the
 * request counts as "probably done" (reference §3.2); the session is gone
 * either way and the caller must log in again.
 */
export async function coldReset(r: CommandRunner, timeoutMs = 3000): Promise<{ reset: true; answered: boolean }> {
  try {
    await r.run(ColdReset, undefined, { timeoutMs, retries: 1 })
    return { reset: true, answered: true }
  } catch (e) {
    if (e instanceof IpmiError && e.code === 'BMC_UNREACHABLE') return { reset: true, answered: false }
    throw e
  }
}

/**
 * What the Redfish resource builders read: the one simulated BMC (its IPMI
 * state: users, chassis, boot flags, device identity), its hardware
 * (sensors, SDRs, FRU, SEL), the power sequencer and the Redfish sessions.
 * Nothing here is a copy: every resource is built from this state when it
 * is read, so a change over IPMI shows on the next GET.
 */
import type { SimHardware } from '../hardware.js'
import type { SimBmc } from '../sim-bmc.js'
import type { SessionTable } from './auth.js'
import type { PowerSequencer } from './power.js'

export interface RedfishView {
  readonly bmc: SimBmc
  readonly hardware: SimHardware
  readonly power: PowerSequencer
  readonly sessions: SessionTable
  /** Wall time, ms since 1970 (DateTime properties). */
  wallNow(): number
}

/** The GUID as a UUID string (8-4-4-4-12 hex digits of its 16 bytes in order). */
export function uuidOf(guid: Buffer): string {
  const h = guid.toString('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

/** Redfish DateTime: ISO 8601 with an explicit +00:00 offset. */
export function dateTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00')
}

/**
 * Human-readable output of `bmcvisor ipmi` results, close to ipmitool's
 * wording where operators know it ("Chassis Power is on").
 */
import type { BmcUser } from '../bmc/users.js'
import { formatHardware } from './format-hardware.js'

function kv(o: Record<string, unknown>, pad = 26): string {
  return Object.entries(o)
    .map(([k, v]) => `${k.padEnd(pad)}: ${Array.isArray(v) ? v.join(', ') : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}`)
    .join('\n')
}

export function formatResult(cmd: string[], r: unknown): string {
  const [a, b] = cmd
  const o = r as Record<string, unknown>
  if (a === 'sdr' || a === 'sensors' || a === 'fru' || a === 'sel') return formatHardware(cmd, r)
  if (a === 'power' || (a === 'chassis' && b === 'power')) {
    if ('state' in o) return `Chassis Power is ${String(o.state)}`
    return `Chassis Power Control: ${String(o.action)}`
  }
  if (a === 'bootdev' && b !== undefined) return `Set Boot Device to ${String(o.device)}${o.persistent === true ? ' (persistent)' : ''}${o.uefi === true ? ' (UEFI)' : ''}`
  if (a === 'identify') return Number(o.seconds) === 0 && o.force !== true ? 'Chassis identify interval: off' : o.force === true ? 'Chassis identify interval: indefinite' : `Chassis identify interval: ${String(o.seconds)} seconds`
  if (a === 'user' && b === 'list') return formatUsers(r as BmcUser[])
  if (a === 'chassis' && b === 'status') return formatChassis(o)
  return kv(o)
}

function formatUsers(users: BmcUser[]): string {
  const head = 'ID  Name              Enabled  Link Auth  IPMI Msg  Priv Limit'
  const rows = users.map((u) =>
    `${String(u.id).padEnd(4)}${u.name.padEnd(18)}${String(u.enabled ?? 'n/a').padEnd(9)}${String(u.linkAuth).padEnd(11)}${String(u.ipmiMessaging).padEnd(10)}${u.privilege}`)
  return [head, ...rows].join('\n')
}

function formatChassis(o: Record<string, unknown>): string {
  const p = (o.power ?? {}) as Record<string, unknown>
  const m = (o.misc ?? {}) as Record<string, unknown>
  return kv({
    'System Power': p.powerOn === true ? 'on' : 'off',
    'Power Overload': p.powerOverload,
    'Power Interlock': p.interlock ? 'active' : 'inactive',
    'Main Power Fault': p.powerFault,
    'Power Control Fault': p.powerControlFault,
    'Power Restore Policy': p.restorePolicy,
    'Chassis Intrusion': m.intrusion ? 'active' : 'inactive',
    'Front-Panel Lockout': m.frontPanelLockout ? 'active' : 'inactive',
    'Drive Fault': m.driveFault,
    'Cooling/Fan Fault': m.coolingFault,
  })
}

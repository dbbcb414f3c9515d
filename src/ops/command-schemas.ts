/**
 * Bodies and values of the command routes, and how a body becomes the
 * worker op's arguments (the worker checks them again against the op's args schema).
 * Names follow DESIGN.md (`{state}`, `{device, persistent, mode}`), with
 * confluent's boot device names accepted as aliases.
 */
import { Type } from 'typebox'
import { USER_PRIVILEGES } from '../bmc/users.js'
import { ServiceError } from '../errors.js'

export const POWER_STATES = ['on', 'off', 'cycle', 'reset', 'soft', 'diag'] as const
export const PowerBody = Type.Object({
  state: Type.Enum([...POWER_STATES], { description: 'on, off (hard), cycle, reset (hard), soft (ACPI shutdown), diag (NMI)' }),
}, { additionalProperties: false })

/** bmcvisor's (ipmitool's) names, then confluent's aliases. */
const BOOT_ALIASES: Record<string, string> = { network: 'pxe', hd: 'disk', setup: 'bios', cd: 'cdrom', default: 'none' }
export const BOOT_DEVICES = ['none', 'pxe', 'disk', 'safe', 'diag', 'cdrom', 'bios', 'floppy', ...Object.keys(BOOT_ALIASES)]
export const BootBody = Type.Object({
  device: Type.Enum(BOOT_DEVICES),
  persistent: Type.Optional(Type.Boolean({ description: 'Every boot, not only the next one.' })),
  mode: Type.Optional(Type.Enum(['bios', 'uefi'])),
}, { additionalProperties: false })

export const bootValue = {
  schema: Type.Object({ device: Type.String(), persistent: Type.Boolean(), mode: Type.Enum(['bios', 'uefi']), valid: Type.Boolean() }),
  args: (b: Record<string, unknown>) => ({
    device: BOOT_ALIASES[String(b.device)] ?? b.device,
    persistent: b.persistent === true,
    uefi: b.mode === 'uefi',
  }),
  map: (v: unknown) => {
    const o = v as { device: string; persistent: boolean; uefi: boolean; valid: boolean }
    return { device: o.device, persistent: o.persistent, mode: o.uefi ? 'uefi' : 'bios', valid: o.valid }
  },
}

export const IDENTIFY_STATES = ['on', 'off', 'blink'] as const
export const IdentifyBody = Type.Object({
  state: Type.Optional(Type.Enum([...IDENTIFY_STATES], { description: 'on: until turned off; off; blink: for `seconds` (default 15).' })),
  seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 255 })),
}, { additionalProperties: false })

export function identifyArgs(b: Record<string, unknown>): { seconds: number; force?: boolean } {
  if (b.state === 'off') return { seconds: 0 }
  if (b.state === 'on') return { seconds: 15, force: true }
  return { seconds: typeof b.seconds === 'number' ? b.seconds : 15 }
}

export const UserBody = Type.Object({
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 16, pattern: '^[\\x21-\\x7e]+$', description: 'Printable ASCII, no spaces, at most 16.' })),
  password: Type.Optional(Type.String({ minLength: 1, maxLength: 20, writeOnly: true, description: 'Write-only, 1 to 20 bytes.' })),
  privilege: Type.Optional(Type.Enum(USER_PRIVILEGES)),
  enabled: Type.Optional(Type.Boolean()),
  sol: Type.Optional(Type.Boolean({ description: 'Grant (or revoke) Serial-over-LAN payload access.' })),
}, { additionalProperties: false, minProperties: 1 })

export function userArgs(b: Record<string, unknown>, params: Record<string, string>): Record<string, unknown> {
  if (typeof b.password === 'string' && Buffer.byteLength(b.password, 'utf8') > 20) {
    throw new ServiceError('VALIDATION_FAILED', 'body.password is longer than 20 bytes (IPMI 2.0 limit)', { details: { field: 'body.password' } })
  }
  const out: Record<string, unknown> = { id: Number(params.uid) }
  for (const k of ['name', 'password', 'privilege', 'enabled', 'sol']) if (b[k] !== undefined) out[k] = b[k]
  return out
}

export const MC_INFO_VALUE = Type.Object({
  deviceId: Type.Integer(),
  deviceRevision: Type.Integer(),
  firmwareRevision: Type.String(),
  ipmiVersion: Type.String(),
  manufacturerId: Type.Integer(),
  productId: Type.Integer(),
  providesDeviceSdrs: Type.Boolean(),
  deviceAvailable: Type.Boolean(),
  additionalDeviceSupport: Type.Array(Type.String()),
  auxFirmwareRevision: Type.Optional(Type.String()),
})

export const BMC_USER_VALUE = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  enabled: Type.Union([Type.Boolean(), Type.Null()]),
  privilege: Type.String(),
  ipmiMessaging: Type.Boolean(),
  linkAuth: Type.Boolean(),
  callbackOnly: Type.Boolean(),
  channel: Type.Integer(),
})

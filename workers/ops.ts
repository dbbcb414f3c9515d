/**
 * The operations a BMC worker runs for callers (bridge OpName -> src/bmc).
 * Arguments arrive from another thread as plain objects: each op checks
 * what it reads and answers VALIDATION_FAILED for anything else.
 */
import type { OpName } from '../src/bridge/messages.js'
import { ServiceError } from '../src/errors.js'
import type { CommandRunner } from '../src/bmc/runner.js'
import { chassisStatus, getBootDevice, identify, POWER_ACTIONS, powerControl, powerStatus, setBootDevice, type PowerAction } from '../src/bmc/chassis.js'
import { coldReset, mcInfo, systemGuid } from '../src/bmc/mc.js'
import { listUsers, setUser, USER_PRIVILEGES, type UserChange, type UserPrivilege } from '../src/bmc/users.js'
import { BOOT_DEVICE_BY_NAME, type BootDeviceName } from '../src/ipmi/commands/boot-option-parameters.js'
import { nodeHealth, readSensors } from '../src/bmc/sensors.js'
import { listFru } from '../src/bmc/fru.js'
import { clearSel, listSel } from '../src/bmc/sel.js'
import type { SdrCache } from '../src/bmc/sdr.js'

type Args = Record<string, unknown>

function invalid(field: string, message: string): ServiceError {
  return new ServiceError('VALIDATION_FAILED', message, { details: { field } })
}

function optBool(a: Args, k: string): boolean | undefined {
  const v = a[k]
  if (v === undefined) return undefined
  if (typeof v !== 'boolean') throw invalid(k, `${k} must be a boolean`)
  return v
}

function optInt(a: Args, k: string, min: number, max: number): number | undefined {
  const v = a[k]
  if (v === undefined) return undefined
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw invalid(k, `${k} must be an integer from ${min} to ${max}`)
  return v
}

function optString(a: Args, k: string): string | undefined {
  const v = a[k]
  if (v === undefined) return undefined
  if (typeof v !== 'string') throw invalid(k, `${k} must be a string`)
  return v
}

/** Per-BMC state an op may use; owned by the worker's current link. */
export interface OpContext {
  /** The BMC's SDR cache: sensors, health, inventory and event text share one walk. */
  sdr: SdrCache
}

export type BmcOp = (r: CommandRunner, args: Args, ctx: OpContext) => Promise<unknown>

export const BMC_OPS: Partial<Record<OpName, BmcOp>> = {
  'power.status': (r) => powerStatus(r),
  'power.set': (r, a) => {
    const action = a.action
    if (typeof action !== 'string' || !POWER_ACTIONS.includes(action as PowerAction)) throw invalid('action', `action must be one of ${POWER_ACTIONS.join(', ')}`)
    return powerControl(r, action as PowerAction)
  },
  'chassis.status': (r) => chassisStatus(r),
  'boot.get': (r) => getBootDevice(r),
  'boot.set': (r, a) => {
    const device = a.device
    if (typeof device !== 'string' || !(device in BOOT_DEVICE_BY_NAME)) throw invalid('device', `device must be one of ${Object.keys(BOOT_DEVICE_BY_NAME).join(', ')}`)
    return setBootDevice(r, device as BootDeviceName, { persistent: optBool(a, 'persistent') ?? false, uefi: optBool(a, 'uefi') ?? false })
  },
  identify: (r, a) => {
    const seconds = optInt(a, 'seconds', 0, 255)
    const force = optBool(a, 'force')
    return identify(r, { ...(seconds !== undefined ? { seconds } : {}), ...(force !== undefined ? { force } : {}) })
  },
  'mc.info': (r) => mcInfo(r),
  'mc.guid': (r) => systemGuid(r),
  'mc.reset': (r) => coldReset(r),
  'users.list': (r, a) => listUsers(r, optInt(a, 'channel', 0, 15)),
  'sensors.list': async (r, a, ctx) => {
    const type = optString(a, 'type')
    const report = await readSensors(r, { cache: ctx.sdr })
    if (type === undefined) return report
    // Filter by sensor type name, case-insensitively ("temperature", "fan", "voltage").
    const want = type.toLowerCase()
    return { ...report, sensors: report.sensors.filter((s) => s.sensorType.toLowerCase() === want) }
  },
  health: (r, _a, ctx) => nodeHealth(r, { cache: ctx.sdr }),
  inventory: (r, _a, ctx) => listFru(r, { cache: ctx.sdr }),
  'events.list': async (r, _a, ctx) => listSel(r, { sdr: (await ctx.sdr.read(r)).records }),
  'events.clear': (r) => clearSel(r),
  'users.set': (r, a) => {
    const id = optInt(a, 'id', 1, 63)
    if (id === undefined) throw invalid('id', 'id is required')
    const change: UserChange = {}
    const name = optString(a, 'name')
    const password = optString(a, 'password')
    const privilege = optString(a, 'privilege')
    const enabled = optBool(a, 'enabled')
    const channel = optInt(a, 'channel', 0, 15)
    if (name !== undefined) change.name = name
    if (password !== undefined) change.password = password
    if (privilege !== undefined) {
      if (!USER_PRIVILEGES.includes(privilege as UserPrivilege)) throw invalid('privilege', `privilege must be one of ${USER_PRIVILEGES.join(', ')}`)
      change.privilege = privilege as UserPrivilege
    }
    if (enabled !== undefined) change.enabled = enabled
    if (channel !== undefined) change.channel = channel
    return setUser(r, id, change)
  },
}

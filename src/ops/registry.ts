/**
 * The operation registry: every BMC operation, once (types.ts has the
 * shape). The worker's dispatch and argument check (workers/ops.ts), the REST
 * routes per node and per noderange and so the OpenAPI document
 * (api/routes/commands.ts), the bmcvisor_commands_total and
 * bmcvisor_command_duration_seconds label set (metrics/definitions.ts) and
 * the CLI verbs (cli/op-command.ts) all read OPS; a new entry here is a new
 * operation everywhere (test/api/op-registry.test.ts).
 * Each op runs over IPMI (`run`) and, where Redfish has a form, over
 * Redfish (`redfish`); chassis.status is IPMI's alone.
 * Console reopen, session info and worker resources are not here: they are
 * control messages of the worker (bridge ControlName), not BMC operations.
 */
import { Type } from 'typebox'
import { chassisStatus, getBootDevice, identify, POWER_ACTIONS, powerControl, powerStatus, setBootDevice } from '../bmc/chassis.js'
import { coldReset, mcInfo, systemGuid } from '../bmc/mc.js'
import { listUsers, setUser, USER_PRIVILEGES, type UserChange } from '../bmc/users.js'
import { nodeHealth, readSensors } from '../bmc/sensors.js'
import { listFru } from '../bmc/fru.js'
import { clearSel, listSel } from '../bmc/sel.js'
import { BOOT_DEVICE_BY_NAME, type BootDeviceName } from '../ipmi/commands/boot-option-parameters.js'
import {
  BMC_USER_VALUE, BOOT_DEVICES, BootBody, bootValue, IDENTIFY_STATES, IdentifyBody, identifyArgs, MC_INFO_VALUE, POWER_STATES, PowerBody, UserBody, userArgs,
} from './command-schemas.js'
import { userSetOptions } from './cli-options.js'
import { EVENTS_VALUE, HEALTH_VALUE, INVENTORY_VALUE, SENSOR_REPORT_VALUE } from './hardware-schemas.js'
import {
  boardCell, bootCell, field, fruCountCell, healthCell, identifyCell, mcInfoCell, selCountCell, selLastCell, sensorCountCell, sensorHealthCell, usersCell, changedCell,
} from './cli-cells.js'
import * as rf from '../redfish/ops.js'
import { op, type OpSpec } from './types.js'

/** An op's deadline when its caller names none (a LAN round trip with retransmits fits well inside). */
export const COMMAND_TIMEOUT_MS = 10_000

const NoArgs = Type.Object({}, { additionalProperties: false })
const Open = Type.Object({}, { additionalProperties: true })
const Flag = Type.Optional(Type.Boolean())
const Channel = Type.Optional(Type.Integer({ minimum: 0, maximum: 15 }))
const Uid = Type.String({ pattern: '^(?:[1-9]|[1-5][0-9]|6[0-3])$', description: 'BMC user id, 1 to 63.' })
const defaults = { timeoutMs: COMMAND_TIMEOUT_MS }
/** `bmcvisor help` lines of the verbs that several ops share. */
const HELP = {
  power: 'power status or control for a noderange on a running server',
  boot: 'next boot device of a noderange, or set it (pxe, disk, bios, ...)',
  bmc: 'BMC firmware and device id of a noderange, or reset the BMCs',
  events: 'system event log of a noderange, or clear it',
}

/** A sensor report with only the sensors of one type; type names match case-insensitively ("temperature", "fan", "voltage"). */
function ofType<R extends { sensors: readonly { sensorType: string }[] }>(report: R, type: string | undefined): R {
  if (type === undefined) return report
  const want = type.toLowerCase()
  return { ...report, sensors: report.sensors.filter((s) => s.sensorType.toLowerCase() === want) }
}

function identifyRequest(a: { seconds?: number | undefined; force?: boolean | undefined }): { seconds?: number; force?: boolean } {
  return { ...(a.seconds !== undefined ? { seconds: a.seconds } : {}), ...(a.force !== undefined ? { force: a.force } : {}) }
}

export const OPS = {
  'power.status': op({
    ...defaults, summary: 'Power state', role: 'viewer', mutating: false, args: NoArgs,
    result: Type.Object({
      state: Type.Enum(['on', 'off']),
      powerState: Type.Optional(Type.String({ description: "Redfish nodes: the BMC's own PowerState (On, Off, PoweringOn, PoweringOff); `state` is what the machine is while a transition runs." })),
    }),
    run: (r) => powerStatus(r),
    redfish: (s, _a, o) => rf.powerStatus(s, o),
    rest: { method: 'GET', path: 'power', action: 'power.get' },
    cli: { verb: 'power', words: ['status'], default: true, columns: [{ header: 'state', cell: field('state') }], help: HELP.power },
  }),
  'power.set': op({
    ...defaults, summary: `Power control (${POWER_STATES.join(', ')})`, role: 'operator', mutating: true,
    args: Type.Object({ action: Type.Enum(POWER_ACTIONS) }, { additionalProperties: false }),
    result: Type.Object({ action: Type.String() }),
    run: (r, a) => powerControl(r, a.action),
    redfish: (s, a, o) => rf.powerControl(s, a.action, o),
    rest: { method: 'PUT', path: 'power', action: 'power.set', body: PowerBody, toArgs: (b) => ({ action: b.state }) },
    cli: { verb: 'power', words: POWER_STATES, body: (word) => ({ state: word }), columns: [{ header: 'action', cell: field('action') }], help: HELP.power },
  }),
  'chassis.status': op({ ...defaults, summary: 'Chassis status', role: 'viewer', mutating: false, args: NoArgs, result: Open, run: (r) => chassisStatus(r) }),
  'boot.get': op({
    ...defaults, summary: 'Next boot device', role: 'viewer', mutating: false, args: NoArgs, result: bootValue.schema,
    run: (r) => getBootDevice(r),
    redfish: (s, _a, o) => rf.getBootDevice(s, o),
    rest: { method: 'GET', path: 'boot', action: 'boot.get', fromResult: bootValue.map },
    cli: { verb: 'boot', words: ['status'], default: true, columns: [{ header: 'boot', cell: bootCell }], help: HELP.boot },
  }),
  'boot.set': op({
    ...defaults, summary: `Set the next boot device (${BOOT_DEVICES.join(', ')})`, role: 'operator', mutating: true,
    args: Type.Object({ device: Type.Enum(Object.keys(BOOT_DEVICE_BY_NAME)), persistent: Flag, uefi: Flag }, { additionalProperties: false }),
    result: bootValue.schema,
    run: (r, a) => setBootDevice(r, a.device as BootDeviceName, { persistent: a.persistent ?? false, uefi: a.uefi ?? false }),
    redfish: (s, a, o) => rf.setBootDevice(s, a.device as BootDeviceName, { persistent: a.persistent ?? false, uefi: a.uefi ?? false }, o),
    rest: { method: 'PUT', path: 'boot', action: 'boot.set', body: BootBody, toArgs: bootValue.args, fromResult: bootValue.map },
    cli: { verb: 'boot', words: BOOT_DEVICES, body: (word) => ({ device: word }), columns: [{ header: 'boot', cell: bootCell }], help: HELP.boot },
  }),
  identify: op({
    ...defaults, summary: 'Chassis identify light: on, off, or blink for N seconds', role: 'operator', mutating: true,
    args: Type.Object({ seconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 255 })), force: Flag }, { additionalProperties: false }),
    result: Type.Object({ seconds: Type.Integer(), force: Type.Boolean() }),
    run: (r, a) => identify(r, identifyRequest(a)),
    redfish: (s, a, o) => rf.identify(s, identifyRequest(a), o),
    rest: { method: 'PUT', path: 'identify', action: 'identify', body: IdentifyBody, toArgs: identifyArgs },
    cli: { verb: 'identify', words: IDENTIFY_STATES, body: (word) => ({ state: word }), columns: [{ header: 'identify', cell: identifyCell }], help: 'chassis identify light of a noderange: on, off or blink' },
  }),
  'mc.info': op({
    ...defaults, summary: 'BMC device id and firmware', role: 'viewer', mutating: false, args: NoArgs, result: MC_INFO_VALUE,
    run: (r) => mcInfo(r),
    redfish: (s, _a, o) => rf.mcInfo(s, o),
    rest: { method: 'GET', path: 'bmc', action: 'bmc.get' },
    cli: { verb: 'bmc', words: ['info'], default: true, columns: [{ header: 'bmc', cell: mcInfoCell }], help: HELP.bmc },
  }),
  'mc.guid': op({ ...defaults, summary: 'System GUID', role: 'viewer', mutating: false, args: NoArgs, result: Open, run: (r) => systemGuid(r), redfish: (s, _a, o) => rf.systemGuid(s, o) }),
  'mc.reset': op({
    ...defaults, summary: 'BMC cold reset', role: 'operator', mutating: true, args: NoArgs,
    result: Type.Object({ reset: Type.Boolean(), answered: Type.Boolean() }),
    run: (r) => coldReset(r),
    redfish: (s, _a, o) => rf.resetBmc(s, o),
    rest: { method: 'POST', path: 'bmc/reset', action: 'bmc.reset' },
    cli: { verb: 'bmc', words: ['reset'], columns: [{ header: 'reset', cell: field('reset') }], help: HELP.bmc },
  }),
  'users.list': op({
    ...defaults, summary: 'BMC user accounts', role: 'admin', mutating: false,
    args: Type.Object({ channel: Channel }, { additionalProperties: false }), result: Type.Array(BMC_USER_VALUE),
    run: (r, a) => listUsers(r, a.channel),
    // Redfish accounts belong to no IPMI channel: `channel` does not apply.
    redfish: (s, _a, o) => rf.listUsers(s, o),
    rest: { method: 'GET', path: 'bmc/users', action: 'bmc.users.list' },
    cli: { verb: 'users', words: ['list'], default: true, columns: [{ header: 'users', cell: usersCell }], help: 'BMC user accounts of a noderange: list them, or create or change one (admin)' },
  }),
  'users.set': op({
    ...defaults, role: 'admin', mutating: true,
    summary: 'Create or change a BMC account (name, password, privilege, enabled, SOL access); bmcvisor keeps using its own credentials',
    args: Type.Object({
      id: Type.Integer({ minimum: 1, maximum: 63 }), name: Type.Optional(Type.String()), password: Type.Optional(Type.String()),
      privilege: Type.Optional(Type.Enum(USER_PRIVILEGES)), enabled: Flag, sol: Flag, channel: Channel,
    }, { additionalProperties: false }),
    result: Type.Object({ id: Type.Integer(), changed: Type.Array(Type.String()) }),
    run: (r, { id, ...rest }) => setUser(r, id, rest as UserChange),
    redfish: (s, { id, channel: _channel, ...rest }, o) => rf.setUser(s, id, rest as UserChange, o),
    rest: { method: 'PUT', path: 'bmc/users/:uid', action: 'bmc.users.set', body: UserBody, params: { uid: Uid }, toArgs: userArgs },
    cli: {
      verb: 'users', words: ['set'], params: ['uid'], options: userSetOptions(USER_PRIVILEGES),
      example: ['3', '--name', 'ops', '--privilege', 'operator', '--enable', '--sol'],
      columns: [{ header: 'changed', cell: changedCell }], help: 'BMC user accounts of a noderange: list them, or create or change one (admin)',
    },
  }),
  'sensors.list': op({
    ...defaults, role: 'viewer', mutating: false,
    summary: 'Sensor readings with units, states and health (the SDR is cached per BMC); ?type=Temperature filters by sensor type',
    args: Type.Object({ type: Type.Optional(Type.String()) }, { additionalProperties: false }), result: SENSOR_REPORT_VALUE,
    run: async (r, a, ctx) => ofType(await readSensors(r, { cache: ctx.sdr }), a.type),
    redfish: async (s, a, o) => ofType(await rf.readSensors(s, o), a.type),
    rest: {
      method: 'GET', path: 'sensors', action: 'sensors.get', expensive: true,
      query: { type: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Sensor type name as listed (Temperature, Fan, Voltage, ...).' })) },
      toArgs: (_b, _p, q) => (q.type === undefined ? {} : { type: q.type }),
    },
    cli: { verb: 'sensors', words: ['list'], default: true, columns: [{ header: 'sensors', cell: sensorCountCell }, { header: 'health', cell: sensorHealthCell }], help: 'sensor readings and their health for a noderange' },
  }),
  health: op({
    ...defaults, summary: 'Health summary from the sensors: ok, warning, critical or failed', role: 'viewer', mutating: false, args: NoArgs, result: HEALTH_VALUE,
    run: (r, _a, ctx) => nodeHealth(r, { cache: ctx.sdr }),
    redfish: (s, _a, o) => rf.nodeHealth(s, o),
    rest: { method: 'GET', path: 'health', action: 'health.get', expensive: true },
    cli: { verb: 'health', words: ['status'], default: true, columns: [{ header: 'health', cell: healthCell }], help: 'health summary (ok, warning, critical, failed) of a noderange' },
  }),
  inventory: op({
    ...defaults, summary: 'FRU inventory: chassis, board and product areas of every FRU device', role: 'viewer', mutating: false, args: NoArgs, result: INVENTORY_VALUE,
    run: (r, _a, ctx) => listFru(r, { cache: ctx.sdr }),
    redfish: (s, _a, o) => rf.listInventory(s, o),
    rest: { method: 'GET', path: 'inventory', action: 'inventory.get', expensive: true },
    cli: { verb: 'inventory', words: ['list'], default: true, columns: [{ header: 'frus', cell: fruCountCell }, { header: 'board', cell: boardCell }], help: 'FRU inventory of a noderange' },
  }),
  'events.list': op({
    ...defaults, summary: 'System event log (SEL) entries with sensor names and event texts', role: 'viewer', mutating: false, args: NoArgs, result: EVENTS_VALUE,
    run: async (r, _a, ctx) => listSel(r, { sdr: (await ctx.sdr.read(r)).records }),
    redfish: (s, _a, o) => rf.listEvents(s, o),
    rest: { method: 'GET', path: 'events', action: 'events.get', expensive: true },
    cli: { verb: 'events', words: ['list'], default: true, columns: [{ header: 'entries', cell: selCountCell }, { header: 'last', cell: selLastCell }], help: HELP.events },
  }),
  'events.clear': op({
    ...defaults, summary: 'Clear the system event log', role: 'operator', mutating: true, args: NoArgs,
    result: Type.Object({ cleared: Type.Boolean(), entriesBefore: Type.Integer() }),
    run: (r) => clearSel(r),
    redfish: (s, _a, o) => rf.clearEvents(s, o),
    rest: { method: 'DELETE', path: 'events', action: 'events.clear', expensive: true },
    cli: { verb: 'events', words: ['clear'], columns: [{ header: 'cleared', cell: field('entriesBefore') }], help: HELP.events },
  }),
} as const satisfies Record<string, OpSpec>

export type OpName = keyof typeof OPS
/** The registry as the derivations read it (tests pass their own with a fixture op). */
export type OpRegistry = Readonly<Record<string, OpSpec>>
export const REGISTRY: OpRegistry = OPS as unknown as OpRegistry

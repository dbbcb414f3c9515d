/**
 * Sensor, SDR repository, FRU and SEL commands of the simulated BMC,
 * answered from a SimHardware: Get Sensor Reading (§35.14, Table 35-15),
 * Get Sensor Thresholds (§35.9), Get FRU Inventory Area Info (§34.1), Read
 * FRU Data (§34.2), Get SDR Repository Info (§33.9), Reserve SDR Repository
 * (§33.11), Get SDR (§33.12), Get SEL Info (§31.2), Reserve SEL (§31.4),
 * Get SEL Entry (§31.5), Add SEL Entry (§31.6), Clear SEL (§31.9), Get SEL
 * Time (§31.10). Also wraps Chassis Control so power changes reach the SEL.
 * Choices: partial reads (offset != 0 or a count other than FFh) need the
 * current reservation (C5h otherwise), whole-record reads do not; a read
 * past a record's end returns what is there; Read FRU Data returns at most
 * 128 bytes per call (real BMCs cap it; clients must advance by the count).
 */
import { ChassisControlHandler } from './chassis-commands.js'
import { CC, fail, ok, type SimCommand, type SimContext } from './context.js'
import { SimHardware, type SimHardwareOptions } from './hardware.js'
import { Priv } from './state.js'

const SENSOR = 0x04
const STORAGE = 0x0a
const FRU_MAX_READ = 128
const RESERVATION_CANCELLED = 0xc5
const NOT_PRESENT = 0xcb

function nextReservation(id: number): number {
  return id >= 0xffff ? 1 : id + 1
}

/** Record `id` (0 = first, FFFFh = last) of a list keyed by the 16-bit ID in bytes 0-1; with its successor's ID. */
function findRecord(list: readonly Buffer[], id: number): { rec: Buffer; next: number } | undefined {
  if (list.length === 0) return undefined
  const i = id === 0 ? 0 : id === 0xffff ? list.length - 1 : list.findIndex((r) => r.readUInt16LE(0) === id)
  const rec = list[i]
  if (rec === undefined) return undefined
  return { rec, next: list[i + 1]?.readUInt16LE(0) ?? 0xffff }
}

function u16(v: number): Buffer {
  const b = Buffer.alloc(2)
  b.writeUInt16LE(v & 0xffff)
  return b
}

function u32(v: number): Buffer {
  const b = Buffer.alloc(4)
  b.writeUInt32LE(v >>> 0)
  return b
}

export function hardwareCommands(hw: SimHardware): SimCommand[] {
  const readSlice = (list: readonly Buffer[], data: Buffer, reservation: number) => {
    const resv = data.readUInt16LE(0)
    const found = findRecord(list, data.readUInt16LE(2))
    const offset = data[4]!
    const count = data[5]!
    if ((offset !== 0 || count !== 0xff) && (resv === 0 || resv !== reservation)) return fail(RESERVATION_CANCELLED) // 0 is never a reservation
    if (found === undefined) return fail(NOT_PRESENT)
    if (offset > found.rec.length) return fail(CC.ParameterOutOfRange)
    const slice = found.rec.subarray(offset, count === 0xff ? undefined : offset + count)
    return ok(Buffer.concat([u16(found.next), slice]))
  }
  return [
    {
      name: 'Get Sensor Reading', netFn: SENSOR, cmd: 0x2d, privilege: Priv.User,
      handle(data) {
        if (data.length !== 1) return fail(CC.RequestLengthInvalid)
        const r = hw.reading(data[0]!)
        if (r === undefined) return fail(NOT_PRESENT)
        // Byte 2: b7 events enabled, b6 scanning enabled, b5 reading unavailable.
        const flags = 0xc0 | (r.unavailable ? 0x20 : 0)
        const threshold = hw.isThresholdSensor(data[0]!) === true
        // Reserved bits read back as 1 (b7:6 of byte 3 for thresholds, b7 of byte 4 for discrete states).
        const states = threshold ? [0xc0 | (r.states & 0x3f)] : [r.states & 0xff, 0x80 | ((r.states >> 8) & 0x7f)]
        return ok(Buffer.from([r.raw, flags, ...states]))
      },
    },
    {
      name: 'Get Sensor Thresholds', netFn: SENSOR, cmd: 0x27, privilege: Priv.User,
      handle(data) {
        if (data.length !== 1) return fail(CC.RequestLengthInvalid)
        const kind = hw.isThresholdSensor(data[0]!)
        if (kind === undefined) return fail(NOT_PRESENT)
        return ok(hw.thresholds(data[0]!) ?? Buffer.alloc(7))
      },
    },
    {
      name: 'Get FRU Inventory Area Info', netFn: STORAGE, cmd: 0x10, privilege: Priv.User,
      handle(data) {
        if (data.length !== 1) return fail(CC.RequestLengthInvalid)
        if (data[0] !== 0) return fail(NOT_PRESENT)
        return ok(Buffer.concat([u16(hw.fru.length), Buffer.from([0x00])])) // b0 = 0: byte access
      },
    },
    {
      name: 'Read FRU Data', netFn: STORAGE, cmd: 0x11, privilege: Priv.User,
      handle(data) {
        if (data.length !== 4) return fail(CC.RequestLengthInvalid)
        if (data[0] !== 0) return fail(NOT_PRESENT)
        const offset = data.readUInt16LE(1)
        if (offset >= hw.fru.length) return fail(CC.ParameterOutOfRange)
        const n = Math.min(data[3]!, FRU_MAX_READ, hw.fru.length - offset)
        return ok(Buffer.concat([Buffer.from([n]), hw.fru.subarray(offset, offset + n)]))
      },
    },
    {
      name: 'Get SDR Repository Info', netFn: STORAGE, cmd: 0x20, privilege: Priv.User,
      handle(data) {
        if (data.length !== 0) return fail(CC.RequestLengthInvalid)
        // Operation support: b6:5 = 01b non-modal updates, b1 Reserve SDR Repository supported.
        return ok(Buffer.concat([Buffer.from([0x51]), u16(hw.sdr.length), u16(0xfffe), u32(hw.sdrLastAddSeconds), u32(hw.sdrLastAddSeconds), Buffer.from([0x22])]))
      },
    },
    {
      name: 'Reserve SDR Repository', netFn: STORAGE, cmd: 0x22, privilege: Priv.User,
      handle(data) {
        if (data.length !== 0) return fail(CC.RequestLengthInvalid)
        hw.sdrReservation = nextReservation(hw.sdrReservation)
        return ok(u16(hw.sdrReservation))
      },
    },
    {
      name: 'Get SDR', netFn: STORAGE, cmd: 0x23, privilege: Priv.User,
      handle(data) {
        if (data.length !== 6) return fail(CC.RequestLengthInvalid)
        return readSlice(hw.sdr, data, hw.sdrReservation)
      },
    },
    {
      name: 'Get SEL Info', netFn: STORAGE, cmd: 0x40, privilege: Priv.User,
      handle(data) {
        if (data.length !== 0) return fail(CC.RequestLengthInvalid)
        const free = Math.min(0xffff, (hw.selCapacity - hw.sel.length) * 16)
        const full = hw.sel.length >= hw.selCapacity ? 0x80 : 0
        // b1: Reserve SEL supported.
        return ok(Buffer.concat([Buffer.from([0x51]), u16(hw.sel.length), u16(free), u32(hw.selLastAddSeconds), u32(hw.selLastEraseSeconds), Buffer.from([full | 0x02])]))
      },
    },
    {
      name: 'Reserve SEL', netFn: STORAGE, cmd: 0x42, privilege: Priv.User,
      handle(data) {
        if (data.length !== 0) return fail(CC.RequestLengthInvalid)
        hw.selReservation = nextReservation(hw.selReservation)
        return ok(u16(hw.selReservation))
      },
    },
    {
      name: 'Get SEL Entry', netFn: STORAGE, cmd: 0x43, privilege: Priv.User,
      handle(data) {
        if (data.length !== 6) return fail(CC.RequestLengthInvalid)
        return readSlice(hw.sel, data, hw.selReservation)
      },
    },
    {
      name: 'Add SEL Entry', netFn: STORAGE, cmd: 0x44, privilege: Priv.Operator,
      handle(data) {
        if (data.length !== 16) return fail(CC.RequestLengthInvalid)
        const id = hw.addRawSel(data)
        if (id === undefined) return fail(0x80) // SEL full (out of space)
        hw.selReservation = nextReservation(hw.selReservation) // an addition cancels reservations
        return ok(u16(id))
      },
    },
    {
      name: 'Clear SEL', netFn: STORAGE, cmd: 0x47, privilege: Priv.Operator,
      handle(data) {
        if (data.length !== 6) return fail(CC.RequestLengthInvalid)
        if (data.toString('latin1', 2, 5) !== 'CLR') return fail(CC.InvalidDataField)
        if (data.readUInt16LE(0) !== hw.selReservation) return fail(RESERVATION_CANCELLED)
        const action = data[5]!
        if (action !== 0x00 && action !== 0xaa) return fail(CC.InvalidDataField)
        // The reservation survives the erase, so the status poll that follows it still works.
        if (action === 0xaa) hw.clearSel()
        return ok(Buffer.from([0x01])) // erasure completed: the erase is instant here
      },
    },
    {
      name: 'Get SEL Time', netFn: STORAGE, cmd: 0x48, privilege: Priv.User,
      handle(data) {
        if (data.length !== 0) return fail(CC.RequestLengthInvalid)
        return ok(u32(hw.seconds()))
      },
    },
    {
      ...ChassisControlHandler,
      handle(data, bmc, session) {
        const wasOn = bmc.chassis.powerOn
        const r = ChassisControlHandler.handle(data, bmc, session)
        if (r.cc === CC.Ok) hw.logChassisAction(data[0]! & 0x0f, wasOn)
        return r
      },
    },
  ]
}

/** What attachHardware needs of a BMC: its context plus the command seam. */
export interface HardwareHost extends SimContext {
  registerCommand(c: SimCommand): void
}

/** Gives a SimBmc sensors, SDRs, FRU 0 and a SEL (and says so in Get Device ID). */
export function attachHardware(bmc: HardwareHost, opts: SimHardwareOptions = {}): SimHardware {
  const hw = new SimHardware(bmc, opts)
  bmc.device.additionalDeviceSupport |= 0x0f
  for (const c of hardwareCommands(hw)) bmc.registerCommand(c)
  return hw
}

/**
 * The simulated server's hardware as its BMC reports it: a handful of
 * sensors (CPU and inlet temperature, a fan, the 12 V rail, PSU presence and
 * the power unit), the SDR repository that describes them, FRU 0 (chassis,
 * board and product areas) and the System Event Log, which records chassis
 * power changes as the Power Unit sensor's events.
 * Owns: the records (built once with records.ts), the SEL and both
 * reservation IDs. Readings are computed from the clock and the chassis
 * state (slow sine waves, offset per BMC so a fleet is not uniform; fans and
 * the 12 V rail read "unavailable" while powered off). Commands live in
 * hardware-commands.ts. Spec: IPMI v2.0 §31-§35, §43; readings Table 35-15.
 */
import type { SimContext } from './context.js'
import {
  encodeCompactSensorRecord, encodeFruImage, encodeFullSensorRecord, encodeMcLocatorRecord, encodeSelEvent,
  thresholdMask, type CompactSensorSpec, type FruSpec, type FullSensorSpec, type SelEventSpec,
} from './records.js'

export interface SimHardwareOptions {
  /** Distinguishes BMCs of a fleet: serial numbers and reading phases (default 0). */
  index?: number
  /** Wall time in ms since 1970 for SEL and SDR timestamps (default Date.now). */
  wallClock?: () => number
  /** SEL entries before it is full (default 512). */
  selCapacity?: number
}

export interface SensorReading {
  raw: number
  unavailable: boolean
  /** Threshold comparison bits (b5:0) or discrete states (b14:0). */
  states: number
}

interface ThresholdModel {
  kind: 'threshold'
  spec: FullSensorSpec
  /** Raw value, or undefined when the reading is unavailable. */
  raw(t: number, powerOn: boolean): number | undefined
}

interface DiscreteModel {
  kind: 'discrete'
  spec: CompactSensorSpec
  states(powerOn: boolean): number
}

type SensorModel = ThresholdModel | DiscreteModel

/** Sensor numbers of the simulated board. */
export const SimSensor = { CpuTemp: 1, InletTemp: 2, Fan1: 3, Volt12: 4, Psu1Status: 5, PowerUnit: 6, SelLogging: 7 } as const

/** Sensor-specific offsets (Table 42-3). */
const POWER_UNIT = { type: 0x09, powerOff: 0, powerCycle: 1 }
const EVENT_LOGGING = { type: 0x10, logCleared: 2 }
const SPECIFIC = 0x6f

export class SimHardware {
  readonly sdr: Buffer[]
  readonly fru: Buffer
  /** What FRU 0 holds, as fields (the Redfish side reports the same serial numbers). */
  readonly identity: Required<Pick<FruSpec, 'chassis' | 'board' | 'product'>>
  sel: Buffer[] = []
  sdrReservation = 0
  selReservation = 0
  readonly sdrLastAddSeconds: number
  selLastAddSeconds = 0xffffffff
  selLastEraseSeconds = 0xffffffff
  readonly selCapacity: number
  private readonly sensors = new Map<number, SensorModel>()
  private nextSelId = 1
  private readonly wall: () => number
  private readonly phase: number

  constructor(private readonly bmc: SimContext, opts: SimHardwareOptions = {}) {
    const index = opts.index ?? 0
    this.wall = opts.wallClock ?? Date.now
    this.phase = (index * 0.7) % (2 * Math.PI)
    this.selCapacity = opts.selCapacity ?? 512
    const wave = (t: number, periodS: number) => Math.sin((2 * Math.PI * t) / periodS + this.phase)
    const models: SensorModel[] = [
      {
        kind: 'threshold',
        spec: { recordId: 2, sensorNumber: SimSensor.CpuTemp, name: 'CPU Temp', entity: { id: 0x03, instance: 1 }, sensorType: 0x01, baseUnit: 1, m: 1, nominal: 45, thresholds: { unc: 85, ucr: 95, unr: 105 } },
        raw: (t, on) => (on ? Math.round(46 + 8 * wave(t, 120) + (index % 5)) : 27),
      },
      {
        kind: 'threshold',
        spec: { recordId: 3, sensorNumber: SimSensor.InletTemp, name: 'Inlet Temp', entity: { id: 0x37, instance: 1 }, sensorType: 0x01, baseUnit: 1, m: 1, nominal: 22, thresholds: { unc: 35, ucr: 40, unr: 45 } },
        raw: (t) => Math.round(22 + 2 * wave(t, 600)),
      },
      {
        kind: 'threshold',
        spec: { recordId: 4, sensorNumber: SimSensor.Fan1, name: 'Fan1', entity: { id: 0x1d, instance: 1 }, sensorType: 0x04, baseUnit: 18, m: 60, nominal: 100, thresholds: { lnc: 33, lcr: 25 } },
        raw: (t, on) => (on ? Math.round(100 + 8 * wave(t, 90)) : undefined),
      },
      {
        kind: 'threshold',
        // 0.06 V per count: M = 6, R exponent -2; 200 counts = 12.00 V.
        spec: { recordId: 5, sensorNumber: SimSensor.Volt12, name: '12V', entity: { id: 0x07, instance: 1 }, sensorType: 0x02, baseUnit: 4, m: 6, rExp: -2, nominal: 200, thresholds: { lcr: 180, lnc: 188, unc: 212, ucr: 220 } },
        raw: (t, on) => (on ? Math.round(200 + 1.5 * wave(t, 45)) : undefined),
      },
      {
        kind: 'discrete',
        spec: { recordId: 6, sensorNumber: SimSensor.Psu1Status, name: 'PSU1 Status', entity: { id: 0x0a, instance: 1 }, sensorType: 0x08, eventReadingType: SPECIFIC, states: 0x000f },
        states: () => 0x0001, // presence detected
      },
      {
        kind: 'discrete',
        spec: { recordId: 7, sensorNumber: SimSensor.PowerUnit, name: 'Power Unit', entity: { id: 0x15, instance: 1 }, sensorType: POWER_UNIT.type, eventReadingType: SPECIFIC, states: 0x0003 },
        states: (on) => (on ? 0x0000 : 0x0001), // offset 0: power off / power down
      },
    ]
    for (const m of models) this.sensors.set(m.spec.sensorNumber, m)
    this.sdr = [
      encodeMcLocatorRecord(1, 'Sim BMC'),
      ...models.map((m) => (m.kind === 'threshold' ? encodeFullSensorRecord(m.spec) : encodeCompactSensorRecord(m.spec))),
    ]
    const serial = String(index).padStart(5, '0')
    this.identity = {
      chassis: { type: 0x17, partNumber: 'SIM-CH-2U', serialNumber: `SIMC${serial}` },
      board: { mfgDateMinutes: 14_500_000, manufacturer: 'bmcvisor', productName: 'SIM-1000 Mainboard', serialNumber: `SIMB${serial}`, partNumber: 'SIM-MB-01', fruFileId: 'sim-fru-1' },
      product: { manufacturer: 'bmcvisor', productName: 'Simulated Server', partNumber: 'SIM-1000', version: '1.0', serialNumber: `SIM${serial}`, assetTag: `RACK1-U${(index % 42) + 1}`, fruFileId: 'sim-fru-1' },
    }
    this.fru = encodeFruImage(this.identity)
    const now = this.seconds()
    this.sdrLastAddSeconds = now - 3600
    // A history: the log was cleared, the PSU was found, the host was powered on.
    this.addSel({ timestamp: now - 3600, sensorType: EVENT_LOGGING.type, sensorNumber: SimSensor.SelLogging, eventType: SPECIFIC, data: [EVENT_LOGGING.logCleared] })
    this.addSel({ timestamp: now - 3590, sensorType: 0x08, sensorNumber: SimSensor.Psu1Status, eventType: SPECIFIC, data: [0x00] })
    this.addSel({ timestamp: now - 3580, sensorType: POWER_UNIT.type, sensorNumber: SimSensor.PowerUnit, eventType: SPECIFIC, deassertion: true, data: [POWER_UNIT.powerOff] })
  }

  /** Seconds since 1970, as SEL timestamps count. */
  seconds(): number {
    return Math.floor(this.wall() / 1000)
  }

  reading(sensorNumber: number): SensorReading | undefined {
    const m = this.sensors.get(sensorNumber)
    if (m === undefined) return undefined
    const on = this.bmc.chassis.powerOn
    if (m.kind === 'discrete') return { raw: 0, unavailable: false, states: m.states(on) }
    const raw = m.raw(this.bmc.nowMs() / 1000, on)
    if (raw === undefined) return { raw: 0, unavailable: true, states: 0 }
    const v = Math.max(0, Math.min(0xff, raw))
    const t = m.spec.thresholds
    // Comparison status (Table 35-15 byte 3): at or below a lower threshold, at or above an upper one.
    const states =
      (t.lnc !== undefined && v <= t.lnc ? 0x01 : 0) | (t.lcr !== undefined && v <= t.lcr ? 0x02 : 0) | (t.lnr !== undefined && v <= t.lnr ? 0x04 : 0) |
      (t.unc !== undefined && v >= t.unc ? 0x08 : 0) | (t.ucr !== undefined && v >= t.ucr ? 0x10 : 0) | (t.unr !== undefined && v >= t.unr ? 0x20 : 0)
    return { raw: v, unavailable: false, states }
  }

  /** Readable mask and raw values for Get Sensor Thresholds; undefined for unknown or discrete sensors. */
  thresholds(sensorNumber: number): Buffer | undefined {
    const m = this.sensors.get(sensorNumber)
    if (m?.kind !== 'threshold') return undefined
    const t = m.spec.thresholds
    return Buffer.from([thresholdMask(t), t.lnc ?? 0, t.lcr ?? 0, t.lnr ?? 0, t.unc ?? 0, t.ucr ?? 0, t.unr ?? 0])
  }

  isThresholdSensor(sensorNumber: number): boolean | undefined {
    const m = this.sensors.get(sensorNumber)
    return m === undefined ? undefined : m.kind === 'threshold'
  }

  /** Appends a SEL event (ID and, unless given, timestamp assigned here); false when the SEL is full. */
  addSel(e: Omit<SelEventSpec, 'recordId' | 'timestamp'> & { timestamp?: number }): boolean {
    if (this.sel.length >= this.selCapacity) return false
    const timestamp = e.timestamp ?? this.seconds()
    this.sel.push(encodeSelEvent({ ...e, recordId: this.nextSelId, timestamp }))
    this.nextSelId = this.nextSelId >= 0xfffe ? 1 : this.nextSelId + 1
    this.selLastAddSeconds = timestamp
    return true
  }

  /** Stores a record given by Add SEL Entry: its ID is replaced, and the timestamp for timestamped types. */
  addRawSel(record: Buffer): number | undefined {
    if (this.sel.length >= this.selCapacity) return undefined
    const r = Buffer.from(record)
    const id = this.nextSelId
    r.writeUInt16LE(id, 0)
    if (r[2]! < 0xe0) r.writeUInt32LE(this.seconds() >>> 0, 3) // types C0h-DFh and system events carry a timestamp
    this.sel.push(r)
    this.nextSelId = id >= 0xfffe ? 1 : id + 1
    this.selLastAddSeconds = this.seconds()
    return id
  }

  clearSel(): void {
    this.sel = []
    this.nextSelId = 1
    this.selLastEraseSeconds = this.seconds()
    // As most BMCs do, the erase itself is the first new entry.
    this.addSel({ sensorType: EVENT_LOGGING.type, sensorNumber: SimSensor.SelLogging, eventType: SPECIFIC, data: [EVENT_LOGGING.logCleared] })
  }

  /** Logs what a Chassis Control action did to the power unit. */
  logChassisAction(action: number, wasOn: boolean): void {
    const pu = { sensorType: POWER_UNIT.type, sensorNumber: SimSensor.PowerUnit, eventType: SPECIFIC }
    if ((action === 0 || action === 5) && wasOn) this.addSel({ ...pu, data: [POWER_UNIT.powerOff] })
    else if (action === 1 && !wasOn) this.addSel({ ...pu, deassertion: true, data: [POWER_UNIT.powerOff] })
    else if (action === 2) this.addSel({ ...pu, data: [POWER_UNIT.powerCycle] })
  }
}

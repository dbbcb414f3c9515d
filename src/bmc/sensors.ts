/**
 * Sensor readings of one BMC and its health summary: the SDR (through an
 * SdrCache the caller owns) names every Full and Compact sensor; Get Sensor
 * Reading (IPMI v2.0 §35.14) gives the raw reading and state bits; the
 * Full record's factors turn it into units (§36.3, sensor-conversion.ts).
 * Values, units and the status column follow ipmitool 1.8.19's `sdr list` /
 * `sensor list` rules (ipmi_sdr_read_sensor_value):
 * - a numeric value only for Full threshold sensors whose analog format is
 *   not "no numeric reading"; others report their raw byte and states;
 * - a reading is absent when the BMC answers with a completion code (CBh =
 *   sensor not present), scanning is disabled, or the "reading unavailable"
 *   bit is set: that is an empty reading, never an error for the list.
 * Non-linear sensors (linearization 70h-7Fh) get Get Sensor Reading Factors
 * for each reading; like ipmitool, their thresholds use the same factors.
 * Thresholds come from the SDR (readable ones only), not from Get Sensor
 * Thresholds, so a read costs one command per sensor.
 * Limitation: the session addresses only the BMC (20h, LUN 0); sensors owned
 * by other controllers or LUNs, and records naming the reserved sensor
 * number FFh, are listed as "not-addressable".
 */
import { GetSensorReading, type GetSensorReadingResponse } from '../ipmi/commands/get-sensor-reading.js'
import { GetSensorReadingFactors } from '../ipmi/commands/get-sensor-reading-factors.js'
import { CompletionCodeError, IpmiDecodeError } from '../ipmi/errors.js'
import { BMC_SA } from '../ipmi/lan-message.js'
import { AnalogFormat, convertReading, formatUnits, isNonLinear, type ConversionFactors } from '../ipmi/sensor-conversion.js'
import { assertedStates } from '../ipmi/sensor-events.js'
import { isSensorRecord, type SensorRecord } from '../ipmi/sdr-records.js'
import { THRESHOLDS, sensorTypeName, shortThresholdStatus, thresholdStatus, type ThresholdName, type ThresholdStatus } from '../ipmi/sensor-types.js'
import type { CommandRunner } from './runner.js'
import { SdrCache, type SdrReadOptions } from './sdr.js'
import { discreteHealth, thresholdHealth, worst, type Health } from './sensor-health.js'

/** The `sdr list` status column: threshold state, "ok" for a readable discrete sensor, "ns" without a reading. */
export type SensorStatus = 'ok' | 'nc' | 'cr' | 'nr' | 'ns'

export type UnavailableReason =
  | 'scanning-disabled'
  | 'reading-unavailable'
  /** CBh: the BMC says the sensor is not present. */
  | 'not-present'
  /** Any other completion code; `error` has it. */
  | 'command-failed'
  /** Owned by another controller or LUN; this session cannot address it. */
  | 'not-addressable'

export interface SensorReading {
  name: string
  sensorNumber: number
  recordId: number
  recordKind: 'full' | 'compact'
  /** Entity ID.instance, as ipmitool prints it ("3.1"). */
  entity: string
  sensorType: string
  sensorTypeCode: number
  eventReadingType: number
  /** Event/reading type 01h. */
  threshold: boolean
  /** The raw reading byte; null without a reading. */
  raw: number | null
  /** The reading in `unit`; null for sensors without a numeric reading, or without a reading. */
  value: number | null
  unit: string | null
  status: SensorStatus
  /** Threshold sensors with a reading: the most severe threshold crossed. */
  thresholdState?: ThresholdStatus
  /** Readable thresholds in units (numeric threshold sensors only). */
  thresholds: Partial<Record<ThresholdName, number>>
  /** Get Sensor Reading bytes 3-4 (b7 of byte 4 dropped); null without a reading. */
  states: number | null
  /** Names of the asserted discrete states, in offset order. */
  assertedStates: string[]
  health: Health | 'unknown'
  unavailable?: UnavailableReason
  error?: { code: string; message: string; completionCode?: number }
}

export interface HealthSummary {
  status: Health
  sensors: number
  counts: Record<Health | 'unknown', number>
  /** Sensors whose health is not ok, worst first. */
  problems: { sensor: string; sensorNumber: number; health: Health; reason: string }[]
}

export interface SensorReport {
  sensors: SensorReading[]
  health: HealthSummary
  /** Whether the SDR came from the cache. */
  sdrCached: boolean
}

export interface SensorReadOptions extends SdrReadOptions {
  /** The BMC's SDR cache; without one the repository is walked on every call. */
  cache?: SdrCache
  /** Readings in flight at once (default 4; the session queues beyond its own limit). */
  concurrency?: number
}

function isNumeric(rec: SensorRecord): boolean {
  return rec.kind === 'full' && rec.eventReadingType === 0x01 && rec.analogFormat !== AnalogFormat.NoNumeric
}

function toValue(rec: SensorRecord, f: ConversionFactors, raw: number): number | null {
  if (rec.kind !== 'full') return null
  const v = convertReading(f, rec.analogFormat, rec.linearization, raw)
  return v === undefined || !Number.isFinite(v) ? null : v
}

/** A reading entry before the BMC was asked: identity, units and SDR thresholds. */
function baseReading(rec: SensorRecord, factors: ConversionFactors | undefined): SensorReading {
  const thresholds: Partial<Record<ThresholdName, number>> = {}
  const numeric = isNumeric(rec)
  if (numeric && rec.kind === 'full' && factors !== undefined) {
    THRESHOLDS.forEach((t, i) => {
      if ((rec.readableThresholds & (1 << i)) === 0) return
      const v = toValue(rec, factors, rec.thresholds[t])
      if (v !== null) thresholds[t] = v
    })
  }
  return {
    name: rec.name,
    sensorNumber: rec.key.sensorNumber,
    recordId: rec.recordId,
    recordKind: rec.kind,
    entity: `${rec.entity.id}.${rec.entity.instance}`,
    sensorType: sensorTypeName(rec.sensorType),
    sensorTypeCode: rec.sensorType,
    eventReadingType: rec.eventReadingType,
    threshold: rec.eventReadingType === 0x01,
    raw: null,
    value: null,
    unit: numeric && rec.kind === 'full' ? formatUnits(rec.units) : null,
    status: 'ns',
    thresholds,
    states: null,
    assertedStates: [],
    health: 'unknown',
  }
}

/**
 * Interprets one Get Sensor Reading answer against the sensor's record.
 * `factors` are the record's own, or for non-linear sensors the ones Get
 * Sensor Reading Factors returned for this raw reading (undefined if that
 * failed: then there is no numeric value, as in ipmitool).
 */
export function interpretReading(rec: SensorRecord, res: GetSensorReadingResponse, factors?: ConversionFactors): SensorReading {
  const out = baseReading(rec, factors)
  if (!res.scanningEnabled) return { ...out, unavailable: 'scanning-disabled' }
  if (res.readingUnavailable) return { ...out, unavailable: 'reading-unavailable' }
  out.raw = res.raw
  out.states = res.states
  if (out.threshold) {
    const ts = thresholdStatus(res.states)
    out.thresholdState = ts
    out.status = shortThresholdStatus(ts)
    out.health = thresholdHealth(ts)
  } else {
    out.status = 'ok'
    out.assertedStates = assertedStates(rec.sensorType, rec.eventReadingType, res.states).map((s) => s.text)
    out.health = discreteHealth(rec.sensorType, rec.eventReadingType, res.states).health
  }
  if (isNumeric(rec) && factors !== undefined) out.value = toValue(rec, factors, res.raw)
  return out
}

/** Sensor number FFh is reserved (IPMI v2.0 §35.14): a record that names it has no sensor to read. */
const RESERVED_SENSOR_NUMBER = 0xff

async function readOne(r: CommandRunner, rec: SensorRecord, opts: SensorReadOptions): Promise<SensorReading> {
  const own = rec.kind === 'full' ? rec.factors : undefined
  if (rec.key.ownerId !== BMC_SA || rec.key.ownerLun !== 0 || rec.key.channel !== 0 || rec.key.sensorNumber === RESERVED_SENSOR_NUMBER) {
    return { ...baseReading(rec, own), unavailable: 'not-addressable' }
  }
  const reqOpts = opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }
  try {
    const res = await r.run(GetSensorReading, { sensorNumber: rec.key.sensorNumber }, reqOpts)
    let factors = own
    if (rec.kind === 'full' && isNonLinear(rec.linearization) && res.scanningEnabled && !res.readingUnavailable) {
      factors = await r
        .run(GetSensorReadingFactors, { sensorNumber: rec.key.sensorNumber, rawReading: res.raw }, reqOpts)
        .then((f) => f.factors, (e: unknown) => {
          if (e instanceof CompletionCodeError) return undefined
          throw e
        })
    }
    return interpretReading(rec, res, factors)
  } catch (e) {
    const base = baseReading(rec, own)
    // A malformed answer for one sensor spoils that sensor, not the list (ipmitool: "no reading").
    if (e instanceof IpmiDecodeError) return { ...base, unavailable: 'command-failed', error: { code: e.code, message: e.message } }
    if (!(e instanceof CompletionCodeError)) throw e
    // CBh "not present" is the spec's way to say "no reading"; ipmitool is also silent on CDh for compact sensors.
    if (e.cc === 0xcb || (e.cc === 0xcd && rec.kind === 'compact')) return { ...base, unavailable: 'not-present' }
    return { ...base, unavailable: 'command-failed', error: { code: e.code, message: e.message, completionCode: e.cc } }
  }
}

async function mapLimited<T, R>(items: readonly T[], limit: number, f: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++
      out[i] = await f(items[i]!)
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker))
  return out
}

/** What a health summary needs of a reading: the IPMI SensorReading has it, and so does a Redfish sensor (src/redfish). */
export type HealthInput = Pick<SensorReading, 'name' | 'sensorNumber' | 'health' | 'thresholdState' | 'assertedStates'>

function reason(s: HealthInput): string {
  if (s.thresholdState !== undefined && s.thresholdState !== 'ok') return `${s.thresholdState} threshold crossed`
  return s.assertedStates.join(', ')
}

export function summarizeHealth(sensors: readonly HealthInput[]): HealthSummary {
  const counts: HealthSummary['counts'] = { ok: 0, warning: 0, critical: 0, failed: 0, unknown: 0 }
  let status: Health = 'ok'
  const problems: HealthSummary['problems'] = []
  for (const s of sensors) {
    counts[s.health]++
    if (s.health === 'unknown') continue
    status = worst(status, s.health)
    if (s.health !== 'ok') problems.push({ sensor: s.name, sensorNumber: s.sensorNumber, health: s.health, reason: reason(s) })
  }
  const rank = (h: Health): number => ['failed', 'critical', 'warning', 'ok'].indexOf(h)
  problems.sort((a, b) => rank(a.health) - rank(b.health))
  return { status, sensors: sensors.length, counts, problems }
}

/** Every Full and Compact sensor of the BMC, in SDR order, with the health summary. */
export async function readSensors(r: CommandRunner, opts: SensorReadOptions = {}): Promise<SensorReport> {
  const repo = await (opts.cache ?? new SdrCache()).read(r, opts)
  const records = repo.records.filter(isSensorRecord)
  const sensors = await mapLimited(records, opts.concurrency ?? 4, (rec) => readOne(r, rec, opts))
  return { sensors, health: summarizeHealth(sensors), sdrCached: repo.cached }
}

/** The health summary alone (the same reads as readSensors). */
export async function nodeHealth(r: CommandRunner, opts: SensorReadOptions = {}): Promise<HealthSummary> {
  return (await readSensors(r, opts)).health
}

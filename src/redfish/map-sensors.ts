/**
 * Redfish sensors in the shape of our IPMI sensor list (src/bmc/sensors.ts):
 * a Sensor resource (Sensor.v1: Reading, ReadingUnits, ReadingType,
 * Thresholds, Status) or a member of the older Thermal.v1 (Temperatures,
 * Fans) and Power.v1 (Voltages, PowerControl) arrays becomes one reading
 * with a value, a unit, the thresholds in IPMI's names and a health.
 * Pure: documents in, readings out.
 *
 * - Thresholds: Lower/Upper Caution, Critical and Fatal are IPMI's
 *   non-critical, critical and non-recoverable (lnc lcr lnr, unc ucr unr);
 *   the *User variants are kept in `redfishThresholds` only. A reading at
 *   or beyond a threshold has crossed it (as IPMI's "going high" asserts).
 * - Health: the worse of the thresholds crossed and the BMC's own
 *   Status.Health (OK, Warning, Critical); a sensor that is not Enabled, or
 *   has no reading, has none (`unknown`, status `ns`) and says why.
 * - sensorNumber: Redfish sensors have none; it is the reading's position
 *   in the list, from 1 (Thermal's SensorNumber where the BMC gives one).
 */
import type { HealthInput } from '../bmc/sensors.js'
import { thresholdHealth, worst, type Health } from '../bmc/sensor-health.js'
import { shortThresholdStatus, type ThresholdName, type ThresholdStatus } from '../ipmi/sensor-types.js'
import type { Doc } from './client.js'

export interface RedfishSensor extends HealthInput {
  name: string
  sensorNumber: number
  /** The Redfish Id (or MemberId of a Thermal/Power array member). */
  id: string
  source: 'Sensors' | 'Thermal' | 'Power'
  sensorType: string
  /** PhysicalContext ("CPU", "Intake"), "" when absent. */
  entity: string
  value: number | null
  /** IPMI's unit name where there is one ("degrees C", "Volts"), else the Redfish unit. */
  unit: string | null
  /** The BMC's unit as sent (UCUM: "Cel", "V", "%"). */
  readingUnits: string | null
  status: 'ok' | 'nc' | 'cr' | 'nr' | 'ns'
  health: Health | 'unknown'
  thresholdState?: ThresholdStatus
  thresholds: Partial<Record<ThresholdName, number>>
  /** Every threshold the BMC lists, by its Redfish name. */
  redfishThresholds: Record<string, number>
  assertedStates: string[]
  state: string | undefined
  statusHealth: string | undefined
  unavailable?: 'not-present' | 'scanning-disabled' | 'reading-unavailable'
}

/** Redfish (UCUM) units as IPMI names them (src/ipmi/sensor-conversion.ts UNIT_NAMES). */
export const IPMI_UNIT_FOR: Readonly<Record<string, string>> = {
  Cel: 'degrees C', V: 'Volts', A: 'Amps', W: 'Watts', J: 'Joules', RPM: 'RPM', Hz: 'Hz', '%': 'percent', 'kW.h': 'kWh', Pa: 'Pascal',
}

/** The ReadingType a unit implies, for sensors that name no ReadingType. */
const TYPE_FOR_UNIT: Readonly<Record<string, string>> = {
  Cel: 'Temperature', V: 'Voltage', A: 'Current', W: 'Power', RPM: 'Rotational', Hz: 'Frequency', '%': 'Percent', 'kW.h': 'EnergykWh', J: 'EnergyJoules',
}

/** Sensor.v1 Thresholds property names as IPMI threshold names. */
export const THRESHOLD_FOR: Readonly<Record<string, ThresholdName>> = {
  LowerCaution: 'lnc', LowerCritical: 'lcr', LowerFatal: 'lnr', UpperCaution: 'unc', UpperCritical: 'ucr', UpperFatal: 'unr',
}

/** Thermal.v1 / Power.v1 array members' threshold properties. */
const LEGACY_THRESHOLD_FOR: Readonly<Record<string, ThresholdName>> = {
  LowerThresholdNonCritical: 'lnc', LowerThresholdCritical: 'lcr', LowerThresholdFatal: 'lnr',
  UpperThresholdNonCritical: 'unc', UpperThresholdCritical: 'ucr', UpperThresholdFatal: 'unr',
}

/** Most severe first, as IPMI's threshold status reports them. */
const CROSSING_ORDER: readonly ThresholdName[] = ['lnr', 'unr', 'lcr', 'ucr', 'lnc', 'unc']

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined)
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)
const obj = (v: unknown): Doc => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Doc) : {})

export function crossedThreshold(value: number, t: Partial<Record<ThresholdName, number>>): ThresholdStatus {
  for (const name of CROSSING_ORDER) {
    const limit = t[name]
    if (limit === undefined) continue
    if (name.startsWith('l') ? value <= limit : value >= limit) return name
  }
  return 'ok'
}

export function statusHealthOf(h: string | undefined): Health | undefined {
  if (h === 'OK') return 'ok'
  if (h === 'Warning') return 'warning'
  if (h === 'Critical') return 'critical'
  return undefined
}

interface Parts {
  id: string
  name: string
  source: RedfishSensor['source']
  sensorType: string
  entity: string
  value: number | undefined
  readingUnits: string | undefined
  thresholds: Partial<Record<ThresholdName, number>>
  redfishThresholds: Record<string, number>
  status: Doc
  sensorNumber: number
}

function reading(p: Parts): RedfishSensor {
  const state = str(p.status.State)
  const statusHealth = str(p.status.Health)
  const out: RedfishSensor = {
    name: p.name, sensorNumber: p.sensorNumber, id: p.id, source: p.source, sensorType: p.sensorType, entity: p.entity,
    value: null, unit: p.readingUnits === undefined ? null : (IPMI_UNIT_FOR[p.readingUnits] ?? p.readingUnits), readingUnits: p.readingUnits ?? null,
    status: 'ns', health: 'unknown', thresholds: p.thresholds, redfishThresholds: p.redfishThresholds, assertedStates: [], state, statusHealth,
  }
  if (state === 'Absent') return { ...out, unavailable: 'not-present' }
  if (state !== undefined && state !== 'Enabled') return { ...out, unavailable: 'scanning-disabled' }
  if (p.value === undefined) return { ...out, unavailable: 'reading-unavailable' }
  const ts = crossedThreshold(p.value, p.thresholds)
  const own = statusHealthOf(statusHealth)
  const health = own === undefined ? thresholdHealth(ts) : worst(thresholdHealth(ts), own)
  if (ts === 'ok' && own !== undefined && own !== 'ok') out.assertedStates = [`Status.Health ${statusHealth}`]
  return { ...out, value: p.value, status: shortThresholdStatus(ts), thresholdState: ts, health }
}

/** One Sensor resource (Sensor.v1), at position `n` (from 1). */
export function sensorOf(doc: Doc, n: number): RedfishSensor {
  const thresholds: Partial<Record<ThresholdName, number>> = {}
  const redfishThresholds: Record<string, number> = {}
  for (const [k, v] of Object.entries(obj(doc.Thresholds))) {
    const r = num(obj(v).Reading)
    if (r === undefined) continue
    redfishThresholds[k] = r
    const ipmi = THRESHOLD_FOR[k]
    if (ipmi !== undefined) thresholds[ipmi] = r
  }
  const units = str(doc.ReadingUnits)
  return reading({
    id: str(doc.Id) ?? String(n), name: str(doc.Name) ?? str(doc.Id) ?? `sensor ${n}`, source: 'Sensors',
    sensorType: str(doc.ReadingType) ?? (units !== undefined ? TYPE_FOR_UNIT[units] : undefined) ?? 'Unknown',
    entity: str(doc.PhysicalContext) ?? '', value: num(doc.Reading), readingUnits: units,
    thresholds, redfishThresholds, status: obj(doc.Status), sensorNumber: n,
  })
}

function legacyThresholds(m: Doc): { thresholds: Partial<Record<ThresholdName, number>>; redfishThresholds: Record<string, number> } {
  const thresholds: Partial<Record<ThresholdName, number>> = {}
  const redfishThresholds: Record<string, number> = {}
  for (const [k, ipmi] of Object.entries(LEGACY_THRESHOLD_FOR)) {
    const v = num(m[k])
    if (v === undefined) continue
    thresholds[ipmi] = v
    redfishThresholds[k] = v
  }
  return { thresholds, redfishThresholds }
}

/** Where each legacy array keeps its reading and unit. */
const LEGACY_ARRAYS = [
  { source: 'Thermal', array: 'Temperatures', sensorType: 'Temperature', value: (m: Doc) => num(m.ReadingCelsius), units: () => 'Cel' },
  { source: 'Thermal', array: 'Fans', sensorType: 'Fan', value: (m: Doc) => num(m.Reading), units: (m: Doc) => str(m.ReadingUnits) },
  { source: 'Power', array: 'Voltages', sensorType: 'Voltage', value: (m: Doc) => num(m.ReadingVolts), units: () => 'V' },
  { source: 'Power', array: 'PowerControl', sensorType: 'Power', value: (m: Doc) => num(m.PowerConsumedWatts), units: () => 'W' },
] as const

/** The readings of a Thermal or Power document, numbered from `first`. */
export function legacySensorsOf(doc: Doc, source: 'Thermal' | 'Power', first: number): RedfishSensor[] {
  const out: RedfishSensor[] = []
  for (const a of LEGACY_ARRAYS) {
    if (a.source !== source) continue
    const list = Array.isArray(doc[a.array]) ? (doc[a.array] as unknown[]) : []
    for (const raw of list) {
      const m = obj(raw)
      const n = first + out.length
      out.push(reading({
        id: str(m.MemberId) ?? String(n), name: str(m.Name) ?? `${a.array} ${str(m.MemberId) ?? n}`, source: a.source, sensorType: a.sensorType,
        entity: str(m.PhysicalContext) ?? '', value: a.value(m), readingUnits: a.units(m), ...legacyThresholds(m),
        status: obj(m.Status), sensorNumber: num(m.SensorNumber) ?? n,
      }))
    }
  }
  return out
}

/**
 * One sensor reading as ipmi_exporter's series (reference/node-stack.md §3.3):
 * which family a reading belongs to, from its SDR sensor type and unit, and
 * the value and state samples it gives. Pure: wiring.ts sets and removes the
 * gauges; the unit test feeds fake readings.
 */
import type { MetricName } from './definitions.js'

/** What the mapping reads of a reading (src/bmc SensorReading has all of it). */
export interface IpmiSensorInput {
  name: string
  sensorNumber: number
  sensorType: string
  value: number | null
  unit?: string | null | undefined
  health: string
}

/** The ipmi_exporter-named metrics. */
export type IpmiMetric = Extract<MetricName, `ipmi_${string}`>

export interface IpmiSample {
  metric: IpmiMetric
  labels: Record<string, string>
  value: number
}

/** Sensor type and unit of each typed family; `type: undefined` matches any sensor type. */
const FAMILIES: readonly { type: string | undefined; unit: string; value: IpmiMetric; state: IpmiMetric }[] = [
  { type: 'Temperature', unit: 'degrees C', value: 'ipmi_temperature_celsius', state: 'ipmi_temperature_state' },
  { type: 'Fan', unit: 'RPM', value: 'ipmi_fan_speed_rpm', state: 'ipmi_fan_speed_state' },
  { type: 'Voltage', unit: 'Volts', value: 'ipmi_voltage_volts', state: 'ipmi_voltage_state' },
  { type: 'Current', unit: 'Amps', value: 'ipmi_current_amperes', state: 'ipmi_current_state' },
  { type: undefined, unit: 'Watts', value: 'ipmi_power_watts', state: 'ipmi_power_state' },
]

/** Health to ipmi_exporter's state: 0 nominal, 1 warning, 2 critical; `unknown` gives no state series. */
export const IPMI_STATE: Readonly<Record<string, number>> = { ok: 0, warning: 1, critical: 2, failed: 2 }

/** A label value from the SDR: printable ASCII, at most `max` characters. */
export function sdrLabel(s: string, max: number): string {
  return s.replace(/[^\x20-\x7e]/g, '_').trim().slice(0, max) || 'unnamed'
}

/**
 * The ipmi_* samples of one reading (without `node`): a value sample when the
 * reading is a finite number, a state sample when its health is known. None
 * when the sensor number is not a byte (it is the `id` label).
 */
export function ipmiSamples(r: IpmiSensorInput): IpmiSample[] {
  if (!Number.isInteger(r.sensorNumber) || r.sensorNumber < 0 || r.sensorNumber > 255) return []
  const id = String(r.sensorNumber)
  const name = sdrLabel(r.name, 16)
  const fam = FAMILIES.find((f) => (f.type === undefined || f.type === r.sensorType) && f.unit === r.unit)
  const labels: Record<string, string> = fam !== undefined ? { id, name } : { id, name, type: sdrLabel(r.sensorType, 32) }
  const out: IpmiSample[] = []
  if (r.value !== null && Number.isFinite(r.value)) out.push({ metric: fam?.value ?? 'ipmi_sensor_value', labels, value: r.value })
  const state = IPMI_STATE[r.health]
  if (state !== undefined) out.push({ metric: fam?.state ?? 'ipmi_sensor_state', labels, value: state })
  return out
}

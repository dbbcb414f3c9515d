/**
 * The Chassis with its Sensors collection and the older Thermal and Power
 * resources (DSP2046: Chassis, Sensor, Thermal, Power), derived from the
 * simulated BMC's own SDRs and readings: each threshold sensor's record is
 * decoded with src/ipmi (the same code that reads `ipmitool sdr`), so the
 * Redfish reading, units and thresholds are the IPMI ones converted.
 * Pure builders over a RedfishView. Spec for the conversion: IPMI v2.0
 * §36.3 (y = (M*x + B*10^Bexp) * 10^Rexp); Redfish units are UCUM
 * ("Cel", "V", "A", "W") and "RPM" for fans, as the Sensor schema asks.
 * Hazard: a sensor whose reading is unavailable (fans and 12 V with the host
 * off) reports Reading null and State "UnavailableOffline", never a zero.
 */
import { decodeSdrRecord, type FullSensorRecord, type SdrRecord } from '../../ipmi/sdr-records.js'
import { convertReading } from '../../ipmi/sensor-conversion.js'
import { thresholdStatus, type ThresholdName } from '../../ipmi/sensor-types.js'
import { CHASSIS_ID, collection, link, PATHS, resource, status, type Doc } from './odata.js'
import { identifyOn } from './system.js'
import type { RedfishView } from './view.js'

/** IPMI unit codes (Table 43-15) the simulator's sensors use, as Redfish ReadingType and ReadingUnits. */
const UNITS: Readonly<Record<number, { type: string; units: string }>> = {
  1: { type: 'Temperature', units: 'Cel' },
  4: { type: 'Voltage', units: 'V' },
  5: { type: 'Current', units: 'A' },
  6: { type: 'Power', units: 'W' },
  18: { type: 'Rotational', units: 'RPM' },
}

/** Entity IDs (IPMI v2.0 Table 43-13) as Redfish PhysicalContext. */
const PHYSICAL_CONTEXT: Readonly<Record<number, string>> = {
  0x03: 'CPU', 0x07: 'SystemBoard', 0x0a: 'PowerSupply', 0x1d: 'Fan', 0x37: 'Intake',
}

/** IPMI threshold names as the Redfish Thresholds properties and the Thermal/Power property names. */
const THRESHOLD_NAMES: Readonly<Record<ThresholdName, { sensor: string; legacy: string }>> = {
  lnc: { sensor: 'LowerCaution', legacy: 'LowerThresholdNonCritical' },
  lcr: { sensor: 'LowerCritical', legacy: 'LowerThresholdCritical' },
  lnr: { sensor: 'LowerFatal', legacy: 'LowerThresholdFatal' },
  unc: { sensor: 'UpperCaution', legacy: 'UpperThresholdNonCritical' },
  ucr: { sensor: 'UpperCritical', legacy: 'UpperThresholdCritical' },
  unr: { sensor: 'UpperFatal', legacy: 'UpperThresholdFatal' },
}
const THRESHOLD_BIT: Readonly<Record<ThresholdName, number>> = { lnc: 0x01, lcr: 0x02, lnr: 0x04, unc: 0x08, ucr: 0x10, unr: 0x20 }

/** Sensor type code of a power supply (Table 42-3) and its "presence detected" state bit. */
const PSU_SENSOR_TYPE = 0x08
const PSU_PRESENT = 0x0001

export interface NumericSensor {
  id: string
  name: string
  sensorNumber: number
  readingType: string
  units: string
  physicalContext: string | undefined
  /** null when the BMC reports the reading unavailable. */
  reading: number | null
  health: 'OK' | 'Warning' | 'Critical'
  thresholds: Partial<Record<ThresholdName, number>>
}

function records(v: RedfishView): SdrRecord[] {
  return v.hardware.sdr.map((b) => decodeSdrRecord(b))
}

function rounded(r: FullSensorRecord, raw: number): number {
  const x = convertReading(r.factors, r.analogFormat, r.linearization, raw) ?? 0
  return Number(x.toFixed(Math.max(0, -r.factors.rExp)))
}

/** A Redfish Id from a sensor name: "CPU Temp" -> "CPU_Temp". */
export function sensorId(name: string): string {
  return name.replace(/[^A-Za-z0-9]+/g, '_')
}

/** Every threshold (full record) sensor with a unit Redfish names, read now. */
export function numericSensors(v: RedfishView): NumericSensor[] {
  const out: NumericSensor[] = []
  for (const r of records(v)) {
    if (r.kind !== 'full') continue
    const unit = UNITS[r.units.baseUnit]
    if (unit === undefined) continue
    const reading = v.hardware.reading(r.key.sensorNumber)
    const level = reading === undefined || reading.unavailable ? 'ok' : thresholdStatus(reading.states)
    const thresholds: Partial<Record<ThresholdName, number>> = {}
    for (const t of Object.keys(THRESHOLD_BIT) as ThresholdName[]) {
      if ((r.readableThresholds & THRESHOLD_BIT[t]) !== 0) thresholds[t] = rounded(r, r.thresholds[t])
    }
    out.push({
      id: sensorId(r.name), name: r.name, sensorNumber: r.key.sensorNumber, readingType: unit.type, units: unit.units,
      physicalContext: PHYSICAL_CONTEXT[r.entity.id],
      reading: reading === undefined || reading.unavailable ? null : rounded(r, reading.raw),
      health: level === 'ok' ? 'OK' : level.endsWith('nc') ? 'Warning' : 'Critical',
      thresholds,
    })
  }
  return out
}

export function chassisCollection(): Doc {
  return collection('#ChassisCollection.ChassisCollection', PATHS.chassisCollection, 'Chassis Collection', [PATHS.chassis])
}

export function chassis(v: RedfishView): Doc {
  const fru = v.hardware.identity
  const identify = identifyOn(v)
  return resource('#Chassis.v1_22_0.Chassis', PATHS.chassis, {
    Id: CHASSIS_ID, Name: 'Chassis', ChassisType: 'RackMount',
    Manufacturer: fru.product.manufacturer, Model: fru.product.productName,
    PartNumber: fru.chassis.partNumber, SerialNumber: fru.chassis.serialNumber, AssetTag: fru.product.assetTag,
    PowerState: v.power.state,
    IndicatorLED: identify ? 'Blinking' : 'Off',
    LocationIndicatorActive: identify,
    Status: status(worstHealth(numericSensors(v).map((s) => s.health))),
    Sensors: link(PATHS.sensors), Thermal: link(PATHS.thermal), Power: link(PATHS.power),
    Links: { ComputerSystems: [link(PATHS.system)], ManagedBy: [link(PATHS.manager)] },
  })
}

function worstHealth(hs: readonly ('OK' | 'Warning' | 'Critical')[]): 'OK' | 'Warning' | 'Critical' {
  return hs.includes('Critical') ? 'Critical' : hs.includes('Warning') ? 'Warning' : 'OK'
}

function sensorStatus(s: NumericSensor): { State: string; Health: string } {
  return s.reading === null ? status('OK', 'UnavailableOffline') : status(s.health)
}

export function sensorsCollection(v: RedfishView): Doc {
  return collection('#SensorCollection.SensorCollection', PATHS.sensors, 'Chassis sensors', numericSensors(v).map((s) => `${PATHS.sensors}/${s.id}`))
}

export function sensor(v: RedfishView, id: string): Doc | undefined {
  const s = numericSensors(v).find((x) => x.id === id)
  if (s === undefined) return undefined
  const thresholds: Record<string, { Reading: number }> = {}
  for (const [t, value] of Object.entries(s.thresholds) as [ThresholdName, number][]) thresholds[THRESHOLD_NAMES[t].sensor] = { Reading: value }
  return resource('#Sensor.v1_6_0.Sensor', `${PATHS.sensors}/${s.id}`, {
    Id: s.id, Name: s.name, ReadingType: s.readingType, ReadingUnits: s.units, Reading: s.reading,
    ...(s.physicalContext !== undefined ? { PhysicalContext: s.physicalContext } : {}),
    Status: sensorStatus(s), Thresholds: thresholds,
  })
}

function legacyThresholds(s: NumericSensor): Record<string, number> {
  const out: Record<string, number> = {}
  for (const [t, value] of Object.entries(s.thresholds) as [ThresholdName, number][]) out[THRESHOLD_NAMES[t].legacy] = value
  return out
}

export function thermal(v: RedfishView): Doc {
  const all = numericSensors(v)
  const temps = all.filter((s) => s.readingType === 'Temperature')
  const fans = all.filter((s) => s.readingType === 'Rotational')
  return resource('#Thermal.v1_7_1.Thermal', PATHS.thermal, {
    Id: 'Thermal', Name: 'Thermal',
    Temperatures: temps.map((s, i) => ({
      '@odata.id': `${PATHS.thermal}#/Temperatures/${i}`, MemberId: String(i), Name: s.name, SensorNumber: s.sensorNumber,
      ReadingCelsius: s.reading, ...legacyThresholds(s), Status: sensorStatus(s),
      ...(s.physicalContext !== undefined ? { PhysicalContext: s.physicalContext } : {}),
    })),
    Fans: fans.map((s, i) => ({
      '@odata.id': `${PATHS.thermal}#/Fans/${i}`, MemberId: String(i), Name: s.name, SensorNumber: s.sensorNumber,
      Reading: s.reading, ReadingUnits: 'RPM', ...legacyThresholds(s), Status: sensorStatus(s), PhysicalContext: 'Fan',
    })),
  })
}

export function power(v: RedfishView): Doc {
  const volts = numericSensors(v).filter((s) => s.readingType === 'Voltage')
  const psus = records(v).filter((r) => (r.kind === 'compact' || r.kind === 'full') && r.sensorType === PSU_SENSOR_TYPE)
  return resource('#Power.v1_7_1.Power', PATHS.power, {
    Id: 'Power', Name: 'Power',
    Voltages: volts.map((s, i) => ({
      '@odata.id': `${PATHS.power}#/Voltages/${i}`, MemberId: String(i), Name: s.name, SensorNumber: s.sensorNumber,
      ReadingVolts: s.reading, ...legacyThresholds(s), Status: sensorStatus(s),
      ...(s.physicalContext !== undefined ? { PhysicalContext: s.physicalContext } : {}),
    })),
    PowerSupplies: psus.map((r, i) => {
      const name = 'name' in r ? r.name : `PSU ${i}`
      const number = 'key' in r ? r.key.sensorNumber : 0
      const present = ((v.hardware.reading(number)?.states ?? 0) & PSU_PRESENT) !== 0
      return { '@odata.id': `${PATHS.power}#/PowerSupplies/${i}`, MemberId: String(i), Name: name, Status: status('OK', present ? 'Enabled' : 'Absent') }
    }),
  })
}

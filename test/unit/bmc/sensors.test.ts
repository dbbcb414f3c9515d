// Sensor readings and health (src/bmc/sensors.ts, sensor-health.ts) on a fake
// BMC with the lab's SDR: values, units and the ipmitool status column, every
// way a reading can be absent (CBh, scanning disabled, the unavailable bit,
// another completion code, a malformed answer, another owner), non-linear
// sensors through Get Sensor Reading Factors, and the health summary.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { readSensors, summarizeHealth, type SensorReading } from '../../../src/bmc/sensors.js'
import { SdrCache } from '../../../src/bmc/sdr.js'
import { discreteHealth, stateHealth, thresholdHealth } from '../../../src/bmc/sensor-health.js'
import { bytes } from '../ipmi/commands/vectors.js'
import { LAB_SDR } from '../ipmi/lab-records.js'
import { FakeBmc, type RawAnswer } from './fake-bmc.js'

const lab = () => Object.values(LAB_SDR).map((h) => bytes(h))
const ans = (hex: string): RawAnswer => ({ cc: 0, data: bytes(hex) })

// What ipmi_sim answered for the lab sensors (ipmitool raw 0x04 0x2d N).
const labReadings = () =>
  new Map<number, RawAnswer>([
    [1, ans('2d c0 00 00')], // CPU Temp 45
    [2, ans('50 c0 00 00')], // Fan1 80 -> 4800 RPM
    [3, ans('c8 c0 00 00')], // Volt 12V 200 -> 12 V
    [4, ans('00 c0 01 00')], // PSU1 Status: presence detected
    [5, ans('00 c0 00 00')], // Chassis Intru: clear
    [6, ans('e7 40 00 00')], // Inlet Temp -25 raw -> -37.5 C
    [7, ans('e6 40 08 00')], // PSU1 Current 230 -> 68.6 A, at/above unc
  ])

async function read(sensors = labReadings(), extra: Partial<ConstructorParameters<typeof FakeBmc>[0]> = {}) {
  const bmc = new FakeBmc({ sdr: lab(), sensors, ...extra })
  const report = await readSensors(bmc)
  const by = new Map(report.sensors.map((s) => [s.name, s]))
  return { bmc, report, get: (n: string): SensorReading => by.get(n)! }
}

describe('readings', () => {
  test('lab sensors: value, unit and status as ipmitool prints them', async () => {
    const { report, get } = await read()
    assert.deepEqual(report.sensors.map((s) => s.name), ['CPU Temp', 'Fan1', 'Volt 12V', 'PSU1 Status', 'Chassis Intru', 'Inlet Temp', 'PSU1 Current'])
    assert.deepEqual([get('CPU Temp').value, get('CPU Temp').unit, get('CPU Temp').status], [45, 'degrees C', 'ok'])
    assert.deepEqual([get('Fan1').value, get('Fan1').unit], [4800, 'RPM'])
    assert.equal(get('Volt 12V').value?.toFixed(3), '12.000')
    assert.equal(get('Inlet Temp').value, -37.5)
    assert.equal(get('PSU1 Current').value?.toFixed(3), '68.600')
    assert.equal(get('PSU1 Current').status, 'nc')
    assert.equal(get('PSU1 Current').thresholdState, 'unc')
    assert.deepEqual(Object.keys(get('PSU1 Current').thresholds), ['unc', 'ucr'])
    assert.equal(get('PSU1 Current').thresholds.ucr?.toFixed(3), '71.600')
    assert.deepEqual(get('Fan1').thresholds, { lnc: 900, lcr: 600, lnr: 300 })
  })

  test('discrete sensors: raw byte, state bits and their names, status ok', async () => {
    const { get } = await read()
    const psu = get('PSU1 Status')
    assert.deepEqual([psu.value, psu.unit, psu.raw, psu.states, psu.status], [null, null, 0, 1, 'ok'])
    assert.deepEqual(psu.assertedStates, ['Presence detected'])
    assert.deepEqual(get('Chassis Intru').assertedStates, [])
    assert.equal(psu.entity, '10.1')
    assert.equal(psu.sensorType, 'Power Supply')
  })

  test('absent readings are empty readings, never errors', async () => {
    const sensors = labReadings()
    sensors.set(1, { cc: 0xcb }) // not present
    sensors.set(2, ans('50 80 00 00')) // scanning disabled
    sensors.set(3, ans('c8 e0 00 00')) // reading unavailable bit
    sensors.set(4, { cc: 0xd5 }) // some other completion code
    sensors.set(5, ans('00')) // one byte: malformed
    const { get } = await read(sensors)
    assert.deepEqual(['CPU Temp', 'Fan1', 'Volt 12V', 'PSU1 Status', 'Chassis Intru'].map((n) => [get(n).unavailable, get(n).status, get(n).value, get(n).health]), [
      ['not-present', 'ns', null, 'unknown'],
      ['scanning-disabled', 'ns', null, 'unknown'],
      ['reading-unavailable', 'ns', null, 'unknown'],
      ['command-failed', 'ns', null, 'unknown'],
      ['command-failed', 'ns', null, 'unknown'],
    ])
    assert.equal(get('PSU1 Status').error?.completionCode, 0xd5)
    assert.equal(get('Chassis Intru').error?.code, 'IPMI_DECODE_ERROR')
    // The SDR still gives unit and thresholds.
    assert.equal(get('CPU Temp').unit, 'degrees C')
    assert.deepEqual(get('CPU Temp').thresholds, { unc: 85, ucr: 95, unr: 105 })
  })

  test('a sensor owned by another controller or LUN is listed as not addressable, without a request', async () => {
    const other = bytes(LAB_SDR.cpuTemp!)
    other[5] = 0x2c // owner: another IPMB controller
    const bmc = new FakeBmc({ sdr: [other], sensors: labReadings() })
    const { sensors } = await readSensors(bmc)
    assert.equal(sensors[0]?.unavailable, 'not-addressable')
    assert.equal(bmc.count(0x2d, 0x04), 0)
  })

  test('a record naming the reserved sensor number FFh is listed as not addressable, without a request', async () => {
    const reserved = bytes(LAB_SDR.cpuTemp!)
    reserved[7] = 0xff // sensor number (spec byte 8)
    const bmc = new FakeBmc({ sdr: [reserved], sensors: labReadings() })
    const { sensors } = await readSensors(bmc)
    assert.deepEqual([sensors[0]?.sensorNumber, sensors[0]?.unavailable], [0xff, 'not-addressable'])
    assert.equal(bmc.count(0x2d, 0x04), 0)
  })

  test('non-linear sensors use the factors Get Sensor Reading Factors returns for the reading', async () => {
    const rec = bytes(LAB_SDR.cpuTemp!)
    rec[23] = 0x70 // linearization byte (spec byte 24): non-linear
    const factors = new Map<string, RawAnswer>([['1/45', ans('2e | 02 00 0a 00 00 00')]]) // M 2, B 10: y = 2x + 10
    const bmc = new FakeBmc({ sdr: [rec], sensors: labReadings(), factors })
    const { sensors } = await readSensors(bmc)
    assert.equal(sensors[0]?.value, 100)
    // Without factors (CCh): no numeric value, but the reading and state stay.
    const noFactors = await readSensors(new FakeBmc({ sdr: [rec], sensors: labReadings() }))
    assert.deepEqual([noFactors.sensors[0]?.value, noFactors.sensors[0]?.raw, noFactors.sensors[0]?.status], [null, 45, 'ok'])
  })

  test('with a cache, the second read walks no SDR and sends one reading per sensor', async () => {
    const bmc = new FakeBmc({ sdr: lab(), sensors: labReadings() })
    const cache = new SdrCache()
    await readSensors(bmc, { cache })
    const before = bmc.calls.length
    const again = await readSensors(bmc, { cache, concurrency: 2 })
    assert.equal(again.sdrCached, true)
    const sent = bmc.calls.slice(before)
    assert.equal(sent.filter((c) => c.cmd === 0x23).length, 0)
    assert.equal(sent.filter((c) => c.netFn === 0x04 && c.cmd === 0x2d).length, 7)
  })
})

describe('health', () => {
  test('threshold states map to warning, critical, failed', () => {
    assert.deepEqual(['ok', 'lnc', 'unc', 'lcr', 'ucr', 'lnr', 'unr'].map((s) => thresholdHealth(s as never)), ['ok', 'warning', 'warning', 'critical', 'critical', 'failed', 'failed'])
  })

  test('discrete states: failures, predictive failures, redundancy, informational states', () => {
    assert.equal(stateHealth(0x08, 0x6f, 0), 'ok') // presence detected
    assert.equal(stateHealth(0x08, 0x6f, 1), 'failed') // power supply failure detected
    assert.equal(stateHealth(0x08, 0x6f, 2), 'warning') // predictive failure
    assert.equal(stateHealth(0x05, 0x6f, 0), 'warning') // chassis intrusion
    assert.equal(stateHealth(0x09, 0x0b, 1), 'critical') // redundancy lost
    assert.equal(stateHealth(0x09, 0x0b, 0), 'ok') // fully redundant
    assert.equal(stateHealth(0x01, 0x07, 6), 'failed') // severity: non-recoverable
    assert.deepEqual(discreteHealth(0x08, 0x6f, 0b111), { health: 'failed', offsets: [1, 2] })
  })

  test('the summary takes the worst sensor and lists the problems worst first', async () => {
    const sensors = labReadings()
    sensors.set(4, ans('00 c0 03 00')) // PSU1: presence + failure detected
    sensors.set(5, ans('00 c0 01 00')) // chassis intrusion
    sensors.set(1, { cc: 0xcb })
    const { report } = await read(sensors)
    assert.equal(report.health.status, 'failed')
    assert.deepEqual(report.health.counts, { ok: 3, warning: 2, critical: 0, failed: 1, unknown: 1 })
    assert.deepEqual(report.health.problems.map((p) => [p.sensor, p.health, p.reason]), [
      ['PSU1 Status', 'failed', 'Presence detected, Failure detected'],
      ['Chassis Intru', 'warning', 'General Chassis intrusion'],
      ['PSU1 Current', 'warning', 'unc threshold crossed'],
    ])
    assert.equal(summarizeHealth([]).status, 'ok')
  })
})

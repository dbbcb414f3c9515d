// Redfish sensors in our IPMI sensor shape (src/redfish/map-sensors.ts): thresholds in IPMI's
// names, crossings at or beyond a threshold, the worse of thresholds and Status.Health, and
// readings that are absent, disabled or missing. The legacy Thermal/Power arrays too. No sockets.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { crossedThreshold, legacySensorsOf, sensorOf } from '../../../src/redfish/map-sensors.js'
import { summarizeHealth } from '../../../src/bmc/sensors.js'

const temp = (reading: number | undefined, health = 'OK', state = 'Enabled') => ({
  Id: 'T', Name: 'Temp', ReadingUnits: 'Cel', PhysicalContext: 'CPU', Status: { State: state, Health: health },
  ...(reading === undefined ? {} : { Reading: reading }),
  Thresholds: { UpperCaution: { Reading: 42 }, UpperCritical: { Reading: 45 }, UpperFatal: { Reading: 50 }, LowerCritical: { Reading: 5 }, UpperCautionUser: { Reading: 40 } },
})

describe('sensorOf', () => {
  it('a normal reading: value, IPMI unit name, the UCUM unit, thresholds both ways', () => {
    const s = sensorOf(temp(37), 3)
    assert.deepEqual({ v: s.value, u: s.unit, ru: s.readingUnits, type: s.sensorType, e: s.entity, n: s.sensorNumber, st: s.status, h: s.health }, {
      v: 37, u: 'degrees C', ru: 'Cel', type: 'Temperature', e: 'CPU', n: 3, st: 'ok', h: 'ok',
    })
    assert.deepEqual(s.thresholds, { unc: 42, ucr: 45, unr: 50, lcr: 5 })
    assert.deepEqual(s.redfishThresholds, { UpperCaution: 42, UpperCritical: 45, UpperFatal: 50, LowerCritical: 5, UpperCautionUser: 40 })
  })
  it('a reading at a threshold has crossed it; the most severe crossing wins', () => {
    assert.deepEqual([sensorOf(temp(42), 1).status, sensorOf(temp(42), 1).health], ['nc', 'warning'])
    assert.deepEqual([sensorOf(temp(46), 1).status, sensorOf(temp(46), 1).health, sensorOf(temp(46), 1).thresholdState], ['cr', 'critical', 'ucr'])
    assert.deepEqual([sensorOf(temp(50), 1).status, sensorOf(temp(50), 1).health], ['nr', 'failed'])
    assert.deepEqual([sensorOf(temp(5), 1).status, sensorOf(temp(5), 1).thresholdState], ['cr', 'lcr'])
  })
  it('the BMC own Health counts when it is worse than the thresholds say', () => {
    const s = sensorOf(temp(30, 'Critical'), 1)
    assert.deepEqual([s.status, s.health, s.assertedStates], ['ok', 'critical', ['Status.Health Critical']])
  })
  it('absent, disabled and reading-less sensors have no health', () => {
    assert.deepEqual([sensorOf(temp(undefined, 'OK', 'Absent'), 1).unavailable, sensorOf(temp(3, 'OK', 'Absent'), 1).health], ['not-present', 'unknown'])
    assert.equal(sensorOf(temp(30, 'OK', 'Disabled'), 1).unavailable, 'scanning-disabled')
    const none = sensorOf(temp(undefined), 1)
    assert.deepEqual([none.unavailable, none.status, none.value], ['reading-unavailable', 'ns', null])
  })
  it('the sensor type comes from ReadingType, else from the unit', () => {
    assert.equal(sensorOf({ ReadingType: 'Voltage', ReadingUnits: 'V', Reading: 1 }, 1).sensorType, 'Voltage')
    assert.equal(sensorOf({ ReadingUnits: 'RPM', Reading: 1 }, 1).sensorType, 'Rotational')
    assert.equal(sensorOf({ Reading: 1 }, 1).sensorType, 'Unknown')
  })
  it('feeds the IPMI health summary', () => {
    const h = summarizeHealth([sensorOf(temp(37), 1), sensorOf(temp(46), 2), sensorOf(temp(undefined, 'OK', 'Absent'), 3)])
    assert.equal(h.status, 'critical')
    assert.deepEqual(h.problems, [{ sensor: 'Temp', sensorNumber: 2, health: 'critical', reason: 'ucr threshold crossed' }])
    assert.equal(h.counts.unknown, 1)
  })
})

describe('crossedThreshold', () => {
  it('lower thresholds cross going down, upper ones going up', () => {
    assert.equal(crossedThreshold(10, { lnc: 10 }), 'lnc')
    assert.equal(crossedThreshold(11, { lnc: 10 }), 'ok')
    assert.equal(crossedThreshold(0, { lnc: 10, lcr: 5, lnr: 0 }), 'lnr')
    assert.equal(crossedThreshold(100, {}), 'ok')
  })
})

describe('legacySensorsOf', () => {
  it('Thermal Temperatures and Fans, Power Voltages and PowerControl, with their thresholds', () => {
    const thermal = {
      Temperatures: [{ MemberId: '0', Name: 'CPU1 Temp', SensorNumber: 5, ReadingCelsius: 41, UpperThresholdNonCritical: 42, UpperThresholdCritical: 45, Status: { State: 'Enabled', Health: 'OK' } },
        { MemberId: '1', Name: 'CPU2 Temp', Status: { State: 'Disabled' } }],
      Fans: [{ MemberId: '0', Name: 'Fan', Reading: 2100, ReadingUnits: 'RPM', LowerThresholdFatal: 0, Status: { State: 'Enabled', Health: 'OK' } }],
    }
    const t = legacySensorsOf(thermal, 'Thermal', 1)
    assert.deepEqual(t.map((s) => [s.name, s.sensorNumber, s.value, s.unit, s.sensorType, s.health]), [
      ['CPU1 Temp', 5, 41, 'degrees C', 'Temperature', 'ok'], ['CPU2 Temp', 2, null, 'degrees C', 'Temperature', 'unknown'], ['Fan', 3, 2100, 'RPM', 'Fan', 'ok'],
    ])
    assert.deepEqual(t[0]!.thresholds, { unc: 42, ucr: 45 })
    assert.deepEqual(t[2]!.thresholds, { lnr: 0 })
    const p = legacySensorsOf({ Voltages: [{ Name: '12V', ReadingVolts: 12.1, LowerThresholdCritical: 11 }], PowerControl: [{ Name: 'Input', PowerConsumedWatts: 344 }] }, 'Power', 4)
    assert.deepEqual(p.map((s) => [s.name, s.sensorNumber, s.value, s.unit]), [['12V', 4, 12.1, 'Volts'], ['Input', 5, 344, 'Watts']])
  })
})

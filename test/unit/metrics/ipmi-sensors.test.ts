// Sensor readings as ipmi_exporter's series: the family from sensor type and
// unit, value and state samples, and the wiring that sets and removes them.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ipmiSamples } from '../../../src/metrics/ipmi-sensors.js'
import { createMetrics, wireSupervisor } from '../../../src/metrics/index.js'
import { FakeSupervisor, key, parseExposition } from './helpers.js'

const R = (name: string, sensorNumber: number, sensorType: string, value: number | null, unit: string | null, health: string) =>
  ({ name, sensorNumber, sensorType, value, unit, health })

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

describe('ipmi_exporter sensor mapping', () => {
  it('maps sensor type and unit to the typed families, the rest to ipmi_sensor_*', () => {
    assert.deepEqual(ipmiSamples(R('CPU Temp', 1, 'Temperature', 45, 'degrees C', 'ok')), [
      { metric: 'ipmi_temperature_celsius', labels: { id: '1', name: 'CPU Temp' }, value: 45 },
      { metric: 'ipmi_temperature_state', labels: { id: '1', name: 'CPU Temp' }, value: 0 },
    ])
    assert.deepEqual(ipmiSamples(R('Fan1', 2, 'Fan', 4800, 'RPM', 'critical')).map((s) => [s.metric, s.value]), [['ipmi_fan_speed_rpm', 4800], ['ipmi_fan_speed_state', 2]])
    assert.deepEqual(ipmiSamples(R('Volt 12V', 3, 'Voltage', 12, 'Volts', 'warning')).map((s) => [s.metric, s.value]), [['ipmi_voltage_volts', 12], ['ipmi_voltage_state', 1]])
    assert.deepEqual(ipmiSamples(R('PSU1 Curr', 4, 'Current', 3.5, 'Amps', 'failed')).map((s) => [s.metric, s.value]), [['ipmi_current_amperes', 3.5], ['ipmi_current_state', 2]])
    assert.deepEqual(ipmiSamples(R('PSU1 Power', 5, 'Other', 250, 'Watts', 'ok')).map((s) => [s.metric, s.value]), [['ipmi_power_watts', 250], ['ipmi_power_state', 0]])
    // A temperature in degrees F, or a fan in percent, is not the typed family: generic, with its type.
    assert.deepEqual(ipmiSamples(R('Inlet', 6, 'Temperature', 77, 'degrees F', 'ok')), [
      { metric: 'ipmi_sensor_value', labels: { id: '6', name: 'Inlet', type: 'Temperature' }, value: 77 },
      { metric: 'ipmi_sensor_state', labels: { id: '6', name: 'Inlet', type: 'Temperature' }, value: 0 },
    ])
    // Discrete sensor: no value, a state; unknown health: no state; no reading and unknown: nothing.
    assert.deepEqual(ipmiSamples(R('PSU1 Status', 7, 'Power Supply', null, null, 'warning')), [
      { metric: 'ipmi_sensor_state', labels: { id: '7', name: 'PSU1 Status', type: 'Power Supply' }, value: 1 },
    ])
    assert.deepEqual(ipmiSamples(R('Fan2', 8, 'Fan', 3000, 'RPM', 'unknown')).map((s) => s.metric), ['ipmi_fan_speed_rpm'])
    assert.deepEqual(ipmiSamples(R('Fan3', 9, 'Fan', null, 'RPM', 'unknown')), [])
    assert.deepEqual(ipmiSamples(R('Bad', 300, 'Fan', 1, 'RPM', 'ok')), [])
    assert.deepEqual(ipmiSamples(R('A very long sensor name\u0007', 10, 'Other', NaN, null, 'ok'))[0]?.labels.name, 'A very long sens')
  })

  it('polled readings become ipmi_* series per node, replaced on change and removed when unavailable', async () => {
    const sup = new FakeSupervisor()
    const metrics = createMetrics(undefined, { defaultMetrics: false })
    let readings: ReturnType<typeof R>[] | Error = [R('CPU Temp', 1, 'Temperature', 45, 'degrees C', 'ok'), R('Fan1', 2, 'Fan', 4800, 'RPM', 'ok'), R('PSU1 Status', 7, 'Power Supply', null, null, 'ok')]
    const read = async () => {
      if (readings instanceof Error) throw readings
      return readings
    }
    const wiring = wireSupervisor(metrics, sup, { powerPollMs: 0, sensors: { read, intervalMs: 100 } })
    const ipmiKeys = async () => {
      const s = parseExposition(await metrics.registry.metrics())
      return new Map([...s].filter(([k]) => k.startsWith('ipmi_')))
    }
    const nextPoll = async () => {
      const before = wiring.polls().sensors
      await until(() => wiring.polls().sensors > before, 'a sensor poll')
      await new Promise((r) => setImmediate(r))
    }
    sup.add('n1')
    sup.emit('session:state', 'n1', { state: 'connected' })
    await nextPoll()
    let s = await ipmiKeys()
    assert.equal(s.get(key('ipmi_temperature_celsius', { node: 'n1', id: '1', name: 'CPU Temp' })), 45)
    assert.equal(s.get(key('ipmi_temperature_state', { node: 'n1', id: '1', name: 'CPU Temp' })), 0)
    assert.equal(s.get(key('ipmi_fan_speed_rpm', { node: 'n1', id: '2', name: 'Fan1' })), 4800)
    assert.equal(s.get(key('ipmi_sensor_state', { node: 'n1', id: '7', name: 'PSU1 Status', type: 'Power Supply' })), 0)
    assert.equal(s.size, 5)

    // The temperature loses its reading, the fan goes: their series go with them.
    readings = [R('CPU Temp', 1, 'Temperature', null, 'degrees C', 'critical')]
    await nextPoll()
    s = await ipmiKeys()
    assert.deepEqual([...s], [[key('ipmi_temperature_state', { node: 'n1', id: '1', name: 'CPU Temp' }), 2]])

    // A failed poll: no series rather than stale ones; back on the next good poll.
    readings = new Error('timeout')
    await nextPoll()
    assert.equal((await ipmiKeys()).size, 0)
    readings = [R('CPU Temp', 1, 'Temperature', 50, 'degrees C', 'ok')]
    await nextPoll()
    assert.equal((await ipmiKeys()).get(key('ipmi_temperature_celsius', { node: 'n1', id: '1', name: 'CPU Temp' })), 50)

    // BMC down: gone.
    sup.emit('session:state', 'n1', { state: 'disconnected', reason: 'closed' })
    assert.equal((await ipmiKeys()).size, 0)

    // Node removed from the fleet: gone at the next scrape.
    sup.emit('session:state', 'n1', { state: 'connected' })
    await nextPoll()
    assert.equal((await ipmiKeys()).size, 2)
    sup.nodes.delete('n1')
    await metrics.registry.metrics()
    await new Promise((r) => setTimeout(r, 10))
    assert.equal((await ipmiKeys()).size, 0)
    wiring.close()
  })
})

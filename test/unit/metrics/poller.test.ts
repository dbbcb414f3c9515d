// The power and sensor pollers: staggered by node name, bounded, only for
// nodes whose BMC is up, and their series vanish when the BMC goes down.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { Poller, phaseOf } from '../../../src/metrics/poller.js'
import { createMetrics } from '../../../src/metrics/metrics.js'
import { wireSupervisor } from '../../../src/metrics/wiring.js'
import { FakeSupervisor, key, parseExposition } from './helpers.js'

async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

describe('Poller', () => {
  it('spreads 100 nodes over the interval and keeps each node\'s phase', async () => {
    let now = 0
    const polled: [string, number][] = []
    const p = new Poller({ intervalMs: 10_000, concurrency: 100, eligible: () => true, now: () => now, poll: async (n) => void polled.push([n, now]) })
    const names = Array.from({ length: 100 }, (_, i) => `node${i}`)
    for (const n of names) p.add(n)
    for (; now <= 20_000; now += 250) {
      p.tick()
      await new Promise((r) => setImmediate(r)) // finished polls leave the in-flight set
    }
    const perSecond = new Map<number, number>()
    for (const [, t] of polled) if (t < 10_000) perSecond.set(Math.floor(t / 1000), (perSecond.get(Math.floor(t / 1000)) ?? 0) + 1)
    assert.equal(new Set(polled.filter(([, t]) => t <= 10_000).map(([n]) => n)).size, 100, 'every node within the first interval')
    assert.ok(Math.max(...perSecond.values()) <= 25, `no second carries a crowd: ${[...perSecond.values()]}`)
    for (const n of names) {
      const times = polled.filter(([x]) => x === n).map(([, t]) => t)
      assert.ok(times.length >= 2)
      assert.ok(Math.abs(times[1]! - times[0]! - 10_000) <= 250, `${n} keeps its phase`)
    }
    assert.equal(phaseOf('node1', 10_000), phaseOf('node1', 10_000))
  })

  it('never runs more than `concurrency` polls, nor two for one node, and skips ineligible nodes', async () => {
    let now = 0
    let inflight = 0
    let most = 0
    const order: string[] = []
    const release: (() => void)[] = []
    const p = new Poller({
      intervalMs: 1000, concurrency: 3, eligible: (n) => n !== 'down', now: () => now,
      poll: (n) => {
        assert.notEqual(n, 'down')
        inflight++
        order.push(n)
        most = Math.max(most, inflight)
        return new Promise<void>((r) => release.push(() => {
          inflight--
          r()
        }))
      },
    })
    for (const n of ['a', 'b', 'c', 'd', 'e', 'down']) p.add(n)
    for (; now <= 5000; now += 100) p.tick()
    assert.equal(most, 3)
    assert.equal(p.started, 3)
    release.splice(0).forEach((r) => r())
    await new Promise((r) => setImmediate(r))
    p.tick()
    assert.equal(p.started, 6)
    const waiting = ['a', 'b', 'c', 'd', 'e'].filter((n) => !order.slice(0, 3).includes(n))
    assert.deepEqual(order.slice(3, 5).sort(), waiting, 'the longest waiting go first')
  })
})

describe('power and sensor polling', () => {
  it('polls power.status only while the BMC is up; the state disappears when it goes down', async () => {
    const sup = new FakeSupervisor()
    const metrics = createMetrics(undefined, { defaultMetrics: false })
    const wiring = wireSupervisor(metrics, sup, { powerPollMs: 200 })
    sup.add('n1')
    sup.add('n2')
    sup.emit('session:state', 'n1', { state: 'connected' })
    await until(() => sup.runs.some((r) => r.node === 'n1'), 'a power poll')
    const scrape = async () => parseExposition(await metrics.registry.metrics())
    await until(() => true, '')
    let s = await scrape()
    assert.equal(s.get(key('bmcvisor_chassis_power_state', { node: 'n1' })), 1)
    assert.equal(s.get(key('bmcvisor_chassis_power_state', { node: 'n2' })), undefined)
    assert.ok(sup.runs.every((r) => r.node === 'n1' && r.op === 'power.status'))
    sup.emit('session:state', 'n1', { state: 'error', reason: 'unreachable' })
    s = await scrape()
    assert.equal(s.get(key('bmcvisor_chassis_power_state', { node: 'n1' })), undefined)
    wiring.close()
  })

  it('sensors.list results on the node\'s worker become sensor series', async () => {
    const sup = new FakeSupervisor()
    sup.sensors = { sensors: [{ name: 'CPU Temp', sensorType: 'Temperature', value: 45, health: 'ok', raw: 45 }, { bogus: true }], health: {} }
    const metrics = createMetrics(undefined, { defaultMetrics: false })
    const wiring = wireSupervisor(metrics, sup, { powerPollMs: 0, sensors: { intervalMs: 100 } })
    sup.add('n1')
    sup.emit('session:state', 'n1', { state: 'connected' })
    await until(() => wiring.polls().sensors >= 1, 'a sensor poll')
    await new Promise((r) => setImmediate(r))
    const s = parseExposition(await metrics.registry.metrics())
    assert.equal(s.get(key('bmcvisor_sensor_value', { node: 'n1', sensor: 'CPU Temp', type: 'Temperature' })), 45)
    assert.deepEqual(sup.runs.map((r) => r.op), ['sensors.list'])
    wiring.close()
  })

  it('sensor readings become value and state series, capped and cleaned', async () => {
    const sup = new FakeSupervisor()
    const metrics = createMetrics(undefined, { defaultMetrics: false })
    let readings = [
      { name: 'CPU Temp', sensorType: 'Temperature', value: 45, health: 'ok' },
      { name: 'Fan1', sensorType: 'Fan', value: 4800, health: 'critical' },
      { name: 'PSU1 Status', sensorType: 'Power Supply', value: null, health: 'warning' },
      { name: 'Volt 5V', sensorType: 'Voltage', value: null, health: 'unknown' },
      { name: 'A very long sensor name\u0007', sensorType: 'Other', value: 1, health: 'ok' },
    ]
    const wiring = wireSupervisor(metrics, sup, { powerPollMs: 0, sensors: { read: async () => readings, intervalMs: 100 } })
    sup.add('n1')
    sup.emit('session:state', 'n1', { state: 'connected' })
    await until(() => wiring.polls().sensors >= 1, 'a sensor poll')
    await new Promise((r) => setImmediate(r))
    let s = parseExposition(await metrics.registry.metrics())
    assert.equal(s.get(key('bmcvisor_sensor_value', { node: 'n1', sensor: 'CPU Temp', type: 'Temperature' })), 45)
    assert.equal(s.get(key('bmcvisor_sensor_state', { node: 'n1', sensor: 'Fan1', type: 'Fan' })), 2)
    assert.equal(s.get(key('bmcvisor_sensor_value', { node: 'n1', sensor: 'PSU1 Status', type: 'Power Supply' })), undefined)
    assert.equal(s.get(key('bmcvisor_sensor_state', { node: 'n1', sensor: 'PSU1 Status', type: 'Power Supply' })), 1)
    assert.equal(s.get(key('bmcvisor_sensor_state', { node: 'n1', sensor: 'Volt 5V', type: 'Voltage' })), undefined)
    assert.equal(s.get(key('bmcvisor_sensor_value', { node: 'n1', sensor: 'A very long sens', type: 'Other' })), 1)
    readings = readings.slice(0, 1)
    const before = wiring.polls().sensors
    await until(() => wiring.polls().sensors > before, 'another sensor poll')
    await new Promise((r) => setImmediate(r))
    s = parseExposition(await metrics.registry.metrics())
    assert.deepEqual([...s.keys()].filter((k) => k.startsWith('bmcvisor_sensor_')), [key('bmcvisor_sensor_value', { node: 'n1', sensor: 'CPU Temp', type: 'Temperature' }), key('bmcvisor_sensor_state', { node: 'n1', sensor: 'CPU Temp', type: 'Temperature' })])
    sup.emit('session:state', 'n1', { state: 'disconnected', reason: 'closed' })
    s = parseExposition(await metrics.registry.metrics())
    assert.deepEqual([...s.keys()].filter((k) => k.startsWith('bmcvisor_sensor_')), [])
    wiring.close()
  })
})

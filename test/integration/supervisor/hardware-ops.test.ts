// Sensors, health, inventory and events run in a node's worker give the same
// values as the same operations run directly on a session (which the
// hardware tests in test/integration cross-check with ipmitool).
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { IpmiClient } from '../../../src/session/client.js'
import { readSensors, nodeHealth } from '../../../src/bmc/sensors.js'
import { listFru } from '../../../src/bmc/fru.js'
import { listSel } from '../../../src/bmc/sel.js'
import { readSdrRepository } from '../../../src/bmc/sdr.js'
import { ipmiSimAvailable, requireIpmiSim } from '../../lab/sim.js'
import { startFleet, type Fleet } from './fleet.js'

type Report = { sensors: { name: string; value: number | null; status: string; sensorType: string }[]; health: { overall: string } }

describe('hardware operations through the worker', { timeout: 120_000 }, () => {
  let fleet: Fleet | undefined
  let direct: IpmiClient | undefined
  before(async () => {
    if (!(ipmiSimAvailable() || process.env.CI)) return
    fleet = await startFleet(1, {}, { console: false })
    direct = new IpmiClient({ host: fleet.sims[0]!.host, port: fleet.sims[0]!.port }, { username: 'admin', password: 'password', cipherSuite: 3 })
  })
  after(async () => {
    await direct?.close()
    await fleet?.stop()
  })

  it('sensors (all and by type), health, inventory and events equal the direct reads', async (t) => {
    if (!requireIpmiSim(t) || fleet === undefined || direct === undefined) return
    const { sup, names } = fleet
    const node = names[0]!
    const viaWorker = (await sup.run(node, 'sensors.list', {}, { timeoutMs: 30_000 })) as Report
    const mine = await readSensors(direct)
    const strip = (r: Report['sensors']) => r.map((s) => ({ name: s.name, value: s.value, status: s.status }))
    assert.deepEqual(strip(viaWorker.sensors), strip(mine.sensors as Report['sensors']))
    assert.ok(viaWorker.sensors.length >= 5)
    const temps = (await sup.run(node, 'sensors.list', { type: 'Temperature' }, { timeoutMs: 30_000 })) as Report
    assert.ok(temps.sensors.length >= 1 && temps.sensors.every((s) => s.sensorType === 'Temperature'), JSON.stringify(temps.sensors.map((s) => s.sensorType)))
    assert.deepEqual(await sup.run(node, 'health', {}, { timeoutMs: 30_000 }), await nodeHealth(direct))
    const inv = (await sup.run(node, 'inventory', {}, { timeoutMs: 30_000 })) as unknown[]
    assert.deepEqual(inv, await listFru(direct))
    const ev = await sup.run(node, 'events.list', {}, { timeoutMs: 30_000 })
    assert.deepEqual(ev, await listSel(direct, { sdr: (await readSdrRepository(direct)).records }))
    await assert.rejects(sup.run(node, 'sensors.list', { type: 7 }, { timeoutMs: 5000 }), { code: 'VALIDATION_FAILED' })
  })
})

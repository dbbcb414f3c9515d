// Sensor metrics under ipmi_exporter's names with a real ipmi_sim node:
// startServer with sensor polling on (as `bmcvisor serve --sensor-metrics`),
// ipmi_temperature_celsius{node,name="CPU Temp"} equals what GET
// /api/v1/nodes/{node}/sensors reports, and a value changed in the simulator
// shows on a later scrape (the worker polls; a scrape never reads the BMC).
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startServer, type RunningServer } from '../../src/main.js'
import { ipmiSimAvailable, requireIpmiSim, startIpmiSim, type IpmiSim } from '../lab/sim.js'
import { key, parseExposition } from '../unit/metrics/helpers.js'

const ADMIN = 'e2e-admin-token-sensors-0123456789'
const NODE = 'sensor-node'

async function until<T>(what: string, deadlineMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + deadlineMs
  let last: unknown
  for (;;) {
    try {
      const v = await check()
      if (v !== undefined) return v
    } catch (e) {
      last = e
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last !== undefined ? `: ${String(last)}` : ''}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

describe('sensor metrics with ipmi_sim', { timeout: 90_000, skip: !ipmiSimAvailable() && process.env.CI === undefined ? 'ipmi_sim lab unavailable' : false }, () => {
  let sim: IpmiSim | undefined
  let server: RunningServer | undefined
  let dataDir: string | undefined

  before(async (t) => {
    if (!requireIpmiSim(t as never)) return
    sim = await startIpmiSim({ powerOn: true })
    dataDir = mkdtempSync(join(tmpdir(), 'bmcvisor-e2e-sensors-'))
    server = await startServer({
      listen: '127.0.0.1:0', dataDir, adminToken: ADMIN,
      logger: (await import('../../src/log.js')).createLogger({ level: 'silent' }),
      bmcDefaults: { reconnect: { initialMs: 100, maxMs: 1000 }, timing: { retransmitMs: 250, backoffMs: 100, retries: 3, connectTimeoutMs: 2000 } },
      metricsOptions: { powerPollMs: 0, sensors: { intervalMs: 500 } },
    })
  })
  after(async () => {
    await server?.close()
    await sim?.stop()
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true })
  })

  it('ipmi_temperature_celsius equals the REST reading and follows the simulator', async (t) => {
    if (!requireIpmiSim(t) || server === undefined || sim === undefined) return
    const url = server.url
    const api = async (path: string) => {
      const res = await fetch(`${url}/api/v1${path}`, { headers: { authorization: `Bearer ${ADMIN}` } })
      assert.equal(res.status, 200, path)
      return JSON.parse(await res.text()) as { sensors: { name: string; sensorNumber: number; value: number | null; health: string }[] }
    }
    const scrape = async () => parseExposition(await (await fetch(`${url}/metrics`)).text())
    const created = await fetch(`${url}/api/v1/nodes`, {
      method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: NODE, bmc: { host: sim.host, port: sim.port, username: 'admin', password: 'password', cipherSuite: 3 } }),
    })
    assert.equal(created.status, 201, await created.text())
    const temp = (s: Map<string, number>) => s.get(key('ipmi_temperature_celsius', { node: NODE, id: '1', name: 'CPU Temp' }))

    // The REST reading and the exported one agree (the sim's value is steady until changed).
    const rest = (await api(`/nodes/${NODE}/sensors`)).sensors.find((s) => s.name === 'CPU Temp')
    assert.ok(rest !== undefined && rest.value !== null, 'CPU Temp has a reading')
    assert.equal(rest.sensorNumber, 1)
    const first = await until('ipmi_temperature_celsius exported', 30_000, async () => temp(await scrape()))
    assert.equal(first, rest.value)
    const s = await scrape()
    assert.equal(s.get(key('ipmi_temperature_state', { node: NODE, id: '1', name: 'CPU Temp' })), 0)
    assert.equal(s.get(key('ipmi_fan_speed_rpm', { node: NODE, id: '2', name: 'Fan1' })), 4800)
    assert.equal(s.get(key('ipmi_voltage_volts', { node: NODE, id: '3', name: 'Volt 12V' })), 12)

    // Changed in the simulator: a later scrape shows the new value (>= upper critical: state 2), as REST does.
    sim.setSensor('cpu_temp', 96)
    const changed = await until('new temperature exported', 30_000, async () => {
      const v = temp(await scrape())
      return v !== undefined && v !== first ? v : undefined
    })
    const after = (await api(`/nodes/${NODE}/sensors`)).sensors.find((x) => x.name === 'CPU Temp')
    assert.equal(changed, after?.value)
    assert.equal(changed, 96)
    await until('critical state exported', 10_000, async () => ((await scrape()).get(key('ipmi_temperature_state', { node: NODE, id: '1', name: 'CPU Temp' })) === 2 ? true : undefined))

    // The node removed: its series go.
    const del = await fetch(`${url}/api/v1/nodes/${NODE}`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN}` } })
    assert.ok(del.status === 200 || del.status === 204, String(del.status))
    await until('series removed with the node', 15_000, async () => ([...(await scrape()).keys()].some((k) => k.startsWith('ipmi_') && k.includes(NODE)) ? undefined : true))
  })
})

// Sensors, health, inventory and events through REST (per node and per
// range) against ipmi_sim, cross-checked with what ipmitool reads from the
// same simulator; DELETE events clears the SEL for ipmitool too.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { createLogger } from '../../src/log.js'
import { startServer, type RunningServer } from '../../src/main.js'
import { ipmiSimAvailable, ipmitool, requireIpmiSim, startIpmiSim, waitUntil, type IpmiSim } from '../lab/sim.js'

const ADMIN = 'e2e-hardware-token-0123456789'

describe('hardware data over REST', { skip: !ipmiSimAvailable() && process.env.CI === undefined ? 'ipmi_sim lab unavailable' : false }, () => {
  const sims: IpmiSim[] = []
  let server: RunningServer
  let dataDir: string
  const api = async (method: string, path: string) => {
    const res = await fetch(`${server.url}/api/v1${path}`, { method, headers: { authorization: `Bearer ${ADMIN}` } })
    return { status: res.status, body: JSON.parse(await res.text()) as Record<string, unknown> }
  }

  before(async (t) => {
    if (!requireIpmiSim(t as never)) return
    for (let i = 0; i < 2; i++) sims.push(await startIpmiSim({ powerOn: true }))
    dataDir = mkdtempSync(join(tmpdir(), 'bmcvisor-hw-'))
    server = await startServer({
      listen: '127.0.0.1:0', dataDir, adminToken: ADMIN,
      logger: createLogger({ level: 'warn', destination: new Writable({ write: (_c, _e, cb) => cb() }) }),
      bmcDefaults: { reconnect: { initialMs: 100, maxMs: 1000 } },
    })
    for (const [i, sim] of sims.entries()) {
      const res = await fetch(`${server.url}/api/v1/nodes`, {
        method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: `hw${i}`, bmc: { host: sim.host, port: sim.port, username: 'admin', password: 'password', cipherSuite: 3 }, console: { method: 'ipmi', logging: 'none' } }),
      })
      assert.equal(res.status, 201, await res.text())
    }
  })
  after(async () => {
    await server?.close()
    await Promise.all(sims.map((s) => s.stop()))
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true })
  })

  it('sensors equal ipmitool sensor list, filter by type, and health summarises them', async (t) => {
    if (!requireIpmiSim(t)) return
    let res = await api('GET', '/nodes/hw0/sensors')
    await waitUntil(async () => (res = await api('GET', '/nodes/hw0/sensors')).status === 200, { timeoutMs: 30_000, what: 'sensors' })
    const sensors = res.body.sensors as { name: string; value: number | null; status: string; sensorType: string }[]
    const list = await ipmitool(sims[0]!, ['sensor', 'list'])
    const cpu = sensors.find((s) => s.name === 'CPU Temp')
    assert.equal(cpu?.value, Number(/^CPU Temp\s+\|\s+([\d.]+)/m.exec(list)?.[1]))
    assert.equal(cpu?.status, 'ok')
    const temps = await api('GET', '/nodes/hw0/sensors?type=Temperature')
    assert.ok((temps.body.sensors as { sensorType: string }[]).every((s) => s.sensorType === 'Temperature'))
    const bad = await api('GET', '/nodes/hw0/sensors?type=')
    assert.equal(bad.status, 400)
    const health = await api('GET', '/nodes/hw0/health')
    assert.equal(health.status, 200)
    assert.ok(['ok', 'warning', 'critical', 'failed'].includes(health.body.status as string))
  })

  it('inventory carries the FRU strings ipmitool prints; a range answers per node', async (t) => {
    if (!requireIpmiSim(t)) return
    let inv = await api('GET', '/nodes/hw1/inventory')
    await waitUntil(async () => (inv = await api('GET', '/nodes/hw1/inventory')).status === 200, { timeoutMs: 30_000, what: 'inventory' })
    const fru = await ipmitool(sims[1]!, ['fru', 'print', '0'])
    const boardMfg = /Board Mfg\s+:\s+(.+)$/m.exec(fru)?.[1]?.trim()
    assert.ok(boardMfg !== undefined && JSON.stringify(inv.body).includes(boardMfg), boardMfg)
    const range = await api('GET', '/noderange/hw[0-1]/health')
    const results = range.body.results as Record<string, { ok: boolean }>
    assert.deepEqual(Object.keys(results), ['hw0', 'hw1'])
    assert.ok(results.hw0!.ok && results.hw1!.ok)
  })

  it('events equal ipmitool sel list; DELETE clears the log for both', async (t) => {
    if (!requireIpmiSim(t)) return
    let ev = await api('GET', '/nodes/hw0/events')
    await waitUntil(async () => (ev = await api('GET', '/nodes/hw0/events')).status === 200, { timeoutMs: 30_000, what: 'events' }).catch((e) => {
      throw new Error(`${(e as Error).message}: ${JSON.stringify(ev)}`)
    })
    const entries = ev.body.entries as { id: number }[]
    const sel = (await ipmitool(sims[0]!, ['sel', 'list'])).trim().split('\n').filter((l) => l.trim() !== '')
    assert.equal(entries.length, sel.length)
    const cleared = await api('DELETE', '/nodes/hw0/events')
    assert.equal(cleared.status, 200)
    assert.equal(cleared.body.cleared, true)
    await waitUntil(async () => ((await api('GET', '/nodes/hw0/events')).body.entries as unknown[]).length === 0, { timeoutMs: 10_000, what: 'SEL empty' })
    assert.doesNotMatch(await ipmitool(sims[0]!, ['sel', 'list']), /\|/)
  })
})

// A mixed fleet in one serve: simulated BMCs that speak both IPMI and Redfish (startSimFleet with
// `redfish`, one state behind the two sides), managed by IPMI nodes (i0, i1) and Redfish nodes
// (r0, r1) on the same BMCs' two sides. One range request reads the power of all four, one range
// request turns off a Redfish node's BMC and an IPMI node's BMC, and each change is read by the
// node of the other protocol on that BMC. /metrics shows both kinds of node (bmcvisor_bmc_up,
// bmcvisor_chassis_power_state, bmcvisor_node_protocol), and a real Prometheus scraping it answers
// the fleet dashboard's per-protocol panel with both protocols.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLogger } from '../../src/log.js'
import { startServer, type RunningServer } from '../../src/main.js'
import { startSimFleet, type SimFleetHandle } from '../../src/sim/fleet.js'
import { waitUntil } from '../lab/net.js'
import { sink } from '../lab/sink.js'
import { dashboardExprs } from '../unit/metrics/lint.js'
import { parseExposition, key } from '../unit/metrics/helpers.js'
import { requirePrometheus, startPrometheus, type Prometheus } from './prometheus.js'
import { restClient } from '../lab/rest.js'

const ADMIN = 'e2e-mixed-fleet-admin-token-0123456789'
const POWER = { onMs: 400, offMs: 300 }
const IPMI_NODES = ['i0', 'i1'] as const
const REDFISH_NODES = ['r0', 'r1'] as const
const ALL = [...IPMI_NODES, ...REDFISH_NODES]
/** The fleet dashboard panel that splits the BMCs up by protocol. */
const BY_PROTOCOL = 'bmcvisor_node_protocol'
type RangeResults = Record<string, { ok: boolean; value?: { state: string; powerState?: string }; error?: { code: string } }>

describe('a mixed fleet in one serve: IPMI and Redfish nodes on the same simulated BMCs', { timeout: 120_000 }, () => {
  let server: RunningServer
  let fleet: SimFleetHandle
  let dataDir: string
  let prom: Prometheus | undefined

  const api = restClient(() => server.url, ADMIN)
  const rangePower = async (): Promise<RangeResults> => {
    const r = await api('GET', '/noderange/i[0-1],r[0-1]/power')
    assert.equal(r.status, 200, JSON.stringify(r.json))
    return r.json.results as RangeResults
  }
  const scrape = async () => parseExposition(await (await fetch(`${server.url}/metrics`)).text())

  before(async () => {
    fleet = await startSimFleet({ count: 2, consoleRate: 0, redfish: { power: POWER } })
    dataDir = mkdtempSync(join(tmpdir(), 'bmcvisor-e2e-mixed-'))
    server = await startServer({
      listen: '127.0.0.1:0', dataDir, adminToken: ADMIN, logger: createLogger({ level: 'warn', destination: sink() }),
      supervisor: { heartbeatMs: 250, heartbeatTimeoutMs: 3000, startConcurrency: 2 },
      bmcDefaults: { reconnect: { initialMs: 100, maxMs: 1000 } },
      metricsOptions: { powerPollMs: 500 },
    })
    for (const [i, b] of fleet.bmcs.entries()) {
      const ipmi = await api('POST', '/nodes', { name: IPMI_NODES[i], bmc: { host: b.host, port: b.port, username: b.username, password: b.password }, console: { method: 'none' } })
      assert.equal(ipmi.status, 201, JSON.stringify(ipmi.json))
      const redfish = await api('POST', '/nodes', {
        name: REDFISH_NODES[i],
        bmc: { protocol: 'redfish', host: b.host, port: b.redfish!.port, username: b.username, password: b.password, tls: { mode: 'pin', fingerprint: fleet.redfishFingerprint } },
      })
      assert.equal(redfish.status, 201, JSON.stringify(redfish.json))
    }
    await waitUntil(async () => {
      const ws = (await api('GET', '/workers')).json.workers as { node: string; session: { state: string } | null }[]
      return ALL.every((n) => ws.some((w) => w.node === n && w.session?.state === 'connected'))
    }, { timeoutMs: 30_000, intervalMs: 100, what: 'all four nodes connected' })
  })
  after(async () => {
    await prom?.stop()
    await server?.close()
    await fleet?.close()
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true })
  })

  it('one range request reads the power of IPMI and Redfish nodes alike', async () => {
    const results = await rangePower()
    assert.deepEqual(Object.keys(results), ['i0', 'i1', 'r0', 'r1'])
    for (const n of IPMI_NODES) assert.deepEqual(results[n], { ok: true, value: { state: 'on' } })
    for (const n of REDFISH_NODES) assert.deepEqual(results[n], { ok: true, value: { state: 'on', powerState: 'On' } })
  })

  it('one range request powers off over Redfish (BMC 0) and over IPMI (BMC 1); each BMC\'s other node sees it', async () => {
    const r = await api('PUT', '/noderange/r0,i1/power', { state: 'off' })
    assert.equal(r.status, 200, JSON.stringify(r.json))
    const done = r.json.results as RangeResults
    assert.deepEqual([done.r0?.ok, done.i1?.ok], [true, true], JSON.stringify(done))
    await waitUntil(async () => {
      const p = await rangePower()
      return ALL.every((n) => p[n]?.value?.state === 'off') ? p : undefined
    }, { timeoutMs: 10_000, intervalMs: 100, what: 'every node reads off' })
    const p = await rangePower()
    assert.deepEqual([p.r0?.value?.powerState, p.r1?.value?.powerState], ['Off', 'Off'])
    const on = await api('PUT', '/noderange/i0,r1/power', { state: 'on' })
    assert.deepEqual(Object.values(on.json.results as RangeResults).map((x) => x.ok), [true, true])
    await waitUntil(async () => Object.values(await rangePower()).every((x) => x.value?.state === 'on'), { timeoutMs: 10_000, intervalMs: 100, what: 'every node reads on again' })
  })

  it('/metrics shows both kinds of node: BMC up, power polled, and the protocol of each', async () => {
    const s = await waitUntil(async () => {
      const m = await scrape()
      return ALL.every((node) => m.get(key('bmcvisor_chassis_power_state', { node })) === 1) ? m : undefined
    }, { timeoutMs: 10_000, intervalMs: 100, what: 'power polled on every node' })
    for (const node of ALL) assert.equal(s.get(key('bmcvisor_bmc_up', { node })), 1, node)
    for (const node of IPMI_NODES) assert.equal(s.get(key('bmcvisor_node_protocol', { node, protocol: 'ipmi' })), 1)
    for (const node of REDFISH_NODES) assert.equal(s.get(key('bmcvisor_node_protocol', { node, protocol: 'redfish' })), 1)
    assert.deepEqual([...s.keys()].filter((k) => k.startsWith('bmcvisor_node_protocol{')).length, ALL.length)
    // Commands count for both: the poller's power.status succeeded on each.
    for (const node of ALL) assert.ok((s.get(key('bmcvisor_commands_total', { node, command: 'power.status', outcome: 'ok' })) ?? 0) >= 1, node)
  })

  it('a real Prometheus answers the fleet dashboard\'s per-protocol panel with both protocols', async (t) => {
    if (!requirePrometheus(t)) return
    const panel = dashboardExprs().filter((e) => e.expr.includes(BY_PROTOCOL))
    assert.ok(panel.length >= 1, 'a dashboard panel uses bmcvisor_node_protocol')
    prom = await startPrometheus({ jobs: { bmcvisor: [new URL(server.url).host] } })
    const p = prom
    for (const { where, expr } of panel) {
      const q = expr.replaceAll('$__rate_interval', '5s').replaceAll('$__range', '5m').replaceAll('$instance', '.+').replaceAll('$node', '.+')
      const samples = await waitUntil(async () => {
        const r = await p.query(q)
        return r.length === 2 ? r : undefined
      }, { timeoutMs: 30_000, intervalMs: 250, what: `${where} answered for both protocols` })
      const byProtocol = Object.fromEntries(samples.map((x) => [x.metric.protocol, Number(x.value[1])]))
      assert.deepEqual(byProtocol, { ipmi: 2, redfish: 2 }, where)
    }
  })
})

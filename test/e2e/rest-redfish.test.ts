// End to end: the real server (startServer, one worker thread per BMC) with a mixed fleet: a
// Redfish node on DMTF's mockup (test/lab/redfish-mockup.ts, loopback HTTPS) and an IPMI node
// on the simulator. The Redfish node is added over REST with `tls: pin` and no fingerprint: the
// certificate learned on first use is stored and shown by GET /nodes/{node}; one range request
// answers for both nodes; its reads come from the mockup's documents; the CLI's flags build
// the node; closing the server logs the Redfish session out.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { nodeFromOptions } from '../../src/cli/node.js'
import { createLogger } from '../../src/log.js'
import { startServer, type RunningServer } from '../../src/main.js'
import { startSimFleet, type SimFleetHandle } from '../../src/sim/fleet.js'
import { LOOPBACK, waitUntil } from '../lab/net.js'
import { MOCKUP_DIR, RedfishMockup, requireMockup } from '../lab/redfish-mockup.js'
import { sink } from '../lab/sink.js'
import { restClient } from '../lab/rest.js'

const ADMIN = 'e2e-redfish-admin-token-0123456789'
const have = existsSync(join(MOCKUP_DIR, 'index.json'))
type Json = Record<string, unknown>

describe('a mixed fleet in one serve: Redfish (DMTF mockup) and IPMI (simulator)', { timeout: 90_000 }, () => {
  let server: RunningServer
  let bmc: RedfishMockup
  let fleet: SimFleetHandle
  let dataDir: string

  const api = restClient(() => server.url, ADMIN)

  before(async () => {
    if (!have) return
    bmc = await new RedfishMockup().start()
    fleet = await startSimFleet({ count: 1, consoleRate: 0 })
    dataDir = mkdtempSync(join(tmpdir(), 'bmcvisor-e2e-rf-'))
    server = await startServer({
      listen: '127.0.0.1:0', dataDir, adminToken: ADMIN, logger: createLogger({ level: 'warn', destination: sink() }),
      supervisor: { heartbeatMs: 250, heartbeatTimeoutMs: 3000, startConcurrency: 2 },
      bmcDefaults: { reconnect: { initialMs: 100, maxMs: 1000 } },
    })
  })
  after(async () => {
    await server?.close()
    await fleet?.close()
    await bmc?.stop()
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true })
  })

  it('the CLI flags build a Redfish node; SOL beside it keeps IPMI\'s password limit', async (t) => {
    if (!requireMockup(t)) return
    const body = nodeFromOptions('r1', { host: LOOPBACK, port: String(bmc.port), user: bmc.username, password: bmc.password, protocol: 'redfish', tls: 'pin' }, {})
    assert.deepEqual(body, { name: 'r1', bmc: { host: LOOPBACK, port: bmc.port, username: bmc.username, password: bmc.password, protocol: 'redfish', tls: { mode: 'pin' } } })
    const sol = await api('POST', '/nodes', { ...body, name: 'r0', bmc: { ...(body.bmc as Json), password: 'p'.repeat(21) }, console: { method: 'ipmi' } })
    assert.equal(sol.status, 400)
    assert.deepEqual([(sol.json.error as Json).code, ((sol.json.error as Json).details as Json).field], ['VALIDATION_FAILED', 'body.bmc.password'])
    const made = await api('POST', '/nodes', body)
    assert.equal(made.status, 201, JSON.stringify(made.json))
    const view = made.json.bmc as Json
    assert.deepEqual([view.protocol, (view.tls as Json).mode, (made.json.console as Json).method], ['redfish', 'pin', 'none'])
    const b = fleet.bmcs[0]!
    assert.equal((await api('POST', '/nodes', { name: 'i1', bmc: { host: b.host, port: b.port, username: b.username, password: b.password }, console: { method: 'ipmi', logging: 'none' } })).status, 201)
  })

  it('the certificate trusted on first use is stored as the node\'s pin and shown', async (t) => {
    if (!requireMockup(t)) return
    const fp = await waitUntil(async () => ((await api('GET', '/nodes/r1')).json.bmc as { tls?: { fingerprint?: string } }).tls?.fingerprint, { timeoutMs: 30_000, intervalMs: 100, what: 'fingerprint stored' })
    assert.equal(fp, bmc.certificate.fingerprint)
    // The fingerprint is reported at the TLS handshake, before the login answers: wait for the session.
    await waitUntil(async () => ((await api('GET', '/workers')).json.workers as { node: string; session: { state: string } | null }[])
      .some((w) => w.node === 'r1' && w.session?.state === 'connected'), { timeoutMs: 30_000, intervalMs: 100, what: 'r1 connected' })
    const logins = bmc.requests.filter((r) => r.method === 'POST' && r.path === '/redfish/v1/SessionService/Sessions').length
    assert.deepEqual([logins, bmc.openSessions], [1, 1], 'storing the pin did not reconnect the worker')
  })

  it('one range request answers for both protocols', async (t) => {
    if (!requireMockup(t)) return
    await waitUntil(async () => {
      const { json } = await api('GET', '/workers')
      const ws = json.workers as { node: string; session: { state: string } | null }[]
      return ws.length === 2 && ws.every((w) => w.session?.state === 'connected')
    }, { timeoutMs: 30_000, intervalMs: 200, what: 'both sessions connected' })
    const { status, json } = await api('GET', '/noderange/r1,i1/power')
    assert.equal(status, 200)
    const results = json.results as Record<string, { ok: boolean; value: { state: string; powerState?: string } }>
    assert.deepEqual(results.r1, { ok: true, value: { state: 'on', powerState: 'On' } })
    assert.equal(results.i1?.ok, true)
  })

  it('Redfish reads through REST come from the mockup', async (t) => {
    if (!requireMockup(t)) return
    const sensors = await api('GET', '/nodes/r1/sensors')
    assert.equal(sensors.status, 200)
    assert.equal((sensors.json.sensors as unknown[]).length, 41)
    const events = await api('GET', '/nodes/r1/events')
    assert.equal((events.json.entries as unknown[]).length, 2)
    const chassis = await api('GET', '/nodes/r1/bmc')
    assert.equal(chassis.json.firmwareRevision, '1.45.455b66-rev4')
    // Still the one session of the first login: the stored pin never reconnected the worker.
    assert.equal(bmc.requests.filter((r) => r.method === 'POST' && r.path === '/redfish/v1/SessionService/Sessions').length, 1)
  })

  it('closing the server logs the Redfish session out', async (t) => {
    if (!requireMockup(t)) return
    await server.close()
    assert.equal(bmc.openSessions, 0)
  })
})

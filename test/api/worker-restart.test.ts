// POST /nodes/{node}/worker/restart: operators and admins start a parked
// worker now, a viewer may not, a running worker is a CONFLICT, every try is
// audited; GET .../worker says when a parked worker is retried by itself.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { workerCommand } from '../../src/cli/worker.js'
import type { ApiClient } from '../../src/cli/client.js'
import { sink } from '../lab/sink.js'
import { testApi, type TestApi } from './helpers.js'

describe('worker restart', () => {
  let t: TestApi
  before(async () => {
    t = await testApi()
    for (const name of ['w1', 'w2']) {
      await t.store.nodes.create({ name, bmc: { host: '127.0.0.1', port: 7001, username: 'a', password: 'p', cipherSuite: 3, privilege: 'administrator' }, console: { method: 'ipmi', logging: 'full' }, groups: [] })
    }
    await t.sync.idle()
  })
  after(() => t.close())

  const restart = (node: string, role: 'viewer' | 'operator' | 'admin') =>
    t.app.inject({ method: 'POST', url: `/api/v1/nodes/${node}/worker/restart`, headers: t.auth(role) })

  it('a viewer may not; an operator restarts a parked worker; a running one is a CONFLICT; all audited', async () => {
    t.sup.states.set('w1', 'parked')
    assert.equal((await restart('w1', 'viewer')).statusCode, 403)
    assert.equal(t.sup.states.get('w1'), 'parked')
    const ok = await restart('w1', 'operator')
    assert.equal(ok.statusCode, 202)
    assert.deepEqual(ok.json(), { state: 'restarting' })
    const busy = await restart('w2', 'admin')
    assert.equal(busy.statusCode, 409)
    assert.equal(busy.json().error.code, 'CONFLICT')
    assert.equal((await restart('nope', 'admin')).statusCode, 404)
    const entries = (await t.store.audit.list({ limit: 3 })).filter((e) => e.action === 'worker.restart')
    assert.deepEqual(entries.map((e) => [e.target, e.outcome]).sort(), [['nope', 'NODE_NOT_FOUND'], ['w1', 'ok'], ['w2', 'CONFLICT']])
  })

  it('GET .../worker says when a parked worker is retried', async () => {
    const at = Date.UTC(2030, 0, 2, 3, 4, 5)
    const status = t.sup.status.bind(t.sup)
    t.sup.status = (node?: string) => status(node).map((s) => ({ ...s, state: 'parked', retryAt: at }))
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/nodes/w1/worker', headers: t.auth('viewer') })
    t.sup.status = status
    assert.equal(res.json().retryAt, '2030-01-02T03:04:05.000Z')
  })

  it('bmcvisor worker restart NODE posts the restart and prints the state', async () => {
    const calls: [string, string][] = []
    const client = { url: 'x', request: async <T>(m: string, p: string) => (calls.push([m, p]), { state: 'restarting' } as T), stream: async function* () {} } as ApiClient
    const out = sink()
    assert.equal(await workerCommand(['restart', 'w1'], { stdout: out, stderr: sink(), env: {} }, client), 0)
    assert.deepEqual(calls, [['POST', '/nodes/w1/worker/restart']])
    assert.equal(out.text(), 'w1  restarting\n')
  })
})

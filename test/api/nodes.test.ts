// Nodes over REST with a fake supervisor: create with defaults, merge
// patches (port only, kg removal, groups), conflicts, delete, groups and
// noderange listing, and how each change reaches the supervisor (one
// update per real BMC change, none for groups or logging).
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { nodeBody, testApi, type TestApi } from './helpers.js'

describe('nodes', () => {
  let t: TestApi
  before(async () => {
    t = await testApi()
  })
  after(() => t.close())

  const req = (method: string, url: string, payload?: unknown, role: 'viewer' | 'operator' | 'admin' = 'admin', headers: Record<string, string> = {}) =>
    t.app.inject({ method: method as 'GET', url: `/api/v1${url}`, headers: { ...t.auth(role), ...headers }, ...(payload !== undefined ? { payload: payload as object } : {}) })

  it('creates a node with defaults and never returns its secrets', async () => {
    const res = await req('POST', '/nodes', nodeBody('a1', { bmc: { host: 'bmc-a1.example', username: 'root', password: 'pw-a1-secret', kg: 'AABBCC' } }))
    assert.equal(res.statusCode, 201, res.body)
    const n = res.json()
    // No cipherSuite: negotiated (17 first), so suite-17-only and suite-3-only BMCs work with nothing configured.
    assert.deepEqual(n.bmc, { host: 'bmc-a1.example', port: 623, username: 'root', privilege: 'administrator', kgSet: true, protocol: 'ipmi' })
    assert.deepEqual(n.console, { method: 'ipmi', logging: 'full' })
    assert.equal(n.revision, 1)
    assert.ok(!res.body.includes('pw-a1-secret') && !res.body.toLowerCase().includes('aabbcc'))
    await t.sync.idle()
    const cfg = t.sup.configs.get('a1')!
    assert.deepEqual(cfg.credentials, { username: 'root', password: 'pw-a1-secret', kgHex: 'aabbcc' })
    assert.equal(cfg.console, true)
    for (const url of ['/nodes', '/nodes/a1']) assert.ok(!(await req('GET', url, undefined, 'viewer')).body.includes('pw-a1-secret'))
    assert.equal((await req('POST', '/nodes', nodeBody('a1'))).statusCode, 409)
  })

  it('applies a merge patch: only the port changes, the supervisor gets one update', async () => {
    const before = t.sup.updates.length
    const res = await req('PATCH', '/nodes/a1', { bmc: { port: 624 } })
    assert.equal(res.statusCode, 200, res.body)
    assert.equal(res.json().bmc.port, 624)
    assert.equal(res.json().bmc.host, 'bmc-a1.example')
    assert.equal(res.json().revision, 2)
    await t.sync.idle()
    assert.equal(t.sup.updates.length, before + 1)
    assert.equal(t.sup.configs.get('a1')!.port, 624)
    assert.equal(t.sup.configs.get('a1')!.credentials.password, 'pw-a1-secret')
  })

  it('does not reconfigure the worker for groups or console logging', async () => {
    const before = t.sup.updates.length
    const res = await req('PATCH', '/nodes/a1', { groups: ['r1', 'gpu'], console: { logging: 'memory' } }, 'admin', { 'content-type': 'application/merge-patch+json' })
    assert.equal(res.statusCode, 200, res.body)
    assert.deepEqual(res.json().groups, ['gpu', 'r1'])
    await t.sync.idle()
    assert.equal(t.sup.updates.length, before)
  })

  it('removes K_G with null and changes the password write-only', async () => {
    const res = await req('PATCH', '/nodes/a1', { bmc: { kg: null, password: 'pw-a1-new' } })
    assert.equal(res.json().bmc.kgSet, false)
    await t.sync.idle()
    assert.deepEqual(t.sup.configs.get('a1')!.credentials, { username: 'root', password: 'pw-a1-new' })
  })

  it('lists groups, filters by group and expands noderanges', async () => {
    await req('POST', '/nodes', nodeBody('a2', { groups: ['gpu'] }))
    await req('POST', '/nodes', nodeBody('a10', { groups: ['gpu'] }))
    const groups = (await req('GET', '/groups', undefined, 'viewer')).json().groups
    assert.deepEqual(groups.find((g: { name: string }) => g.name === 'gpu').nodes, ['a1', 'a10', 'a2'])
    assert.deepEqual((await req('GET', '/nodes?group=r1', undefined, 'viewer')).json().nodes.map((n: { name: string }) => n.name), ['a1'])
    assert.deepEqual((await req('GET', '/noderange/@gpu', undefined, 'viewer')).json(), { nodes: ['a1', 'a2', 'a10'], missing: [] })
    assert.deepEqual((await req('GET', `/noderange/${encodeURIComponent('a[1-3],a10')}`, undefined, 'viewer')).json(), { nodes: ['a1', 'a2', 'a10'], missing: ['a3'] })
    assert.equal((await req('GET', '/noderange/@nothing', undefined, 'viewer')).statusCode, 404)
  })

  it('deletes a node and stops its worker; a re-add of the same name starts a new one', async () => {
    assert.equal((await req('DELETE', '/nodes/a2')).statusCode, 204)
    await t.sync.idle()
    assert.equal(t.sup.has('a2'), false)
    assert.equal((await req('GET', '/nodes/a2', undefined, 'viewer')).statusCode, 404)
    assert.equal((await req('DELETE', '/nodes/a2')).json().error.code, 'NODE_NOT_FOUND')
    await req('POST', '/nodes', nodeBody('a2'))
    await t.sync.idle()
    assert.equal(t.sup.has('a2'), true)
  })

  it('audits every change with who, what and when, without secrets', async () => {
    const entries = await t.store.audit.list({ target: 'a1' })
    const actions = entries.map((e) => e.action)
    assert.ok(actions.includes('node.create') && actions.includes('node.update'), actions.join())
    for (const e of entries) {
      assert.equal(e.actor, 'test-admin')
      assert.ok(!Number.isNaN(Date.parse(e.at)))
      assert.ok(!JSON.stringify(e).includes('pw-a1'), JSON.stringify(e))
    }
  })
})

// GET /api/v1/cluster and POST /api/v1/cluster/members/{id}/drain
// (src/api/routes/cluster.ts) over a scripted cluster port: the view of
// members (lease age, drained, node counts) and the owner map, the drain's
// answers (NOT_FOUND for a member that is not live, drained once the member's
// applied list leaves itself out), roles and the audit entries; and with the
// SQLite store (no cluster) `enabled: false` and a drain that is CONFLICT.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { clusterPlugin, type ClusterMemberPort, type ClusterPort } from '../../src/api/routes/cluster.js'
import type { ApiPlugin } from '../../src/api/app.js'
import { testApi, type TestApi } from './helpers.js'

function member(id: string, o: Partial<ClusterMemberPort> = {}): ClusterMemberPort {
  return { id, epoch: 1, address: `http://127.0.0.1:1/${id}`, draining: false, applied: ['a', 'b'], renewedAgoMs: 1234.4, leaseLeftMs: 7765.6, ...o }
}

class ScriptedCluster implements ClusterPort {
  members = [member('a', { epoch: 3 }), member('b', { epoch: 4 })]
  async status() {
    return { self: 'a', epoch: 3, held: true, members: this.members, owners: { n1: 'a', n2: 'b', n3: 'b' } }
  }
  async drain(id: string): Promise<boolean> {
    const m = this.members.find((x) => x.id === id)
    if (m === undefined) return false
    m.draining = true
    return true
  }
}

describe('cluster routes', () => {
  let t: TestApi
  const cluster = new ScriptedCluster()
  before(async () => {
    t = await testApi({ plugins: [clusterPlugin(cluster) as ApiPlugin] })
  })
  after(() => t.close())

  it('GET /cluster: members with lease age and node counts, and the node -> owner map', async () => {
    assert.equal((await t.app.inject({ url: '/api/v1/cluster' })).statusCode, 401)
    const r = await t.app.inject({ url: '/api/v1/cluster', headers: t.auth('viewer') })
    assert.equal(r.statusCode, 200)
    const body = r.json()
    assert.equal(body.enabled, true)
    assert.equal(body.self, 'a')
    assert.equal(body.epoch, 3)
    assert.deepEqual(body.owners, { n1: 'a', n2: 'b', n3: 'b' })
    assert.deepEqual(body.members.map((m: { id: string; self: boolean; nodes: number; leaseAgeMs: number; leaseLeftMs: number; drained: boolean }) => [m.id, m.self, m.nodes, m.leaseAgeMs, m.leaseLeftMs, m.drained]),
      [['a', true, 1, 1234, 7766, false], ['b', false, 2, 1234, 7766, false]])
  })

  it('POST drain: admin only, NOT_FOUND for no live member, drained once its applied list leaves itself out; audited', async () => {
    assert.equal((await t.app.inject({ method: 'POST', url: '/api/v1/cluster/members/b/drain', headers: t.auth('operator') })).statusCode, 403)
    const missing = await t.app.inject({ method: 'POST', url: '/api/v1/cluster/members/zz/drain', headers: t.auth('admin') })
    assert.equal(missing.statusCode, 404)
    assert.equal(missing.json().error.code, 'NOT_FOUND')
    const first = await t.app.inject({ method: 'POST', url: '/api/v1/cluster/members/b/drain', headers: t.auth('admin') })
    assert.equal(first.statusCode, 202)
    assert.deepEqual(first.json(), { id: 'b', draining: true, drained: false })
    // b has stopped its nodes and published a list without itself.
    cluster.members[1]!.applied = ['a']
    const again = await t.app.inject({ method: 'POST', url: '/api/v1/cluster/members/b/drain', headers: t.auth('admin') })
    assert.deepEqual(again.json(), { id: 'b', draining: true, drained: true })
    const view = (await t.app.inject({ url: '/api/v1/cluster', headers: t.auth('viewer') })).json()
    assert.deepEqual(view.members.find((m: { id: string }) => m.id === 'b'), { ...view.members[1], draining: true, drained: true })
    const audits = (await t.store.audit.list({ limit: 10 })).filter((e) => e.action === 'cluster.drain')
    assert.deepEqual(audits.map((e) => e.outcome).sort(), ['NOT_FOUND', 'ok', 'ok'])
  })
})

describe('cluster routes on the SQLite store', () => {
  let t: TestApi
  before(async () => {
    t = await testApi({ plugins: [clusterPlugin(undefined) as ApiPlugin] })
  })
  after(() => t.close())

  it('GET says there is no cluster; a drain is CONFLICT', async () => {
    const r = await t.app.inject({ url: '/api/v1/cluster', headers: t.auth('viewer') })
    assert.deepEqual(r.json(), { enabled: false, self: null, epoch: null, held: true, members: [], owners: {} })
    const d = await t.app.inject({ method: 'POST', url: '/api/v1/cluster/members/x/drain', headers: t.auth('admin') })
    assert.equal(d.statusCode, 409)
    assert.equal(d.json().error.code, 'CONFLICT')
  })
})

// Command routes with a fake supervisor: one node (value or error with its
// status), ranges (one result per node with its own code), per-node
// deadlines (a hung node never holds the others), NDJSON streaming in
// completion order, argument mapping, fault injection on and off.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ServiceError } from '../../src/errors.js'
import { testApi, type TestApi } from './helpers.js'

describe('commands', () => {
  let t: TestApi
  before(async () => {
    t = await testApi({ commandTimeoutMs: 300 })
    for (let i = 1; i <= 6; i++) {
      await t.store.nodes.create({
        name: `c${i}`, bmc: { host: '127.0.0.1', port: 7000 + i, username: 'a', password: 'p', cipherSuite: 3, privilege: 'administrator' },
        console: { method: 'ipmi', logging: 'full' }, groups: i <= 4 ? ['rack'] : [],
      })
    }
    await t.sync.idle()
  })
  after(() => t.close())

  const req = (method: string, url: string, payload?: unknown, headers: Record<string, string> = {}) =>
    t.app.inject({ method: method as 'GET', url: `/api/v1${url}`, headers: { ...t.auth('admin'), ...headers }, ...(payload !== undefined ? { payload: payload as object } : {}) })

  it('maps bodies to worker arguments', async () => {
    t.sup.calls.length = 0
    await req('PUT', '/nodes/c1/power', { state: 'cycle' })
    await req('PUT', '/nodes/c1/boot', { device: 'network', persistent: true, mode: 'uefi' })
    await req('PUT', '/nodes/c1/identify', { state: 'on' })
    await req('PUT', '/nodes/c1/identify', { state: 'off' })
    await req('PUT', '/nodes/c1/bmc/users/5', { name: 'alice', password: 'pw', privilege: 'operator', enabled: true })
    assert.deepEqual(t.sup.calls.map((c) => [c.op, c.args]), [
      ['power.set', { action: 'cycle' }],
      ['boot.set', { device: 'pxe', persistent: true, uefi: true }],
      ['identify', { seconds: 15, force: true }],
      ['identify', { seconds: 0 }],
      ['users.set', { id: 5, name: 'alice', password: 'pw', privilege: 'operator', enabled: true }],
    ])
    const boot = await req('GET', '/nodes/c1/boot')
    assert.deepEqual(boot.json(), { device: 'pxe', persistent: false, mode: 'uefi', valid: true })
  })

  it('answers one node with its error and status', async () => {
    t.sup.script.set('c2', new ServiceError('BMC_UNREACHABLE', 'no answer'))
    t.sup.script.set('c3', new ServiceError('BMC_AUTH_FAILED', 'bad password'))
    const a = await req('GET', '/nodes/c2/power')
    assert.equal(a.statusCode, 504)
    assert.equal(a.json().error.code, 'BMC_UNREACHABLE')
    assert.equal((await req('GET', '/nodes/c3/power')).statusCode, 502)
    assert.equal((await req('GET', '/nodes/zz/power')).statusCode, 404)
    t.sup.script.clear()
  })

  it('answers a range with one result per node; a hung node ends at its own deadline', async () => {
    t.sup.script.set('c2', new ServiceError('BMC_UNREACHABLE', 'no answer'))
    t.sup.script.set('c4', 'hang')
    const t0 = performance.now()
    const res = await req('GET', `/noderange/${encodeURIComponent('@rack,c9')}/power?timeoutMs=200`)
    const ms = performance.now() - t0
    assert.equal(res.statusCode, 200)
    const { results } = res.json()
    assert.deepEqual(Object.keys(results), ['c1', 'c2', 'c3', 'c4', 'c9'])
    assert.deepEqual(results.c1, { ok: true, value: { state: 'on' } })
    assert.equal(results.c2.error.code, 'BMC_UNREACHABLE')
    assert.equal(results.c4.error.code, 'WORKER_UNAVAILABLE')
    assert.equal(results.c9.error.code, 'NODE_NOT_FOUND')
    assert.ok(t.sup.calls.filter((c) => c.node === 'c4').at(-1)?.timeoutMs === 200)
    assert.ok(ms < 200 + 3000 + 1500, `range took ${ms} ms`)
    t.sup.script.clear()
  })

  it('streams NDJSON in completion order: fast nodes first, then the slow one, then a summary', async () => {
    let release: () => void = () => undefined
    const slow = new Promise<void>((r) => (release = r))
    t.sup.script.set('c1', async () => {
      await slow
      return { state: 'off' }
    })
    const pending = req('GET', `/noderange/${encodeURIComponent('c[1-3]')}/power`, undefined, { accept: 'application/x-ndjson' })
    // c2 and c3 finish at once; c1 only when released.
    setImmediate(() => setTimeout(release, 50))
    const res = await pending
    assert.match(String(res.headers['content-type']), /application\/x-ndjson/)
    const lines = res.body.trim().split('\n').map((l) => JSON.parse(l) as { node?: string; done?: boolean; ok?: number })
    assert.deepEqual(lines.map((l) => l.node ?? 'done'), ['c2', 'c3', 'c1', 'done'])
    assert.deepEqual(lines[3], { done: true, ok: 3, failed: 0 })
    t.sup.script.clear()
  })

  it('audits a range once, with the outcome summary', async () => {
    t.sup.script.set('c2', new ServiceError('BMC_UNREACHABLE', 'no answer'))
    await req('PUT', `/noderange/${encodeURIComponent('c[1-2]')}/power`, { state: 'off' })
    const [e] = await t.store.audit.list({ limit: 1 })
    assert.equal(e?.action, 'power.set')
    assert.equal(e?.target, 'c[1-2]')
    assert.equal(e?.outcome, '1 ok, 1 failed')
    assert.deepEqual(e?.detail, { nodes: 2, args: { state: 'off' } })
    t.sup.script.clear()
  })

  it('injects faults only when enabled', async () => {
    const res = await req('POST', '/nodes/c1/worker/fault', { kind: 'hang' })
    assert.equal(res.statusCode, 202)
    assert.deepEqual(t.sup.faults.at(-1), { node: 'c1', kind: 'hang' })
    const off = await testApi({ enableFaultInjection: false })
    try {
      const r = await off.app.inject({ method: 'POST', url: '/api/v1/nodes/c1/worker/fault', headers: off.auth('admin'), payload: { kind: 'crash' } })
      assert.equal(r.statusCode, 404)
    } finally {
      await off.close()
    }
  })

  it('shows workers', async () => {
    const res = await req('GET', '/workers')
    assert.equal(res.json().workers.length, 6)
    assert.equal((await req('GET', '/nodes/c1/worker')).json().state, 'running')
  })
})

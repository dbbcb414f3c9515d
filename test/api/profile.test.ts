// A node's BMC profile over REST with a fake supervisor: bmc.workarounds in
// the node document (names checked against the one list), GET .../bmc/profile
// (configured and learned entries, what each changes), DELETE resets it
// (operator, audited, the worker told), the stored profile reaches the
// worker's configuration, and `bmcvisor node show` prints it.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { nodeBody, testApi, type TestApi } from './helpers.js'
import { toBmcConfig } from '../../src/api/node-config.js'
import { reviveProfile } from '../../src/session/profile.js'
import { nodeCommand } from '../../src/cli/node.js'
import type { ApiClient } from '../../src/cli/client.js'

describe('BMC profile', () => {
  let t: TestApi
  before(async () => {
    t = await testApi()
  })
  after(() => t.close())

  const req = (method: string, url: string, payload?: unknown, role: 'viewer' | 'operator' | 'admin' = 'admin') =>
    t.app.inject({ method: method as 'GET', url: `/api/v1${url}`, headers: t.auth(role), ...(payload !== undefined ? { payload: payload as object } : {}) })

  it('bmc.workarounds: known names are kept and reach the worker; an unknown one is VALIDATION_FAILED naming the field', async () => {
    const res = await req('POST', '/nodes', nodeBody('p1', { bmc: { host: '127.0.0.1', username: 'admin', password: 'pw', workarounds: ['solport', 'authcap'] } }))
    assert.equal(res.statusCode, 201, res.body)
    assert.deepEqual(res.json().bmc.workarounds, ['solport', 'authcap'])
    await t.sync.idle()
    assert.deepEqual(t.sup.configs.get('p1')?.workarounds, ['solport', 'authcap'])
    const bad = await req('POST', '/nodes', nodeBody('p2', { bmc: { host: '127.0.0.1', username: 'admin', password: 'pw', workarounds: ['frobnicate'] } }))
    assert.equal(bad.statusCode, 400)
    assert.equal(bad.json().error.code, 'VALIDATION_FAILED')
    assert.match(bad.json().error.details.field, /^body\.bmc\.workarounds/)
    const patched = await req('PATCH', '/nodes/p1', { bmc: { workarounds: null } })
    assert.equal(patched.json().bmc.workarounds, undefined, 'null removes the list')
    await req('PATCH', '/nodes/p1', { bmc: { workarounds: ['solport', 'authcap'] } })
  })

  it('GET shows configured entries (with "no effect" for built-in ones) and what was learned, when and what it saw', async () => {
    let p = (await req('GET', '/nodes/p1/bmc/profile', undefined, 'viewer')).json()
    assert.deepEqual(p.entries.map((e: { name: string; source: string; effective: boolean }) => [e.name, e.source, e.effective]), [['solport', 'configured', true], ['authcap', 'configured', false]])
    assert.equal(p.updatedAt, null)
    await t.store.profiles.put('p1', { entries: [{ name: 'cipher-suite', detail: 'suite 3 instead of 17: the BMC refused 17', learnedAt: '2026-12-03T12:00:00.000Z' }], cipherSuite: 3 })
    p = (await req('GET', '/nodes/p1/bmc/profile', undefined, 'viewer')).json()
    const learned = p.entries.find((e: { source: string }) => e.source === 'learned')
    assert.deepEqual(learned, {
      name: 'cipher-suite', source: 'learned', relaxesSecurity: true, handling: 'detected', effective: true,
      changes: 'a weaker cipher suite than bmcvisor prefers is used because the BMC offers or accepts no better one',
      detail: 'suite 3 instead of 17: the BMC refused 17', learnedAt: '2026-12-03T12:00:00.000Z',
    })
    assert.equal(p.cipherSuite, 3)
    assert.match(p.updatedAt, /^\d{4}-/)
    assert.equal((await req('GET', '/nodes/nosuch/bmc/profile')).json().error.code, 'NODE_NOT_FOUND')
  })

  it('the stored profile is passed into the worker\'s configuration (a serve restart starts from it)', async () => {
    const n = (await t.store.nodes.get('p1'))!
    const cfg = toBmcConfig(n, {}, undefined, reviveProfile((await t.store.profiles.get('p1'))?.profile))
    assert.equal(cfg.profile?.cipherSuite, 3)
    assert.deepEqual(cfg.profile?.entries.map((e) => e.name), ['cipher-suite'])
  })

  it('bmcvisor node show prints the profile', async () => {
    let text = ''
    const out = new Writable({ write(c: Buffer, _e, cb) { text += c.toString(); cb() } })
    const client: ApiClient = {
      request: async <T>(method: string, path: string) => (await req(method, path, undefined, 'viewer')).json() as T,
    } as ApiClient
    assert.equal(await nodeCommand(['show', 'p1'], { stdout: out, stderr: out, env: {} }, client), 0, text)
    assert.match(text, /^profile: {3}3 entries, cipher suite 3 known$/m)
    assert.match(text, /^ {2}authcap \(configured, no effect in bmcvisor\)$/m)
    assert.match(text, /^ {2}cipher-suite \(learned, relaxes security\) since 2026-12-03T12:00:00\.000Z$/m)
    assert.match(text, /^ {4}seen: {4}suite 3 instead of 17: the BMC refused 17$/m)
  })

  it('DELETE resets it: viewers may not, operators may; the worker is told and the reset is audited', async () => {
    assert.equal((await req('DELETE', '/nodes/p1/bmc/profile', undefined, 'viewer')).statusCode, 403)
    const res = await req('DELETE', '/nodes/p1/bmc/profile', undefined, 'operator')
    assert.equal(res.statusCode, 204, res.body)
    assert.deepEqual(t.sup.profileResets, ['p1'])
    assert.equal(await t.store.profiles.get('p1'), undefined)
    const p = (await req('GET', '/nodes/p1/bmc/profile')).json()
    assert.deepEqual(p.entries.map((e: { source: string }) => e.source), ['configured', 'configured'], 'configured workarounds stay')
    const row = (await t.store.audit.list({ target: 'p1' })).find((e) => e.action === 'bmc.profile.reset')
    assert.deepEqual(row?.detail?.forgotten, ['cipher-suite'])
  })

  it('a removed node takes its profile with it', async () => {
    await t.store.profiles.put('p1', { entries: [{ name: 'solport', detail: 'x', learnedAt: '2026-12-03T12:00:00.000Z' }] })
    await req('DELETE', '/nodes/p1')
    assert.equal(await t.store.profiles.get('p1'), undefined)
    await t.store.profiles.put('p1', { entries: [] })
    assert.equal(await t.store.profiles.get('p1'), undefined, 'no profile for a node that does not exist')
  })
})

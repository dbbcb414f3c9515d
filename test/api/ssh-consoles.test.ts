// SSH and no consoles over REST: console.method ssh with host, port,
// command and hostKey validated (ssh only, OpenSSH's SHA256: form), shown by
// GET, reaching the worker's configuration; a merge patch removes the pin
// (the next key is trusted on first use); method none gives the worker no
// console. A learned key is stored once and never replaces a pin
// (storeLearnedTrust), and audited.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import { Writable } from 'node:stream'
import type { TrustLearned } from '../../src/bridge/messages.js'
import { storeLearnedTrust } from '../../src/api/trust-sync.js'
import { createLogger } from '../../src/log.js'
import { nodeBody, testApi, type TestApi } from './helpers.js'

const KEY = 'SHA256:ZEzz0uKUtDWa9VzWjO2x+koXi/rqa6quc+p1go5QsGo'
const OTHER = 'SHA256:ZByTS4TccwnACHoWMX2CXbJraEZx1gYtD+xHffXiYCw'
const ssh = (over: Record<string, unknown> = {}) => ({ console: { method: 'ssh', ...over } })

describe('ssh consoles over REST', () => {
  let t: TestApi
  before(async () => {
    t = await testApi()
  })
  after(async () => {
    await t.close()
  })
  const req = (method: string, url: string, payload?: unknown) =>
    t.app.inject({ method: method as 'GET', url: `/api/v1${url}`, headers: t.auth('admin'), ...(payload !== undefined ? { payload: payload as object } : {}) })

  it('stores and shows host, port, command and hostKey, and hands them to the worker', async () => {
    const res = await req('POST', '/nodes', nodeBody('h1', ssh({ port: 2200, command: 'console com2', hostKey: KEY })))
    assert.equal(res.statusCode, 201, res.body)
    assert.deepEqual(res.json().console, { method: 'ssh', command: 'console com2', port: 2200, hostKey: KEY, logging: 'full' })
    await t.sync.idle()
    assert.deepEqual(t.sup.configs.get('h1')?.consoleSsh, { host: '127.0.0.1', port: 2200, command: 'console com2', hostKey: KEY })
    const other = await req('POST', '/nodes', nodeBody('h2', ssh({ host: 'bmc-h2.example' })))
    assert.equal(other.statusCode, 201, other.body)
    await t.sync.idle()
    assert.deepEqual(t.sup.configs.get('h2')?.consoleSsh, { host: 'bmc-h2.example', port: 22 })
  })

  it('a merge patch with hostKey null removes the pin', async () => {
    const res = await req('PATCH', '/nodes/h1', { console: { hostKey: null } })
    assert.equal(res.statusCode, 200, res.body)
    assert.equal(res.json().console.hostKey, undefined)
    await t.sync.idle()
    assert.equal(t.sup.configs.get('h1')?.consoleSsh?.hostKey, undefined)
  })

  it('validates: the fingerprint form, the port range, ssh fields on ssh consoles only', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [ssh({ hostKey: 'SHA256:short' }), 'body.console.hostKey'],
      [ssh({ hostKey: 'MD5:16:27:ac:a5:76:28:2d:36:63:1b:56:4d:eb:df:a6:48' }), 'body.console.hostKey'],
      [ssh({ port: 0 }), 'body.console.port'],
      [ssh({ port: 65536 }), 'body.console.port'],
      [{ console: { method: 'ipmi', port: 22 } }, 'body.console.port'],
      [{ console: { method: 'ipmi', hostKey: KEY } }, 'body.console.hostKey'],
      [{ console: { method: 'telnet' } }, 'body.console.method'],
    ]
    for (const [body, field] of cases) {
      const res = await req('POST', '/nodes', nodeBody('v1', body))
      assert.equal(res.statusCode, 400, `${JSON.stringify(body)}: ${res.body}`)
      assert.equal(res.json().error.code, 'VALIDATION_FAILED')
      assert.equal(res.json().error.details.field, field, JSON.stringify(body))
    }
    assert.equal(await t.store.nodes.get('v1'), undefined)
  })

  it('method none: the worker has no console', async () => {
    const res = await req('POST', '/nodes', nodeBody('n0', { console: { method: 'none' } }))
    assert.equal(res.statusCode, 201, res.body)
    await t.sync.idle()
    assert.equal(t.sup.configs.get('n0')?.console, false)
  })

  it('a key learned on first use is stored once, audited, and never replaces a pin', async () => {
    const source = new EventEmitter<{ 'trust:learned': [node: string, msg: TrustLearned] }>()
    const trust = storeLearnedTrust(source, t.store.nodes, t.store.audit, createLogger({ level: 'warn', destination: new Writable({ write: (_c, _e, cb) => cb() }) }))
    const learned = (node: string, fingerprint: string): TrustLearned => ({ type: 'trust-learned', bmc: node, generation: 1, what: 'ssh-host-key', fingerprint })
    source.emit('trust:learned', 'h2', learned('h2', KEY))
    await trust.idle()
    assert.equal((await t.store.nodes.get('h2'))?.console.hostKey, KEY)
    const shown = await req('GET', '/nodes/h2')
    assert.equal(shown.json().console.hostKey, KEY)
    source.emit('trust:learned', 'h2', learned('h2', OTHER))
    await trust.idle()
    assert.equal((await t.store.nodes.get('h2'))?.console.hostKey, KEY, 'a pin is never replaced by what a worker saw')
    source.emit('trust:learned', 'n0', learned('n0', KEY))
    await trust.idle()
    assert.equal((await t.store.nodes.get('n0'))?.console.hostKey, undefined, 'only an ssh console takes a host key')
    const rows = (await t.store.audit.list({ target: 'h2' })).filter((r) => r.action === 'node.trust-learned')
    assert.equal(rows.length, 1)
    assert.deepEqual({ actor: rows[0]!.actor, detail: rows[0]!.detail }, { actor: 'system', detail: { what: 'ssh-host-key', fingerprint: KEY } })
    trust.stop()
  })
})

// Redfish nodes over REST with a fake supervisor: the defaults a Redfish node gets (port 443,
// tls verify, console none), what its view shows (protocol, tls mode, the pin, never the CA
// bundle), the worker configuration it maps to, the checks (tls and systemId only on Redfish
// nodes, fingerprint only with pin, CA only with verify, IPMI's password limit with SOL beside
// Redfish), protocol auto's defaults and ipmiPort, and a learned fingerprint stored by
// api/trust-sync.ts once, with no change for the worker.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import type { TrustLearned } from '../../src/bridge/messages.js'
import { storeLearnedTrust } from '../../src/api/trust-sync.js'
import { createLogger } from '../../src/log.js'
import { sink } from '../lab/sink.js'
import { testApi, type TestApi } from './helpers.js'

const FP = Array.from({ length: 32 }, (_, i) => i.toString(16).padStart(2, '0').toUpperCase()).join(':')
const body = (name: string, bmc: Record<string, unknown> = {}, rest: Record<string, unknown> = {}) => ({
  name, bmc: { host: '10.1.0.1', username: 'admin', password: 'a-redfish-password-longer-than-twenty', protocol: 'redfish', ...bmc }, ...rest,
})

describe('Redfish nodes over REST', () => {
  let t: TestApi
  before(async () => {
    t = await testApi()
  })
  after(() => t.close())
  const req = (method: string, url: string, payload?: unknown) =>
    t.app.inject({ method: method as 'GET', url: `/api/v1${url}`, headers: t.auth('admin'), ...(payload !== undefined ? { payload: payload as object } : {}) })

  it('gets port 443, tls verify and no console; the worker config says redfish', async () => {
    const res = await req('POST', '/nodes', body('r1'))
    assert.equal(res.statusCode, 201, res.body)
    const n = res.json()
    assert.deepEqual([n.bmc.port, n.bmc.protocol, n.bmc.tls, n.console.method], [443, 'redfish', { mode: 'verify', caSet: false }, 'none'])
    const c = t.sup.configs.get('r1')!
    assert.deepEqual([c.protocol, c.tls, c.console, c.port], ['redfish', { mode: 'verify' }, false, 443])
    assert.ok(!res.body.includes('a-redfish-password'))
  })

  it('stores a pinned fingerprint in one spelling; never returns a CA bundle', async () => {
    const lower = FP.replace(/:/g, '').toLowerCase()
    const pinned = await req('POST', '/nodes', body('r2', { tls: { mode: 'pin', fingerprint: lower }, systemId: 'Node2' }))
    assert.equal(pinned.statusCode, 201, pinned.body)
    assert.deepEqual(pinned.json().bmc.tls, { mode: 'pin', fingerprint: FP, caSet: false })
    assert.equal(pinned.json().bmc.systemId, 'Node2')
    assert.deepEqual(t.sup.configs.get('r2')!.tls, { mode: 'pin', fingerprint: FP })
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'
    const ca = await req('POST', '/nodes', body('r3', { tls: { mode: 'verify', ca: pem } }))
    assert.equal(ca.statusCode, 201, ca.body)
    assert.deepEqual(ca.json().bmc.tls, { mode: 'verify', caSet: true })
    assert.ok(!ca.body.includes('MIIB'))
    assert.equal(t.sup.configs.get('r3')!.tls?.ca, pem)
  })

  it('SOL beside Redfish and protocol auto: the worker config carries the IPMI port; auto gets a Redfish node\'s defaults', async () => {
    const sol = await req('POST', '/nodes', body('rs', { password: 'short-pass', ipmiPort: 6230 }, { console: { method: 'ipmi' } }))
    assert.equal(sol.statusCode, 201, sol.body)
    const c = t.sup.configs.get('rs')!
    assert.deepEqual([c.protocol, c.port, c.ipmiPort, c.console, c.consoleMethod ?? 'ipmi'], ['redfish', 443, 6230, true, 'ipmi'])
    const auto = await req('POST', '/nodes', body('ra', { protocol: 'auto', password: 'short-pass' }))
    assert.equal(auto.statusCode, 201, auto.body)
    const n = auto.json()
    assert.deepEqual([n.bmc.protocol, n.bmc.port, n.bmc.ipmiPort, n.bmc.learnedProtocol, n.bmc.tls, n.console.method], ['auto', 443, undefined, undefined, { mode: 'verify', caSet: false }, 'none'])
    const a = t.sup.configs.get('ra')!
    assert.deepEqual([a.protocol, a.port, a.ipmiPort, a.tls], ['auto', 443, undefined, { mode: 'verify' }])
  })

  it('refuses what does not fit the protocol or the mode', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ name: 'x1', bmc: { host: 'h', username: 'u', password: 'p', tls: { mode: 'pin' } } }, 'body.bmc.tls'],
      [{ name: 'x2', bmc: { host: 'h', username: 'u', password: 'p', systemId: 'S' } }, 'body.bmc.systemId'],
      [body('x3', { tls: { mode: 'verify', fingerprint: FP } }), 'body.bmc.tls.fingerprint'],
      [body('x4', { tls: { mode: 'pin', ca: 'pem' } }), 'body.bmc.tls.ca'],
      // SOL beside Redfish logs in over IPMI: its 20-byte password limit holds.
      [body('x5', {}, { console: { method: 'ipmi' } }), 'body.bmc.password'],
      [{ name: 'x8', bmc: { host: 'h', username: 'u', password: 'p', ipmiPort: 6230 } }, 'body.bmc.ipmiPort'],
      [body('x6', { tls: { mode: 'pin', fingerprint: 'AB:CD' } }), 'body.bmc.tls.fingerprint'],
      [{ name: 'x7', bmc: { host: 'h', username: 'u', password: 'p'.repeat(21) } }, 'body.bmc.password'],
    ]
    for (const [b, field] of cases) {
      const res = await req('POST', '/nodes', b)
      assert.equal(res.statusCode, 400, `${String(b.name)}: ${res.body}`)
      assert.equal(res.json().error.code, 'VALIDATION_FAILED')
      assert.equal(res.json().error.details.field, field, String(b.name))
    }
  })

  it('a fingerprint learned on first use is stored once, and is no change for the worker', async () => {
    assert.equal((await req('POST', '/nodes', body('r4', { tls: { mode: 'pin' } }))).statusCode, 201)
    const source = new EventEmitter<{ 'trust:learned': [string, TrustLearned] }>()
    const trust = storeLearnedTrust(source, t.store.nodes, t.store.audit, createLogger({ level: 'silent', destination: sink() }))
    const updates = t.sup.updates.length
    const msg = (fingerprint: string): TrustLearned => ({ type: 'trust-learned', bmc: 'r4', generation: 1, what: 'tls-certificate', fingerprint })
    source.emit('trust:learned', 'r4', msg(FP))
    source.emit('trust:learned', 'r4', msg(FP.replace(/^00/, 'FF')))
    source.emit('trust:learned', 'r2', msg(FP.replace(/^00/, 'EE')))
    trust.stop()
    await trust.idle()
    assert.deepEqual((await req('GET', '/nodes/r4')).json().bmc.tls, { mode: 'pin', fingerprint: FP, caSet: false })
    assert.equal((await req('GET', '/nodes/r2')).json().bmc.tls.fingerprint, FP, 'a configured pin is never replaced')
    // The fake supervisor sees the stored pin as one update (the real one finds it equal to what it adopted).
    assert.equal(t.sup.updates.length, updates + 1)
    assert.deepEqual(t.sup.configs.get('r4')!.tls, { mode: 'pin', fingerprint: FP })
  })
})

// Trust and sessions against DMTF's mockup on loopback HTTPS: a pinned fingerprint works and a
// changed certificate is refused before any request byte reaches it; trust on first use learns
// and reports the fingerprint; verify checks the chain and the address; sessions are reused,
// logged in again after the BMC forgot them, and always deleted on close; HTTP Basic when the
// BMC has no session service; bad credentials and a hung BMC answer our codes in time.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { RedfishClient, type RedfishConfig } from '../../../src/redfish/client.js'
import { RedfishService } from '../../../src/redfish/service.js'
import * as rf from '../../../src/redfish/ops.js'
import { LOOPBACK } from '../../lab/net.js'
import { makeCertificate, MOCKUP_DIR, RedfishMockup, requireMockup } from '../../lab/redfish-mockup.js'

type Doc = Record<string, unknown>
const have = existsSync(join(MOCKUP_DIR, 'index.json'))

describe('Redfish TLS trust and sessions against the DMTF mockup', () => {
  let bmc: RedfishMockup
  const clients: RedfishClient[] = []
  const client = (over: Partial<RedfishConfig> = {}): RedfishClient => {
    const c = new RedfishClient({ host: LOOPBACK, port: bmc.port, username: bmc.username, password: bmc.password, tls: { mode: 'pin', fingerprint: bmc.certificate.fingerprint }, ...over })
    clients.push(c)
    return c
  }

  before(async () => {
    if (have) bmc = await new RedfishMockup().start()
  })
  after(async () => {
    for (const c of clients) await c.close()
    await bmc?.stop()
  })

  it('pin with no fingerprint trusts the first certificate, reports it once, and refuses a changed one without sending it a byte', async (t) => {
    if (!requireMockup(t)) return
    const learned: string[] = []
    const c = client({ tls: { mode: 'pin' }, onFingerprint: (fp) => learned.push(fp) })
    const s = new RedfishService(c)
    assert.equal((await rf.powerStatus(s)).state, 'on')
    assert.deepEqual(learned, [bmc.certificate.fingerprint])
    assert.equal(c.fingerprints.pinned, bmc.certificate.fingerprint)
    const old = bmc.certificate.fingerprint
    const oldCert = bmc.certificate
    const fresh = bmc.replaceCertificate()
    const seenBefore = bmc.requests.length
    const err = await rf.powerStatus(s).then(() => assert.fail('accepted a changed certificate'), (e: unknown) => e as { code: string; details: Doc; message: string })
    assert.equal(err.code, 'BMC_TLS_CERT_CHANGED')
    assert.deepEqual(err.details, { expected: old, seen: fresh.fingerprint })
    assert.equal(bmc.requests.length, seenBefore, 'no request reached the impostor')
    assert.deepEqual(learned, [old], 'a changed certificate is never learned')
    // The logout cannot reach an impostor either; with the real certificate back it does.
    await c.close()
    assert.equal(bmc.openSessions, 1)
    bmc.replaceCertificate(oldCert)
    const again = client({ tls: { mode: 'pin', fingerprint: old } })
    await rf.powerStatus(new RedfishService(again))
    await again.close()
    assert.equal(bmc.openSessions, 1, 'the refused client\'s session stays until the BMC times it out')
    bmc.expireSessions()
  })

  it('pin with the configured fingerprint works, in any spelling; a wrong one is refused', async (t) => {
    if (!requireMockup(t)) return
    const fp = bmc.certificate.fingerprint
    const c = client({ tls: { mode: 'pin', fingerprint: fp.replace(/:/g, '').toLowerCase() } })
    assert.equal((await rf.powerStatus(new RedfishService(c))).state, 'on')
    const other = makeCertificate().fingerprint
    await assert.rejects(rf.powerStatus(new RedfishService(client({ tls: { mode: 'pin', fingerprint: other } }))), { code: 'BMC_TLS_CERT_CHANGED' })
    assert.throws(() => client({ tls: { mode: 'pin', fingerprint: 'AB:CD' } }), { code: 'VALIDATION_FAILED' })
  })

  it('verify trusts the given CA bundle and refuses an unknown certificate; insecure takes anything, explicitly', async (t) => {
    if (!requireMockup(t)) return
    assert.equal((await rf.powerStatus(new RedfishService(client({ tls: { mode: 'verify', ca: bmc.certificate.cert } })))).state, 'on')
    const seenBefore = bmc.requests.length
    await assert.rejects(rf.powerStatus(new RedfishService(client({ tls: { mode: 'verify' } }))), (e: { code: string; details: Doc }) => e.code === 'BMC_TLS_UNTRUSTED' && e.details.reason === 'DEPTH_ZERO_SELF_SIGNED_CERT')
    await assert.rejects(rf.powerStatus(new RedfishService(client({ tls: { mode: 'verify', ca: makeCertificate().cert } }))), { code: 'BMC_TLS_UNTRUSTED' })
    assert.equal(bmc.requests.length, seenBefore)
    const c = client({ tls: { mode: 'insecure' } })
    assert.equal((await rf.powerStatus(new RedfishService(c))).state, 'on')
    assert.equal(c.fingerprints.seen, bmc.certificate.fingerprint)
  })

  it('one session serves many requests, and close deletes it: the open sessions return to zero', async (t) => {
    if (!requireMockup(t)) return
    for (const c of clients.splice(0)) await c.close()
    assert.equal(bmc.openSessions, 0)
    const a = client()
    const b = client()
    await Promise.all([rf.readSensors(new RedfishService(a)), rf.listInventory(new RedfishService(b))])
    assert.equal(bmc.openSessions, 2)
    assert.deepEqual([a.stats.sessionsCreated, b.stats.sessionsCreated], [1, 1])
    await a.close()
    await b.close()
    assert.equal(bmc.openSessions, 0)
    assert.deepEqual([a.stats.sessionsDeleted, b.stats.sessionsDeleted], [1, 1])
    await assert.rejects(rf.powerStatus(new RedfishService(a)), { code: 'BMC_SESSION_CLOSED' })
  })

  it('a session the BMC forgot (401) logs in again once, shared by the requests in flight', async (t) => {
    if (!requireMockup(t)) return
    const c = client()
    const s = new RedfishService(c)
    await rf.powerStatus(s)
    bmc.expireSessions()
    const [a, b] = await Promise.all([rf.powerStatus(s), rf.getBootDevice(s)])
    assert.equal(a.state, 'on')
    assert.equal(b.target !== undefined, true)
    assert.equal(c.stats.sessionsCreated, 2)
    assert.equal(c.stats.relogins, 1)
    await c.close()
    assert.equal(bmc.openSessions, 0)
  })

  it('a BMC without a session service gets HTTP Basic, and no session is left', async (t) => {
    if (!requireMockup(t)) return
    const basic = await new RedfishMockup({ sessions: false, certificate: bmc.certificate }).start()
    try {
      const c = new RedfishClient({ host: LOOPBACK, port: basic.port, username: basic.username, password: basic.password, tls: { mode: 'pin', fingerprint: basic.certificate.fingerprint } })
      assert.equal((await rf.powerStatus(new RedfishService(c))).state, 'on')
      assert.equal(c.authKind, 'basic')
      assert.ok(basic.requests.filter((r) => r.path.includes('/Systems')).every((r) => r.auth === 'basic'))
      await c.close()
      assert.equal(basic.openSessions, 0)
    } finally {
      await basic.stop()
    }
  })

  it('a wrong password is BMC_AUTH_FAILED and the error holds no password', async (t) => {
    if (!requireMockup(t)) return
    const wrong = 'not-the-password-42'
    const err = await rf.powerStatus(new RedfishService(client({ password: wrong }))).then(() => assert.fail('logged in'), (e: unknown) => e as { code: string; message: string; details: Doc })
    assert.equal(err.code, 'BMC_AUTH_FAILED')
    assert.ok(!JSON.stringify({ m: err.message, d: err.details }).includes(wrong))
  })

  it('a BMC that stops answering fails with BMC_UNREACHABLE within the deadline', async (t) => {
    if (!requireMockup(t)) return
    const c = client({ timing: { requestTimeoutMs: 300, retries: 1, backoffMs: 10 } })
    const s = new RedfishService(c)
    await rf.powerStatus(s)
    bmc.fail({ method: 'GET', path: /\/Systems\/437XR1138R2$/, status: 0, hang: true, times: 5 })
    const t0 = Date.now()
    await assert.rejects(rf.powerStatus(s, { deadline: Date.now() + 2000 }), { code: 'BMC_UNREACHABLE' })
    const took = Date.now() - t0
    assert.ok(took >= 300 && took < 2000, `took ${took} ms`)
    assert.equal(c.stats.retries, 1)
    bmc.dropConnections()
  })
})

// Faults between the IPMI client and a real BMC (ipmi_sim): 30% packet loss
// through our UDP fault proxy, a hung BMC (SIGSTOP) and a dead one (killed),
// each through the whole outage -> recovery cycle. No unhandled rejection may
// escape at any point.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { IpmiClient } from '../../src/session/client.js'
import { mcInfo } from '../../src/bmc/mc.js'
import { powerControl, powerStatus } from '../../src/bmc/chassis.js'
import { FaultProxy } from '../lab/fault-proxy.js'
import { ipmiSimAvailable, requireIpmiSim, startIpmiSim, type IpmiSim } from '../lab/sim.js'

describe('IPMI client under faults (ipmi_sim)', () => {
  let sim: IpmiSim
  const unhandled: unknown[] = []
  const onUnhandled = (e: unknown) => unhandled.push(e)
  before(async () => {
    process.on('unhandledRejection', onUnhandled)
    if (ipmiSimAvailable() || process.env.CI) sim = await startIpmiSim()
  })
  after(async () => {
    await sim?.stop()
    process.off('unhandledRejection', onUnhandled)
    assert.deepEqual(unhandled, [], 'no unhandled rejection escaped')
  })

  it('commands succeed through 30% packet loss in both directions', async (t) => {
    if (!requireIpmiSim(t)) return
    const proxy = await FaultProxy.start({ target: { host: sim.host, port: sim.port }, seed: 0x5eed })
    t.after(() => proxy.close())
    proxy.configure({ lossRate: 0.3 }, 'both')
    const c = new IpmiClient({ host: proxy.host, port: proxy.port }, {
      username: 'admin', password: 'password', cipherSuite: 3,
      // Short tries keep the test quick; eight of them make a 30% loss survivable.
      timing: { retransmitMs: 150, backoffMs: 50, retries: 8, connectTimeoutMs: 20_000, handshakeAttempts: 8 },
    })
    t.after(() => c.close())
    // A command that exhausts its tries ends its session; count over all of them.
    const sessions: { stats: { retransmits: number } }[] = []
    c.on('session', (s) => sessions.push(s))
    await c.connect()
    for (let i = 0; i < 40; i++) assert.equal((await mcInfo(c)).ipmiVersion, '2.0')
    assert.ok(sessions.reduce((n, s) => n + s.stats.retransmits, 0) > 0, 'loss was real: retransmits happened')
    const st = proxy.stats()
    assert.ok(st['to-bmc'].dropped > 0 && st['to-client'].dropped > 0, JSON.stringify(st))
    const ratio = st.dropped / (st['to-bmc'].received + st['to-client'].received)
    assert.ok(ratio > 0.2 && ratio < 0.4, `loss ratio ${ratio}`)
  })

  it('a hung BMC (SIGSTOP): commands fail with BMC_UNREACHABLE within their deadline; after SIGCONT they work again', async (t) => {
    if (!requireIpmiSim(t)) return
    const c = new IpmiClient({ host: sim.host, port: sim.port }, { username: 'admin', password: 'password', cipherSuite: 3, timing: { retransmitMs: 200, backoffMs: 100, retries: 3 } })
    t.after(() => c.close())
    await c.connect()
    sim.pause()
    try {
      const t0 = performance.now()
      await assert.rejects(powerStatus(c), { code: 'BMC_UNREACHABLE', retryable: true })
      const ms = performance.now() - t0
      assert.ok(ms < 3000, `failed after ${ms} ms`)
      // Non-idempotent commands fail the same typed way.
      await assert.rejects(powerControl(c, 'on'), { code: 'BMC_UNREACHABLE' })
    } finally {
      sim.resume()
    }
    assert.equal((await mcInfo(c)).ipmiVersion, '2.0')
  })

  it('a hung BMC during login fails with BMC_UNREACHABLE within the connect timeout', async (t) => {
    if (!requireIpmiSim(t)) return
    const c = new IpmiClient({ host: sim.host, port: sim.port }, { username: 'admin', password: 'password', cipherSuite: 3, timing: { connectTimeoutMs: 1500 } })
    t.after(() => c.close())
    sim.pause()
    try {
      const t0 = performance.now()
      await assert.rejects(c.connect(), { code: 'BMC_UNREACHABLE' })
      assert.ok(performance.now() - t0 < 2500)
    } finally {
      sim.resume()
    }
    assert.equal((await mcInfo(c)).ipmiVersion, '2.0')
  })

  it('a BMC that dies mid-session is noticed by the keepalive; after it restarts the client logs in again', async (t) => {
    if (!requireIpmiSim(t)) return
    const c = new IpmiClient({ host: sim.host, port: sim.port }, {
      username: 'admin', password: 'password', cipherSuite: 3,
      timing: { keepaliveMs: 300, keepaliveTimeoutMs: 1000, retransmitMs: 200, backoffMs: 100 },
    })
    t.after(() => c.close())
    await c.connect()
    const lost = new Promise<{ state: string; code?: string }>((resolve) => {
      c.on('state', (state, err) => {
        if (state === 'closed') resolve({ state, ...(err ? { code: err.code } : {}) })
      })
    })
    const t0 = performance.now()
    sim.kill('SIGKILL')
    assert.deepEqual(await lost, { state: 'closed', code: 'BMC_UNREACHABLE' })
    assert.ok(performance.now() - t0 < 3000)
    await sim.restart()
    assert.equal((await mcInfo(c)).ipmiVersion, '2.0')
  })
})

// A session's life against the simulated BMC: a hung BMC is reported as
// BMC_UNREACHABLE within the configured deadline (at login and mid-session),
// a failed keepalive closes the session with BMC_UNREACHABLE, close() sends
// Close Session and frees the BMC's slot, and IpmiClient recovers after the
// BMC reboots (Cold Reset) or drops the session on idle timeout.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { GetChassisStatus } from '../../../src/ipmi/commands/get-chassis-status.js'
import { ColdReset } from '../../../src/ipmi/commands/cold-reset.js'
import type { IpmiError } from '../../../src/ipmi/errors.js'
import { clientRig, drive, driveToError, flush, rig, watchUnhandled } from './harness.js'

watchUnhandled()

describe('hung BMC', () => {
  it('login: BMC_UNREACHABLE, retryable, no later than connectTimeoutMs', async () => {
    const r = rig({ session: { timing: { connectTimeoutMs: 5000 } } })
    r.bmc.setFaults({ hang: true })
    const err = await driveToError(r.clock, r.session.connect(), 10)
    assert.equal(err.code, 'BMC_UNREACHABLE')
    assert.equal(err.retryable, true)
    assert.ok(r.clock.now() <= 5000 + 10, `took ${r.clock.now()} ms`)
    assert.ok(r.bmc.faultCounters.swallowed > 1, 'it did retry')
    assert.equal(r.session.state, 'closed')
  })

  it('hung after login: a request fails with BMC_UNREACHABLE within its deadline', async () => {
    const r = rig({ session: { timing: { retransmitMs: 1000, backoffMs: 1000, retries: 3 } } })
    await drive(r.clock, r.session.connect())
    r.bmc.setFaults({ hang: true })
    const start = r.clock.now()
    const err = await driveToError(r.clock, r.session.request(0x06, 0x01, Buffer.alloc(0), { timeoutMs: 7000 }), 10)
    assert.equal(err.code, 'BMC_UNREACHABLE')
    assert.equal(err.details.attempts, 4)
    assert.ok(r.clock.now() - start <= 7000 + 10, `took ${r.clock.now() - start} ms`)
  })

  it('a BMC that answers slower than the retransmit timer still gets through (late answers match)', async () => {
    const r = rig({ session: { timing: { retransmitMs: 300, backoffMs: 300, retries: 4 } } })
    await drive(r.clock, r.session.connect())
    r.bmc.setFaults({ delayMs: 450 })
    const res = await drive(r.clock, r.session.request(0x06, 0x01, Buffer.alloc(0)), 10)
    assert.equal(res.cc, 0)
    assert.ok(r.session.stats.retransmits >= 1)
  })
})

describe('keepalive', () => {
  it('keeps an idle session alive past the BMC idle timeout', async () => {
    const r = rig({ bmc: { idleTimeoutMs: 30_000 }, session: { timing: { keepaliveMs: 10_000 } } })
    await drive(r.clock, r.session.connect())
    // Small steps: a ManualClock advance runs timers without letting answers arrive in between.
    for (let t = 0; t < 100_000; t += 100) {
      r.clock.advance(100)
      await drive(r.clock, Promise.resolve())
    }
    assert.equal(r.session.state, 'established')
    assert.ok((r.bmc.stats.commands['Get Device ID'] ?? 0) >= 5)
    assert.equal(r.bmc.activeSessions().length, 1)
  })

  it('a keepalive that gets no answer closes the session with BMC_UNREACHABLE', async () => {
    const r = rig({ session: { timing: { keepaliveMs: 10_000, keepaliveTimeoutMs: 3000, retransmitMs: 1000, backoffMs: 0 } } })
    await drive(r.clock, r.session.connect())
    const states: [string, string | undefined][] = []
    r.session.on('state', (s, e) => states.push([s, e?.code]))
    r.bmc.setFaults({ hang: true })
    for (let t = 0; t < 20_000 && r.session.state !== 'closed'; t += 100) {
      r.clock.advance(100)
      await drive(r.clock, Promise.resolve())
    }
    assert.equal(r.session.state, 'closed')
    assert.deepEqual(states, [['closed', 'BMC_UNREACHABLE']])
    assert.ok(r.clock.now() <= 10_000 + 3000 + 200, `noticed at ${r.clock.now()} ms`)
    const err = await driveToError(r.clock, r.session.request(0x06, 0x01, Buffer.alloc(0)))
    assert.equal(err.code, 'BMC_UNREACHABLE')
  })
})

describe('close', () => {
  it('close() sends Close Session once and the BMC frees the slot', async () => {
    const r = rig()
    await drive(r.clock, r.session.connect())
    assert.equal(r.bmc.activeSessions().length, 1)
    await drive(r.clock, r.session.close())
    assert.equal(r.bmc.stats.commands['Close Session'], 1)
    assert.equal(r.bmc.sessions.size, 0)
    assert.equal(r.session.state, 'closed')
    assert.equal(r.link.a.closed, true)
  })

  it('close() while RAKP 4 is on its way still closes the session the BMC activated on RAKP 3', async () => {
    let held = 0
    // RAKP 4 (payload type 0x15, byte 5 of an RMCP+ datagram) never arrives: the BMC has the session, we do not yet.
    const r = rig({ link: { bToA: { tamper: (d) => ((d[5]! & 0x3f) === 0x15 ? (held++, undefined) : d) } } })
    const login = r.session.connect().catch((e: IpmiError) => e)
    for (let i = 0; i < 1000 && held === 0; i++) await flush()
    assert.equal(r.bmc.activeSessions().length, 1, 'the BMC activated the session on RAKP 3')
    await drive(r.clock, r.session.close())
    assert.ok(typeof (await login as IpmiError).code === 'string', 'the abandoned login failed')
    assert.equal(r.bmc.stats.commands['Close Session'], 1)
    assert.equal(r.bmc.sessions.size, 0)
  })

  it('a login whose first RAKP 4 is lost closes that session on the BMC before it tries again', async () => {
    let dropped = 0
    const r = rig({ link: { bToA: { tamper: (d) => ((d[5]! & 0x3f) === 0x15 && dropped === 0 ? (dropped++, undefined) : d) } } })
    await drive(r.clock, r.session.connect())
    assert.equal(dropped, 1)
    assert.equal(r.bmc.stats.commands['Close Session'], 1, 'the first attempt was closed')
    assert.equal(r.bmc.activeSessions().length, 1, 'only the session in use is left')
    assert.equal(r.session.state, 'established')
  })

  it('close() on a hung BMC returns within closeTimeoutMs and still closes', async () => {
    const r = rig({ session: { timing: { closeTimeoutMs: 1000 } } })
    await drive(r.clock, r.session.connect())
    r.bmc.setFaults({ hang: true })
    const start = r.clock.now()
    await drive(r.clock, r.session.close(), 10)
    assert.ok(r.clock.now() - start <= 1010)
    assert.equal(r.session.state, 'closed')
  })

  it('pending requests are rejected with BMC_SESSION_CLOSED on close', async () => {
    const r = rig()
    await drive(r.clock, r.session.connect())
    r.bmc.setFaults({ hang: true })
    const pending = r.session.request(0x06, 0x01, Buffer.alloc(0))
    const closing = r.session.close()
    const err = await driveToError(r.clock, pending)
    await drive(r.clock, closing)
    assert.equal(err.code, 'BMC_SESSION_CLOSED')
  })
})

describe('IpmiClient recovery', () => {
  it('concurrent callers share one login', async () => {
    const { clock, bmc, client } = clientRig()
    const all = await drive(clock, Promise.all(Array.from({ length: 8 }, () => client.run(GetChassisStatus, undefined))))
    assert.equal(all.length, 8)
    assert.equal(bmc.stats.logins, 1)
    assert.equal(bmc.stats.commands['Get Chassis Status'], 8)
    await drive(clock, client.close())
  })

  it('after Cold Reset the BMC forgets the session; the next command logs in again', async () => {
    const { clock, bmc, client, links } = clientRig({ bmc: { coldResetDowntimeMs: 3000 }, session: { timing: { retransmitMs: 500, backoffMs: 500, retries: 2 } } })
    const states: string[] = []
    client.on('state', (s, e?: IpmiError) => states.push(e === undefined ? s : `${s}:${e.code}`))
    assert.equal((await drive(clock, client.run(GetChassisStatus, undefined))).power.powerOn, true)
    await drive(clock, client.run(ColdReset, undefined))
    assert.equal(bmc.stats.coldResets, 1)
    // The old session is gone on the BMC: the next command times out ...
    const err = await driveToError(clock, client.run(GetChassisStatus, undefined))
    assert.equal(err.code, 'BMC_UNREACHABLE')
    // ... and the caller's next try (after the reboot) gets a new session.
    clock.advance(3000)
    await drive(clock, client.reset())
    const st = await drive(clock, client.run(GetChassisStatus, undefined))
    assert.equal(st.power.powerOn, true)
    assert.equal(links.length, 2)
    assert.equal(bmc.stats.logins, 2)
    await drive(clock, client.close())
    assert.equal(bmc.sessions.size, 0)
  })

  it('a caller that keeps sending commands after the BMC rebooted gets a new session (no reset() needed)', async () => {
    // Regression: a request that exhausted its retransmits left the session
    // "established", and the traffic kept re-arming the keepalive timer, so
    // the dead session was used forever. Now the timeout marks it lost.
    const { clock, bmc, client } = clientRig({
      bmc: { coldResetDowntimeMs: 2000 },
      session: { timing: { keepaliveMs: 20_000, retransmitMs: 500, backoffMs: 0, retries: 3 } },
    })
    await drive(clock, client.connect())
    bmc.coldReset()
    const outcomes: string[] = []
    for (let i = 0; i < 5; i++) {
      try {
        await drive(clock, client.run(GetChassisStatus, undefined))
        outcomes.push('ok')
      } catch (e) {
        outcomes.push((e as IpmiError).code)
      }
    }
    assert.deepEqual(outcomes, ['BMC_UNREACHABLE', 'ok', 'ok', 'ok', 'ok'])
    assert.equal(bmc.stats.logins, 2)
    await drive(clock, client.close())
  })

  it('after the BMC drops an idle session, keepalive failure makes the client log in again on next use', async () => {
    const { clock, bmc, client } = clientRig({
      bmc: { idleTimeoutMs: 5000 },
      session: { timing: { keepaliveMs: 8000, keepaliveTimeoutMs: 2000, retransmitMs: 500, backoffMs: 0 } },
    })
    await drive(clock, client.connect())
    for (let t = 0; t < 12_000; t += 100) {
      clock.advance(100)
      await drive(clock, Promise.resolve())
    }
    assert.equal(client.currentSession, undefined, 'the lost session is no longer current')
    const st = await drive(clock, client.run(GetChassisStatus, undefined))
    assert.equal(st.power.powerOn, true)
    assert.equal(bmc.stats.logins, 2)
    await drive(clock, client.close())
  })
})

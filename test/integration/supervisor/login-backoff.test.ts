// Logins that fail on credentials back off per BMC, not per node
// (src/supervisor/login-gate.ts), against our simulator with a small
// session table (5 slots) shared by several nodes configured on one BMC:
// - BMC 0: a healthy node and two with a wrong password (each failed RAKP 2
//   leaves a half-open session unless abandoned);
// - BMC 1: a healthy node and three with a wrong K_G (each such login leaves
//   a whole session on the BMC until its idle timeout: nothing can close it).
// The healthy nodes' workers are crashed once the bad ones have failed, so
// they must log in again while the bad ones keep trying: they get in, and
// their commands succeed. Every login of a bad node after its first went
// through the per-BMC gate, and the gate granted no more than its back-off allows.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { Supervisor } from '../../../src/supervisor/supervisor.js'
import { startSimFleet, type SimFleetHandle } from '../../../src/sim/fleet.js'
import { bmcConfig, waitEvent } from './fleet.js'

const BACKOFF = { initialMs: 20_000, maxMs: 40_000 }
const WRONG_KG = 'aa'.repeat(20)

describe('login back-off per BMC', { timeout: 120_000 }, () => {
  let fleet: SimFleetHandle
  let sup: Supervisor
  const attempts = new Map<string, number>()
  const failures = new Map<string, number>()
  const bad = ['p-bad1', 'p-bad2', 'k-bad1', 'k-bad2', 'k-bad3']

  before(async () => {
    fleet = await startSimFleet({ count: 2, consoleRate: 0, maxSessions: 5 })
    sup = new Supervisor({ heartbeatMs: 250, heartbeatTimeoutMs: 3000, restart: { baseDelayMs: 50, maxDelayMs: 500, intensity: 50 }, loginBackoff: BACKOFF })
    sup.on('session:state', (node, m) => {
      if (m.state === 'connecting') attempts.set(node, (attempts.get(node) ?? 0) + 1)
      if (m.state === 'error' && m.reason === 'bad_credentials') failures.set(node, (failures.get(node) ?? 0) + 1)
    })
    const [b0, b1] = fleet.bmcs
    const at = (b: typeof b0, credentials: { password?: string; kgHex?: string } = {}) => bmcConfig(b!, {
      console: false, cipherSuite: 17, credentials: { username: b!.username, password: credentials.password ?? b!.password, ...(credentials.kgHex !== undefined ? { kgHex: credentials.kgHex } : {}) },
    })
    sup.add('p-good', at(b0))
    sup.add('p-bad1', at(b0, { password: 'wrong-password' }))
    sup.add('p-bad2', at(b0, { password: 'wrong-password' }))
    sup.add('k-good', at(b1))
    for (const n of ['k-bad1', 'k-bad2', 'k-bad3']) sup.add(n, at(b1, { kgHex: WRONG_KG }))
  })
  after(async () => {
    await sup?.shutdown(3000)
    await fleet?.close()
  })

  it('a wrong password or K_G on some nodes never locks the healthy node of the same BMC out, and their logins are bounded', async (t) => {
    const allFailed = () => bad.every((n) => (failures.get(n) ?? 0) >= 1)
    if (!allFailed()) await waitEvent(sup, 'session:state', () => allFailed(), 30_000)
    const connected = (n: string) => sup.status(n)[0]?.session?.state === 'connected'
    for (const n of ['p-good', 'k-good']) if (!connected(n)) await waitEvent(sup, 'session:state', (node, m) => node === n && (m as { state: string }).state === 'connected', 30_000)
    const t0 = performance.now()

    // The healthy nodes must log in again now, beside the failing ones.
    for (const n of ['p-good', 'k-good']) {
      const back = waitEvent(sup, 'session:state', (node, m) => node === n && (m as { state: string }).state === 'connected', 30_000)
      sup.injectFault(n, 'crash')
      await back
    }
    for (let i = 0; i < 10; i++) {
      for (const n of ['p-good', 'k-good']) assert.deepEqual(await sup.run(n, 'power.status', {}, { timeoutMs: 10_000 }), { state: 'on' })
    }
    const elapsed = performance.now() - t0 + 1
    const total = bad.reduce((s, n) => s + (attempts.get(n) ?? 0), 0)
    t.diagnostic(`bad logins ${total} (${bad.map((n) => `${n}=${attempts.get(n) ?? 0}`).join(' ')}), gate grants ${sup.logins.granted}, ${Math.round(elapsed)} ms`)
    // Each bad node's first login is its own; every later one was granted by the gate.
    assert.equal(total, bad.length + sup.logins.granted)
    // One grant per BMC per back-off at most (the first back-off is at least half its base).
    assert.ok(sup.logins.granted <= 2 * Math.ceil(elapsed / (BACKOFF.initialMs / 2)), `granted ${sup.logins.granted} in ${Math.round(elapsed)} ms`)
    assert.ok(sup.logins.failures('127.0.0.1:' + String(fleet.bmcs[1]!.port)) >= 3, 'the K_G failures are counted against their BMC')
  })
})

describe('login back-off per BMC: the grants', { timeout: 120_000 }, () => {
  let fleet: SimFleetHandle
  let sup: Supervisor
  const events: { node: string; state: string }[] = []

  before(async () => {
    fleet = await startSimFleet({ count: 1, consoleRate: 0, maxSessions: 4 })
    sup = new Supervisor({ heartbeatMs: 250, heartbeatTimeoutMs: 3000, loginBackoff: { initialMs: 200, maxMs: 400 } })
    sup.on('session:state', (node, m) => events.push({ node, state: m.state === 'error' ? `error:${m.reason ?? ''}` : m.state }))
    const b = fleet.bmcs[0]!
    const at = (password: string) => bmcConfig(b, { console: false, cipherSuite: 17, credentials: { username: b.username, password } })
    sup.add('good', at(b.password))
    sup.add('bad1', at('wrong-password'))
    sup.add('bad2', at('wrong-password'))
  })
  after(async () => {
    await sup?.shutdown(3000)
    await fleet?.close()
  })

  it('wrong-password nodes log in again only when granted, one at a time per BMC; the healthy one is never held', async () => {
    // One at a time: once each node's own first login has failed, every login
    // starts only after the one before it failed. (On a loaded machine one
    // worker can start late, after the other has failed twice: its first
    // login is still its own, ungated.) Wait for six grants and for ten
    // events after that point.
    const badEvents = () => events.filter((e) => e.node !== 'good')
    const failedOnce = (list: typeof events, node: string, upTo: number) => list.slice(0, upTo + 1).some((x) => x.node === node && x.state.startsWith('error'))
    const bothFailedAt = (list: typeof events) => list.findIndex((_, i) => failedOnce(list, 'bad1', i) && failedOnce(list, 'bad2', i))
    const enough = () => {
      const list = badEvents()
      const at = bothFailedAt(list)
      return sup.logins.granted >= 6 && at >= 0 && list.length - (at + 1) >= 10
    }
    if (!enough()) await waitEvent(sup, 'session:state', enough, 60_000)
    const bad = badEvents()
    const attempts = bad.filter((e) => e.state === 'connecting').length
    // The first login of each is its own; every later one was granted (the last grant may still be running).
    assert.ok(attempts === 2 + sup.logins.granted || attempts === 1 + sup.logins.granted, `${attempts} logins, ${sup.logins.granted} grants`)
    const bothFailed = bothFailedAt(bad)
    assert.ok(bothFailed >= 0, 'both nodes failed their first login')
    const later = bad.slice(bothFailed + 1)
    assert.ok(later.length >= 10)
    let open = 0
    for (const e of later) {
      open += e.state === 'connecting' ? 1 : -1
      assert.ok(open <= 1, `two logins of one BMC at once: ${JSON.stringify(later)}`)
    }
    assert.deepEqual(await sup.run('good', 'power.status', {}, { timeoutMs: 10_000 }), { state: 'on' })
    assert.equal(events.filter((e) => e.node === 'good' && e.state === 'connecting').length, 1, 'the healthy node logged in once, at once')
  })
})

// An operator's restart of a parked worker (OTP restart_child): six crashes
// within the restart period park the worker (intensity 5; the period here is
// ten minutes rather than the default minute, so that a slow, loaded machine
// still crashes six times within it) with a retry ten minutes
// away; restartWorker starts it at once and its console comes back, and the
// crash history is cleared (the next crash is an ordinary restart, not a park).
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ipmiSimAvailable, requireIpmiSim } from '../../lab/sim.js'
import { startFleet, waitEvent, type Fleet } from './fleet.js'

const PARK_MS = 600_000
const CRASHES = 6
const PERIOD_MS = 600_000

describe('worker restart of a parked worker', { timeout: 300_000 }, () => {
  let fleet: Fleet | undefined
  before(async () => {
    if (ipmiSimAvailable() || process.env.CI) {
      fleet = await startFleet(1, { restart: { baseDelayMs: 50, maxDelayMs: 200, intensity: 5, periodMs: PERIOD_MS, parkMs: PARK_MS } })
    }
  })
  after(async () => {
    await fleet?.stop()
  })

  it('six faults in a minute park it; restart brings it back at once with its console', async (t) => {
    if (!requireIpmiSim(t) || fleet === undefined) return
    const { sup, names } = fleet
    const node = names[0]!
    await waitEvent(sup, 'console:state', (n, m) => n === node && (m as { state: string }).state === 'connected')
    assert.throws(() => sup.restartWorker(node), { code: 'CONFLICT' })

    for (let i = 1; i <= CRASHES; i++) {
      const exited = waitEvent(sup, 'worker:exited', (n) => n === node)
      const next = waitEvent(sup, 'worker:state', (n, s) => n === node && (s === 'running' || s === 'parked'))
      sup.injectFault(node, 'crash')
      await exited
      await next
    }
    const parked = sup.status(node)[0]!
    assert.equal(parked.state, 'parked')
    assert.ok(parked.retryAt !== null && parked.retryAt > Date.now() + PARK_MS / 2, `retryAt ${parked.retryAt}`)
    await assert.rejects(sup.run(node, 'power.status', {}, { timeoutMs: 2000 }), { code: 'WORKER_UNAVAILABLE' })

    const back = waitEvent(sup, 'console:state', (n, m) => n === node && (m as { state: string }).state === 'connected', 30_000)
    assert.equal(sup.restartWorker(node), 'restarting')
    await back
    assert.equal(sup.status(node)[0]!.state, 'running')
    assert.equal(sup.status(node)[0]!.retryAt, null)
    assert.deepEqual(await sup.run(node, 'power.status', {}, { timeoutMs: 5000 }), { state: 'on' })

    // History cleared: one more crash is a plain restart, not a park.
    const again = waitEvent(sup, 'worker:state', (n, s) => n === node && (s === 'running' || s === 'parked'))
    sup.injectFault(node, 'crash')
    await again
    assert.equal(sup.status(node)[0]!.state, 'running')
  })
})

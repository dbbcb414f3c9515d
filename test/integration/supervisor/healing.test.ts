// Healing and reconfiguration (DESIGN lessons 2-4, confluent's old failures):
// a console survives 100 changes of its BMC address to a dead one and back
// with nothing leaked; a storm of 1,000 reconfigurations ends with exactly
// one watcher, one worker and one session on the BMC; shutdown leaves no
// session open on any simulator.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { freePort, ipmiSimAvailable, requireIpmiSim } from '../../lab/sim.js'
import { allConsolesConnected, bmcSessions, startFleet, waitEvent, type Fleet } from './fleet.js'

type Resources = { watchers: number; resources: Record<string, number>; session: boolean; console: string }

function mainResources(): Record<string, number> {
  const out: Record<string, number> = {}
  for (const r of process.getActiveResourcesInfo()) out[r] = (out[r] ?? 0) + 1
  return out
}

describe('supervisor healing and reconfiguration', { timeout: 240_000 }, () => {
  let fleet: Fleet | undefined
  before(async () => {
    if (ipmiSimAvailable() || process.env.CI) fleet = await startFleet(2)
  })
  after(async () => {
    if (fleet === undefined) return
    const { sup, sims } = fleet
    await sup.shutdown(3000)
    // Graceful shutdown deactivated SOL and closed every session.
    for (const sim of sims) assert.equal(await bmcSessions(sim), 0)
    await Promise.all(sims.map((s) => s.stop()))
  })

  it('a console heals after its address goes bad and back, 100 times, and nothing leaks', async (t) => {
    if (!requireIpmiSim(t) || fleet === undefined) return
    const { sup, names, config, sims } = fleet
    const node = names[0]!
    await allConsolesConnected(sup, names)
    const threadId = sup.status(node)[0]?.threadId
    const before = (await sup.control(node, 'worker.resources')) as Resources
    const mainBefore = mainResources()
    const dead = await freePort('udp')
    for (let i = 0; i < 100; i++) {
      const waitForFailure = i % 10 === 0
      const gDead = sup.update(node, config(0, { port: dead, timing: { retransmitMs: 100, backoffMs: 50, retries: 1, connectTimeoutMs: 400 } }))
      // The old generation's "connected" no longer describes the node.
      assert.deepEqual([sup.status(node)[0]?.session, sup.status(node)[0]?.console], [null, null])
      await waitEvent(sup, 'session:state', (n, m) => {
        const msg = m as { generation: number; state: string }
        return n === node && msg.generation === gDead && msg.state === (waitForFailure ? 'error' : 'connecting')
      })
      const gGood = sup.update(node, config(0))
      await waitEvent(sup, 'console:state', (n, m) => {
        const msg = m as { generation: number; state: string }
        return n === node && msg.generation === gGood && msg.state === 'connected'
      })
    }
    // Same thread all along: a BMC going away is never a reason to restart a worker.
    assert.equal(sup.status(node)[0]?.threadId, threadId)
    assert.equal(sup.status(node)[0]?.restarts, 0)
    const afterRes = (await sup.control(node, 'worker.resources')) as Resources
    assert.equal(afterRes.watchers, 1)
    assert.equal(afterRes.console, 'connected')
    assert.deepEqual(afterRes.resources, before.resources, 'worker handles (sockets, timers) are back where they started')
    assert.deepEqual(mainResources(), mainBefore, 'main-thread handles are back where they started')
    assert.equal(await bmcSessions(sims[0]!), 1)
  })

  it('a storm of 1,000 reconfigurations ends with one watcher, one worker and one session', async (t) => {
    if (!requireIpmiSim(t) || fleet === undefined) return
    const { sup, names, config, sims } = fleet
    const node = names[1]!
    await allConsolesConnected(sup, [node])
    const threadId = sup.status(node)[0]?.threadId
    const exits: unknown[] = []
    const onExit = (n: string, info: unknown) => { if (n === node) exits.push(info) }
    sup.on('worker:exited', onExit as never)
    t.after(() => sup.off('worker:exited', onExit as never))
    let last = 0
    for (let i = 0; i < 1000; i++) last = sup.update(node, config(1, { timing: { retransmitMs: 250 + (i % 7), backoffMs: 100, retries: 3, connectTimeoutMs: 3000 } }))
    await waitEvent(sup, 'console:state', (n, m) => n === node && (m as { generation: number; state: string }).generation === last && (m as { state: string }).state === 'connected', 60_000)
    const res = (await sup.control(node, 'worker.resources')) as Resources
    assert.equal(res.watchers, 1)
    assert.equal(sup.status().filter((s) => s.node === node).length, 1)
    assert.deepEqual(exits, [], 'the worker never exited during the storm')
    assert.equal(sup.status(node)[0]?.threadId, threadId)
    assert.equal(await bmcSessions(sims[1]!), 1)
    assert.equal((res.resources.UDPWrap ?? 0), 1, JSON.stringify(res.resources))
  })
})

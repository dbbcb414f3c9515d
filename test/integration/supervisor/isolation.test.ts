// Isolation (DESIGN lesson 1): 20 ipmi_sim nodes with open consoles and a
// steady stream of commands to every node; each fault kind is injected into
// one worker, twice. The other 19 see zero failed commands and zero console
// gaps; the faulted node comes back, its console reconnects, and the events
// say what happened.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { FaultKind } from '../../../src/bridge/messages.js'
import type { ExitInfo } from '../../../src/supervisor/worker-handle.js'
import { ipmiSimAvailable, requireIpmiSim } from '../../lab/sim.js'
import { allConsolesConnected, commandLoops, hostWriters, startFleet, StreamChecker, waitEvent, type Fleet } from './fleet.js'

const NODES = 20
/** Between one node's commands. */
const COMMAND_PAUSE_MS = 100
const EXPECTED_REASON: Record<FaultKind, ExitInfo['reason']> = { crash: 'crash', hang: 'hang', exit: 'exit', oom: 'oom', reject: 'crash' }

describe('supervisor isolation (20 nodes)', { timeout: 900_000 }, () => {
  let fleet: Fleet | undefined
  before(async () => {
    if (ipmiSimAvailable() || process.env.CI) fleet = await startFleet(NODES, { heartbeatMs: 250, heartbeatTimeoutMs: 3000, resourceLimits: { maxOldGenerationSizeMb: 48, maxYoungGenerationSizeMb: 8 } })
  })
  after(async () => {
    await fleet?.stop()
  })

  it('a fault in one worker never touches the other 19', async (t) => {
    if (!requireIpmiSim(t) || fleet === undefined) return
    const { sup, sims, names } = fleet
    const victim = names[0]!
    // Deadlines here are generous: the test is about who is touched, not how
    // fast a loaded machine reconnects (that is measured in bench/).
    await allConsolesConnected(sup, names, 120_000)

    const checker = new StreamChecker()
    sup.on('console:data', (node, data) => checker.feed(node, data))
    const exits: { node: string; info: ExitInfo }[] = []
    sup.on('worker:exited', (node, info) => exits.push({ node, info }))
    const stopWriters = hostWriters(sims, names)
    t.after(stopWriters)

    // A steady stream of commands to every node, stopped however the test ends.
    // Paced, so that the machine has time left to restart the victim: the
    // test is about who is touched, and 20 loops flat out saturate two cores.
    const commands = commandLoops(sup, names, { pauseMs: COMMAND_PAUSE_MS })
    t.after(() => commands.stop())
    const { failures, done } = commands
    const kinds: FaultKind[] = ['crash', 'hang', 'exit', 'oom', 'reject']
    for (const round of [1, 2]) {
      for (const kind of kinds) {
        const exited = waitEvent(sup, 'worker:exited', (n) => n === victim, 30_000)
        const t0 = performance.now()
        sup.injectFault(victim, kind)
        await exited
        const t1 = performance.now()
        checker.reset(victim)
        await waitEvent(sup, 'console:state', (n, m) => n === victim && (m as { state: string }).state === 'connected', 60_000)
        t.diagnostic(`${kind} #${round}: detected in ${Math.round(t1 - t0)} ms, console back after ${Math.round(performance.now() - t0)} ms`)
        assert.equal(sup.status(victim)[0]?.state, 'running', `${kind} round ${round}`)
      }
    }
    await commands.stop()
    stopWriters()

    // The victim's deaths were reported with the right reasons.
    const victimExits = exits.filter((e) => e.node === victim).map((e) => e.info.reason)
    assert.deepEqual(victimExits, [...kinds, ...kinds].map((k) => EXPECTED_REASON[k]))
    assert.equal(sup.status(victim)[0]?.restarts, 10)
    // Nothing happened to anyone else.
    assert.deepEqual(exits.filter((e) => e.node !== victim), [])
    for (const node of names.slice(1)) {
      assert.deepEqual(failures.get(node) ?? [], [], `commands failed on ${node}`)
      assert.ok((done.get(node) ?? 0) > 20, `${node} ran only ${done.get(node)} commands`)
      assert.ok((checker.lines.get(node) ?? 0) > 20, `${node} console carried only ${checker.lines.get(node)} lines`)
    }
    assert.deepEqual(checker.gaps.filter((g) => g.node !== victim), [])
    // The victim itself answers again.
    assert.deepEqual(await sup.run(victim, 'power.status', {}, { timeoutMs: 10_000 }), { state: 'on' })
  })
})

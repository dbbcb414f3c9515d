// A busy protocol loop starves no one (DESIGN lesson 8): one BMC's worker is
// flooded with duplicated packets and garbage through the fault proxy while
// its commands and console keep moving; the other nodes see no change.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { FaultProxy } from '../../lab/fault-proxy.js'
import { ipmiSimAvailable, requireIpmiSim } from '../../lab/sim.js'
import { waitUntil } from '../../lab/net.js'
import { allConsolesConnected, commandLoops, hostWriters, startFleet, StreamChecker, type Fleet } from './fleet.js'
import { STATS_FLUSH_MS } from '../../../workers/bmc-agent.js'

/** What every node, the flooded one included, must have done by the end. */
const MIN_COMMANDS = 50
const MIN_LINES = 20

describe('flooded worker (lesson 8)', { timeout: 180_000 }, () => {
  let fleet: Fleet | undefined
  let proxy: FaultProxy | undefined
  before(async () => {
    if (!(ipmiSimAvailable() || process.env.CI)) return
    fleet = await startFleet(3)
    // Node 0 talks to its BMC through the proxy, which doubles every packet both ways.
    proxy = await FaultProxy.start({ target: { host: fleet.sims[0]!.host, port: fleet.sims[0]!.port }, seed: 7, faults: { duplicateRate: 1 } })
    fleet.sup.update(fleet.names[0]!, fleet.config(0, { port: proxy.port }))
  })
  after(async () => {
    await fleet?.stop()
    await proxy?.close()
  })

  it('duplicates and 20,000 garbage datagrams delay nothing that matters', async (t) => {
    if (!requireIpmiSim(t) || fleet === undefined || proxy === undefined) return
    const { sup, sims, names } = fleet
    await allConsolesConnected(sup, names)
    const checker = new StreamChecker()
    sup.on('console:data', (node, data) => checker.feed(node, data))
    let dropped = 0
    sup.on('stats', (node, d) => {
      if (node === names[0]) dropped += d.droppedPackets
    })
    const stopWriters = hostWriters(sims, names, 20)
    t.after(stopWriters)
    const commands = commandLoops(sup, names)
    t.after(() => commands.stop())
    const failures = () => [...commands.failures].flatMap(([node, codes]) => codes.map((c) => `${node}:${c}`))
    const counts = commands.done
    // Garbage: random bytes, and RMCP+ headers with a wrong session ID and junk AuthCodes.
    const fake = Buffer.concat([Buffer.from('0600ff0706c0', 'hex'), randomBytes(60)])
    for (let i = 0; i < 10; i++) {
      await proxy.injectToClients(randomBytes(48), 1000)
      await proxy.injectToClients(fake, 1000)
    }
    // Keep the streams going after the flood until every node has moved on:
    // 50 more commands for the flooded one, and commands and console lines
    // past the floor below for all (an end set by progress, not by how fast a
    // loaded machine happens to run them).
    const target = (counts.get(names[0]!) ?? 0) + 50
    await waitUntil(
      () =>
        failures().length > 0 ||
        ((counts.get(names[0]!) ?? 0) >= target &&
          names.every((n) => (counts.get(n) ?? 0) > MIN_COMMANDS && (checker.lines.get(n) ?? 0) > MIN_LINES)),
      { timeoutMs: 60_000, intervalMs: 50, what: 'commands and console lines on every node' },
    )
    await commands.stop()
    stopWriters()
    assert.deepEqual(failures(), [])
    for (const n of names) assert.ok((counts.get(n) ?? 0) > MIN_COMMANDS, `${n}: ${counts.get(n)} commands`)
    assert.deepEqual(checker.gaps, [])
    for (const n of names) assert.ok((checker.lines.get(n) ?? 0) > MIN_LINES, `${n}: ${checker.lines.get(n)} console lines`)
    // The garbage reached the worker and was dropped and counted (the kernel
    // drops what the socket buffer cannot hold, and stale flows get the rest).
    // Counters reach the supervisor with a ping or STATS_FLUSH_MS after console bytes or a command.
    await waitUntil(() => dropped > 1000, { timeoutMs: STATS_FLUSH_MS * 3, what: `more than 1000 drops counted (so far ${dropped})` })
    assert.equal(sup.status(names[0]!)[0]?.restarts, 0)
  })
})

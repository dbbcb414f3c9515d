// Console watch patterns under a real Supervisor and worker thread against
// ipmi_sim: a panic the host prints arrives as 'console:match'; setWatch
// changes the patterns of the running worker without a console reconnect;
// a worker that crashes and restarts keeps the patterns it was last given.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { ConsoleMatch } from '../../../src/bridge/messages.js'
import { resolveWatch, type WatchPattern } from '../../../src/bridge/watch.js'
import { waitUntil } from '../../lab/net.js'
import { ipmiSimAvailable, requireIpmiSim } from '../../lab/sim.js'
import { allConsolesConnected, startFleet, type Fleet } from './fleet.js'

const MARKER: WatchPattern = { name: 'marker', regex: 'BMCVISOR-MARK-\\d+', severity: 'info' }

describe('console watch in the supervised worker', { timeout: 120_000 }, () => {
  let fleet: Fleet | undefined
  const matches: { node: string; m: ConsoleMatch }[] = []
  const watches: { node: string; names: string[] }[] = []
  let connects = 0
  before(async () => {
    if (!(ipmiSimAvailable() || process.env.CI)) return
    fleet = await startFleet(1, {}, { watch: resolveWatch([]) })
    fleet.sup.on('console:match', (node, m) => matches.push({ node, m }))
    fleet.sup.on('console:watch', (node, p) => watches.push({ node, names: p.map((x) => x.name) }))
    fleet.sup.on('console:state', (_node, m) => {
      if (m.state === 'connected') connects++
    })
  })
  after(() => fleet?.stop())

  it('matches host output, takes new patterns without reconnecting, and keeps them across a worker restart', async (t) => {
    if (!requireIpmiSim(t) || fleet === undefined) return
    const { sup, sims, names } = fleet
    const node = names[0]!
    const host = sims[0]!.solBackend
    await allConsolesConnected(sup, names)
    const before = connects

    await host.write('[   3.2] Kernel panic - not syncing: Attempted to kill init!\r\n')
    await waitUntil(() => matches.some((x) => x.m.pattern === 'panic'), { timeoutMs: 10_000, what: 'the panic matched' })
    const panic = matches.find((x) => x.m.pattern === 'panic')!
    assert.equal(panic.node, node)
    assert.equal(panic.m.line, '[   3.2] Kernel panic - not syncing: Attempted to kill init!')

    const next = resolveWatch([{ disable: ['panic'], add: [MARKER] }])
    sup.setWatch(node, next)
    assert.deepEqual(watches.at(-1), { node, names: next.map((p) => p.name) })
    assert.deepEqual(sup.watchPatterns(node), next)
    await host.write('Kernel panic - not syncing: again\r\nBMCVISOR-MARK-1\r\n')
    await waitUntil(() => matches.some((x) => x.m.pattern === 'marker'), { timeoutMs: 10_000, what: 'the marker matched' })
    assert.deepEqual(matches.map((x) => x.m.pattern), ['panic', 'marker'])
    assert.equal(connects, before, 'no console reconnect for new patterns')

    sup.injectFault(node, 'crash')
    await waitUntil(() => connects > before && sup.status(node)[0]?.console?.state === 'connected', { timeoutMs: 60_000, what: 'the console back after the restart' })
    await host.write('Kernel panic - not syncing: after restart\r\nBMCVISOR-MARK-2\r\n')
    await waitUntil(() => matches.filter((x) => x.m.pattern === 'marker').length === 2, { timeoutMs: 10_000, what: 'the marker matched after the restart' })
    assert.deepEqual(matches.map((x) => x.m.pattern), ['panic', 'marker', 'marker'], 'the restarted worker has the new patterns')
  })
})

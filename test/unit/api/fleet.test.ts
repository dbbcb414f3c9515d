// FleetFeed (src/api/fleet.ts): a row per node from the in-memory sources,
// and subscribers get only the rows that changed since the last refresh,
// and a `removed` for a node that went away. Fake sources; refresh() called
// by hand, so no timer decides anything here.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { FleetFeed, type FleetSources, type FleetUpdate } from '../../../src/api/fleet.js'
import type { NodeRecord } from '../../../src/store/types.js'
import type { ChildStatus } from '../../../src/api/ports.js'

const node = (name: string, groups: string[] = ['rack1'], protocol?: 'redfish') => ({ name, groups, bmc: { protocol }, console: { method: protocol === undefined ? 'ipmi' : 'none' } }) as unknown as NodeRecord

function sources() {
  const nodes = [node('n1'), node('n2')]
  const session: Record<string, { state: string; reason?: string }> = { n1: { state: 'connected' }, n2: { state: 'connected' } }
  let watchers = 0
  const s: FleetSources = {
    nodes: async () => nodes,
    worker: (n) => ({ node: n, state: 'running', restarts: 0, session: session[n] ?? null } as unknown as ChildStatus),
    console: () => undefined,
    power: () => 'on',
    watch: () => {
      watchers++
      return () => watchers--
    },
  }
  return { s, nodes, session, watchers: () => watchers }
}

describe('FleetFeed', () => {
  it('rows carry power, BMC, console, worker, protocol and groups', async () => {
    const { s } = sources()
    const [r] = await new FleetFeed(s).rows()
    assert.deepEqual(r, {
      name: 'n1', groups: ['rack1'], protocol: 'ipmi', consoleMethod: 'ipmi', power: 'on',
      bmc: { up: true, state: 'connected', reason: null },
      console: { state: 'unconnected', reason: null, message: null, clients: 0 },
      worker: { state: 'running', restarts: 0 },
    })
    const { s: rs, nodes } = sources()
    nodes.push(node('r1', ['rack1'], 'redfish'))
    const redfish = (await new FleetFeed(rs).rows()).find((x) => x.name === 'r1')!
    assert.deepEqual([redfish.protocol, redfish.consoleMethod], ['redfish', 'none'])
  })

  it('sends only changed rows, and removed nodes; watches while someone listens', async () => {
    const { s, nodes, session, watchers } = sources()
    const feed = new FleetFeed(s)
    const got: FleetUpdate[] = []
    const stop = feed.subscribe((u) => got.push(u))
    assert.equal(watchers(), 1)
    await feed.refresh()
    assert.equal(got.length, 0, 'nothing changed')
    session.n2 = { state: 'error', reason: 'unreachable' }
    await feed.refresh()
    assert.equal(got.length, 1)
    const first = got[0]!
    assert.deepEqual(first.type === 'row' ? first.row.bmc : undefined, { up: false, state: 'error', reason: 'unreachable' })
    nodes.splice(0, 1)
    await feed.refresh()
    assert.deepEqual(got[1], { type: 'removed', name: 'n1' })
    stop()
    assert.equal(watchers(), 0)
  })
})

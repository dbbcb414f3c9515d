// Cluster ownership steps (src/cluster/controller.ts) against a real
// PostgreSQL (test/lab/postgres.ts): a renewal that changes nothing reads
// nothing (no node list, no publish), so the database's load does not grow
// with the fleet; a node change, a refused node of ours, a member that joins
// and the full-step period each bring a full step back.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { Cluster } from '../../src/cluster/controller.js'
import { ownerOf } from '../../src/cluster/rendezvous.js'
import { createLogger } from '../../src/log.js'
import type { PostgresStore } from '../../src/store/postgres/store.js'
import { waitUntil } from '../lab/net.js'
import { labStores, postgresSkip, startPostgres, type PostgresLab } from '../lab/postgres.js'
import { KEY_A } from '../lab/store-contract.js'

/** Short leases keep the test quick; the ratios are the shipped ones'. */
const TIMING = { leaseMs: 1500, renewMs: 500, marginMs: 400 }
/** Renewals watched for a step that must not happen. */
const QUIET_RENEWALS = 4

const quiet = () => createLogger({ destination: { write: () => true } })

/** A member whose node list is `names` (read counted; held back while `gate` is set). */
function member(db: PostgresStore['db'], id: string, names: string[], extra: { fullStepMs?: number } = {}) {
  const state = { reads: 0, applies: 0, stops: 0, gate: undefined as Promise<void> | undefined }
  const c: Cluster = new Cluster({
    db, logger: quiet(), id, address: `http://127.0.0.1:${id.charCodeAt(0)}`, ...TIMING, ...extra,
    nodes: async () => {
      state.reads++
      const list = [...names] // as the store had them when asked
      await state.gate
      return list
    },
    apply: async () => void state.applies++,
    stop: async () => void state.stops++,
  })
  return { c, state }
}

const renewals = async (c: Cluster, n: number) => {
  for (let i = 0; i < n; i++) await once(c.membership, 'view')
}

describe('cluster ownership steps on PostgreSQL', { skip: postgresSkip() }, () => {
  let lab: PostgresLab
  const stores = labStores('bmcvisor-steps-', KEY_A)
  const open = stores.open
  const clusters: Cluster[] = []
  before(async () => {
    lab = await startPostgres()
  })
  after(async () => {
    for (const c of clusters) await c.close().catch(() => undefined)
    await stores.closeAll()
    await lab?.stop()
  })

  it('skips steps while nothing changes; a node change, a refused node and a join bring a full step back', async () => {
    const url = await lab.database()
    const names = Array.from({ length: 12 }, (_, i) => `n${i}`)
    const a = member((await open(url)).db, 'a', names)
    clusters.push(a.c)
    await a.c.start()
    assert.equal(a.c.runs('n0'), true)
    const afterStart = { steps: a.c.fullSteps, reads: a.state.reads }

    // Nothing changes: renewals go on, steps do not read the store.
    await renewals(a.c, QUIET_RENEWALS)
    assert.deepEqual({ steps: a.c.fullSteps, reads: a.state.reads }, afterStart)
    const settled = afterStart

    // A node removed elsewhere: the next renewal reads the list again.
    names.pop()
    a.c.nodesChanged()
    await waitUntil(() => a.state.reads > settled.reads, { timeoutMs: TIMING.leaseMs * 3, what: 'a full step after a node change' })

    // A node of ours that arrives while a step is between its list read and its publish is refused then,
    // and started by the next renewal's step although the member list did not change.
    let release!: () => void
    a.state.gate = new Promise<void>((r) => (release = r))
    const blockedAt = a.state.reads
    void a.c.refresh()
    await waitUntil(() => a.state.reads > blockedAt, { timeoutMs: TIMING.leaseMs * 3, what: 'a step reading the nodes' })
    names.push('late')
    assert.equal(a.c.runs('late'), false, 'refused while the step is in flight')
    const applied = a.state.applies
    a.state.gate = undefined
    release()
    // Nobody asks runs() again (the store event is past): a later step must apply it on its own.
    await waitUntil(() => a.state.applies > applied, { timeoutMs: TIMING.leaseMs * 3, what: 'the refused node started by a later step' })
    assert.equal(a.c.runs('late'), true)

    // A second member joins: the member list changed, so a steps fully and hands b its share.
    const stepsBefore = a.c.fullSteps
    const b = member((await open(url)).db, 'b', names)
    clusters.push(b.c)
    await b.c.start()
    const theirs = names.filter((n) => ownerOf(n, ['a', 'b']) === 'b')
    assert.ok(theirs.length > 0, 'the hash gives b some of these names')
    await waitUntil(() => theirs.every((n) => !a.c.runs(n)), { timeoutMs: TIMING.leaseMs * 3, what: 'a gives up b\'s share' })
    assert.ok(a.c.fullSteps > stepsBefore)
    assert.ok(a.state.stops >= 1)
    await waitUntil(() => theirs.every((n) => b.c.runs(n)), { timeoutMs: TIMING.leaseMs * 6, what: 'b runs its share' })
  })

  it('runs a full step every fullStepMs even when nothing seems to change', async () => {
    const url = await lab.database()
    const fullStepMs = 1200
    const m = member((await open(url)).db, 'solo', ['x', 'y'], { fullStepMs })
    clusters.push(m.c)
    await m.c.start()
    await renewals(m.c, 2)
    const from = m.state.reads
    // A renewal every 500 ms: within ten of them at least two full steps are due, each after fullStepMs.
    await renewals(m.c, 10)
    const more = m.state.reads - from
    assert.ok(more >= 2 && more <= 5, `full steps in 5 s with a 1.2 s period: ${more}`)
  })
})

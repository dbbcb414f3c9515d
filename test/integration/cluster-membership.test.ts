// Cluster membership (src/cluster/membership.ts) against a real PostgreSQL
// (test/lab/postgres.ts): members see each other; a member that stops
// renewing drops out when its lease expires on the database's clock; and a
// member cut off from the database (a TCP relay that stops forwarding, as a
// partition does) gives up its lease locally before the database could
// consider it expired, then rejoins under a new epoch once it is reachable.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, connect, type Server, type Socket } from 'node:net'
import { once } from 'node:events'
import { liveMembers, Membership, setDraining, type Member } from '../../src/cluster/membership.js'
import { LOOPBACK, waitUntil } from '../lab/net.js'
import { labStores, postgresSkip, startPostgres, type PostgresLab } from '../lab/postgres.js'
import { KEY_A } from '../lab/store-contract.js'

/** Short leases keep the test quick; the ratios are the shipped ones'. */
const TIMING = { leaseMs: 1500, renewMs: 500, marginMs: 400 }

/** A TCP relay to PostgreSQL that can stop forwarding without closing anything (a partition). */
async function relay(port: number): Promise<{ port: number; frozen: boolean; close(): Promise<void> }> {
  const pairs: Socket[][] = []
  const state = { frozen: false }
  const server: Server = createServer((down) => {
    const up = connect(port, LOOPBACK)
    pairs.push([down, up])
    const forward = (from: Socket, to: Socket) => from.on('data', (d) => {
      if (!state.frozen) to.write(d)
    })
    forward(down, up)
    forward(up, down)
    const end = () => {
      down.destroy()
      up.destroy()
    }
    down.on('error', end).on('close', end)
    up.on('error', end).on('close', end)
  })
  server.listen(0, LOOPBACK)
  await once(server, 'listening')
  const addr = server.address()
  return {
    port: typeof addr === 'object' && addr !== null ? addr.port : 0,
    get frozen() {
      return state.frozen
    },
    set frozen(v: boolean) {
      state.frozen = v
      // Connections opened while frozen would hang forever: drop the old ones when the partition heals.
      if (!v) for (const p of pairs.splice(0)) for (const s of p) s.destroy()
    },
    async close() {
      for (const p of pairs) for (const s of p) s.destroy()
      await new Promise<void>((r) => server.close(() => r()))
    },
  }
}

describe('cluster membership on PostgreSQL', { skip: postgresSkip() }, () => {
  let lab: PostgresLab
  const stores = labStores('bmcvisor-members-', KEY_A)
  const open = stores.open
  before(async () => {
    lab = await startPostgres()
  })
  after(async () => {
    await stores.closeAll()
    await lab?.stop()
  })

  it('members see each other, publish what they apply, drain, and drop out when they stop renewing', async () => {
    const url = await lab.database()
    const [sa, sb] = [await open(url), await open(url)]
    const a = new Membership(sa.db, { id: 'a', address: 'http://127.0.0.1:1', ...TIMING })
    const b = new Membership(sb.db, { id: 'b', address: 'http://127.0.0.1:2', ...TIMING })
    await a.start()
    const first = await b.start()
    assert.deepEqual(first.map((m) => m.id), ['a', 'b'])
    assert.ok(b.epoch! > a.epoch!, 'epochs come from one sequence')
    const [seen] = await once(a, 'view') as [Member[]]
    assert.deepEqual(seen.map((m) => m.id), ['a', 'b'])
    assert.deepEqual((await b.publish(['a', 'b']))?.map((m) => m.id), ['a'])
    assert.deepEqual((await liveMembers(sa.db)).find((m) => m.id === 'b')?.applied, ['a', 'b'])
    assert.equal(await setDraining(sa.db, 'b', true), true)
    assert.equal((await liveMembers(sa.db)).find((m) => m.id === 'b')?.draining, true)
    assert.equal(await setDraining(sa.db, 'nobody', true), false)
    // b dies without a word: a sees it gone once its lease expires on the database's clock.
    await b.stop(false)
    await waitUntil(async () => (await liveMembers(sa.db)).every((m) => m.id !== 'b'), { timeoutMs: TIMING.leaseMs * 3, what: 'b expired' })
    assert.equal(a.held, true)
    await a.stop(true)
    assert.deepEqual(await liveMembers(sa.db), [])
  })

  it('a member cut off from the database lets go before its lease expires there, and rejoins under a new epoch', async () => {
    const url = await lab.database()
    const r = await relay(lab.port)
    const viaRelay = new URL(url)
    viaRelay.port = String(r.port)
    const [cut, direct] = [await open(viaRelay.href), await open(url)]
    const rejoins: number[] = []
    const m = new Membership(cut.db, { id: 'cut', address: 'http://127.0.0.1:3', ...TIMING, beforeRejoin: async () => void rejoins.push(Date.now()) })
    m.on('error', () => undefined)
    const firstEpoch = (await m.start(), m.epoch!)
    const lost = new Promise<number>((res) => m.once('lost', () => res(Date.now())))
    r.frozen = true
    const lostAt = await lost
    assert.equal(m.held, false)
    // The database still held the lease when the member let go of it.
    const expiresAt = (await direct.db.query<{ e: Date }>("SELECT expires_at AS e FROM members WHERE id = 'cut'")).rows[0]!.e.getTime()
    assert.ok(lostAt < expiresAt, `let go at ${lostAt}, expires at ${expiresAt}`)
    await waitUntil(async () => (await liveMembers(direct.db)).length === 0, { timeoutMs: TIMING.leaseMs * 3, what: 'lease expired on the database' })
    r.frozen = false
    await waitUntil(() => m.held, { timeoutMs: 15_000, what: 'rejoined' })
    assert.ok(m.epoch! > firstEpoch)
    assert.ok(rejoins.length >= 1)
    await m.stop(true)
    await r.close()
  })
})

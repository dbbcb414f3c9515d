// Two `startServer` instances on one real PostgreSQL (test/lab/postgres.ts):
// each runs only the nodes it owns and together they run every node once;
// GET /api/v1/cluster gives the same members and node -> owner map on both,
// and the supervisor of each runs exactly the nodes the map gives it; the
// cluster metrics agree; a request sent to the instance that does not own the
// node is forwarded to its owner; POST .../members/{id}/drain moves every node of the
// drained member to the other and then answers drained. The BMCs are an unused
// loopback port: ownership, not sessions, is what is checked here.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startServer, type RunningServer } from '../../src/main.js'
import { createLogger } from '../../src/log.js'
import { waitUntil } from '../lab/net.js'
import { attemptWebSocket } from '../lab/ws.js'
import { postgresSkip, startPostgres, type PostgresLab } from '../lab/postgres.js'
import { KEY_A } from '../lab/store-contract.js'

const TOKEN = 'cluster-routes-admin-token-0123'
const NODES = Array.from({ length: 8 }, (_, i) => `n${i}`)
/** Short leases keep the test quick; the ratios are the shipped ones'. */
const TIMING = { leaseMs: 1500, marginMs: 400 }

interface View { self: string; members: { id: string; nodes: number; draining: boolean; drained: boolean }[]; owners: Record<string, string> }

describe('cluster routes on two instances and PostgreSQL', { skip: postgresSkip() }, () => {
  let lab: PostgresLab
  const dirs: string[] = []
  const servers: RunningServer[] = []
  const h = { authorization: `Bearer ${TOKEN}` }
  const view = async (s: RunningServer): Promise<View> => (await fetch(`${s.url}/api/v1/cluster`, { headers: h })).json() as Promise<View>
  before(async () => {
    lab = await startPostgres()
    const url = await lab.database()
    for (const id of ['m1', 'm2']) {
      const dataDir = mkdtempSync(join(tmpdir(), 'bmcvisor-cluster-routes-'))
      dirs.push(dataDir)
      servers.push(await startServer({ listen: '127.0.0.1:0', dataDir, store: url, secretKey: KEY_A, adminToken: TOKEN, cluster: { id, ...TIMING }, logger: createLogger({ level: 'silent' }) }))
    }
  })
  after(async () => {
    for (const s of servers) await s.close().catch(() => undefined)
    await lab?.stop()
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  })

  it('every node runs once, where GET /cluster says; metrics agree; a drain moves all of one member\'s nodes', async () => {
    const [a, b] = servers as [RunningServer, RunningServer]
    for (const name of NODES) {
      const r = await fetch(`${a.url}/api/v1/nodes`, { method: 'POST', headers: { ...h, 'content-type': 'application/json' }, body: JSON.stringify({ name, bmc: { host: '127.0.0.1', port: 9, username: 'u', password: 'p' }, console: { method: 'ipmi' } }) })
      assert.equal(r.status, 201, await r.text())
    }
    const runs = (s: RunningServer) => [...s.supervisor.nodes].sort()
    // Never a node on both while the second member joins; then each runs exactly its share of the map.
    let va: View | undefined
    let vb: View | undefined
    await waitUntil(async () => {
      assert.deepEqual(runs(a).filter((n) => runs(b).includes(n)), [], `a node runs on both members: ${JSON.stringify([runs(a), runs(b), va?.owners])}`)
      ;[va, vb] = [await view(a), await view(b)]
      return runs(a).length > 0 && runs(b).length > 0 && JSON.stringify(va.owners) === JSON.stringify(vb.owners) &&
        JSON.stringify(runs(a)) === JSON.stringify(NODES.filter((n) => va!.owners[n] === 'm1')) &&
        JSON.stringify(runs(b)) === JSON.stringify(NODES.filter((n) => va!.owners[n] === 'm2'))
    }, { timeoutMs: 15_000, what: 'both run their share of the map' })
    if (va === undefined || vb === undefined) throw new Error('no view')
    assert.deepEqual(Object.keys(va.owners).sort(), NODES)
    assert.deepEqual(va.members.map((m) => [m.id, m.nodes]), [['m1', runs(a).length], ['m2', runs(b).length]])
    assert.equal(vb.self, 'm2')
    const metric = async (s: RunningServer, name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(await (await fetch(`${s.url}/metrics`)).text())?.[1])
    assert.equal(await metric(a, 'bmcvisor_cluster_members'), 2)
    assert.equal(await metric(b, 'bmcvisor_owned_nodes'), runs(b).length)
    // A command sent to the instance that does not own the node is forwarded: the owner's worker answers
    // (its BMC is an unused port, so with the same error as when asked directly; test/integration/cluster-forward.test.ts has live BMCs).
    const elsewhere = runs(b)[0]!
    const power = async (s: RunningServer) => {
      const r = await fetch(`${s.url}/api/v1/nodes/${elsewhere}/worker`, { headers: h })
      const body = (await r.json()) as { node?: string }
      return [r.status, body.node ?? JSON.stringify(body)]
    }
    assert.deepEqual(await power(a), [200, elsewhere])
    assert.deepEqual(await power(a), await power(b))
    // So is a console WebSocket: admitted (upgraded) on either instance.
    const ws = (s: RunningServer) => attemptWebSocket(`${s.url.replace(/^http/, 'ws')}/api/v1/nodes/${elsewhere}/console/ws`, TOKEN)
    for (const s of [a, b]) {
      const admitted = await ws(s)
      assert.ok(typeof admitted === 'object', `refused: ${String(admitted)}`)
      admitted.close()
    }

    const drain = async () => (await fetch(`${a.url}/api/v1/cluster/members/m2/drain`, { method: 'POST', headers: h })).json() as Promise<{ drained: boolean }>
    await drain()
    await waitUntil(async () => (await drain()).drained, { timeoutMs: 15_000, what: 'm2 drained' })
    assert.deepEqual(runs(b), [])
    await waitUntil(() => runs(a).length === NODES.length, { timeoutMs: 15_000, what: 'm1 runs every node' })
    const after = await view(b)
    assert.ok(Object.values(after.owners).every((o) => o === 'm1'))
    assert.deepEqual(after.members.map((m) => [m.id, m.draining, m.drained]), [['m1', false, false], ['m2', true, true]])
    assert.ok(await metric(a, 'bmcvisor_cluster_ownership_changes_total\\{direction="gained"\\}') >= NODES.length)
  })
})

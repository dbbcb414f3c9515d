// 50 simulated BMCs with mixed quirks behind one `bmcvisor serve`
// (startServer, real worker threads): nodes added with nothing but address
// and credentials come up (session and console), GET .../bmc/profile lists
// what each needed, the profile survives a worker crash and a serve restart
// (the restarted worker starts from it and does not learn it again), and a
// reset makes the worker learn it anew. Nodes have no bmc.cipherSuite, so
// they negotiate: suite17-only and suite3-only BMCs come up too.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLogger } from '../../src/log.js'
import { startServer } from '../../src/main.js'
import { startSimFleet, type SimFleetHandle } from '../../src/sim/fleet.js'
import { QUIRK_NAMES, type QuirkName } from '../../src/sim/quirks.js'
import { waitUntil } from '../lab/net.js'
import { EXERCISED_APART, LEARNS } from '../lab/quirk-profiles.js'
import { sink } from '../lab/sink.js'

const COUNT = 50
const TOKEN = 'fleet-profile-admin-token-0123456789'
/** Every quirk that shows in a steady fleet (not the timed ones: EXERCISED_APART), and plain BMCs in between. */
const MIX: readonly (QuirkName | undefined)[] = [undefined, ...QUIRK_NAMES.filter((q) => !EXERCISED_APART.has(q))]
const quirkOf = (i: number): QuirkName | undefined => MIX[i % MIX.length]
const nameOf = (i: number) => `q${String(i).padStart(2, '0')}`
/** 50 workers starting on a shared 2-core machine. */
const FLEET_UP_MS = 120_000

type Server = Awaited<ReturnType<typeof startServer>>
interface Profile { entries: { name: string; source: string; learnedAt?: string }[]; updatedAt: string | null }

describe('a mixed-quirk fleet behind one serve', () => {
  let fleet: SimFleetHandle
  let server: Server
  const data = mkdtempSync(join(tmpdir(), 'bmcvisor-fleet-profile-'))
  const start = () => startServer({
    listen: '127.0.0.1:0', dataDir: data, logger: createLogger({ destination: sink() }), adminToken: TOKEN, enableFaultInjection: true,
    supervisor: { startConcurrency: 8 },
    bmcDefaults: { reconnect: { initialMs: 200, maxMs: 2000 }, timing: { retransmitMs: 500, backoffMs: 250, retries: 3 } },
  })
  const api = async <T>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> => {
    const res = await fetch(`${server.url}/api/v1${path}`, {
      method, headers: { authorization: `Bearer ${TOKEN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    })
    const text = await res.text()
    return { status: res.status, json: (text === '' ? undefined : JSON.parse(text)) as T }
  }
  const profile = async (i: number) => (await api<Profile>('GET', `/nodes/${nameOf(i)}/bmc/profile`)).json
  const learnedNames = (p: Profile) => p.entries.filter((e) => e.source === 'learned').map((e) => e.name)
  const allUp = async () => {
    const { json } = await api<{ workers: { node: string; session: { state: string } | null; console: { state: string } | null }[] }>('GET', '/workers')
    const down = json.workers.filter((w) => w.session?.state !== 'connected' || w.console?.state !== 'connected').map((w) => w.node)
    return json.workers.length === COUNT && down.length === 0 ? true : (lastDown = down, false)
  }
  let lastDown: string[] = []

  before(async () => {
    const quirks = new Map<number, QuirkName[]>()
    for (let i = 0; i < COUNT; i++) {
      const q = quirkOf(i)
      if (q !== undefined) quirks.set(i, [q])
    }
    fleet = await startSimFleet({ count: COUNT, quirks, consoleRate: 64 })
    server = await start()
  })
  after(async () => {
    await server?.close()
    await fleet?.close()
    rmSync(data, { recursive: true, force: true })
  })

  it('every node comes up with nothing configured, and its profile lists what its BMC needed', async () => {
    for (const b of fleet.bmcs) {
      const r = await api('POST', '/nodes', { name: nameOf(b.index), bmc: { host: b.host, port: b.port, username: b.username, password: b.password } })
      assert.equal(r.status, 201)
    }
    await waitUntil(allUp, { timeoutMs: FLEET_UP_MS, intervalMs: 250, what: `all ${COUNT} sessions and consoles connected (down: ${lastDown.join(',')})` })
    for (let i = 0; i < COUNT; i++) {
      const q = quirkOf(i)
      assert.deepEqual(learnedNames(await profile(i)), q === undefined ? [] : LEARNS[q], `${nameOf(i)} (${q ?? 'plain'})`)
    }
    const power = await api<{ results: Record<string, { ok: boolean }> }>('GET', `/noderange/${encodeURIComponent(`q[00-${COUNT - 1}]`)}/power`)
    assert.equal(Object.values(power.json.results).filter((r) => r.ok).length, COUNT)
  })

  const solportNode = MIX.indexOf('solport')
  const staleNode = MIX.indexOf('solactive-stale')

  it('a crashed worker starts from the profile: nothing is learned again (but the SOL it left active is taken over)', async () => {
    const before = await profile(solportNode)
    const r = await api('POST', `/nodes/${nameOf(solportNode)}/worker/fault`, { kind: 'crash' })
    assert.equal(r.status, 202, JSON.stringify(r.json))
    await waitUntil(async () => {
      const { json } = await api<{ restarts: number; console: { state: string } | null }>('GET', `/nodes/${nameOf(solportNode)}/worker`)
      return json.restarts >= 1 && json.console?.state === 'connected'
    }, { timeoutMs: 30_000, intervalMs: 100, what: 'the crashed worker back with its console' })
    const after = await profile(solportNode)
    // The old entries, unchanged (same time): the new worker knew them. The crashed worker's session still
    // held SOL on the BMC, and the new one cannot tell it from a stale holder: it takes it over and says so.
    assert.deepEqual(after.entries.slice(0, before.entries.length), before.entries)
    assert.deepEqual(learnedNames(after).slice(before.entries.length), ['solactive-stale'])
  })

  it('the profile survives a serve restart, and the restarted workers do not learn it again', async () => {
    const before = await Promise.all([solportNode, staleNode].map(profile))
    await server.close()
    server = await start()
    assert.deepEqual(await Promise.all([solportNode, staleNode].map(profile)), before, 'read back from the store')
    await waitUntil(allUp, { timeoutMs: FLEET_UP_MS, intervalMs: 250, what: `all ${COUNT} up again (down: ${lastDown.join(',')})` })
    assert.deepEqual(await profile(solportNode), before[0], 'not learned again: the worker started from it')
  })

  it('a reset forgets what was learned; the worker learns it anew', async () => {
    const before = await profile(solportNode)
    const r = await api('DELETE', `/nodes/${nameOf(solportNode)}/bmc/profile`)
    assert.equal(r.status, 204)
    const relearned = await waitUntil(async () => {
      const p = await profile(solportNode)
      return p.entries.length > 0 && p.updatedAt !== before.updatedAt ? p : undefined
    }, { timeoutMs: 30_000, intervalMs: 100, what: 'solport learned again' })
    assert.deepEqual(learnedNames(relearned), ['solport'])
    assert.notEqual(relearned.entries[0]!.learnedAt, before.entries[0]!.learnedAt)
  })
})

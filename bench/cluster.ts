// Cluster benchmark (issue 16), on the multi-process lab of the tests
// (test/lab/cluster.ts: separate `bmcvisor serve` processes on one
// PostgreSQL, leases of test/lab/cluster.ts LAB_TIMING) and our simulated
// BMCs in this process:
//  failover  three instances, --bmcs BMCs with consoles on; --kills times:
//            kill -9 one member (a, b, c in turn), time from the kill until
//            every console it had is connected on its new owner; then start
//            it again and wait until all is settled. Prints p50/p99, and the
//            never-two-sessions checker's count over the whole run.
//  moves     the same three, then a fourth joins (nodes moved, against the
//            ideal N/4) and leaves by SIGTERM (moved back, against N/4).
//  load      three instances, --bmcs BMCs with consoles off (console method
//            none: management sessions only), PostgreSQL's transactions and
//            tuples per second from pg_stat_database over --seconds, idle.
// Reproduce (root, PostgreSQL and ipmi_sim installed; the worker bundle first):
//   node -e "import('./scripts/bundle-worker.mjs').then(m=>m.bundleWorker('/tmp/wb/bmc-worker.bundle.mjs',{sourcemap:'inline'}))"
//   BMCVISOR_WORKER_FILE=/tmp/wb/bmc-worker.bundle.mjs node --import tsx bench/cluster.ts failover --kills 20
//   ... bench/cluster.ts moves; ... bench/cluster.ts load --bmcs 600 --seconds 60
import { parseArgs } from 'node:util'
import pg from 'pg'
import { startSimFleet, type SimFleetHandle } from '../src/sim/fleet.js'
import { NeverTwoChecker } from '../test/lab/cluster-checker.js'
import { connectedConsoles, startClusterLab, waitSettled, type ClusterLab } from '../test/lab/cluster.js'
import { waitUntil } from '../test/lab/net.js'

const { values: a, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    kills: { type: 'string', default: '20' },
    bmcs: { type: 'string' },
    seconds: { type: 'string', default: '60' },
  },
})
const mode = positionals[0]
const MEMBERS = ['a', 'b', 'c']
const FAILOVER_TIMEOUT_MS = 60_000
const BIG_SETTLE_MS = 600_000
const pct = (xs: number[], p: number) => [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? NaN

async function setUp(count: number, consoles: boolean): Promise<{ lab: ClusterLab; fleet: SimFleetHandle; nodes: string[] }> {
  const lab = await startClusterLab()
  const fleet = await startSimFleet({ count, consoleRate: consoles ? 64 : 0 })
  await Promise.all(MEMBERS.map((id) => lab.start(id)))
  const nodes: string[] = []
  for (const [i, b] of fleet.bmcs.entries()) {
    const name = `sim${String(i).padStart(4, '0')}`
    const r = await lab.api('a', 'POST', '/nodes', { name, bmc: { host: b.host, port: b.port, username: b.username, password: b.password }, ...(consoles ? {} : { console: { method: 'none' } }) })
    if (r.status !== 201) throw new Error(`POST /nodes ${name}: ${r.status} ${await r.text()}`)
    nodes.push(name)
  }
  return { lab, fleet, nodes }
}

async function failover(): Promise<void> {
  const kills = Number(a.kills)
  const { lab, fleet, nodes } = await setUp(Number(a.bmcs ?? 30), true)
  const checker = new NeverTwoChecker(fleet.members.map((m, i) => ({ node: nodes[i]!, kind: 'sim' as const, bmc: m.bmc })), () => lab.running())
  checker.start()
  const times: number[] = []
  try {
    let owners = await waitSettled(lab, nodes, 'settled', undefined, BIG_SETTLE_MS)
    for (let k = 0; k < kills; k++) {
      const victim = MEMBERS[k % MEMBERS.length]!
      const moved = nodes.filter((n) => owners[n] === victim)
      const survivors = MEMBERS.filter((id) => id !== victim)
      const t0 = performance.now()
      await lab.kill(victim)
      await waitUntil(async () => {
        const connected = await Promise.all(survivors.map((id) => connectedConsoles(lab, id)))
        return moved.every((n) => connected.some((c) => c.has(n)))
      }, { timeoutMs: FAILOVER_TIMEOUT_MS, intervalMs: 100, what: `${victim}'s consoles elsewhere` })
      times.push(performance.now() - t0)
      process.stderr.write(`kill ${k + 1}/${kills}: ${victim}, ${moved.length} consoles moved in ${(times.at(-1)! / 1000).toFixed(2)} s; doubles so far ${checker.doubles.length}\n`)
      await lab.start(victim)
      owners = await waitSettled(lab, nodes, 'settled again')
      process.stderr.write(`  ${victim} back, settled; doubles so far ${checker.doubles.length}\n`)
    }
  } finally {
    await checker.stop()
    if (checker.doubles.length > 0) process.stderr.write(`${checker.report()}\n`)
    await lab.close()
    await fleet.close()
  }
  const s = (x: number) => (x / 1000).toFixed(2)
  console.log(`| kills | BMCs | lease / margin | failover p50 | p99 | max | doubles seen by the checker | leftover-session samples |`)
  console.log(`|---|---|---|---|---|---|---|---|`)
  console.log(`| ${kills} | ${nodes.length} | ${lab.timing.leaseS} s / ${lab.timing.marginS} s | ${s(pct(times, 0.5))} s | ${s(pct(times, 0.99))} s | ${s(Math.max(...times))} s | ${checker.doubles.length} | ${checker.leftovers} |`)
}

async function moves(): Promise<void> {
  const { lab, fleet, nodes } = await setUp(Number(a.bmcs ?? 30), true)
  try {
    const three = await waitSettled(lab, nodes, 'three settled', undefined, BIG_SETTLE_MS)
    await lab.start('d')
    const four = await waitSettled(lab, nodes, 'four settled')
    const joined = nodes.filter((n) => four[n] !== three[n]).length
    await lab.stop('d')
    const back = await waitSettled(lab, nodes, 'three again')
    const left = nodes.filter((n) => back[n] !== four[n]).length
    const ideal = (nodes.length / 4).toFixed(1)
    console.log(`| event | nodes | moved | ideal share |`)
    console.log(`|---|---|---|---|`)
    console.log(`| a fourth member joins | ${nodes.length} | ${joined} | ${ideal} (N/4) |`)
    console.log(`| it leaves (SIGTERM) | ${nodes.length} | ${left} | ${ideal} (its own) |`)
  } finally {
    await lab.close()
    await fleet.close()
  }
}

async function load(): Promise<void> {
  const count = Number(a.bmcs ?? 300)
  const seconds = Number(a.seconds)
  const t0 = performance.now()
  const { lab, fleet, nodes } = await setUp(count, false)
  const db = new pg.Client({ connectionString: lab.storeUrl })
  try {
    await waitUntil(async () => {
      const running = await Promise.all(MEMBERS.map(async (id) => ((await (await lab.api(id, 'GET', '/workers')).json()) as { workers: { state: string }[] }).workers.filter((w) => w.state === 'running').length))
      return running.reduce((x, y) => x + y, 0) === count
    }, { timeoutMs: BIG_SETTLE_MS, intervalMs: 1000, what: `${count} workers running` })
    const ready = performance.now() - t0
    await db.connect()
    const stat = async () => (await db.query<{ x: string; t: string; r: string }>(
      'SELECT xact_commit + xact_rollback AS x, tup_returned + tup_fetched AS r, tup_inserted + tup_updated + tup_deleted AS t FROM pg_stat_database WHERE datname = current_database()')).rows[0]!
    // pg_stat_database is updated when backends report (at most every PGSTAT_MIN_INTERVAL, 1 s): read it after a pause.
    // Rows read per table of ours (sequential scans' rows and index fetches), to say where the reads go.
    const tables = async () => new Map((await db.query<{ t: string; r: string }>(
      'SELECT relname AS t, coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) AS r FROM pg_stat_user_tables')).rows.map((x) => [x.t, Number(x.r)]))
    const before = await stat()
    const tablesBefore = await tables()
    const t1 = performance.now()
    await new Promise((r) => setTimeout(r, seconds * 1000))
    const after = await stat()
    const tablesAfter = await tables()
    const wall = (performance.now() - t1) / 1000
    const per = (k: 'x' | 'r' | 't') => ((Number(after[k]) - Number(before[k])) / wall).toFixed(1)
    console.log(`| instances | BMCs (consoles off) | all workers running after | transactions/s | rows read/s | rows written/s | over |`)
    console.log(`|---|---|---|---|---|---|---|`)
    console.log(`| 3 | ${nodes.length} | ${(ready / 1000).toFixed(0)} s | ${per('x')} | ${per('r')} | ${per('t')} | ${wall.toFixed(0)} s |`)
    const split = [...tablesAfter].map(([t, r]) => [t, (r - (tablesBefore.get(t) ?? 0)) / wall] as const).filter(([, r]) => r > 0).sort((x, y) => y[1] - x[1])
    console.log(`\nrows read per second by table (pg_stat_user_tables; the rest of "rows read" is PostgreSQL's own catalogs): ${split.map(([t, r]) => `${t} ${r.toFixed(1)}`).join(', ') || 'none'}`)
  } finally {
    await db.end().catch(() => undefined)
    await lab.close()
    await fleet.close()
  }
}

switch (mode) {
  case 'failover':
    await failover()
    break
  case 'moves':
    await moves()
    break
  case 'load':
    await load()
    break
  default:
    console.error('usage: bench/cluster.ts failover [--kills 20] [--bmcs 30] | moves [--bmcs 30] | load [--bmcs 300] [--seconds 60]')
    process.exitCode = 2
}

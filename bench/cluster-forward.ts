// Benchmark: a forwarded request against the same request sent to the node's owner (docs/cluster.md, "Forwarding").
// Two `startServer` instances in this process on one PostgreSQL (test/lab/postgres.ts), simulated BMCs (src/sim),
// real worker threads. For each node the second member owns, `GET /api/v1/nodes/{node}/power` is sent
// alternately to the owner (direct) and to the other member (forwarded: signed, verified, answered, signed back),
// HTTP keep-alive on both hops; p50/p99 of each, in the same run. Also `GET /api/v1/noderange/{all}/power`
// sent to one member (split across both owners) against the same range sent per owner and merged by the client.
// Both instances share this process's event loop and the machine's two cores with whatever else runs: compare
// the two columns of one run, not runs with each other.
// Reproduce (the worker bundle first):
//   node -e "import('./scripts/bundle-worker.mjs').then(m=>m.bundleWorker('/tmp/wb-fwd/bmc-worker.bundle.mjs'))"
//   BMCVISOR_WORKER_FILE=/tmp/wb-fwd/bmc-worker.bundle.mjs node --import tsx bench/cluster-forward.ts [--rounds 300] [--nodes 8]
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { startServer, type RunningServer } from '../src/main.js'
import { createLogger } from '../src/log.js'
import { startSimFleet } from '../src/sim/fleet.js'
import { waitUntil } from '../test/lab/net.js'
import { startPostgres } from '../test/lab/postgres.js'
import { KEY_A } from '../test/lab/store-contract.js'

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '300' }, nodes: { type: 'string', default: '8' } } })
const ROUNDS = Number(values.rounds)
const COUNT = Number(values.nodes)
const TOKEN = 'bench-cluster-forward-token-0123456789'
const h = { authorization: `Bearer ${TOKEN}` }
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? NaN
const f1 = (x: number) => x.toFixed(2)

async function timed(url: string): Promise<number> {
  const t0 = performance.now()
  const r = await fetch(url, { headers: h })
  const body = await r.text()
  const ms = performance.now() - t0
  if (r.status !== 200) throw new Error(`${url}: ${r.status} ${body}`)
  return ms
}

const lab = await startPostgres()
const fleet = await startSimFleet({ count: COUNT, consoleRate: 0 })
const dirs: string[] = []
const servers: RunningServer[] = []
try {
  const url = await lab.database()
  for (const id of ['m1', 'm2']) {
    const dataDir = mkdtempSync(join(tmpdir(), 'bmcvisor-bench-forward-'))
    dirs.push(dataDir)
    servers.push(await startServer({
      listen: '127.0.0.1:0', dataDir, store: url, secretKey: KEY_A, adminToken: TOKEN, cluster: { id, leaseMs: 6000, marginMs: 1500 }, logger: createLogger({ level: 'silent' }),
      // The bench sends ranges faster than the default budget of expensive requests allows.
      limits: { expensive: { perSecond: 100_000, burst: 100_000 } },
    }))
  }
  const [a, b] = servers as [RunningServer, RunningServer]
  const names = fleet.bmcs.map((x) => `b${x.index}`)
  for (const x of fleet.bmcs) {
    const r = await fetch(`${a.url}/api/v1/nodes`, { method: 'POST', headers: { ...h, 'content-type': 'application/json' }, body: JSON.stringify({ name: `b${x.index}`, bmc: { host: x.host, port: x.port, username: x.username, password: x.password }, console: { method: 'ipmi' } }) })
    if (r.status !== 201) throw new Error(await r.text())
  }
  let owners: Record<string, string> = {}
  await waitUntil(async () => {
    owners = ((await (await fetch(`${a.url}/api/v1/cluster`, { headers: h })).json()) as { owners: Record<string, string> }).owners
    const on = (n: string) => (owners[n] === 'm1' ? a : b)
    return names.every((n) => owners[n] !== undefined && on(n).supervisor.nodes.includes(n) && on(n).supervisor.status(n)[0]?.session?.state === 'connected') &&
      names.some((n) => owners[n] === 'm2') && names.some((n) => owners[n] === 'm1')
  }, { timeoutMs: 60_000, intervalMs: 250, what: 'every node connected on its owner, both owners used' })
  const remote = names.filter((n) => owners[n] === 'm2')
  // Warm both paths (connections, JIT) before measuring.
  for (let i = 0; i < 20; i++) for (const n of remote) await Promise.all([timed(`${b.url}/api/v1/nodes/${n}/power`), timed(`${a.url}/api/v1/nodes/${n}/power`)])
  const direct: number[] = []
  const forwarded: number[] = []
  for (let i = 0; i < ROUNDS; i++) {
    const n = remote[i % remote.length]!
    // Alternate the order so neither path always goes first.
    if (i % 2 === 0) {
      direct.push(await timed(`${b.url}/api/v1/nodes/${n}/power`))
      forwarded.push(await timed(`${a.url}/api/v1/nodes/${n}/power`))
    } else {
      forwarded.push(await timed(`${a.url}/api/v1/nodes/${n}/power`))
      direct.push(await timed(`${b.url}/api/v1/nodes/${n}/power`))
    }
  }
  const expr = `b[0-${COUNT - 1}]`
  const split: number[] = []
  const perOwner: number[] = []
  const mine = (m: string) => names.filter((n) => owners[n] === m).join(',')
  for (let i = 0; i < Math.max(20, ROUNDS / 10); i++) {
    split.push(await timed(`${a.url}/api/v1/noderange/${expr}/power`))
    const t0 = performance.now()
    await Promise.all([timed(`${a.url}/api/v1/noderange/${mine('m1')}/power`), timed(`${b.url}/api/v1/noderange/${mine('m2')}/power`)])
    perOwner.push(performance.now() - t0)
  }
  console.log(`nodes ${COUNT} (m2 owns ${remote.length}), rounds ${ROUNDS}, node ${process.version}`)
  console.log(`| request | p50 ms | p99 ms | n |`)
  console.log(`|---|---|---|---|`)
  console.log(`| GET /nodes/{node}/power to the owner (direct) | ${f1(pct(direct, 0.5))} | ${f1(pct(direct, 0.99))} | ${direct.length} |`)
  console.log(`| the same to the other member (forwarded) | ${f1(pct(forwarded, 0.5))} | ${f1(pct(forwarded, 0.99))} | ${forwarded.length} |`)
  console.log(`| forwarded / direct | ${(pct(forwarded, 0.5) / pct(direct, 0.5)).toFixed(2)} | ${(pct(forwarded, 0.99) / pct(direct, 0.99)).toFixed(2)} | |`)
  console.log(`| GET /noderange/${expr}/power to m1 (split by owner, merged) | ${f1(pct(split, 0.5))} | ${f1(pct(split, 0.99))} | ${split.length} |`)
  console.log(`| each owner's share sent to it by the client, in parallel | ${f1(pct(perOwner, 0.5))} | ${f1(pct(perOwner, 0.99))} | ${perOwner.length} |`)
} finally {
  for (const s of servers) await s.close().catch(() => undefined)
  await fleet.close()
  await lab.stop()
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
}

// Benchmark: wall time of one CLI process, start to exit, run as an operator
// runs it, against ipmitool on the same simulated BMC (src/sim, loopback):
//  - `bmcvisor power n1 status` against a running serve (REST, one node),
//  - `bmcvisor ipmi -H ... power status` (our IPMI client, no server),
//  - `ipmitool -I lanplus ... power status`.
// All from dist (npm run build first), tsc's output and the bundle. Runs are interleaved so that load
// from other work on the machine hits all three alike.
// Run: npm run build && node --import tsx bench/cli-start.ts [--n 30]
import { execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { waitUntil } from '../test/lab/net.js'

const { values } = parseArgs({ options: { n: { type: 'string', default: '30' } } })
const N = Number(values.n)
/** tsc's output (serve runs from it) and the bundle `bin` points to (scripts/bundle-cli.mjs). */
const CLI = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url))
const BUNDLE = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url))
const TOKEN = 'bench-admin-token-0123456789abcdef'

async function freePort(): Promise<number> {
  const s = createServer().listen(0, '127.0.0.1')
  await once(s, 'listening')
  const port = (s.address() as { port: number }).port
  s.close()
  return port
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const t = performance.now()
  return new Promise((resolve, reject) => {
    execFile(file, args, { env, timeout: 30_000 }, (err, _out, stderr) => (err ? reject(new Error(`${file} ${args.join(' ')}: ${stderr}`)) : resolve(performance.now() - t)))
  })
}

const pct = (ms: number[], p: number): number => [...ms].sort((a, b) => a - b)[Math.min(ms.length - 1, Math.floor(ms.length * p))]!

const sim = spawn(process.execPath, [CLI, 'sim', '--count', '1', '--base-port', '0', '--json'], { stdio: ['ignore', 'pipe', 'inherit'] })
const [line] = (await once(createInterface({ input: sim.stdout }), 'line')) as [string]
const bmc = (JSON.parse(line) as { bmcs: { host: string; port: number }[] }).bmcs[0]!
const data = mkdtempSync(join(tmpdir(), 'bmcvisor-bench-'))
const port = await freePort()
const url = `http://127.0.0.1:${port}`
const env = { ...process.env, BMCVISOR_URL: url, BMCVISOR_TOKEN: TOKEN, BMCVISOR_ADMIN_TOKEN: TOKEN }
const serve = spawn(process.execPath, [CLI, 'serve', '--no-demo', '--listen', `127.0.0.1:${port}`, '--data', data, '--log-level', 'error'], { env, stdio: 'ignore' })
try {
  const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }
  await waitUntil(() => fetch(`${url}/readyz`).then((r) => r.ok, () => false), { timeoutMs: 60_000 })
  const add = await fetch(`${url}/api/v1/nodes`, { method: 'POST', headers: auth, body: JSON.stringify({ name: 'n1', bmc: { host: bmc.host, port: bmc.port, username: 'admin', password: 'password' } }) })
  if (!add.ok) throw new Error(`node add: ${add.status} ${await add.text()}`)
  await waitUntil(() => run(process.execPath, [CLI, 'power', 'n1', 'status'], env).then(() => true, () => false), { timeoutMs: 60_000 })
  const cmds: Record<string, [string, string[]]> = {
    'bmcvisor power n1 status (REST, tsc output)': [process.execPath, [CLI, 'power', 'n1', 'status']],
    'bmcvisor power n1 status (REST, bundle)': [process.execPath, [BUNDLE, 'power', 'n1', 'status']],
    'bmcvisor ipmi ... power status (tsc output)': [process.execPath, [CLI, 'ipmi', '-H', bmc.host, '-p', String(bmc.port), '-U', 'admin', '-P', 'password', 'power', 'status']],
    'bmcvisor ipmi ... power status (bundle)': [process.execPath, [BUNDLE, 'ipmi', '-H', bmc.host, '-p', String(bmc.port), '-U', 'admin', '-P', 'password', 'power', 'status']],
    'node -e 0 (the floor: a Node.js process)': [process.execPath, ['-e', '0']],
    'ipmitool -I lanplus ... power status': ['ipmitool', ['-I', 'lanplus', '-C', '3', '-H', bmc.host, '-p', String(bmc.port), '-U', 'admin', '-P', 'password', 'power', 'status']],
  }
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(cmds).map((k) => [k, []]))
  for (let i = 0; i < N; i++) for (const [name, [file, args]] of Object.entries(cmds)) times[name]!.push(await run(file, args, env))
  console.log(`| command | runs | p50 ms | p90 ms |\n|---|---|---|---|`)
  for (const [name, ms] of Object.entries(times)) console.log(`| \`${name}\` | ${ms.length} | ${pct(ms, 0.5).toFixed(0)} | ${pct(ms, 0.9).toFixed(0)} |`)
} finally {
  serve.kill('SIGTERM')
  sim.kill('SIGTERM')
  await Promise.all([once(serve, 'exit'), once(sim, 'exit')])
  rmSync(data, { recursive: true, force: true })
}

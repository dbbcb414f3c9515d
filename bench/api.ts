// Benchmark: REST power status against ipmi_sim BMCs, with the compiled
// service running as its own process (`bmcvisor serve`), as in production.
//  1. One node: p50/p99 of `GET /api/v1/nodes/{node}/power` (HTTP keep-alive,
//     the worker's persistent session) against the CLI's direct call
//     `bmcvisor ipmi -H .. power status` (a process, a login, one command,
//     Close Session) and, for reference, ipmitool.
//  2. A range of N nodes: wall time of `GET /api/v1/noderange/b[001-N]/power`
//     against FreeIPMI's `ipmipower --stat` over the same N simulators.
// Reproduce:
//   npm run build && node --import tsx bench/api.ts [--nodes 200] [--single 300] [--cli 40] [--rounds 5]
import { execFile, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { freePort, startIpmiSim, waitUntil, type IpmiSim } from '../test/lab/sim.js'

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '200' },
    single: { type: 'string', default: '300' },
    cli: { type: 'string', default: '40' },
    rounds: { type: 'string', default: '5' },
  },
})
const N = Number(values.nodes)
const CLI = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url))
const TOKEN = 'bench-admin-token-0123456789abcdef'
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? NaN
const f1 = (x: number) => x.toFixed(1)

function run(cmd: string, args: string[]): Promise<{ ms: number; out: string }> {
  const t0 = performance.now()
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 24, timeout: 120_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} failed: ${err.message}\n${stderr}`))
      else resolve({ ms: performance.now() - t0, out: stdout })
    })
  })
}

async function startSims(n: number): Promise<IpmiSim[]> {
  const sims: IpmiSim[] = []
  const ports = new Set<number>()
  while (sims.length < n) {
    const batch = await Promise.all(Array.from({ length: Math.min(20, n - sims.length) }, () => startIpmiSim({ powerOn: true, startTimeoutMs: 60_000 })))
    for (const s of batch) {
      // Two simulators started at once may be handed the same free port (a first
      // 200-node run gave ipmipower 199 distinct hosts); keep one per port.
      if (ports.has(s.port)) {
        console.log(`dropped a simulator that shares port ${s.port} with another`)
        await s.stop()
      } else {
        ports.add(s.port)
        sims.push(s)
      }
    }
  }
  return sims
}

const sims = await startSims(N)
const data = mkdtempSync(join(tmpdir(), 'bmcvisor-bench-api-'))
const port = await freePort('tcp')
const url = `http://127.0.0.1:${port}`
const server = spawn(process.execPath, [CLI, 'serve', '--listen', `127.0.0.1:${port}`, '--data', data], {
  env: { ...process.env, BMCVISOR_ADMIN_TOKEN: TOKEN }, stdio: ['ignore', 'ignore', 'pipe'],
})
let serverErr = ''
server.stderr.on('data', (d: Buffer) => (serverErr += d.toString()))
const api = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${url}/api/v1${path}`, {
    method, headers: { authorization: `Bearer ${TOKEN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  })
  const text = await res.text()
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`)
  return JSON.parse(text) as unknown
}

try {
  await waitUntil(() => serverErr.includes('serving on'), { timeoutMs: 20_000, what: `serve to start: ${serverErr}` })
  const names = sims.map((_, i) => `b${String(i + 1).padStart(3, '0')}`)
  for (const [i, name] of names.entries()) {
    await api('POST', '/nodes', { name, bmc: { host: '127.0.0.1', port: sims[i]!.port, username: 'admin', password: 'password', cipherSuite: 3 }, groups: ['bench'] })
  }
  const t0 = performance.now()
  await waitUntil(async () => {
    const { workers } = (await api('GET', '/workers')) as { workers: { session: { state: string } | null; console: { state: string } | null }[] }
    return workers.filter((w) => w.session?.state === 'connected' && w.console?.state === 'connected').length === N
  }, { timeoutMs: 300_000, intervalMs: 500, what: 'every session and console up' })
  console.log(`${N} nodes added over REST; every session and SOL console up after ${f1((performance.now() - t0) / 1000)} s`)

  // 1. One node.
  const one = names[0]!
  const restMs: number[] = []
  for (let i = 0; i < 20; i++) await api('GET', `/nodes/${one}/power`) // warm-up
  for (let i = 0; i < Number(values.single); i++) {
    const s = performance.now()
    await api('GET', `/nodes/${one}/power`)
    restMs.push(performance.now() - s)
  }
  const cliMs: number[] = []
  const toolMs: number[] = []
  const p = String(sims[0]!.port)
  for (let i = 0; i < Number(values.cli); i++) {
    cliMs.push((await run(process.execPath, [CLI, 'ipmi', '-H', '127.0.0.1', '-p', p, '-U', 'admin', '-P', 'password', '-C', '3', 'power', 'status'])).ms)
    toolMs.push((await run('ipmitool', ['-I', 'lanplus', '-H', '127.0.0.1', '-p', p, '-U', 'admin', '-P', 'password', '-C', '3', 'power', 'status'])).ms)
  }
  console.log('\none node, power status (ms):')
  console.log(`  REST GET /nodes/${one}/power      p50 ${f1(pct(restMs, 0.5))}  p99 ${f1(pct(restMs, 0.99))}  (n=${restMs.length})`)
  console.log(`  bmcvisor ipmi ... power status   p50 ${f1(pct(cliMs, 0.5))}  p99 ${f1(pct(cliMs, 0.99))}  (n=${cliMs.length})`)
  console.log(`  ipmitool ... power status        p50 ${f1(pct(toolMs, 0.5))}  p99 ${f1(pct(toolMs, 0.99))}  (n=${toolMs.length})`)

  // 2. The range.
  const expr = encodeURIComponent(`b[001-${String(N).padStart(3, '0')}]`)
  const rangeMs: number[] = []
  for (let r = 0; r < Number(values.rounds); r++) {
    const s = performance.now()
    const { results } = (await api('GET', `/noderange/${expr}/power`)) as { results: Record<string, { ok: boolean }> }
    rangeMs.push(performance.now() - s)
    const failed = Object.values(results).filter((x) => !x.ok).length
    if (failed > 0) console.log(`  REST round ${r}: ${failed} failed`)
  }
  const hosts = sims.map((s) => `127.0.0.1:${s.port}`).join(',')
  const ipmipowerMs: number[] = []
  for (let r = 0; r < Number(values.rounds); r++) {
    const { ms, out } = await run('ipmipower', ['-h', hosts, '-u', 'admin', '-p', 'password', '-D', 'LAN_2_0', '-W', 'opensesspriv', '-I', '3', '--stat'])
    ipmipowerMs.push(ms)
    const on = out.split('\n').filter((l) => /: on$/.test(l)).length
    if (on !== N) console.log(`  ipmipower round ${r}: ${on}/${N} on\n${out.split('\n').filter((l) => !/: on$/.test(l)).slice(0, 5).join('\n')}`)
  }
  console.log(`\nrange of ${N} nodes, power status, wall time (ms), ${values.rounds} rounds:`)
  console.log(`  REST GET /noderange/b[001-${N}]/power   median ${f1(pct(rangeMs, 0.5))}  min ${f1(Math.min(...rangeMs))}  max ${f1(Math.max(...rangeMs))}`)
  console.log(`  ipmipower --stat (${N} hosts)          median ${f1(pct(ipmipowerMs, 0.5))}  min ${f1(Math.min(...ipmipowerMs))}  max ${f1(Math.max(...ipmipowerMs))}`)
} finally {
  server.kill('SIGTERM')
  await new Promise((r) => server.once('exit', r))
  await Promise.all(sims.map((s) => s.stop()))
  rmSync(data, { recursive: true, force: true })
}

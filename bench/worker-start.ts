// Benchmark: the CPU one BMC costs to start, split by phase, against the
// floor (an empty worker thread) and the peer (`ipmitool -I lanplus -C 3 sol
// activate`) on the same ipmi_sim in the same run. Starts are sequential, so
// the process's CPU between two events is that phase's:
//  - thread: Supervisor.add() until the worker is running (thread bootstrap,
//    the bundle's module evaluation, the worker's own set-up);
//  - login: running until the management session is connected (Get Channel
//    Authentication Capabilities, cipher suites, Open Session, RAKP 1-4);
//  - SOL: session connected until the console is connected (Activate Payload);
//  - settle: the SETTLE_MS after that with a quiet console (V8's memory
//    reducer in the fresh isolate, the first keepalives).
// ipmitool is charged from its spawn until it printed the first console byte
// (the host side writes a marker every 2 ms; ipmi_sim drops host output while
// SOL is inactive), read from /proc/PID/stat (10 ms ticks; a mean over runs).
// Run: node --import tsx bench/worker-start.ts [--runs 20] [--worker FILE] [--label TEXT] [--write] [--v8-flags="--flag ..."]
// (--worker: measure that bundle instead of bundling this checkout's, e.g. one
// built from an older commit; --write replaces this Node major's and label's
// section of bench/RESULTS-start.md). Needs openipmi and ipmitool.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { basename, join } from 'node:path'
import { parseArgs } from 'node:util'
import { setTimeout as sleep } from 'node:timers/promises'
import { setFlagsFromString } from 'node:v8'
import { Worker } from 'node:worker_threads'
import { Supervisor } from '../src/supervisor/supervisor.js'
import { WORKER_FILE_ENV } from '../src/supervisor/worker-handle.js'
import { startIpmiSim, type IpmiSim } from '../test/lab/sim.js'
import { bmcConfig } from '../test/integration/supervisor/fleet.js'

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '20' },
    worker: { type: 'string' },
    label: { type: 'string', default: 'this checkout' },
    write: { type: 'boolean', default: false },
    /** V8 flags for every isolate, set before the first Worker starts (as the service would set them). */
    'v8-flags': { type: 'string', default: '' },
  },
})
const V8_FLAGS = values['v8-flags'].split(/\s+/).filter((f) => f !== '')
for (const f of V8_FLAGS) setFlagsFromString(f)
const RUNS = Number(values.runs)
/** How long a started console is watched for the CPU its fresh isolate keeps spending (memory reducer, keepalives). */
const SETTLE_MS = 3000
const MARK = 0x23 // '#': not in ipmitool's banner
const ROOT = new URL('..', import.meta.url).pathname
// node_modules is shared between worktrees: one bundle per checkout.
const BUNDLE_DIR = join(ROOT, 'node_modules', '.cache', `bench-worker-start-${basename(ROOT)}`)

const cpuMs = (): number => {
  const c = process.cpuUsage()
  return (c.user + c.system) / 1000
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length

/** The worker as the service runs it: the one-file bundle (scripts/bundle-worker.mjs). */
async function bundle(): Promise<string> {
  const file = join(BUNDLE_DIR, 'bmc-worker.bundle.mjs')
  const { bundleWorker } = (await import(join(ROOT, 'scripts', 'bundle-worker.mjs'))) as { bundleWorker: (f: string, o: { sourcemap: boolean }) => Promise<void> }
  await bundleWorker(file, { sourcemap: false })
  return file
}

/** CPU of a thread that only says it is there: what any worker thread costs on this Node. */
async function emptyThread(): Promise<number> {
  const file = join(BUNDLE_DIR, 'empty-worker.mjs')
  writeFileSync(file, "import { parentPort } from 'node:worker_threads'\nparentPort.postMessage(0)\n")
  const c0 = cpuMs()
  // As the supervisor starts a compiled worker: without the parent's --import tsx.
  const w = new Worker(file, { execArgv: [] })
  await once(w, 'message')
  const c = cpuMs() - c0
  await w.terminate()
  return c
}

function event(sup: Supervisor, name: 'worker:state' | 'session:state' | 'console:state', node: string, state: string): Promise<number> {
  return new Promise((resolve) => {
    const on = (n: string, m: unknown) => {
      const s = typeof m === 'string' ? m : (m as { state: string }).state
      if (n !== node || s !== state) return
      sup.off(name, on as never)
      resolve(cpuMs())
    }
    sup.on(name, on as never)
  })
}

/** CPU ms by phase, and the process's RSS (MB) the running worker added after it settled. */
interface Phases { thread: number; login: number; sol: number; settle: number; rssMb: number }

async function oursOnce(sup: Supervisor, sim: IpmiSim, i: number): Promise<Phases> {
  const node = `s${i}`
  const running = event(sup, 'worker:state', node, 'running')
  const session = event(sup, 'session:state', node, 'connected')
  const consoleUp = event(sup, 'console:state', node, 'connected')
  const rss0 = process.memoryUsage.rss()
  const c0 = cpuMs()
  sup.add(node, bmcConfig(sim))
  const [c1, c2, c3] = [await running, await session, await consoleUp]
  await sleep(SETTLE_MS)
  const c4 = cpuMs()
  const rssMb = (process.memoryUsage.rss() - rss0) / 2 ** 20
  await sup.remove(node)
  return { thread: c1 - c0, login: c2 - c1, sol: c3 - c2, settle: c4 - c3, rssMb }
}

async function ipmitoolOnce(sim: IpmiSim): Promise<number> {
  const proc = spawn('ipmitool', ['-I', 'lanplus', '-H', sim.host, '-p', String(sim.port), '-U', 'admin', '-P', 'password', '-C', '3', 'sol', 'activate'], { stdio: ['pipe', 'pipe', 'ignore'] })
  proc.stdin.on('error', () => undefined)
  const exited = once(proc, 'exit')
  const tick = setInterval(() => void sim.solBackend.write(Buffer.from([MARK])).catch(() => undefined), 2)
  let cpu = NaN
  try {
    await new Promise<void>((resolve, reject) => {
      proc.stdout.on('data', (d: Buffer) => {
        if (!Number.isNaN(cpu) || !d.includes(MARK)) return
        const f = readFileSync(`/proc/${proc.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
        cpu = ((Number(f[11]) + Number(f[12])) * 1000) / 100
        resolve()
      })
      void exited.then(() => reject(new Error('ipmitool exited before the first console byte')))
    })
  } finally {
    clearInterval(tick)
  }
  proc.stdin.write('\r~.')
  const kill = setTimeout(() => proc.kill('SIGKILL'), 3000)
  await exited
  clearTimeout(kill)
  return cpu
}

mkdirSync(BUNDLE_DIR, { recursive: true })
process.env[WORKER_FILE_ENV] = values.worker ?? (await bundle())
const sim = await startIpmiSim({ powerOn: true })
const sup = new Supervisor({ startConcurrency: 1 })
const ours: Phases[] = []
const empty: number[] = []
const theirs: number[] = []
try {
  // One warm-up of each, not counted: the main thread's own first-use costs (JIT, module loads).
  await oursOnce(sup, sim, -1)
  await ipmitoolOnce(sim)
  for (let i = 0; i < RUNS; i++) {
    empty.push(await emptyThread())
    ours.push(await oursOnce(sup, sim, i))
    theirs.push(await ipmitoolOnce(sim))
  }
} finally {
  await sup.shutdown(3000)
  await sim.stop()
}

const col = (k: keyof Phases) => ours.map((p) => p[k])
const total = ours.map((p) => p.thread + p.login + p.sol)
const f = (x: number) => x.toFixed(1)
const rows = [
  ['thread start (add -> worker running)', col('thread')],
  ['login (running -> session connected)', col('login')],
  ['SOL activation (session -> console connected)', col('sol')],
  ['**start, all three**', total],
  [`settle (${SETTLE_MS / 1000} s after, quiet console)`, col('settle')],
  ['empty worker thread (floor)', empty],
  ['`ipmitool sol activate` until the first console byte (peer)', theirs],
  ['RSS the running worker added, MB (not CPU)', col('rssMb')],
] as const
const table = ['| phase | CPU ms p50 | mean |', '|---|---|---|', ...rows.map(([name, xs]) => `| ${name} | ${f(median(xs))} | ${f(mean(xs))} |`)].join('\n')
const ratio = mean(total) / mean(theirs)
const cmd = `node --import tsx bench/worker-start.ts --runs ${RUNS}${values.worker !== undefined ? ' --worker FILE' : ''}${V8_FLAGS.length > 0 ? ` --v8-flags="${V8_FLAGS.join(' ')}"` : ''}`
const report = `${table}\n\nStart (thread + login + SOL) against ipmitool: ${ratio.toFixed(2)}x its CPU (means). ${RUNS} runs; \`${cmd}\`; ${cpus().length} CPUs, load average at the end ${loadavg().map((x) => x.toFixed(2)).join(' ')}.\n`
console.log(report)
if (values.write === true) {
  const file = new URL('./RESULTS-start.md', import.meta.url)
  const head = `# CPU to start one BMC, by phase (issue 18)\n\nReproduce: \`node --import tsx bench/worker-start.ts --write\` (starts its own ipmi_sim from test/lab; needs openipmi and\nipmitool). Each start is alone (sequential), so the process CPU between two supervisor events is that phase's; the\nworker is the one-file bundle the service runs. CPU time, not wall time: it moves less with the machine's other\nload, but cache and frequency effects remain. One section per Node.js major and worker build.\n`
  let old = ''
  try {
    old = readFileSync(file, 'utf8')
  } catch {
    // the first run writes the file
  }
  const major = process.versions.node.split('.')[0]!
  const same = (x: string) => x.startsWith(`## Node v${major}.`) && x.split('\n')[0]!.endsWith(`, ${values.label}`)
  const sections = old.split(/^(?=## )/m).slice(1).filter((x) => !same(x)).map((x) => x.trimEnd() + '\n')
  writeFileSync(file, `${head}\n${[...sections, `## Node ${process.version}, ${values.label}\n\n${report}`].join('\n')}`)
}

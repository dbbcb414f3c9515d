// conserver side by side (issue 18): the console server operators run today,
// conserver with each console an `exec` of an IPMI SOL client, against
// `bmcvisor serve` over the same simulated BMCs (bench/scale-sim.ts, a process
// of its own), one contender at a time, each against a fresh fleet. Debian's
// conserver 8.2.7 is built without FreeIPMI, so it has no console type of its
// own for IPMI: its consoles are `exec ipmitool -I lanplus ... sol activate`
// and `exec ipmiconsole ...` (FreeIPMI), as conserver.cf files in fleets do.
//
// Per contender and size it measures, the same way for every one:
//  - time from start until every BMC's SOL payload is held by a console (the
//    simulator's count: a neutral observer);
//  - memory: the PSS (proportional set size, shared pages split among the
//    processes that map them) summed over the contender's whole process tree
//    (conserver, its group processes and every client process; bmcvisor's one
//    process), after the consoles are up and SETTLE seconds;
//  - CPU of the whole tree, at idle (hosts print nothing) and with every host
//    printing RATE bytes/s, and the console bytes that reached the console logs
//    on disk (conserver's logfile, bmcvisor's consoles/<node>.log);
//  - time to notice a dead BMC: KILL BMCs stop answering at once (the
//    simulator's `die` fault); for conserver the console counts as noticed when
//    conserver reports it anything but up or restarted its client (its `-i`
//    info), and separately when the client printed an error into the console;
//    for bmcvisor when the console leaves `connected` (/metrics).
// Reproduce (conserver-server, conserver-client, ipmitool, freeipmi-tools from Debian):
//   npm run build && node --import tsx bench/conserver.ts --sizes 100,500
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { fork } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import type { FromSim, ToSim } from './scale-sim.js'
import type * as StoreModule from '../src/store/sqlite.js'

/** bmcvisor-accumulate: serve --sol-accumulate-ms (--accumulate-ms): the BMCs are asked for fewer, fuller SOL packets. */
const CONTENDERS = ['conserver-ipmitool', 'conserver-ipmiconsole', 'bmcvisor', 'bmcvisor-accumulate'] as const
type Contender = (typeof CONTENDERS)[number]
type BmcvisorContender = Extract<Contender, `bmcvisor${string}`>
const isBmcvisor = (c: Contender): c is BmcvisorContender => c.startsWith('bmcvisor')

const { values: a } = parseArgs({
  options: {
    sizes: { type: 'string', default: '100' },
    contenders: { type: 'string', default: CONTENDERS.join(',') },
    rate: { type: 'string', default: '1024' },
    seconds: { type: 'string', default: '20' },
    settle: { type: 'string', default: '15' },
    kill: { type: 'string', default: '10' },
    'notice-timeout': { type: 'string', default: '180' },
    'up-timeout': { type: 'string', default: '300' },
    // ipmiconsole reads HOST:PORT into a signed 16-bit port: stay below 32768.
    'base-port': { type: 'string', default: '22000' },
    'cipher-suite': { type: 'string', default: '3' },
    // bmcvisor-accumulate's serve --sol-accumulate-ms.
    'accumulate-ms': { type: 'string', default: '500' },
  },
})
const sizes = a.sizes.split(',').map(Number)
const contenders = a.contenders.split(',').map((c) => {
  if (!(CONTENDERS as readonly string[]).includes(c)) throw new Error(`unknown contender ${c}; one of ${CONTENDERS.join(', ')}`)
  return c as Contender
})
const RATE = Number(a.rate)
const SECONDS = Number(a.seconds)
const SUITE = a['cipher-suite']
const TOKEN = 'bench-admin-token-0123456789abcdef'
const KEY = 'b'.repeat(64)
/** Linux's USER_HZ: /proc/PID/stat counts CPU in these ticks. */
const CLOCK_TICKS_PER_S = 100
const POLL_MS = 250

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const load = () => loadavg().map((x) => x.toFixed(1)).join(' ')
const log = (s: string) => process.stderr.write(`[conserver-bench ${new Date().toISOString().slice(11, 19)} load ${load()}] ${s}\n`)
const pct = (xs: number[], p: number) => [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? NaN

/** The simulated fleet's process (bench/scale-sim.ts): one request at a time over IPC. */
function simProcess(): { ask(m: ToSim): Promise<FromSim>; child: ChildProcess } {
  const child = fork(fileURLToPath(new URL('./scale-sim.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  let waiting: ((m: FromSim) => void) | undefined
  child.on('message', (m: FromSim) => waiting?.(m))
  return {
    child,
    ask: (m) => new Promise((resolve, reject) => {
      waiting = (r) => (r.type === 'error' ? reject(new Error(r.message)) : resolve(r))
      child.send(m)
    }),
  }
}
type SimStats = Extract<FromSim, { type: 'stats' }>

// --- the process tree, from /proc ---

function procStat(pid: number): { ppid: number; ticks: number } | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'latin1')
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ')
    return { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) }
  } catch {
    return undefined
  }
}

/** The root and every descendant living now, with their CPU ticks. */
function tree(root: number): Map<number, number> {
  const parent = new Map<number, number>()
  const ticks = new Map<number, number>()
  for (const e of readdirSync('/proc')) {
    const pid = Number(e)
    if (!Number.isInteger(pid)) continue
    const st = procStat(pid)
    if (st === undefined) continue
    parent.set(pid, st.ppid)
    ticks.set(pid, st.ticks)
  }
  const out = new Map<number, number>()
  for (const [pid] of parent) {
    for (let p: number | undefined = pid, hops = 0; p !== undefined && p > 1 && hops < 64; p = parent.get(p), hops++) {
      if (p === root) {
        out.set(pid, ticks.get(pid) ?? 0)
        break
      }
    }
  }
  return out
}

function pssBytes(pids: Iterable<number>): number {
  let kb = 0
  for (const pid of pids) {
    try {
      const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'latin1'))
      kb += Number(m?.[1] ?? 0)
    } catch {
      // gone meanwhile
    }
  }
  return kb * 1024
}

/** % of one core the tree used over `ms` (processes living at both ends). */
async function treeCpu(root: number, ms: number): Promise<number> {
  const t0 = tree(root)
  const w0 = performance.now()
  await sleep(ms)
  const t1 = tree(root)
  const wall = performance.now() - w0
  let ticks = 0
  for (const [pid, t] of t1) ticks += t - (t0.get(pid) ?? t)
  return ((ticks / CLOCK_TICKS_PER_S) * 1000 / wall) * 100
}

function dirBytes(dir: string, suffix: string): number {
  let n = 0
  for (const f of readdirSync(dir)) if (f.endsWith(suffix)) n += statSync(join(dir, f)).size
  return n
}

// --- the contenders ---

interface Bmc { host: string; port: number; username: string; password: string }

interface Running {
  root: number
  /** Console logs: directory and file suffix. */
  logs: { dir: string; suffix: string }
  /** The consoles of these nodes are noticed down (or, for conserver, restarted). */
  noticed(names: readonly string[]): Promise<Set<string>>
  /** conserver: consoles whose client printed an error into the console log. */
  clientErrors?(names: readonly string[]): Set<string>
  stop(): Promise<void>
}

function clientCommand(c: Exclude<Contender, BmcvisorContender>, b: Bmc): string {
  switch (c) {
    case 'conserver-ipmitool':
      return `/usr/bin/ipmitool -I lanplus -H ${b.host} -p ${b.port} -U ${b.username} -P ${b.password} -C ${SUITE} sol activate`
    case 'conserver-ipmiconsole':
      return `/usr/sbin/ipmiconsole -h ${b.host}:${b.port} -u ${b.username} -p ${b.password} -I ${SUITE} -l ADMIN`
  }
}

/** What the clients print into a console when their session is lost. */
const CLIENT_ERROR = /No response to keepalive|SOL session closed|session timeout|\[error received\]|Terminating session/

async function startConserver(c: Exclude<Contender, BmcvisorContender>, bmcs: readonly Bmc[], names: readonly string[], dir: string, port: number): Promise<Running> {
  const cf = [
    'config * { }',
    'default full { rw *; }',
    `default * { logfile ${dir}/&.log; timestamp ""; include full; master 127.0.0.1; }`,
    ...bmcs.map((b, i) => `console ${names[i]} { type exec; exec ${clientCommand(c, b)}; }`),
    'access * { trusted 127.0.0.1; allowed 127.0.0.1; }',
  ].join('\n')
  writeFileSync(join(dir, 'conserver.cf'), `${cf}\n`)
  writeFileSync(join(dir, 'conserver.passwd'), '*:*\n')
  // -m: consoles per group process (the default 16 would fork N/16 of them; conserver's own advice for large sites is to raise it).
  const child = spawn('/usr/sbin/conserver', ['-C', join(dir, 'conserver.cf'), '-P', join(dir, 'conserver.passwd'), '-p', String(port), '-M', '127.0.0.1', '-m', '64', '-L', join(dir, 'server.log')], { cwd: dir, stdio: 'ignore' })
  const info = () => new Promise<Map<string, string>>((resolve) => {
    execFile('/usr/bin/console', ['-M', '127.0.0.1', '-p', String(port), '-i'], { maxBuffer: 1 << 24, timeout: 10_000 }, (_e, stdout) => {
      const m = new Map<string, string>()
      for (const line of stdout.split('\n')) {
        // name:master,pid,port:|:exec,clientpid,pty,fd::state:...
        const name = line.slice(0, line.indexOf(':'))
        const f = line.split(':')
        const client = /,(\d+),\/dev\//.exec(line)?.[1] ?? ''
        if (name !== '') m.set(name, `${f[5] ?? ''}/${client}`)
      }
      resolve(m)
    })
  })
  let baseline = new Map<string, string>()
  return {
    root: child.pid!,
    logs: { dir, suffix: '.log' },
    noticed: async (victims) => {
      if (baseline.size === 0) baseline = await info()
      const now = await info()
      return new Set(victims.filter((v) => now.get(v) !== baseline.get(v)))
    },
    clientErrors: (victims) => new Set(victims.filter((v) => {
      try {
        return CLIENT_ERROR.test(readFileSync(join(dir, `${v}.log`), 'latin1').slice(-4096))
      } catch {
        return false
      }
    })),
    stop: async () => {
      child.kill('SIGTERM')
      await sleep(500)
      for (const pid of tree(child.pid!).keys()) try { process.kill(pid, 'SIGKILL') } catch { /* gone */ }
    },
  }
}

async function startBmcvisor(c: BmcvisorContender, bmcs: readonly Bmc[], names: readonly string[], dir: string, port: number): Promise<Running> {
  const { openStore } = (await import(fileURLToPath(new URL('../dist/src/store/sqlite.js', import.meta.url)))) as typeof StoreModule
  const store = openStore({ dataDir: dir, secretKey: KEY })
  for (const [i, b] of bmcs.entries()) {
    // await: the same whether the store answers at once or with a promise.
    await store.nodes.create({
      name: names[i]!, groups: ['bench'],
      bmc: { host: b.host, port: b.port, username: b.username, password: b.password, cipherSuite: Number(SUITE), privilege: 'administrator' },
      console: { method: 'ipmi', logging: 'full' },
    })
  }
  await store.close()
  const child = spawn(process.execPath, [fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url)), 'serve', '--listen', `127.0.0.1:${port}`, '--data', dir, '--log-level', 'warn', ...(c === 'bmcvisor-accumulate' ? ['--sol-accumulate-ms', a['accumulate-ms']] : [])], {
    env: { ...process.env, BMCVISOR_ADMIN_TOKEN: TOKEN, BMCVISOR_SECRET_KEY: KEY, BMCVISOR_DEMO: '0' },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  const states = async (): Promise<Map<string, number>> => {
    const m = new Map<string, number>()
    try {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
      for (const line of text.split('\n')) {
        const x = /^bmcvisor_console_state\{node="([^"]+)",state="connected"\} (\d+)/.exec(line)
        if (x) m.set(x[1]!, Number(x[2]))
      }
    } catch {
      // not listening yet
    }
    return m
  }
  return {
    root: child.pid!,
    logs: { dir: join(dir, 'consoles'), suffix: '.log' },
    noticed: async (victims) => {
      const s = await states()
      return new Set(victims.filter((v) => s.get(v) === 0))
    },
    stop: async () => {
      child.kill('SIGTERM')
      await new Promise((r) => child.once('exit', r))
    },
  }
}

// --- one run ---

const rows: string[] = []
let port = Number(a['base-port'])
for (const n of sizes) {
  for (const c of contenders) {
    log(`${c} N=${n}: starting the simulated fleet`)
    const sim = simProcess()
    const ready = await sim.ask({ type: 'start', count: n, basePort: port, rate: 0, accumulateMs: 50, sendThreshold: 128, maxSendData: 250, tickMs: 25 })
    if (ready.type !== 'ready') throw new Error('simulator did not start')
    const names = ready.bmcs.map((_, i) => `n${String(i).padStart(4, '0')}`)
    const dir = mkdtempSync(join(tmpdir(), `bmcvisor-bench-${c}-`))
    const servicePort = port + n + 10
    const t0 = performance.now()
    const run = isBmcvisor(c) ? await startBmcvisor(c, ready.bmcs, names, dir, servicePort) : await startConserver(c, ready.bmcs, names, dir, servicePort)
    let up = 0
    while (up < n && performance.now() - t0 < Number(a['up-timeout']) * 1000) {
      await sleep(POLL_MS)
      up = ((await sim.ask({ type: 'stats' })) as SimStats).activeConsoles
    }
    const tUp = (performance.now() - t0) / 1000
    log(`${c} N=${n}: ${up}/${n} consoles up after ${tUp.toFixed(1)} s`)
    await sleep(Number(a.settle) * 1000)
    const procs = tree(run.root)
    const pss = pssBytes(procs.keys())
    const idle = await treeCpu(run.root, SECONDS * 1000)
    await sim.ask({ type: 'rate', rate: RATE })
    await sleep(2000)
    const b0 = dirBytes(run.logs.dir, run.logs.suffix)
    const s0 = (await sim.ask({ type: 'stats' })) as SimStats
    const tb = performance.now()
    const busy = await treeCpu(run.root, SECONDS * 1000)
    const delivered = (dirBytes(run.logs.dir, run.logs.suffix) - b0) / ((performance.now() - tb) / 1000) / n
    const s1 = (await sim.ask({ type: 'stats' })) as SimStats
    const acked = (s1.bytesAccepted - s0.bytesAccepted) / (s1.wallMs / 1000) / n
    await sim.ask({ type: 'rate', rate: 0 })
    await sleep(3000)
    // Dead BMCs: KILL of them stop answering at once, at idle.
    const victims = names.filter((_, i) => i % Math.max(1, Math.floor(n / Number(a.kill))) === 0).slice(0, Number(a.kill))
    await run.noticed(victims) // conserver: the baseline (state and client pid) before the kill
    const tk = performance.now()
    for (const v of victims) await sim.ask({ type: 'fault', index: names.indexOf(v), fault: { kind: 'die' } })
    const notice = new Map<string, number>()
    const errored = new Map<string, number>()
    while ((notice.size < victims.length || (run.clientErrors !== undefined && errored.size < victims.length)) && performance.now() - tk < Number(a['notice-timeout']) * 1000) {
      await sleep(POLL_MS)
      const now = performance.now() - tk
      for (const v of await run.noticed(victims)) if (!notice.has(v)) notice.set(v, now)
      for (const v of run.clientErrors?.(victims) ?? []) if (!errored.has(v)) errored.set(v, now)
    }
    const noticeS = (m: Map<string, number>) => {
      const xs = victims.map((v) => m.get(v) ?? Infinity)
      const p50 = pct(xs, 0.5)
      return `${m.size}/${victims.length}${m.size > 0 ? `, p50 ${Number.isFinite(p50) ? (p50 / 1000).toFixed(1) : `> ${a['notice-timeout']}`} s, max ${m.size === victims.length ? (Math.max(...xs) / 1000).toFixed(1) : `> ${a['notice-timeout']}`} s` : ` within ${a['notice-timeout']} s`}`
    }
    rows.push(`| ${c} | ${n} | ${tUp.toFixed(1)}${up < n ? ` (${up}/${n} up)` : ''} | ${(pss / n / 1048576).toFixed(2)} (${procs.size} processes) | ${idle.toFixed(1)} (${(idle / n).toFixed(3)} per console) | ${busy.toFixed(1)}; ${delivered.toFixed(0)} B/s per console logged, ${acked.toFixed(0)} B/s ACKed | ${noticeS(notice)}${run.clientErrors ? `; client printed an error: ${noticeS(errored)}` : ''} | ${load()} |`)
    log(rows.at(-1)!)
    await run.stop()
    await sim.ask({ type: 'stop' }).catch(() => undefined)
    sim.child.kill()
    rmSync(dir, { recursive: true, force: true })
    port += n + 20
  }
}

console.log(`RATE=${RATE} B/s per host while loaded; ${SECONDS} s per CPU measurement; cipher suite ${SUITE}; simulated SOL 50 ms accumulate, 128-byte threshold`)
console.log('| contender | consoles | all up, s | PSS per console, MiB (processes) | CPU idle, % of one core | CPU loaded, %; console bytes | dead BMC noticed | load 1/5/15 |')
console.log('|---|---|---|---|---|---|---|---|')
console.log(rows.join('\n'))

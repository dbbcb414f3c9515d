// Benchmark: CPU per SOL packet on the console path, in microseconds, in a
// worker thread as the service runs it (bench/sol-packet-worker.ts: receive,
// integrity check, decryption, the ACK, then by mode the hand-off to the main
// thread and the screen emulator), against ipmitool `sol activate` on another
// BMC of the same simulated fleet in the same run. Two loads:
//  - trickle: the host prints 64 B/s and the BMC keeps its shipped 50 ms
//    accumulate interval, so a packet of 3-4 characters every 50 ms: the
//    thread sleeps between packets and its code never gets hot (the issue's
//    case);
//  - stream: the host prints 20 KB/s, so packets of full size back to back.
// Our CPU is the worker thread's own (/proc/thread-self/schedstat);
// ipmitool's is its process's (/proc/PID/schedstat); both per packet the BMC
// sent to that console (the simulator's count, resends included).
// Run: node --import tsx bench/sol-packet.ts [--seconds 20] [--write] [--loads trickle,stream]
// [--modes receive,handoff,screen] [--v8-flags "--flag ..."] [--profile DIR]
// (--write adds a section to bench/RESULTS-sol.md). Needs ipmitool.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { basename, join } from 'node:path'
import { parseArgs } from 'node:util'
import { setTimeout as sleep } from 'node:timers/promises'
import { setFlagsFromString } from 'node:v8'
import { Worker } from 'node:worker_threads'
import { build } from 'esbuild'
import { startSimFleet, type SimFleetHandle } from '../src/sim/fleet.js'
import type { PacketMode, PacketWorkerData } from './sol-packet-worker.js'

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '20' },
    write: { type: 'boolean', default: false },
    'v8-flags': { type: 'string', default: '' },
    loads: { type: 'string', default: 'trickle,stream' },
    modes: { type: 'string', default: 'receive,handoff,screen' },
    /** A directory: each cell of ours writes a V8 CPU profile of its measured span there (LOAD-MODE.cpuprofile). */
    profile: { type: 'string' },
  },
})
const SECONDS = Number(values.seconds)
const WARM_MS = 3000
const LOADS = { trickle: 64, stream: 20_000 } as const
type Load = keyof typeof LOADS
const ALL_MODES: readonly PacketMode[] = ['receive', 'handoff', 'screen']
const MODES = ALL_MODES.filter((m) => values.modes.split(',').includes(m))
const RUN_LOADS = (Object.keys(LOADS) as Load[]).filter((l) => values.loads.split(',').includes(l))
// V8 flags set here, before any Worker starts, apply to every isolate made
// afterwards (a Worker's execArgv refuses V8 flags): how the service would set them.
const V8_FLAGS = values['v8-flags'].split(/\s+/).filter((f) => f !== '')
for (const f of V8_FLAGS) setFlagsFromString(f)
const ROOT = new URL('..', import.meta.url).pathname
// node_modules is shared between worktrees: one bundle per checkout.
const OUT = join(ROOT, 'node_modules', '.cache', `bench-sol-packet-${basename(ROOT)}`, 'worker.mjs')

mkdirSync(join(OUT, '..'), { recursive: true })
await build({ absWorkingDir: ROOT, entryPoints: ['bench/sol-packet-worker.ts'], outfile: OUT, bundle: true, platform: 'node', format: 'esm', target: 'node20', external: ['ssh2', '@xterm/headless', '@xterm/addon-serialize'], logLevel: 'warning' })

const fleet: SimFleetHandle = await startSimFleet({ count: 2, consoleRate: 0 })
const sent = (i: number) => fleet.members[i]!.sol.linkStats().packetsSent

async function ours(load: Load, mode: PacketMode): Promise<number> {
  const b = fleet.bmcs[0]!
  const data: PacketWorkerData = { host: b.host, port: b.port, username: b.username, password: b.password, mode, ...(values.profile !== undefined ? { profile: join(values.profile, `${load}-${mode}.cpuprofile`) } : {}) }
  const w = new Worker(OUT, { workerData: data, execArgv: [] })
  w.on('message', () => undefined)
  const next = <T>(pred: (m: T) => boolean) => new Promise<T>((resolve) => {
    const on = (m: T) => {
      if (!pred(m)) return
      w.off('message', on)
      resolve(m)
    }
    w.on('message', on)
  })
  const { tid } = await next<{ up?: boolean; tid: number }>((m) => m.up === true)
  console.error(`${load} ${mode}: worker thread ${tid} of process ${process.pid} (for perf record --tid)`)
  fleet.members[0]!.sol.host.rateBytesPerSecond = LOADS[load]
  await sleep(WARM_MS)
  const measure = async () => {
    const r = next<{ cpuNs?: number }>((m) => m.cpuNs !== undefined)
    w.postMessage('measure')
    return { cpuNs: (await r).cpuNs!, packets: sent(0) }
  }
  const a = await measure()
  await sleep(SECONDS * 1000)
  const z = await measure()
  fleet.members[0]!.sol.host.rateBytesPerSecond = 0
  const stopped = next<{ stopped?: boolean }>((m) => m.stopped === true)
  w.postMessage('stop')
  await stopped
  await w.terminate()
  return (z.cpuNs - a.cpuNs) / 1000 / (z.packets - a.packets)
}

async function ipmitool(load: Load): Promise<number> {
  const b = fleet.bmcs[1]!
  const p = spawn('ipmitool', ['-I', 'lanplus', '-H', b.host, '-p', String(b.port), '-U', b.username, '-P', b.password, '-C', '3', 'sol', 'activate'], { stdio: ['pipe', 'ignore', 'ignore'] })
  p.stdin.on('error', () => undefined)
  const exited = once(p, 'exit')
  const cpuNs = () => Number(readFileSync(`/proc/${p.pid}/schedstat`, 'latin1').split(' ')[0])
  while (fleet.members[1]!.sol.link === undefined) await sleep(50)
  fleet.members[1]!.sol.host.rateBytesPerSecond = LOADS[load]
  await sleep(WARM_MS)
  const [c0, p0] = [cpuNs(), sent(1)]
  await sleep(SECONDS * 1000)
  const [c1, p1] = [cpuNs(), sent(1)]
  fleet.members[1]!.sol.host.rateBytesPerSecond = 0
  p.stdin.write('\r~.')
  const kill = setTimeout(() => p.kill('SIGKILL'), 3000)
  await exited
  clearTimeout(kill)
  while (fleet.members[1]!.sol.link !== undefined) await sleep(50)
  return (c1 - c0) / 1000 / (p1 - p0)
}

const rows: string[] = []
try {
  for (const load of RUN_LOADS) {
    const peer = await ipmitool(load)
    const cells: string[] = []
    for (const mode of MODES) {
      const us = await ours(load, mode)
      cells.push(`${us.toFixed(0)} (${(us / peer).toFixed(1)}x)`)
    }
    rows.push(`| ${load} (${LOADS[load]} B/s) | ${peer.toFixed(0)} | ${cells.join(' | ')} |`)
    console.log(rows.at(-1))
  }
} finally {
  await fleet.close()
}
const MODE_HEADS: Record<PacketMode, string> = { receive: 'bmcvisor worker: receive + ACK', handoff: '+ hand-off to the main thread', screen: '+ screen emulator (the service\'s path)' }
const table = [`| host output | ipmitool, µs per packet | ${MODES.map((m) => MODE_HEADS[m]).join(' | ')} |`, `|---|---|${MODES.map(() => '---|').join('')}`, ...rows].join('\n')
const note = `${SECONDS} s per cell after ${WARM_MS / 1000} s of warm-up, a fresh worker thread per cell; cipher suite 3; V8 flags: ${V8_FLAGS.length === 0 ? 'none' : V8_FLAGS.join(' ')}; \`node --import tsx bench/sol-packet.ts --seconds ${SECONDS}\`; ${cpus().length} CPUs, load average at the end ${loadavg().map((x) => x.toFixed(2)).join(' ')}, Node ${process.version}.`
console.log(`${table}\n\n${note}`)
if (values.write === true) appendFileSync(new URL('./RESULTS-sol.md', import.meta.url), `\n## CPU per SOL packet (issue 18): bench/sol-packet.ts\n\n${table}\n\n${note}\n`)

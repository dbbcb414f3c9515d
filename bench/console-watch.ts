/**
 * What the console watch (workers/console-watch.ts) costs a worker: CPU per
 * MiB of console output matched against the default patterns (and with N
 * extra patterns), in chunks as SOL delivers them, with one panic line per
 * MiB. Compare with the screen emulator's parse cost per MiB
 * (bench/screen-emulators.ts), which every console byte also pays.
 *   node --import tsx bench/console-watch.ts [--mib 64] [--extra 0,27]
 */
import { parseArgs } from 'node:util'
import { resolveWatch, type WatchPattern } from '../src/bridge/watch.js'
import { ConsoleWatch } from '../workers/console-watch.js'

const { values } = parseArgs({ options: { mib: { type: 'string', default: '64' }, extra: { type: 'string', default: '0,27' } } })
const MIB = Number(values.mib)
const CHUNK = 200 // bytes per SOL packet, about what a BMC sends

function output(): Buffer {
  let s = ''
  for (let n = 0; s.length < 1024 * 1024 - 200; n++) s += `[ ${String(n).padStart(6)}.${String(n * 7919 % 1e6).padStart(6, '0')}] \x1b[32m OK \x1b[0m Started unit number ${n} of the simulated boot\r\n`
  s += '[ 999999.000000] Kernel panic - not syncing: VFS: Unable to mount root fs\r\n'
  return Buffer.from(s, 'latin1')
}

function run(extra: number): void {
  const patterns: WatchPattern[] = resolveWatch([{ add: Array.from({ length: extra }, (_, i) => ({ name: `extra_${i}`, regex: `never-printed-${i} \\d+ [a-z]+`, severity: 'info' as const })) }])
  let hits = 0
  const w = new ConsoleWatch('bench', (m) => (hits += m.count))
  w.set(patterns)
  const mib = output()
  const chunks: Uint8Array[] = []
  for (let o = 0; o < mib.length; o += CHUNK) chunks.push(new Uint8Array(mib.subarray(o, o + CHUNK)))
  for (const c of chunks) w.data(c) // warm up
  w.flush()
  hits = 0
  const t0 = process.cpuUsage()
  const w0 = performance.now()
  for (let i = 0; i < MIB; i++) for (const c of chunks) w.data(c)
  w.flush()
  const cpu = process.cpuUsage(t0)
  const ms = (cpu.user + cpu.system) / 1000
  console.log(`${patterns.length} patterns: ${(ms / MIB).toFixed(2)} ms CPU per MiB (${(MIB / ((performance.now() - w0) / 1000)).toFixed(0)} MiB/s), ${hits} matching lines in ${MIB} MiB`)
}

for (const e of values.extra.split(',').map(Number)) run(e)

/**
 * What the screen emulators (workers/screen.ts) cost: N consoles in one
 * thread, each fed a boot log and a full-screen menu, then one snapshot each.
 * Prints memory per console (heap and RSS growth), parse CPU per MiB of console
 * output, snapshot size and time. Run with --expose-gc for steady numbers:
 *   node --expose-gc --import tsx bench/screen-emulators.ts [--scrollback LINES] 100 1000
 */
import { parseArgs } from 'node:util'
import { ScreenEmulator, SCREEN_SCROLLBACK } from '../workers/screen.js'
import { renderSetupMenu } from '../src/sim/console-host.js'

const BOOT_BYTES = 32 * 1024
const bootLog = (i: number) => {
  let s = ''
  for (let n = 0; s.length < BOOT_BYTES; n++) s += `[ ${String(n).padStart(6)}.${String(n * 7919 % 1e6).padStart(6, '0')}] n${i}: \x1b[32m OK \x1b[0m Started unit number ${n} of the simulated boot\r\n`
  return Buffer.from(s, 'latin1')
}
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {})
const mib = (b: number) => (b / 1024 / 1024).toFixed(2)

async function run(n: number): Promise<void> {
  gc()
  const heap0 = process.memoryUsage().heapUsed
  const rss0 = process.memoryUsage().rss
  const emus = Array.from({ length: n }, () => new ScreenEmulator(() => {}, { scrollback }))
  const cpu0 = process.cpuUsage()
  let fed = 0
  await Promise.all(emus.map((e, i) => {
    const bytes = Buffer.concat([bootLog(i), Buffer.from(renderSetupMenu(`n${i}`), 'latin1')])
    fed += bytes.length
    e.data(bytes)
    return new Promise<string>((r) => e.snapshot(r))
  }))
  const cpu = process.cpuUsage(cpu0)
  gc()
  const heap = process.memoryUsage().heapUsed - heap0
  const rss = process.memoryUsage().rss - rss0
  const sizes: number[] = []
  const t0 = process.hrtime.bigint()
  await Promise.all(emus.map((e) => new Promise<void>((r) => e.snapshot((s) => (sizes.push(Buffer.byteLength(s)), r())))))
  const snapMs = Number(process.hrtime.bigint() - t0) / 1e6
  const cpuMsPerMiB = (cpu.user + cpu.system) / 1000 / (fed / 1024 / 1024)
  console.log(`${n} consoles, scrollback ${scrollback}: heap ${mib(heap / n)} MiB/console, rss ${mib(rss / n)} MiB/console; parse ${cpuMsPerMiB.toFixed(0)} ms CPU per MiB fed (${mib(fed)} MiB); snapshot ${Math.round(sizes.reduce((a, b) => a + b, 0) / n)} bytes, ${(snapMs / n).toFixed(2)} ms each`)
  for (const e of emus) e.dispose()
}

const { values, positionals } = parseArgs({ options: { scrollback: { type: 'string', default: String(SCREEN_SCROLLBACK) } }, allowPositionals: true })
const scrollback = Number(values.scrollback)
const counts = positionals.map(Number)
for (const n of counts.length > 0 ? counts : [100, 1000]) await run(n)

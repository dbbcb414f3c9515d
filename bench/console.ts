// Benchmark: console fan-out (ConsoleSession + the WebSocket endpoint) on an
// ipmi_sim node, for 1, 10 and 100 read-only clients in a separate process
// (bench/console-clients.ts):
//  - latency: the host writes a marker line every --interval ms; timed at
//    the host write, at the main thread's console:data (the BMC's byte has
//    come through ipmi_sim and the worker), and at each client's frame;
//  - throughput through ipmi_sim: --mib MiB from the host, paced by an 8 KiB
//    window (ipmi_sim drops what overflows its buffer), until every client
//    has all of it;
//  - fan-out capacity: the same amount fed straight into the session in
//    255-byte chunks (a SOL packet's worth), until every client has it: what
//    one console can carry when the BMC is not the bottleneck.
// Run: node --import tsx bench/console.ts [--clients 1,10,100] [--samples 200] [--interval 20] [--mib 1] [--write]
// (--write replaces bench/RESULTS-console.md). Needs openipmi.
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import { deliveredFrom, hostWritePaced, pattern, startConsoleLab, type ConsoleLab } from '../test/integration/console/lab.js'

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '1,10,100' }, samples: { type: 'string', default: '200' }, interval: { type: 'string', default: '20' },
    mib: { type: 'string', default: '1' }, write: { type: 'boolean', default: false },
  },
})
const COUNTS = values.clients.split(',').map(Number)
const SAMPLES = Number(values.samples)
const INTERVAL = Number(values.interval)
const BYTES = Math.round(Number(values.mib) * 1024 * 1024)
const NODE = 'bench1'
const CLIENTS = new URL('./console-clients.ts', import.meta.url).pathname
const now = () => performance.timeOrigin + performance.now()
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(s.length * p))]!
}
const ms = (x: number) => `${x.toFixed(2)} ms`

interface Clients {
  next(type: string): Promise<Record<string, unknown>>
  send(line: string): void
}

async function startClients(lab: ConsoleLab, n: number, bytes: number): Promise<Clients> {
  const url = lab.wsUrl(NODE, 'replay=0&mode=ro')
  const child = spawn(process.execPath, ['--import', 'tsx', CLIENTS, url, lab.tokens.viewer, String(n), String(bytes)], { stdio: ['pipe', 'pipe', 'inherit'] })
  const waiting = new Map<string, (m: Record<string, unknown>) => void>()
  createInterface({ input: child.stdout }).on('line', (l) => {
    const m = JSON.parse(l) as Record<string, unknown>
    waiting.get(m.type as string)?.(m)
  })
  const c: Clients = {
    next: (type) => new Promise((resolve) => waiting.set(type, resolve)),
    send: (line) => child.stdin.write(`${line}\n`),
  }
  return c
}

async function latency(lab: ConsoleLab, n: number): Promise<{ bmc: number[]; fanout: number[]; e2e: number[] }> {
  const sim = lab.sims.get(NODE)!
  const clients = await startClients(lab, n, 0)
  await clients.next('ready')
  const hostAt: number[] = []
  const mainAt: number[] = []
  let tail = ''
  const onData = (node: string, d: Uint8Array) => {
    if (node !== NODE) return
    const t = now()
    const lines = (tail + Buffer.from(d).toString('latin1')).split('\n')
    tail = lines.pop() ?? ''
    for (const l of lines) {
      const m = /M(\d+)$/.exec(l)
      if (m !== null) mainAt[Number(m[1])] ??= t
    }
  }
  lab.sup.on('console:data', onData)
  for (let i = 0; i < SAMPLES; i++) {
    hostAt[i] = now()
    await sim.solBackend.write(`M${i}\n`)
    await sleep(INTERVAL)
  }
  await sleep(500)
  lab.sup.off('console:data', onData)
  const reported = clients.next('report')
  clients.send('report')
  const seen = (await reported).seen as Record<string, number[]>
  clients.send('exit')
  const bmc: number[] = []
  const fanout: number[] = []
  const e2e: number[] = []
  for (let i = 0; i < SAMPLES; i++) {
    if (mainAt[i] === undefined) continue
    bmc.push(mainAt[i]! - hostAt[i]!)
    for (const t of seen[String(i)] ?? []) {
      fanout.push(t - mainAt[i]!)
      e2e.push(t - hostAt[i]!)
    }
  }
  if (fanout.length < SAMPLES * n * 0.99) throw new Error(`only ${fanout.length} of ${SAMPLES * n} marker frames arrived`)
  return { bmc, fanout, e2e }
}

async function throughput(lab: ConsoleLab, n: number, synthetic: boolean): Promise<{ mbps: number; cpuMsPerMiB: number }> {
  const clients = await startClients(lab, n, BYTES)
  await clients.next('ready')
  const done = clients.next('done')
  const data = pattern(BYTES, n)
  const cpu0 = process.cpuUsage()
  const t0 = now()
  if (synthetic) {
    const session = lab.consoles.get(NODE)
    for (let off = 0; off < data.length; off += 255) {
      session.handleData(data.subarray(off, off + 255))
      if (off % (64 * 1024) < 255) await new Promise((r) => setImmediate(r))
    }
  } else {
    const { delivered, wake } = deliveredFrom(lab, NODE)
    await hostWritePaced(lab.sims.get(NODE)!, data, delivered, wake)
  }
  const doneAt = (await done).doneAt as number[]
  const cpu = process.cpuUsage(cpu0)
  clients.send('exit')
  const secs = (Math.max(...doneAt) - t0) / 1000
  return { mbps: BYTES / 1e6 / secs, cpuMsPerMiB: (cpu.user + cpu.system) / 1000 / (BYTES / 1048576) }
}

const lab = await startConsoleLab([{ name: NODE }], { maxClientBufferBytes: 64 * 1024 * 1024 })
try {
  const s = lab.consoles.get(NODE)
  while (s.state !== 'connected') await new Promise((r) => s.once('state', r))
  const rows: string[] = []
  const tput: string[] = []
  for (const n of COUNTS) {
    const l = await latency(lab, n)
    rows.push(`| ${n} | ${ms(pct(l.fanout, 0.5))} | ${ms(pct(l.fanout, 0.99))} | ${ms(pct(l.e2e, 0.5))} | ${ms(pct(l.e2e, 0.99))} | ${ms(pct(l.bmc, 0.5))} | ${ms(pct(l.bmc, 0.99))} |`)
    const sim = await throughput(lab, n, false)
    const syn = await throughput(lab, n, true)
    tput.push(`| ${n} | ${sim.mbps.toFixed(2)} MB/s | ${sim.cpuMsPerMiB.toFixed(0)} ms | ${syn.mbps.toFixed(1)} MB/s | ${(syn.mbps * n).toFixed(1)} MB/s | ${syn.cpuMsPerMiB.toFixed(0)} ms |`)
    process.stderr.write(`${rows.at(-1)}\n${tput.at(-1)}\n`)
  }
  const cmd = `node --import tsx bench/console.ts --clients ${values.clients} --samples ${SAMPLES} --interval ${INTERVAL} --mib ${values.mib}${values.write ? ' --write' : ''}`
  const out = `# Console fan-out benchmark

Reproduce: \`${cmd}\` (starts its own ipmi_sim from test/lab; the server side
(Supervisor, BMC worker, ConsoleManager, fastify + @fastify/websocket) runs in the bench process, the
read-only WebSocket clients in a second process). ${cpus().length} CPUs, load average at the end
${loadavg().map((x) => x.toFixed(1)).join(' ')}, Node ${process.version}.

## Latency: ${SAMPLES} marker lines, one every ${INTERVAL} ms

| clients | added by bmcvisor's fan-out p50 | p99 | host write -> client frame p50 | p99 | host write -> main thread (ipmi_sim + worker) p50 | p99 |
|---|---|---|---|---|---|---|
${rows.join('\n')}

"Added by the fan-out" runs from the moment the BMC's bytes reach the main thread (the supervisor's
\`console:data\`, after ipmi_sim and the worker's SOL engine) to each client's WebSocket frame, over every
(marker, client) pair; the percentiles at 100 clients include the wait behind the 99 sends before it.
"Host write -> main thread" is the simulated BMC plus our worker and the thread hop: it does not depend
on the number of clients. Timestamps are wall clock with sub-millisecond resolution in both processes.

## Throughput per console (${values.mib} MiB)

| clients | through ipmi_sim (to every client) | bench-process CPU per MiB | fan-out capacity per client | aggregate to all clients | CPU per MiB fed |
|---|---|---|---|---|---|
${tput.join('\n')}

- Through ipmi_sim the rate is bounded by the simulator (one SOL packet of at most 255 bytes in flight,
  see RESULTS-sol.md), not by the number of clients; the CPU column there includes the BMC worker's
  decryption and the host-side writer.
- Fan-out capacity feeds the session directly in 255-byte chunks (a SOL packet's worth) and measures until
  the last client has everything: what one console's fan-out carries when the BMC is not the limit.
  What arrives in one event-loop turn goes out as one frame per client (one copy per turn, shared by all
  clients): here a 64 KiB burst per turn, so large frames. Through a real BMC, SOL packets arrive about
  one per turn and each becomes one small frame per client: the ipmi_sim rows show that case.
- The bench-process CPU through ipmi_sim includes the worker's SOL engine (AES and HMAC per packet), the
  host-side writer and the console log; RESULTS-sol.md has the SOL engine alone at about 0.7 s per MiB.
`
  process.stdout.write(out)
  if (values.write) writeFileSync(new URL('./RESULTS-console.md', import.meta.url), out)
} finally {
  await lab.stop()
}

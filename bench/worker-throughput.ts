// Benchmark: what one BMC worker carries, without the thread around it: the
// worker's agent (workers/bmc-agent.ts, the code a worker thread runs) against
// one simulated BMC of our own (src/sim) on loopback, in this process.
//  - commands/s: --commands power.status calls, --concurrency at a time, on a
//    warm session, each answered through the agent's dispatch and result path;
//  - console bytes/s: the simulated host prints as fast as its SOL link takes
//    it (--rate bytes/s asked), counted as the agent posts it on the console port,
//    over --seconds.
// Run: node --import tsx bench/worker-throughput.ts [--commands 2000] [--concurrency 4] [--seconds 5] [--rate 200000]
import { MessageChannel } from 'node:worker_threads'
import { parseArgs } from 'node:util'
import { cpus, loadavg } from 'node:os'
import type { BmcConfig, FromWorker } from '../src/bridge/messages.js'
import { startSimFleet } from '../src/sim/fleet.js'
import { BmcAgent } from '../workers/bmc-agent.js'

const { values } = parseArgs({
  options: {
    commands: { type: 'string', default: '2000' }, concurrency: { type: 'string', default: '4' },
    seconds: { type: 'string', default: '5' }, rate: { type: 'string', default: '200000' },
  },
})
const COMMANDS = Number(values.commands)
const CONCURRENCY = Number(values.concurrency)
const SECONDS = Number(values.seconds)
const BMC = 'bench1'

const fleet = await startSimFleet({ count: 1, consoleRate: Number(values.rate), powerOn: true })
const sim = fleet.bmcs[0]!
const waiters = new Map<number, () => void>()
const states: ((m: FromWorker) => void)[] = []
const agent = new BmcAgent(BMC, (m) => {
  if (m.type === 'result') waiters.get(m.id)?.()
  for (const s of states) s(m)
})
const { port1, port2 } = new MessageChannel()
let consoleBytes = 0
port1.on('message', (m: unknown) => {
  if (m instanceof Uint8Array) consoleBytes += m.length
})
const config: BmcConfig = {
  host: sim.host, port: sim.port, credentials: { username: sim.username, password: sim.password }, cipherSuite: 17, console: true,
  reconnect: { initialMs: 100, maxMs: 1000 },
}
const until = (pred: (m: FromWorker) => boolean) => new Promise<void>((resolve) => {
  const s = (m: FromWorker) => {
    if (!pred(m)) return
    states.splice(states.indexOf(s), 1)
    resolve()
  }
  states.push(s)
})
const connected = until((m) => m.type === 'console' && m.state === 'connected')
agent.handle({ type: 'configure', bmc: BMC, generation: 1, config, consolePort: port2 })
await connected

// Console: bytes posted by the agent over SECONDS of a host printing flat out.
const c0 = consoleBytes
const t0 = performance.now()
await new Promise((r) => setTimeout(r, SECONDS * 1000))
const consoleRate = (consoleBytes - c0) / ((performance.now() - t0) / 1000)

// Commands: COMMANDS power.status calls, CONCURRENCY in flight.
let nextId = 1
const call = () => new Promise<void>((resolve) => {
  const id = nextId++
  waiters.set(id, () => {
    waiters.delete(id)
    resolve()
  })
  agent.handle({ type: 'command', bmc: BMC, id, op: 'power.status', args: {}, timeoutMs: 10_000 })
})
let issued = 0
const lane = async () => {
  while (issued < COMMANDS) {
    issued++
    await call()
  }
}
const t1 = performance.now()
await Promise.all(Array.from({ length: CONCURRENCY }, lane))
const commandRate = COMMANDS / ((performance.now() - t1) / 1000)

await agent.stop(2000)
port1.close()
await fleet.close()
console.log(JSON.stringify({
  commandsPerSecond: Math.round(commandRate), consoleBytesPerSecond: Math.round(consoleRate),
  commands: COMMANDS, concurrency: CONCURRENCY, seconds: SECONDS, cpus: cpus().length, load1: loadavg()[0]!.toFixed(2),
}))

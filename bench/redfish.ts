// Redfish power status: bmcvisor's client on a warm session, against redfishtool as a process,
// both against DMTF's mockup served by test/lab/redfish-mockup.ts (loopback HTTPS); then the same
// three paths to one simulated BMC (src/sim, in process): its Redfish side with our client and with
// redfishtool, and its IPMI side with our IPMI client (the same BMC, the same state); then the
// memory one logged-in Redfish client costs. Results: bench/RESULTS-redfish.md.
// Reproduce: node --import tsx bench/redfish.ts [--n 500] [--procs 20] [--clients 50]
import { execFile } from 'node:child_process'
import { parseArgs } from 'node:util'
import { promisify } from 'node:util'
import { powerStatus as ipmiPowerStatus } from '../src/bmc/chassis.js'
import { RedfishClient } from '../src/redfish/client.js'
import { RedfishService } from '../src/redfish/service.js'
import * as rf from '../src/redfish/ops.js'
import { IpmiClient } from '../src/session/client.js'
import { startSimFleet } from '../src/sim/fleet.js'
import { LOOPBACK } from '../test/lab/net.js'
import { RedfishMockup } from '../test/lab/redfish-mockup.js'

const run = promisify(execFile)
const { values } = parseArgs({ options: { n: { type: 'string' }, procs: { type: 'string' }, clients: { type: 'string' } } })
const N = Number(values.n ?? 500)
const PROCS = Number(values.procs ?? 20)
const CLIENTS = Number(values.clients ?? 50)

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!
}
async function time(n: number, f: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < n; i++) {
    const t0 = performance.now()
    await f()
    out.push(performance.now() - t0)
  }
  return out
}
const row = (name: string, xs: number[]) => `| ${name} | ${pct(xs, 50).toFixed(3)} | ${pct(xs, 99).toFixed(3)} | ${(1000 / pct(xs, 50)).toFixed(1)} |`

const bmc = await new RedfishMockup().start()
const client = new RedfishClient({ host: LOOPBACK, port: bmc.port, username: bmc.username, password: bmc.password, tls: { mode: 'pin', fingerprint: bmc.certificate.fingerprint } })
const svc = new RedfishService(client)
await rf.powerStatus(svc) // login, walk to the system
const warm = await time(N, () => rf.powerStatus(svc))

const tool = await time(PROCS, () => run('redfishtool', ['-r', `${LOOPBACK}:${bmc.port}`, '-u', bmc.username, '-p', bmc.password, '-S', 'Always', 'Systems', 'get', '-P', 'PowerState']))
const check = await run('redfishtool', ['-r', `${LOOPBACK}:${bmc.port}`, '-u', bmc.username, '-p', bmc.password, '-S', 'Always', 'Systems', 'get', '-P', 'PowerState'])
await client.close()

// One simulated BMC, both of its sides: Redfish (our client, redfishtool) and IPMI (our client).
const fleet = await startSimFleet({ count: 1, consoleRate: 0, redfish: {} })
const b = fleet.bmcs[0]!
const simPort = b.redfish!.port
const simClient = new RedfishClient({ host: LOOPBACK, port: simPort, username: b.username, password: b.password, tls: { mode: 'pin', fingerprint: fleet.redfishFingerprint! } })
const simSvc = new RedfishService(simClient)
await rf.powerStatus(simSvc)
const simWarm = await time(N, () => rf.powerStatus(simSvc))
await simClient.close()
const simToolArgs = ['-r', `${LOOPBACK}:${simPort}`, '-u', b.username, '-p', b.password, '-S', 'Always', 'Systems', 'get', '-P', 'PowerState']
const simTool = await time(PROCS, () => run('redfishtool', simToolArgs))
const simCheck = await run('redfishtool', simToolArgs)
const ipmi = new IpmiClient({ host: b.host, port: b.port }, { username: b.username, password: b.password, cipherSuite: 3 })
await ipmi.connect()
const ipmiSays = await ipmiPowerStatus(ipmi)
const ipmiWarm = await time(N, () => ipmiPowerStatus(ipmi))
await ipmi.close()
const simSessions = fleet.members[0]!.redfish!.sim.service.openSessions
await fleet.close()

// Memory: CLIENTS logged-in clients, each with its session and a kept-alive socket.
globalThis.gc?.()
const before = process.memoryUsage()
const clients: RedfishClient[] = []
for (let i = 0; i < CLIENTS; i++) {
  const c = new RedfishClient({ host: LOOPBACK, port: bmc.port, username: bmc.username, password: bmc.password, tls: { mode: 'pin', fingerprint: bmc.certificate.fingerprint } })
  await rf.powerStatus(new RedfishService(c))
  clients.push(c)
}
globalThis.gc?.()
const afterMem = process.memoryUsage()
const open = bmc.openSessions
for (const c of clients) await c.close()
await bmc.stop()

console.log(`Node ${process.version}; n=${N} warm, ${PROCS} redfishtool processes, ${CLIENTS} clients for memory`)
console.log('| measurement | p50 ms | p99 ms | per second (p50) |')
console.log('|---|---|---|---|')
console.log(row('bmcvisor Redfish, warm session: power status (GET of the system)', warm))
console.log(row('redfishtool process (session login, GET, logout): Systems get -P PowerState', tool))
console.log(row('simulated BMC, Redfish side: bmcvisor Redfish, warm session: power status', simWarm))
console.log(row('simulated BMC, Redfish side: redfishtool process: Systems get -P PowerState', simTool))
console.log(row('simulated BMC, IPMI side (the same BMC): bmcvisor IPMI, warm session: power status', ipmiWarm))
console.log(`redfishtool said (mockup): ${check.stdout.trim().replace(/\s+/g, ' ')}`)
console.log(`redfishtool said (simulated BMC): ${simCheck.stdout.trim().replace(/\s+/g, ' ')}; our IPMI client said: ${ipmiSays.state}`)
console.log(`ratio redfishtool process / bmcvisor warm (p50): mockup ${(pct(tool, 50) / pct(warm, 50)).toFixed(1)}x, simulated BMC ${(pct(simTool, 50) / pct(simWarm, 50)).toFixed(1)}x`)
console.log(`simulated BMC, Redfish warm / IPMI warm (p50): ${(pct(simWarm, 50) / pct(ipmiWarm, 50)).toFixed(2)}x; Redfish sessions left open on it: ${simSessions}`)
console.log(`memory per logged-in Redfish client (${CLIENTS}, ${open} sessions open on the mockup; mockup in the same process): rss ${((afterMem.rss - before.rss) / CLIENTS / 1024).toFixed(1)} KiB, heap ${((afterMem.heapUsed - before.heapUsed) / CLIENTS / 1024).toFixed(1)} KiB`)

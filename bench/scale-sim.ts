// The simulated fleet for bench/scale.ts, in a process of its own so the
// service's RSS and CPU are measured without it. Driven over the IPC channel
// of child_process.fork: start, set the console rate, report stats, stop.
// Imports the compiled simulator from dist/ (run `npm run build` first).
import { fileURLToPath } from 'node:url'
import type * as FleetModule from '../src/sim/fleet.js'

const { startSimFleet } = (await import(fileURLToPath(new URL('../dist/src/sim/fleet.js', import.meta.url)))) as typeof FleetModule

export type ToSim =
  | { type: 'start'; count: number; basePort: number; rate: number; accumulateMs: number; sendThreshold: number; maxSendData: number; tickMs: number }
  | { type: 'rate'; rate: number }
  | { type: 'fault'; index: number; fault: FleetModule.SimFault }
  | { type: 'stats' }
  | { type: 'stop' }

export type FromSim =
  | { type: 'ready'; bmcs: { host: string; port: number; username: string; password: string }[] }
  | { type: 'ok' }
  | { type: 'stats'; cpuMs: number; wallMs: number; rssBytes: number; bytesAccepted: number; activeConsoles: number; retransmits: number; givenUp: number; sessions: number; received: number; sent: number }
  | { type: 'error'; message: string }

let fleet: FleetModule.SimFleetHandle | undefined
let lastCpu = process.cpuUsage()
let lastWall = performance.now()
const send = (m: FromSim) => process.send?.(m)

process.on('message', (m: ToSim) => {
  void (async () => {
    try {
      switch (m.type) {
        case 'start':
          fleet = await startSimFleet({
            count: m.count, basePort: m.basePort, consoleRate: m.rate, powerOn: true, tickMs: m.tickMs, maxSessions: 8,
            sol: { accumulateMs: m.accumulateMs, sendThreshold: m.sendThreshold, maxSendData: m.maxSendData },
          })
          send({ type: 'ready', bmcs: fleet.bmcs.map((b) => ({ host: b.host, port: b.port, username: b.username, password: b.password })) })
          return
        case 'rate':
          for (const x of fleet?.members ?? []) x.sol.host.rateBytesPerSecond = m.rate
          send({ type: 'ok' })
          return
        case 'fault':
          await fleet?.setFault(m.index, m.fault)
          send({ type: 'ok' })
          return
        case 'stats': {
          const cpu = process.cpuUsage(lastCpu)
          const now = performance.now()
          const members = fleet?.members ?? []
          let retransmits = 0
          let givenUp = 0
          let sessions = 0
          let received = 0
          let sent = 0
          for (const x of members) {
            received += x.bmc.stats.received
            sent += x.bmc.stats.sent
            const s = x.sol.linkStats()
            retransmits += s.retransmits
            givenUp += s.packetsGivenUp
            sessions += x.bmc.activeSessions().length
          }
          send({
            type: 'stats', cpuMs: (cpu.user + cpu.system) / 1000, wallMs: now - lastWall, rssBytes: process.memoryUsage().rss,
            bytesAccepted: fleet?.consoleBytesDelivered() ?? 0, activeConsoles: fleet?.activeConsoles() ?? 0, retransmits, givenUp, sessions, received, sent,
          })
          lastCpu = process.cpuUsage()
          lastWall = now
          return
        }
        case 'stop':
          await fleet?.close()
          send({ type: 'ok' })
          process.exit(0)
      }
    } catch (e) {
      send({ type: 'error', message: e instanceof Error ? e.message : String(e) })
    }
  })()
})
process.on('disconnect', () => process.exit(0))

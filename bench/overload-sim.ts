// The simulated fleet of bench/overload.ts, in a process of its own so its CPU
// is not the service's. Hosts print the soak's numbered, checksummed lines
// (bench/soak-log.ts) so a console log can be checked for order and
// duplicates. Driven over the IPC channel of child_process.fork: start (with
// the hosts quiet), set the print rate, report per-BMC SOL counters.
import { startSimFleet, type SimFleetHandle } from '../src/sim/fleet.js'
import type { SolLinkTiming } from '../src/sim/sol-link.js'
import { serveParent } from './ipc-child.js'
import { soakBootLog } from './soak-log.js'

export type ToOverloadSim =
  | { type: 'start'; count: number; lines: number; sol: Partial<Pick<SolLinkTiming, 'maxSendData' | 'sendThreshold' | 'accumulateMs'>> }
  | { type: 'rate'; rate: number }
  | { type: 'stats' }

/** What one simulated BMC's SOL did: bytes the console ACKed as taken, host bytes dropped for want of buffer, packets given up. */
export interface OverloadSimBmc {
  host: string
  port: number
  bytesAccepted: number
  overrunBytes: number
  packetsGivenUp: number
  retransmits: number
  sessions: number
}

export type FromOverloadSim =
  | { type: 'ready'; bmcs: { name: string; host: string; port: number; username: string; password: string }[] }
  | { type: 'ok' }
  | { type: 'stats'; bmcs: OverloadSimBmc[]; cpuMs: number }
  | { type: 'error'; message: string }

let fleet: SimFleetHandle | undefined
const send = (m: FromOverloadSim) => process.send?.(m)

serveParent<ToOverloadSim>(async (m) => {
  switch (m.type) {
    case 'start':
      fleet = await startSimFleet({
        count: m.count, consoleRate: 0, powerOn: true, maxSessions: 8, sol: m.sol,
        bootLog: (i) => soakBootLog(`sim-${i}`, 1, m.lines),
      })
      send({ type: 'ready', bmcs: fleet.bmcs.map((b) => ({ name: b.name, host: b.host, port: b.port, username: b.username, password: b.password })) })
      return
    case 'rate':
      for (const x of fleet?.members ?? []) x.sol.host.rateBytesPerSecond = m.rate
      send({ type: 'ok' })
      return
    case 'stats': {
      const f = fleet
      const bmcs = (f?.members ?? []).map((x, i) => {
        const s = x.sol.linkStats()
        return {
          host: f!.bmcs[i]!.name, port: f!.bmcs[i]!.port, bytesAccepted: s.bytesAccepted, overrunBytes: s.overrunBytes,
          packetsGivenUp: s.packetsGivenUp, retransmits: s.retransmits, sessions: x.bmc.activeSessions().length,
        }
      })
      const c = process.cpuUsage()
      send({ type: 'stats', bmcs, cpuMs: (c.user + c.system) / 1000 })
      return
    }
    default: {
      const never: never = m
      throw new Error(`unknown message ${JSON.stringify(never)}`)
    }
  }
})

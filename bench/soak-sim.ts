// One group of the soak's simulated BMCs, in a process of its own so the soak
// can kill it (SIGKILL, then start it again: the BMCs restart) or hang it
// (SIGSTOP/SIGCONT). Each BMC sits behind a FaultProxy (test/lab) on a fixed
// port, the address the service knows, so a restarted group is found again
// and the soak can add packet loss or point the address at another BMC of the
// group for a while (an address flip). Hosts print soak-log.ts lines.
// Driven over the IPC channel of child_process.fork.
import { startSimFleet, type SimFleetHandle } from '../src/sim/fleet.js'
import { FaultProxy } from '../test/lab/fault-proxy.js'
import { serveParent } from './ipc-child.js'
import { soakBootLog } from './soak-log.js'

export interface SoakSimStart {
  type: 'start'
  /** Index of the group's first BMC in the whole soak; host names are sim-INDEX. */
  first: number
  count: number
  /** The proxies listen on frontPort + i (i within the group). */
  frontPort: number
  /** Restarts of this group so far: printed in every line. */
  gen: number
  rate: number
  seed: number
  lines: number
}

export type ToSoakSim =
  | SoakSimStart
  | { type: 'loss'; i: number; ratio: number }
  | { type: 'flip'; i: number; to: number | null }
  | { type: 'stats' }

export type FromSoakSim =
  | { type: 'ready' }
  | { type: 'stats'; bytesAccepted: number[] }
  | { type: 'error'; message: string }

let fleet: SimFleetHandle | undefined
const proxies: FaultProxy[] = []
const send = (m: FromSoakSim) => process.send?.(m)

async function start(m: SoakSimStart): Promise<void> {
  fleet = await startSimFleet({
    count: m.count, consoleRate: m.rate, powerOn: true, maxSessions: 8,
    hostname: (i) => `sim-${m.first + i}`,
    bootLog: (i) => soakBootLog(`sim-${m.first + i}`, m.gen, m.lines),
  })
  for (const [i, b] of fleet.bmcs.entries()) {
    proxies.push(await FaultProxy.start({ target: { port: b.port }, port: m.frontPort + i, seed: m.seed + i }))
  }
}

serveParent<ToSoakSim>(async (m) => {
  switch (m.type) {
    case 'start':
      await start(m)
      send({ type: 'ready' })
      return
    case 'loss':
      proxies[m.i]?.configure({ lossRate: m.ratio })
      return
    case 'flip': {
      const to = fleet?.bmcs[m.to ?? m.i]
      if (to !== undefined) proxies[m.i]?.setTarget({ port: to.port })
      return
    }
    case 'stats':
      send({ type: 'stats', bytesAccepted: (fleet?.members ?? []).map((x) => x.sol.linkStats().bytesAccepted) })
      return
    default: {
      const never: never = m
      throw new Error(`unknown message ${JSON.stringify(never)}`)
    }
  }
})

/**
 * The BMCs of the cluster failover tests and their checker, set up once for
 * both files: our simulator's fleet (in this process, consoles printing) and
 * a few ipmi_sim BMCs, registered as nodes through one instance of the
 * cluster lab (test/lab/cluster.ts) a batch at a time, each batch settled
 * (owned once, consoles connected on the owner) before the next: every
 * worker of a batch starts at once on a loaded two-core machine, and a
 * worker that takes longer than the supervisor's start timeout to load is
 * counted as a crash. Owns the fleet, the ipmi_sims and the checker (close()).
 */
import assert from 'node:assert/strict'
import { startSimFleet, type SimFleetHandle } from '../../src/sim/fleet.js'
import { NeverTwoChecker, type CheckedBmc } from './cluster-checker.js'
import { waitSettled, type ClusterLab } from './cluster.js'
import { ipmiSimAvailable, startIpmiSim, type IpmiSim } from './sim.js'
import { inCi } from './tools.js'

/** Console bytes per second per simulated host: SOL stays busy, at little CPU. */
const CONSOLE_RATE = 64
/** Nodes registered before waiting for them to settle. */
const ADD_BATCH = 11

export interface FailoverFleet {
  fleet: SimFleetHandle
  ipmiSims: IpmiSim[]
  checker: NeverTwoChecker
  /** Every node name: sim00.., then ipmisim0.. */
  nodes: string[]
  close(): Promise<void>
}

/** For describe's skip: false when ipmi_sim can run, else why not (a failure under CI). */
export function ipmiSimSkip(): string | false {
  if (ipmiSimAvailable()) return false
  if (inCi()) throw new Error('ipmi_sim lab unavailable; CI is set, so this is a failure, not a skip')
  return 'ipmi_sim lab unavailable: apt-get install openipmi ipmitool'
}

/** Starts the BMCs on `host` (default loopback), registers them through member `via` and starts the checker. */
export async function startFailoverFleet(lab: ClusterLab, o: { sims: number; ipmiSims: number; host?: string; via: string }): Promise<FailoverFleet> {
  const fleet = await startSimFleet({ count: o.sims, consoleRate: CONSOLE_RATE, ...(o.host !== undefined ? { host: o.host } : {}) })
  const ipmiSims: IpmiSim[] = []
  const close = async () => {
    await checker?.stop()
    await fleet.close()
    for (const s of ipmiSims) await s.stop()
  }
  let checker: NeverTwoChecker | undefined
  try {
    for (let i = 0; i < o.ipmiSims; i++) ipmiSims.push(await startIpmiSim({ powerOn: true, ...(o.host !== undefined ? { host: o.host } : {}) }))
    const bodies: { name: string; bmc: Record<string, unknown>; checked: CheckedBmc }[] = [
      ...fleet.bmcs.map((b, i) => {
        const name = `sim${String(i).padStart(2, '0')}`
        return { name, bmc: { host: b.host, port: b.port, username: b.username, password: b.password }, checked: { node: name, kind: 'sim', bmc: fleet.members[i]!.bmc } as CheckedBmc }
      }),
      ...ipmiSims.map((s, i) => {
        const name = `ipmisim${i}`
        return { name, bmc: { host: s.host, port: s.port, username: 'admin', password: 'password', cipherSuite: 3 }, checked: { node: name, kind: 'ipmi_sim', sim: s } as CheckedBmc }
      }),
    ]
    checker = new NeverTwoChecker(bodies.map((b) => b.checked), () => lab.running())
    checker.start()
    const nodes: string[] = []
    for (let k = 0; k < bodies.length; k += ADD_BATCH) {
      for (const b of bodies.slice(k, k + ADD_BATCH)) {
        const r = await lab.api(o.via, 'POST', '/nodes', { name: b.name, bmc: b.bmc })
        assert.equal(r.status, 201, await r.text())
        nodes.push(b.name)
      }
      await waitSettled(lab, nodes, `the first ${nodes.length} nodes settled`)
    }
    const c = checker
    return { fleet, ipmiSims, checker: c, nodes, close }
  } catch (e) {
    await close()
    throw e
  }
}

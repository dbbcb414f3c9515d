// serve --sol-accumulate-ms in a worker (workers/engine/sol-plugin.ts,
// src/bmc/sol-config.ts) against two BMCs:
//  - our simulator, which implements SOL configuration parameter 3: before
//    the console connects the BMC's interval is the one asked for and its
//    send threshold is unchanged, read back by ipmitool `sol info` (an
//    independent decoder of the bytes we wrote), and the console works;
//  - ipmi_sim, which answers 80h (parameter not supported): the console
//    connects all the same and the node learns sol-accumulate-fixed; a worker
//    starting from that profile does not ask again (shown on our simulator,
//    which would take the write).
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { Supervisor } from '../../../src/supervisor/supervisor.js'
import type { LearnedProfile } from '../../../src/session/profile.js'
import { startSimFleet, type SimFleetHandle } from '../../../src/sim/fleet.js'
import { bmcConfig, waitEvent } from '../supervisor/fleet.js'
import { ipmitool, requireIpmiSim, startIpmiSim, type IpmiSim } from '../../lab/sim.js'

const WANT_MS = 200

describe('the SOL accumulate interval the operator asks for', () => {
  let sup: Supervisor
  before(() => {
    sup = new Supervisor({ heartbeatMs: 250, heartbeatTimeoutMs: 5000, startConcurrency: 2 })
  })
  after(() => sup.shutdown(3000))

  it('our simulator: set before the console connects, the threshold kept, ipmitool reads it back', async () => {
    const fleet: SimFleetHandle = await startSimFleet({ count: 1, consoleRate: 0 })
    after(() => fleet.close())
    const b = fleet.bmcs[0]!
    const sol = fleet.members[0]!.sol
    const threshold = sol.sendThreshold
    assert.notEqual(sol.accumulateMs, WANT_MS, 'the simulator starts elsewhere')
    const up = waitEvent(sup, 'console:state', (n, m) => n === 'sim' && (m as { state: string }).state === 'connected')
    sup.add('sim', bmcConfig(b, { credentials: { username: b.username, password: b.password }, solAccumulateMs: WANT_MS }))
    await up
    assert.equal(sol.accumulateMs, WANT_MS)
    assert.equal(sol.sendThreshold, threshold)
    const info = await ipmitool(b, ['sol', 'info', '1'], { user: b.username, password: b.password })
    assert.match(info, new RegExp(`Character Accumulate Level \\(ms\\)\\s*:\\s*${WANT_MS}\\b`))
    assert.match(info, new RegExp(`Character Send Threshold\\s*:\\s*${threshold}\\b`))
    await sup.remove('sim')
  })

  it('ipmi_sim (80h): the console connects, sol-accumulate-fixed is learned, and a worker starting from it does not ask', async (t) => {
    if (!requireIpmiSim(t)) return
    const sim: IpmiSim = await startIpmiSim({ powerOn: true })
    after(() => sim.stop())
    let profile: LearnedProfile | undefined
    sup.on('bmc:profile', (n, p) => {
      if (n === 'lab') profile = p
    })
    const up = waitEvent(sup, 'console:state', (n, m) => n === 'lab' && (m as { state: string }).state === 'connected')
    sup.add('lab', bmcConfig(sim, { solAccumulateMs: WANT_MS }))
    await up
    const entry = profile?.entries.find((e) => e.name === 'sol-accumulate-fixed')
    assert.ok(entry !== undefined, `learned: ${JSON.stringify(profile)}`)
    assert.match(entry.detail, /0x80/)
    await sup.remove('lab')
    // A worker starting from that profile does not ask: on our simulator (which would take it) the interval stays.
    const fleet = await startSimFleet({ count: 1, consoleRate: 0 })
    after(() => fleet.close())
    const b = fleet.bmcs[0]!
    const before = fleet.members[0]!.sol.accumulateMs
    const up2 = waitEvent(sup, 'console:state', (n, m) => n === 'sim2' && (m as { state: string }).state === 'connected')
    sup.add('sim2', bmcConfig(b, { credentials: { username: b.username, password: b.password }, solAccumulateMs: WANT_MS, profile: profile! }))
    await up2
    assert.equal(fleet.members[0]!.sol.accumulateMs, before)
    await sup.remove('sim2')
  })
})

// ipmi_sim (OpenIPMI's lanserv, a BMC we did not write) against our client's
// quirk detection: pinned to suite 3, as a node is by default, it teaches
// nothing (login, power, sensors and SOL, whose outbound size 0x4000 is not
// taken for solpayloadsize); left to negotiate, it teaches exactly what it is:
// silent on Get Channel Cipher Suites (the source of cipher-suites-silent)
// and without suite 17 (a downgrade to 3, reported as cipher-suite).
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { powerStatus } from '../../src/bmc/chassis.js'
import { readSensors } from '../../src/bmc/sensors.js'
import { IpmiClient } from '../../src/session/client.js'
import type { LearnedEntry } from '../../src/session/profile.js'
import { SolConsole } from '../../src/sol/console.js'
import { ipmiSimAvailable, requireIpmiSim, startIpmiSim, type IpmiSim } from '../lab/sim.js'

describe('ipmi_sim: no quirk wrongly detected', () => {
  let sim: IpmiSim | undefined
  before(async () => {
    if (ipmiSimAvailable() || process.env.CI) sim = await startIpmiSim({ powerOn: true })
  })
  after(() => sim?.stop())

  const exercise = async (cipherSuite: number | undefined) => {
    const c = new IpmiClient({ host: sim!.host, port: sim!.port }, { username: 'admin', password: 'password', cipherSuite })
    const learned: LearnedEntry[] = []
    c.on('learned', (e) => learned.push(e))
    const con = SolConsole.forClient(c)
    try {
      assert.equal((await powerStatus(c)).state, 'on')
      assert.ok((await readSensors(c)).sensors.length > 0)
      await con.open({ force: true })
      assert.equal(con.state, 'connected')
    } finally {
      await con.close()
      await c.close()
    }
    return learned
  }

  it('pinned to suite 3 (the node default): login, power, sensors and SOL teach nothing', async (t) => {
    if (!requireIpmiSim(t)) return
    assert.deepEqual(await exercise(3), [])
  })

  it('negotiating: exactly cipher-suites-silent and the downgrade to suite 3', async (t) => {
    if (!requireIpmiSim(t)) return
    const learned = await exercise(undefined)
    assert.deepEqual(learned.map((e) => e.name), ['cipher-suites-silent', 'cipher-suite'])
    assert.equal(learned[1]!.detail, 'suite 3 instead of 17: the BMC refused 17')
  })
})

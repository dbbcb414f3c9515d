// The simulator speaks real IPMI: ipmitool (an independent implementation)
// against startSimFleet over loopback UDP, with cipher suites 3 and 17:
// mc info, chassis power, SOL activate with typed input and the ~. escape,
// "SOL already active" and `sol deactivate` takeover, and the sensor, SDR,
// FRU and SEL views cross-checked against our own client's reading.
import { describe, it, after } from 'node:test'
import assert from 'node:assert/strict'
import { listSel } from '../../src/bmc/sel.js'
import { readSensors } from '../../src/bmc/sensors.js'
import { IpmiClient } from '../../src/session/client.js'
import { startSimFleet, type SimFleetHandle } from '../../src/sim/fleet.js'
import { interactive } from '../lab/interactive.js'
import { requireTools } from '../lab/tools.js'
import { ipmitool } from '../lab/tools.js'

let fleet: SimFleetHandle | undefined
async function sims(): Promise<SimFleetHandle> {
  fleet ??= await startSimFleet({ count: 3, consoleRate: 3000 })
  return fleet
}
after(() => fleet?.close())

for (const suite of [3, 17]) {
  describe(`ipmitool -I lanplus -C ${suite} against the simulator`, () => {
    it('mc info and chassis power status/off/on reach the simulated BMC', async (t) => {
      if (!requireTools(t, ['ipmitool'], 'apt-get install ipmitool')) return
      const f = await sims()
      const b = f.bmcs[0]!
      const opts = { cipherSuite: suite }
      assert.match(await ipmitool(b, ['mc', 'info'], opts), /IPMI Version\s+: 2\.0[\s\S]*SDR Repository Device/)
      assert.match(await ipmitool(b, ['chassis', 'power', 'status'], opts), /Chassis Power is on/)
      await ipmitool(b, ['chassis', 'power', 'off'], opts)
      assert.equal(f.members[0]!.bmc.chassis.powerOn, false)
      assert.match(await ipmitool(b, ['chassis', 'power', 'status'], opts), /Chassis Power is off/)
      await ipmitool(b, ['chassis', 'power', 'on'], opts)
      assert.equal(f.members[0]!.bmc.chassis.powerOn, true)
      assert.equal(f.members[0]!.bmc.lastInternalError, undefined)
    })

    it('sol activate: the boot log arrives, typed input is echoed by the host, ~. deactivates', async (t) => {
      if (!requireTools(t, ['ipmitool'], 'apt-get install ipmitool')) return
      const f = await sims()
      const b = f.bmcs[1]!
      const sol = f.members[1]!.sol
      const deactivationsBefore = sol.stats.deactivations
      const p = interactive(t, 'ipmitool', ['-I', 'lanplus', '-H', b.host, '-p', String(b.port), '-U', b.username, '-P', b.password, '-C', String(suite), 'sol', 'activate'])
      await p.waitFor(/SOL Session operational/)
      await p.waitFor(/Set hostname to <sim-1>/)
      p.type('echo marker-' + suite + '\r')
      await p.waitFor(new RegExp(`\\r\\nmarker-${suite}\\r\\nroot@sim-1:~# `))
      p.type('\r~.')
      assert.equal(await p.exited, 0, p.output())
      assert.equal(sol.stats.deactivations, deactivationsBefore + 1)
      assert.equal(sol.active, false)
      assert.equal(f.members[1]!.bmc.activeSessions().length, 0, 'ipmitool closed its session')
    })
  })
}

describe('ipmitool and SOL held by someone else', () => {
  it('sol activate reports the payload active on another session; sol deactivate frees it; activate then works', async (t) => {
    if (!requireTools(t, ['ipmitool'], 'apt-get install ipmitool')) return
    const f = await sims()
    const b = f.bmcs[2]!
    await f.setFault(2, { kind: 'sol-held' })
    const refused = interactive(t, 'ipmitool', ['-I', 'lanplus', '-H', b.host, '-p', String(b.port), '-U', b.username, '-P', b.password, '-C', '17', 'sol', 'activate'])
    await refused.waitFor(/SOL payload already active on another session/)
    assert.notEqual(await refused.exited, 0)
    await ipmitool(b, ['sol', 'deactivate'], { cipherSuite: 17 })
    assert.equal(f.members[2]!.sol.heldByOther, false)
    const p = interactive(t, 'ipmitool', ['-I', 'lanplus', '-H', b.host, '-p', String(b.port), '-U', b.username, '-P', b.password, '-C', '17', 'sol', 'activate'])
    await p.waitFor(/Linux version/)
    p.type('\r~.')
    assert.equal(await p.exited, 0)
  })
})

describe('ipmitool and our client read the same hardware', () => {
  it('sdr list, sensor list, fru print and sel list agree with src/bmc over the same BMC', async (t) => {
    if (!requireTools(t, ['ipmitool'], 'apt-get install ipmitool')) return
    const f = await sims()
    const b = f.bmcs[0]!
    const c = new IpmiClient({ host: b.host, port: b.port }, { username: b.username, password: b.password, cipherSuite: 17 })
    after(() => c.close())
    const ours = await readSensors(c)
    const sdr = await ipmitool(b, ['sdr', 'list'], { cipherSuite: 17 })
    const names = sdr.trim().split('\n').map((l) => l.split('|')[0]!.trim())
    assert.deepEqual(names, ours.sensors.map((s) => s.name))
    // Fixed readings agree exactly: thresholds, and the PSU and power unit states.
    const list = await ipmitool(b, ['sensor', 'list'], { cipherSuite: 17 })
    assert.match(list, /^12V\s+\|\s+[\d.]+\s+\|\s+Volts\s+\|\s+ok\s+\|\s+na\s+\|\s+10\.800\s+\|\s+11\.280\s+\|\s+12\.720\s+\|\s+13\.200\s+\|\s+na/m)
    const th = ours.sensors.find((s) => s.name === '12V')!.thresholds
    assert.deepEqual(Object.fromEntries(Object.entries(th).map(([k, v]) => [k, v.toFixed(3)])), { lcr: '10.800', lnc: '11.280', unc: '12.720', ucr: '13.200' })
    assert.match(list, /^Fan1\s+\|\s+\d+\.000\s+\|\s+RPM\s+\|\s+ok\s+\|\s+na\s+\|\s+1500\.000\s+\|\s+1980\.000/m)
    const fru = await ipmitool(b, ['fru', 'print', '0'], { cipherSuite: 17 })
    assert.match(fru, /Product Serial\s+: SIM00000/)
    assert.match(fru, /Board Mfg Date\s+: \w{3} \w{3} \d+ \d\d:\d\d:\d\d \d{4}/)
    const ourSel = await listSel(c)
    const sel = (await ipmitool(b, ['sel', 'list'], { cipherSuite: 17 })).trim().split('\n')
    assert.equal(sel.length, ourSel.entries.length)
    ourSel.entries.forEach((e, i) => assert.ok(sel[i]!.includes(e.event), `${sel[i]} vs ${e.event}`))
  })
})

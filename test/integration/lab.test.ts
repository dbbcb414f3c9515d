// Proves the ipmi_sim lab works, with ipmitool as the client: the simulator
// starts on a free port, chassis requests reach the chassis-control "host",
// sensors, FRU and SEL show what sim.emu defines, the file sensor follows its
// file, the SOL line is connected, and the helpers for dead, hung and
// restarted BMCs do what they say. Skips without ipmi_sim unless CI is set.
import { after, describe, it } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { ipmitool, LAB_USERS, probeBmc, requireIpmiSim, startIpmiSim, waitUntil } from '../lab/sim.js'
import type { IpmiSim } from '../lab/sim.js'

describe('ipmi_sim lab', () => {
  // One shared simulator for the read-mostly tests; started on first use so
  // that a machine without ipmi_sim only skips.
  let shared: IpmiSim | undefined
  const sim = async (): Promise<IpmiSim> => (shared ??= await startIpmiSim())
  after(async () => {
    await shared?.stop()
  })

  it('starts, answers mc info and has the SOL line connected', async (t) => {
    if (!requireIpmiSim(t)) return
    const s = await sim()
    assert.equal(s.host, '127.0.0.1')
    const info = await ipmitool(s, ['mc', 'info'])
    assert.match(info, /Device ID\s+: 32/)
    assert.match(info, /Firmware Revision\s+: 2\.15/)
    assert.match(info, /IPMI Version\s+: 2\.0/)
    assert.match(info, /Manufacturer ID\s+: 7244/)
    // ipmi_sim connected to our serial backend once, at start.
    assert.equal(s.solBackend.connected, true)
    assert.equal(s.solBackend.connections, 1)
    await s.solBackend.write('lab console check\r\n') // the line is writable
  })

  it('passes chassis power, boot device and reset to the host', async (t) => {
    if (!requireIpmiSim(t)) return
    const s = await sim()
    assert.match(await ipmitool(s, ['chassis', 'power', 'status']), /Chassis Power is off/)
    await ipmitool(s, ['chassis', 'power', 'on'])
    assert.deepEqual(s.readRecords(), ['power 1'])
    assert.match(await ipmitool(s, ['chassis', 'power', 'status']), /Chassis Power is on/)
    await ipmitool(s, ['chassis', 'bootdev', 'pxe'])
    await ipmitool(s, ['chassis', 'power', 'reset'])
    await ipmitool(s, ['chassis', 'identify', '5'])
    assert.deepEqual(s.readRecords(), ['power 1', 'boot pxe', 'reset', 'identify 5 0'])
    assert.match(await ipmitool(s, ['chassis', 'status']), /System Power\s+: on/)
  })

  it('lists our sensors, and the temperature follows its value file', async (t) => {
    if (!requireIpmiSim(t)) return
    const s = await sim()
    const list = await ipmitool(s, ['sensor', 'list'])
    assert.match(list, /^CPU Temp\s+\| 45\.000\s+\| degrees C\s+\| ok\s+\| na\s+\| na\s+\| na\s+\| 85\.000\s+\| 95\.000\s+\| 105\.000/m)
    assert.match(list, /^Fan1\s+\| 4800\.000\s+\| RPM\s+\| ok\s+\| 300\.000\s+\| 600\.000\s+\| 900\.000/m)
    assert.match(list, /^Volt 12V\s+\| 12\.000\s+\| Volts\s+\| ok\s+\| na\s+\| 10\.200\s+\| 10\.800\s+\| 13\.200\s+\| 13\.800/m)
    assert.match(list, /^PSU1 Status\s+\| 0x1\s+\| discrete/m)
    assert.match(list, /^Chassis Intru\s+\| 0x0\s+\| discrete/m)
    assert.match(await ipmitool(s, ['sdr', 'elist']), /^PSU1 Status\s+\| 04h \| ok\s+\| 10\.1 \| Presence detected/m)

    s.setSensor('cpu_temp', 72)
    // No event tells us when ipmi_sim polled the file (every 250 ms): poll.
    await waitUntil(async () => /\| 72\b/.test(await ipmitool(s, ['sensor', 'reading', 'CPU Temp'])), {
      timeoutMs: 5000,
      intervalMs: 100,
      what: 'CPU Temp to read 72',
    })
    s.setSensor('fan1', 50)
    await waitUntil(async () => /\| 3000\b/.test(await ipmitool(s, ['sensor', 'reading', 'Fan1'])), {
      timeoutMs: 5000,
      intervalMs: 100,
      what: 'Fan1 to read 3000 RPM',
    })
  })

  it('prints our FRU strings', async (t) => {
    if (!requireIpmiSim(t)) return
    const fru = await ipmitool(await sim(), ['fru', 'print', '0'])
    for (const [field, value] of [
      ['Chassis Type', 'Rack Mount Chassis'],
      ['Chassis Serial', 'NWC2311X0093'],
      ['Board Mfg Date', 'Thu Jun 15 10:30:00 2023 UTC'],
      ['Board Mfg', 'Northwind Computing'],
      ['Board Product', 'NW-2U-MB Mainboard'],
      ['Board Serial', 'NWB2310A0042'],
      ['Board Part Number', '900-24015-0001-000'],
      ['Product Name', 'Northwind R2240'],
      ['Product Part Number', 'R2240-A1'],
      ['Product Version', '1.02'],
      ['Product Serial', 'NWR2240-0007531'],
      ['Product Asset Tag', 'RACK12-U07'],
    ]) {
      assert.match(fru, new RegExp(`^ ${field}\\s+: ${value?.replace('.', '\\.')}$`, 'm'), field)
    }
  })

  it('lists our SEL entries', async (t) => {
    if (!requireIpmiSim(t)) return
    const lines = (await ipmitool(await sim(), ['sel', 'elist'])).split('\n').filter((l) => l.trim() !== '')
    const expected = [
      /^ +1 \|.*\| Temperature CPU Temp \| Upper Critical going high \| Asserted \| Reading 96 > Threshold 95 degrees C$/,
      /^ +2 \|.*\| Temperature CPU Temp \| Upper Critical going high \| Deasserted \| Reading 84 < Threshold 95 degrees C$/,
      /^ +3 \|.*\| Fan Fan1 \| Lower Critical going low +\| Asserted \| Reading 540 < Threshold 600 RPM$/,
      /^ +4 \|.*\| Power Supply PSU1 Status \| Failure detected \| Asserted$/,
      /^ +5 \|.*\| Physical Security Chassis Intru \| General Chassis intrusion \| Asserted$/,
    ]
    expected.forEach((re, i) => assert.match(lines[i] ?? '', re))
  })

  it('logs in the operator and the user with their own privileges', async (t) => {
    if (!requireIpmiSim(t)) return
    const s = await sim()
    const { operator, user } = LAB_USERS
    const asOperator = { user: operator.user, password: operator.password, privilege: operator.privilege }
    const asUser = { user: user.user, password: user.password, privilege: user.privilege }
    assert.match(await ipmitool(s, ['chassis', 'power', 'status'], asOperator), /Chassis Power is/)
    assert.match(await ipmitool(s, ['chassis', 'power', 'status'], asUser), /Chassis Power is/)
    await assert.rejects(ipmitool(s, ['chassis', 'power', 'on'], asUser), /Insufficient privilege level/)
    await assert.rejects(ipmitool(s, ['chassis', 'power', 'status'], { password: 'wrong' }), /Unable to establish/)
  })

  it('creates a user in an empty slot', async (t) => {
    if (!requireIpmiSim(t)) return
    const s = await startIpmiSim()
    t.after(() => s.stop())
    await ipmitool(s, ['user', 'set', 'name', '7', 'alice'])
    await ipmitool(s, ['user', 'set', 'password', '7', 'alice-pw'])
    await ipmitool(s, ['channel', 'setaccess', '1', '7', 'link=on', 'ipmi=on', 'callin=on', 'privilege=3'])
    await ipmitool(s, ['user', 'enable', '7'])
    const asAlice = { user: 'alice', password: 'alice-pw', privilege: 'OPERATOR' }
    assert.match(await ipmitool(s, ['chassis', 'power', 'status'], asAlice), /Chassis Power is off/)
  })

  it('makes hung, dead and restarted BMCs', async (t) => {
    if (!requireIpmiSim(t)) return
    const s = await startIpmiSim({ powerOn: true })
    t.after(() => s.stop())
    const firstPid = s.pid
    assert.equal(await probeBmc(s.host, s.port, { timeoutMs: 2000 }), true)

    s.pause()
    assert.equal(await probeBmc(s.host, s.port, { timeoutMs: 300 }), false)
    s.resume()
    assert.equal(await probeBmc(s.host, s.port, { timeoutMs: 2000 }), true)

    s.kill()
    assert.equal(await s.waitForExit(), 128 + 9)
    assert.equal(s.running, false)
    assert.equal(await probeBmc(s.host, s.port, { timeoutMs: 300 }), false)

    await s.restart()
    assert.notEqual(s.pid, firstPid)
    assert.equal(s.solBackend.connections, 2)
    assert.match(await ipmitool(s, ['chassis', 'power', 'status']), /Chassis Power is on/)
    // The SEL persisted across the restart and was not seeded twice.
    const sel = (await ipmitool(s, ['sel', 'list'])).split('\n').filter((l) => l.trim() !== '')
    assert.equal(sel.length, 5)
  })

  it('removes the simulator and its state on stop()', async (t) => {
    if (!requireIpmiSim(t)) return
    const s = await startIpmiSim()
    const pid = s.pid
    await s.stop()
    assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' })
    const { existsSync } = await import('node:fs')
    assert.equal(existsSync(s.stateDir), false)
    await s.stop() // idempotent
  })
})

describe('requireIpmiSim', () => {
  // A stand-in for the TestContext: only skip() is used.
  const fakeContext = (): { t: TestContext; skipped: string[] } => {
    const skipped: string[] = []
    return { t: { skip: (msg?: string) => void skipped.push(msg ?? '') } as unknown as TestContext, skipped }
  }
  const withEnv = (env: Record<string, string | undefined>, fn: () => void): void => {
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]))
    try {
      for (const [k, v] of Object.entries(env)) {
        if (v === undefined) delete process.env[k]
        else process.env[k] = v
      }
      fn()
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k]
        else process.env[k] = v
      }
    }
  }

  it('skips with a clear message when the tools are missing outside CI', () => {
    const { t, skipped } = fakeContext()
    withEnv({ PATH: '/nonexistent', CI: undefined }, () => assert.equal(requireIpmiSim(t), false))
    assert.equal(skipped.length, 1)
    assert.match(skipped[0] ?? '', /ipmi_sim.*not on PATH/)
  })

  it('fails under CI when the tools are missing', () => {
    const { t, skipped } = fakeContext()
    withEnv({ PATH: '/nonexistent', CI: 'true' }, () => assert.throws(() => requireIpmiSim(t), /CI is set/))
    assert.equal(skipped.length, 0)
  })
})

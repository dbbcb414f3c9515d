// FreeIPMI, a second independent client, against the simulator: ipmipower
// (power status and control across several BMCs at once, suites 3 and 17)
// and ipmiconsole (SOL: output, typed input, &. escape). ipmiconsole takes
// no port option, so that test binds the BMC to 127.0.0.1:623 and is skipped
// when it cannot (not root, or the port is taken); it needs a terminal, so it
// runs under script(1).
import { describe, it, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { SimBmc } from '../../src/sim/sim-bmc.js'
import { attachSol } from '../../src/sim/sol.js'
import { startSimFleet } from '../../src/sim/fleet.js'
import { listenUdp } from '../../src/sim/udp-server.js'
import { interactive } from '../lab/interactive.js'
import { onPort623 } from '../lab/port623.js'
import { requireTools } from '../lab/tools.js'

const run = promisify(execFile)

describe('FreeIPMI ipmipower against a simulated fleet', () => {
  for (const suite of ['3', '17']) {
    it(`-D LAN_2_0 -I ${suite}: --stat over 4 BMCs, --off on two of them`, async (t) => {
      if (!requireTools(t, ['ipmipower'], 'apt-get install freeipmi-tools')) return
      const fleet = await startSimFleet({ count: 4, consoleRate: 0, powerOn: true })
      after(() => fleet.close())
      const hosts = (bmcs: typeof fleet.bmcs) => bmcs.map((b) => `${b.host}:${b.port}`).join(',')
      const ipmipower = async (h: string, ...args: string[]) =>
        (await run('ipmipower', ['-D', 'LAN_2_0', '-I', suite, '-u', 'admin', '-p', 'password', '-h', h, ...args], { timeout: 30_000 })).stdout
      const lines = (s: string) => s.trim().split('\n').sort()
      assert.deepEqual(lines(await ipmipower(hosts(fleet.bmcs), '--stat')), Array(4).fill('127.0.0.1: on'))
      assert.deepEqual(lines(await ipmipower(hosts(fleet.bmcs.slice(1, 3)), '--off')), Array(2).fill('127.0.0.1: ok'))
      assert.deepEqual(fleet.members.map((m) => m.bmc.chassis.powerOn), [true, false, false, true])
      assert.deepEqual(lines(await ipmipower(hosts(fleet.bmcs), '--stat')), ['127.0.0.1: off', '127.0.0.1: off', '127.0.0.1: on', '127.0.0.1: on'])
      for (const m of fleet.members) assert.equal(m.bmc.lastInternalError, undefined)
    })
  }

  it('a hung BMC is reported by ipmipower while its neighbours answer', async (t) => {
    if (!requireTools(t, ['ipmipower'], 'apt-get install freeipmi-tools')) return
    const fleet = await startSimFleet({ count: 3, consoleRate: 0, faults: [{ index: 1, fault: { kind: 'hang' } }] })
    after(() => fleet.close())
    const h = fleet.bmcs.map((b) => `${b.host}:${b.port}`).join(',')
    // ipmipower exits 1 when a host failed; its report is still on stdout.
    const stdout = await run('ipmipower', ['-D', 'LAN_2_0', '-u', 'admin', '-p', 'password', '-h', h, '--session-timeout', '3000', '--stat'], { timeout: 30_000 })
      .then((r) => r.stdout, (e: { stdout?: string }) => e.stdout ?? '')
    const out = stdout.trim().split('\n').sort()
    assert.deepEqual(out.filter((l) => l.endsWith(': on')).length, 2)
    assert.match(out.join('\n'), /connection timeout/)
  })
})

describe('FreeIPMI ipmiconsole against a simulated BMC on port 623', () => {
  it('SOL output, typed input echoed, &. ends it and deactivates SOL', async (t) => {
    if (!requireTools(t, ['ipmiconsole', 'script'], 'apt-get install freeipmi-tools')) return
    const bmc = new SimBmc({ powerOn: true })
    const sol = attachSol(bmc, { host: { hostname: 'fipmi', rateBytesPerSecond: 2000 } })
    const srv = await onPort623(t, (port) => listenUdp(bmc, { port }), 'ipmiconsole has no port option')
    if (srv === undefined) {
      sol.dispose()
      return
    }
    after(() => { sol.dispose(); return srv.close() })
    sol.payloadPort = srv.port
    const p = interactive(t, 'script', ['-qfec', 'ipmiconsole -h 127.0.0.1 -u admin -p password -I 17', '/dev/null'])
    await p.waitFor(/\[SOL established\]/)
    await p.waitFor(/Set hostname to <fipmi>/)
    p.type('echo freeipmi-ok\r')
    await p.waitFor(/\r\nfreeipmi-ok\r\nroot@fipmi:~# /)
    p.type('\r&.')
    await p.waitFor(/closing the connection/)
    await p.exited
    const deadline = performance.now() + 10_000
    while (sol.active && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    assert.equal(sol.active, false)
    assert.equal(sol.stats.deactivations, 1)
    assert.equal(bmc.lastInternalError, undefined)
  })
})

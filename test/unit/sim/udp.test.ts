// SimBmc on real UDP sockets, loopback only: our IpmiClient over
// udp-transport.ts, a small fleet in one process, and, when the tools are
// installed, third-party clients (ipmitool, FreeIPMI ipmipower) logging in
// with suites 3 and 17: an independent check that the simulator's RMCP+
// is right, not just consistent with our own client.
import { describe, it, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { GetChassisStatus, GetDeviceId } from '../../../src/ipmi/commands/index.js'
import { IpmiClient } from '../../../src/session/client.js'
import { SimBmc } from '../../../src/sim/sim-bmc.js'
import { listenUdp, startFleet } from '../../../src/sim/udp-server.js'
import { watchUnhandled } from '../session/harness.js'

watchUnhandled()
const run = promisify(execFile)

async function tool(name: string): Promise<boolean> {
  try {
    await run('sh', ['-c', `command -v ${name}`])
    return true
  } catch {
    return false
  }
}

describe('SimBmc over UDP on 127.0.0.1', () => {
  it('IpmiClient logs in (suite 17 chosen from the list), runs commands, closes; the slot is freed', async () => {
    const srv = await listenUdp(new SimBmc({ powerOn: true }))
    after(() => srv.close())
    assert.equal(srv.host, '127.0.0.1')
    const c = new IpmiClient({ host: srv.host, port: srv.port }, { username: 'admin', password: 'password' })
    const s = await c.connect()
    assert.equal(s.info?.cipherSuite, 17)
    assert.equal((await c.run(GetDeviceId, undefined)).ipmiVersion, '2.0')
    assert.equal((await c.run(GetChassisStatus, undefined)).power.powerOn, true)
    await c.close()
    assert.equal(srv.bmc.sessions.size, 0)
    assert.equal(srv.bmc.stats.commands['Close Session'], 1)
  })

  it('a fleet of 5 BMCs in one process, each on its own port with its own GUID and sessions', async () => {
    const fleet = await startFleet(5)
    after(() => fleet.close())
    const ports = new Set(fleet.servers.map((s) => s.port))
    assert.equal(ports.size, 5)
    const clients = fleet.servers.map((s) => new IpmiClient({ host: s.host, port: s.port }, { username: 'admin', password: 'password', cipherSuite: 3 }))
    const ids = await Promise.all(clients.map((c) => c.run(GetDeviceId, undefined)))
    assert.equal(ids.length, 5)
    assert.deepEqual(fleet.servers.map((s) => s.bmc.stats.logins), [1, 1, 1, 1, 1])
    assert.equal(new Set(fleet.servers.map((s) => s.bmc.guid.toString('hex'))).size, 5)
    await Promise.all(clients.map((c) => c.close()))
  })
})

describe('third-party clients against SimBmc', () => {
  for (const suite of ['3', '17']) {
    it(`ipmitool -I lanplus -C ${suite}: mc info, power status and control, bootdev, user test`, async (t) => {
      if (!(await tool('ipmitool'))) return t.skip('ipmitool is not installed')
      const srv = await listenUdp(new SimBmc({ powerOn: true, users: [{ id: 2, name: 'admin', password: 'password' }, { id: 3, name: 'oper', password: 'operpass', privilege: 3 }] }))
      after(() => srv.close())
      const ipmitool = async (user: string, pass: string, ...cmd: string[]) =>
        (await run('ipmitool', ['-I', 'lanplus', '-H', srv.host, '-p', String(srv.port), '-U', user, '-P', pass, '-C', suite, '-N', '1', '-R', '2', ...cmd], { timeout: 20_000 })).stdout
      assert.match(await ipmitool('admin', 'password', 'mc', 'info'), /IPMI Version\s+: 2\.0/)
      assert.match(await ipmitool('admin', 'password', 'chassis', 'power', 'status'), /Chassis Power is on/)
      await ipmitool('admin', 'password', 'chassis', 'power', 'cycle')
      assert.equal(srv.bmc.chassis.actions.powerCycle, 1)
      await ipmitool('admin', 'password', 'chassis', 'bootdev', 'pxe')
      assert.equal(srv.bmc.chassis.boot.bootFlags[1]! >> 2, 1)
      assert.match(await ipmitool('admin', 'password', 'user', 'test', '3', '16', 'operpass'), /Success/)
      assert.match(await ipmitool('oper', 'operpass', '-L', 'OPERATOR', 'chassis', 'power', 'status'), /Chassis Power is on/)
      await assert.rejects(ipmitool('admin', 'wrong', 'mc', 'info'), /Unable to establish IPMI v2/)
      // ipmitool sends Close Session after each command: no session is left active
      // (the refused login's half-open handshake waits for the setup timeout, as on a real BMC).
      assert.equal(srv.bmc.activeSessions().length, 0)
      assert.equal(srv.bmc.sessions.size, 1)
      assert.equal(srv.bmc.lastInternalError, undefined)
    })
  }

  it('FreeIPMI ipmipower --stat', async (t) => {
    if (!(await tool('ipmipower'))) return t.skip('ipmipower (FreeIPMI) is not installed')
    const srv = await listenUdp(new SimBmc({ powerOn: false }))
    after(() => srv.close())
    const { stdout } = await run('ipmipower', ['-D', 'LAN_2_0', '-h', `${srv.host}:${srv.port}`, '-u', 'admin', '-p', 'password', '--stat'], { timeout: 20_000 })
    assert.match(stdout, /: off/)
  })
})

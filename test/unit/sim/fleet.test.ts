// startSimFleet on real loopback sockets: every member answers with its own
// identity, consoles stream from one shared ticker, and the per-BMC faults
// (die with revive, wrong credentials, sol-held, drop) do what they say to
// one BMC and nothing to its neighbours. Also the CLI's --fault syntax.
import { describe, it, after } from 'node:test'
import assert from 'node:assert/strict'
import { ActivatePayload, GetChassisStatus, GetDeviceId } from '../../../src/ipmi/commands/index.js'
import { readFru } from '../../../src/bmc/fru.js'
import { IpmiClient } from '../../../src/session/client.js'
import { SolConsole } from '../../../src/sol/console.js'
import { parseFaultSpec, startSimFleet } from '../../../src/sim/fleet.js'
import { watchUnhandled } from '../session/harness.js'

watchUnhandled()

const client = (b: { host: string; port: number }, over: { password?: string; retries?: number } = {}) =>
  new IpmiClient({ host: b.host, port: b.port }, {
    username: 'admin', password: over.password ?? 'password', cipherSuite: 17,
    timing: { retransmitMs: 200, retries: over.retries ?? 2, backoffMs: 0, jitterRatio: 0, keepaliveMs: 0 },
  })

async function waitFor(pred: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (!pred()) {
    if (performance.now() > deadline) assert.fail('condition not met before the deadline')
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe('startSimFleet', () => {
  it('N complete servers on their own ports: identity, power, FRU serial, a streaming console each', async () => {
    const fleet = await startSimFleet({ count: 3, consoleRate: 2000 })
    after(() => fleet.close())
    assert.equal(new Set(fleet.bmcs.map((b) => b.port)).size, 3)
    const clients = fleet.bmcs.map((b) => client(b))
    after(() => Promise.all(clients.map((c) => c.close())))
    for (const [i, c] of clients.entries()) {
      assert.equal((await c.run(GetChassisStatus, undefined)).power.powerOn, true)
      assert.equal((await readFru(c, 0)).product?.serialNumber.value, `SIM0000${i}`)
    }
    const got = fleet.bmcs.map(() => '')
    const consoles = clients.map((c, i) => {
      const con = SolConsole.forClient(c)
      con.on('data', (d) => (got[i] += d.toString('latin1')))
      return con
    })
    await Promise.all(consoles.map((c) => c.open()))
    await waitFor(() => got.every((g) => g.includes('Set hostname to')))
    got.forEach((g, i) => assert.match(g, new RegExp(`<sim-${i}>`)))
    assert.equal(fleet.activeConsoles(), 3)
    await Promise.all(consoles.map((c) => c.close()))
    assert.ok(fleet.consoleBytesDelivered() > 0)
  })

  it('die closes one BMC (its console fails, neighbours keep going); none revives it on the same port', async () => {
    const fleet = await startSimFleet({ count: 2, consoleRate: 0 })
    after(() => fleet.close())
    const [a, b] = [client(fleet.bmcs[0]!, { retries: 1 }), client(fleet.bmcs[1]!)]
    after(() => Promise.all([a.close(), b.close()]))
    await a.run(GetDeviceId, undefined)
    await fleet.setFault(0, { kind: 'die' })
    assert.equal(fleet.members[0]!.server.dead, true)
    assert.equal(fleet.members[0]!.bmc.sessions.size, 0)
    await assert.rejects(a.run(GetDeviceId, undefined, { timeoutMs: 1500 }))
    assert.equal((await b.run(GetDeviceId, undefined)).ipmiVersion, '2.0')
    await fleet.setFault(0, { kind: 'none' })
    const again = client(fleet.bmcs[0]!)
    after(() => again.close())
    assert.equal((await again.run(GetDeviceId, undefined)).ipmiVersion, '2.0')
  })

  it('wrong-credentials refuses logins; sol-held answers 0x80; drop loses packets; faults set at start apply', async () => {
    const fleet = await startSimFleet({ count: 3, consoleRate: 0, faults: [{ index: 0, fault: { kind: 'wrong-credentials' } }, { index: 1, fault: { kind: 'sol-held' } }] })
    after(() => fleet.close())
    const bad = client(fleet.bmcs[0]!)
    after(() => bad.close())
    await assert.rejects(bad.connect(), (e: { code?: string }) => e.code === 'BMC_ERR_RAKP_AUTH' || /AUTH/.test(String(e.code)))
    const held = client(fleet.bmcs[1]!)
    after(() => held.close())
    await assert.rejects(held.run(ActivatePayload, { instance: 1 }), (e: { details?: { completionCode?: number } }) => e.details?.completionCode === 0x80)
    await fleet.setFault(2, { kind: 'drop', value: 1 })
    const lossy = client(fleet.bmcs[2]!, { retries: 1 })
    after(() => lossy.close())
    await assert.rejects(lossy.connect())
    assert.ok(fleet.members[2]!.bmc.faultCounters.droppedIn > 0)
  })
})

describe('parseFaultSpec', () => {
  it('parses INDEX[-LAST]:KIND[=VALUE] and rejects the rest', () => {
    assert.deepEqual(parseFaultSpec('3:drop=0.2', 10), [{ index: 3, fault: { kind: 'drop', value: 0.2 } }])
    assert.deepEqual(parseFaultSpec('1-2:hang', 10).map((f) => f.index), [1, 2])
    assert.deepEqual(parseFaultSpec('0:sol-held', 1), [{ index: 0, fault: { kind: 'sol-held' } }])
    for (const bad of ['x:hang', '3:explode', '5:hang', '3-1:die', '1:delay=abc']) assert.throws(() => parseFaultSpec(bad, 5), RangeError, bad)
  })
})

// SimSol on a SimBmc over the in-memory link, on one ManualClock: the payload
// commands answered raw (0x80 while held, instance info, activation status),
// then our SolConsole as one client among others: the exact boot log bytes,
// echo, takeover, the sol-held fault, power changes, hang and idle expiry.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ActivatePayload, DeactivatePayload, GetPayloadActivationStatus, GetPayloadInstanceInfo } from '../../../src/ipmi/commands/index.js'
import { GetSolConfigurationParameters } from '../../../src/ipmi/commands/get-sol-configuration-parameters.js'
import type { ManualClock } from '../../../src/session/clock.js'
import { SolConsole } from '../../../src/sol/console.js'
import type { SimBmc } from '../../../src/sim/sim-bmc.js'
import { attachSol, type SimSol } from '../../../src/sim/sol.js'
import { clientRig, drive, driveToError, watchUnhandled } from '../session/harness.js'

watchUnhandled()

const BOOT = 'line one\r\nline two\r\nline three\r\n'

function solRig(rate = 0, bootLog = BOOT) {
  const r = clientRig()
  const sol = attachSol(r.bmc, { clock: r.clock, host: { hostname: 'sim', rateBytesPerSecond: rate, bootLog } })
  return { ...r, sol, second: () => clientRig({ on: { bmc: r.bmc, clock: r.clock } }).client }
}

/** A SolConsole on a client that collects everything it receives. */
async function openConsole(clock: ManualClock, client: ReturnType<typeof clientRig>['client'], force = false) {
  const con = SolConsole.forClient(client, { clock, livenessTimeoutMs: 6000 })
  const chunks: Buffer[] = []
  con.on('data', (b) => chunks.push(b))
  await drive(clock, con.open({ force }))
  return { con, text: () => Buffer.concat(chunks).toString('latin1') }
}

async function until(clock: ManualClock, pred: () => boolean, maxMs = 20_000): Promise<void> {
  for (let t = 0; !pred(); t += 50) {
    if (t > maxMs) assert.fail('condition not reached in simulated time')
    clock.advance(50)
    await new Promise((resolve) => setImmediate(resolve))
  }
}

function holder(bmc: SimBmc, sol: SimSol): number {
  return sol.ownerSessionId() === 0 ? 0 : bmc.sessions.get(sol.ownerSessionId())?.bmcSessionId ?? -1
}

describe('SimSol payload commands', () => {
  it('Activate reports sizes (header included) and the port; 0x80 while active; status and instance info name the holder', async () => {
    const r = solRig()
    r.sol.payloadPort = 16001
    const act = await drive(r.clock, r.client.run(ActivatePayload, { instance: 1, sol: { encrypt: true, authenticate: true } }))
    assert.deepEqual([act.inboundPayloadSize, act.outboundPayloadSize, act.port, act.vlan], [204, 204, 16001, null])
    const mine = r.bmc.activeSessions()[0]!.bmcSessionId
    assert.deepEqual(await drive(r.clock, r.client.run(GetPayloadActivationStatus, {})), { instanceCapacity: 1, activeInstances: [1] })
    assert.equal((await drive(r.clock, r.client.run(GetPayloadInstanceInfo, { instance: 1 }))).managedSystemSessionId, mine)
    const other = r.second()
    const busy = await driveToError(r.clock, other.run(ActivatePayload, { instance: 1 }))
    assert.equal(busy.details.completionCode, 0x80)
    assert.equal(r.sol.stats.refusedBusy, 1)
    // Any session may deactivate (ipmitool sol deactivate); the holder is kicked.
    await drive(r.clock, other.run(DeactivatePayload, { instance: 1 }))
    assert.equal(r.sol.ownerSessionId(), 0)
    assert.equal(r.sol.stats.kicked, 1)
    const again = await driveToError(r.clock, other.run(DeactivatePayload, { instance: 1 }))
    assert.equal(again.details.completionCode, 0x80, 'already deactivated')
    const cfg = await drive(r.clock, r.client.run(GetSolConfigurationParameters, { parameter: 8 }))
    assert.equal(cfg.data.readUInt16LE(0), 16001)
    assert.equal(holder(r.bmc, r.sol), 0)
  })

  it('a closed session loses SOL (as on ipmi_sim); the next Activate succeeds', async () => {
    const r = solRig()
    await drive(r.clock, r.client.run(ActivatePayload, { instance: 1 }))
    await drive(r.clock, r.client.close())
    assert.equal(r.sol.active, false)
    assert.equal(r.sol.stats.lostWithSession, 1)
    await drive(r.clock, r.second().run(ActivatePayload, { instance: 1 }))
    assert.equal(r.sol.active, true)
  })
})

describe('SimSol with our SolConsole', () => {
  it('the console receives the boot log byte for byte at the set rate, and it repeats', async () => {
    const r = solRig(1000)
    const c = await openConsole(r.clock, r.client)
    const want = BOOT.repeat(60)
    await until(r.clock, () => c.text().length >= 2 * BOOT.length + 5)
    assert.equal(c.text(), want.slice(0, c.text().length))
    // 1000 B/s for the simulated time that passed, give or take the accumulate interval and one tick.
    const before = c.text().length
    await drive(r.clock, new Promise<void>((resolve) => r.clock.setTimeout(resolve, 2000)))
    const got = c.text().length - before
    assert.ok(got >= 1800 && got <= 2200, `${got} bytes in 2 s at 1000 B/s`)
    assert.equal(r.sol.linkStats().retransmits, 0)
    await drive(r.clock, c.con.close())
  })

  it('typed bytes reach the system: echo and a shell answer', async () => {
    const r = solRig(0)
    const c = await openConsole(r.clock, r.client)
    c.con.write(Buffer.from('echo hi\r'))
    await until(r.clock, () => c.text().includes('# '))
    assert.equal(c.text(), 'echo hi\r\nhi\r\nroot@sim:~# ')
    c.con.sendBreak()
    await until(r.clock, () => c.text().includes('BREAK'))
    assert.equal(r.sol.host.breaksReceived, 1)
    await drive(r.clock, c.con.close())
  })

  it('a second console gets sol_busy; force takes over and the first sees sol_deactivated', async () => {
    const r = solRig(0)
    const first = await openConsole(r.clock, r.client)
    const errors: string[] = []
    first.con.on('state', (s, e) => { if (s === 'error') errors.push(e?.reason ?? '?') })
    const other = r.second()
    const refused = await driveToError(r.clock, SolConsole.forClient(other, { clock: r.clock }).open())
    assert.equal(refused.details.reason, 'sol_busy')
    const second = await openConsole(r.clock, other, true)
    assert.equal(r.sol.stats.kicked, 1)
    await until(r.clock, () => errors.length > 0)
    assert.deepEqual(errors, ['sol_deactivated'])
    second.con.write(Buffer.from('hostname\r'))
    await until(r.clock, () => second.text().includes('# '))
    assert.match(second.text(), /^hostname\r\nsim\r\n/)
    await drive(r.clock, second.con.close())
  })

  it('fault sol-held: busy until someone deactivates; force takes it; clearing the fault frees it', async () => {
    const r = solRig(0)
    r.sol.holdByOther(true)
    const refused = await driveToError(r.clock, SolConsole.forClient(r.client, { clock: r.clock }).open())
    assert.equal(refused.details.reason, 'sol_busy')
    assert.notEqual(r.sol.ownerSessionId(), 0)
    const c = await openConsole(r.clock, r.client, true)
    assert.equal(r.sol.heldByOther, false)
    assert.equal(c.con.state, 'connected')
    // Set again while connected: the console is kicked, as when another client takes over.
    r.sol.holdByOther(true)
    await until(r.clock, () => c.con.state === 'error')
    r.sol.holdByOther(false)
    assert.equal(r.sol.ownerSessionId(), 0)
  })

  it('power off stops the log and marks transfer unavailable; power on starts the log from its first line', async () => {
    const r = solRig(2000)
    const c = await openConsole(r.clock, r.client)
    await until(r.clock, () => c.text().length > BOOT.length + 3)
    r.bmc.chassis.powerOn = false
    r.clock.advance(200)
    await new Promise((resolve) => setImmediate(resolve))
    const atOff = c.text().length
    await drive(r.clock, new Promise<void>((resolve) => r.clock.setTimeout(resolve, 1000)))
    assert.ok(c.text().length - atOff < 60, 'at most what was already queued')
    const mark = c.text().length
    r.bmc.chassis.powerOn = true
    r.bmc.chassis.actions.powerUp++
    await until(r.clock, () => c.text().length >= mark + 10)
    assert.ok(c.text().slice(mark).startsWith('line one'), JSON.stringify(c.text().slice(mark, mark + 20)))
    await drive(r.clock, c.con.close())
  })

  it('a hung BMC sends nothing; a console that goes silent loses its session after the idle timeout', async () => {
    const r = solRig(1000)
    const c = await openConsole(r.clock, r.client)
    await until(r.clock, () => c.text().length > 10)
    r.bmc.setFaults({ hang: true })
    r.clock.advance(100)
    await new Promise((resolve) => setImmediate(resolve))
    const frozen = c.text().length
    r.clock.advance(1000)
    await new Promise((resolve) => setImmediate(resolve))
    assert.equal(c.text().length, frozen)
    r.bmc.setFaults({ hang: false })
    // Cut the console off (its link drops everything): no ACKs, no keepalives.
    for (const l of r.links) l.faults['a-to-b'].loss = 1
    await until(r.clock, () => !r.sol.active, 120_000)
    assert.equal(r.sol.stats.lostWithSession, 1)
    assert.ok(r.sol.linkStats().packetsGivenUp >= 1)
  })
})

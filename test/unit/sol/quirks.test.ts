// SolConsole (our client, no flags) against the quirky simulated BMC over the
// in-memory link, on a ManualClock: solpacketseq (typed input gets through
// after the last try under a new sequence number), solsilent-reboot (output
// comes back after a deactivate-and-activate on the same session) and
// coldreset-console (the console reports the loss, a new one connects once the
// BMC is back). Without the quirk nothing is reactivated or resequenced.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ChassisAction, ChassisControl } from '../../../src/ipmi/commands/index.js'
import { SolConsole } from '../../../src/sol/console.js'
import { attachSol } from '../../../src/sim/sol.js'
import type { QuirkName } from '../../../src/sim/quirks.js'
import { clientRig, drive, flush, watchUnhandled } from '../session/harness.js'

watchUnhandled()

function rigWithSol(quirks: QuirkName[], rate = 0, extra: object = {}) {
  const r = clientRig({ bmc: { quirks, ...extra } })
  const sol = attachSol(r.bmc, { clock: r.clock, host: { hostname: 'q', rateBytesPerSecond: rate } })
  const con = SolConsole.forClient(r.client, { clock: r.clock, livenessTimeoutMs: 10_000, silentAfterPowerMs: 5000 })
  let out = ''
  con.on('data', (d) => {
    out += d.toString('latin1')
  })
  return { ...r, sol, con, output: () => out, clear: () => { out = '' } }
}

async function run(clock: { advance(ms: number): void }, ms: number, until: () => boolean = () => false): Promise<void> {
  for (let t = 0; t < ms && !until(); t += 50) {
    clock.advance(50)
    await flush()
  }
}

describe('solpacketseq', () => {
  it('the BMC sticks on the first typed packet; its last try under a new seq gets through, within the liveness budget', async () => {
    const r = rigWithSol(['solpacketseq'])
    await drive(r.clock, r.con.open())
    const before = r.sol.linkStats().bytesReceived
    r.con.write(Buffer.from('x'))
    const t0 = r.clock.now()
    await run(r.clock, 12_000, () => r.sol.linkStats().bytesReceived > before)
    assert.equal(r.sol.linkStats().bytesReceived, before + 1, 'the byte reached the host once')
    assert.equal(r.con.state, 'connected')
    assert.ok(r.clock.now() - t0 < 10_000, `took ${r.clock.now() - t0} ms`)
    assert.equal(r.con.stats?.reseqs, 1)
    assert.deepEqual(r.client.profile.entries.map((e) => e.name), ['solpacketseq'])
    // Unstuck: the next byte goes at once.
    r.con.write(Buffer.from('y'))
    await run(r.clock, 1000, () => r.sol.linkStats().bytesReceived > before + 1)
    assert.equal(r.sol.linkStats().bytesReceived, before + 2)
    r.sol.dispose()
  })

  it('a compliant BMC takes the first try: nothing resequenced or learned', async () => {
    const r = rigWithSol([])
    await drive(r.clock, r.con.open())
    const before = r.sol.linkStats().bytesReceived
    r.con.write(Buffer.from('x'))
    await run(r.clock, 1000, () => r.sol.linkStats().bytesReceived > before)
    assert.equal(r.sol.linkStats().bytesReceived, before + 1)
    assert.equal(r.con.stats?.reseqs, 0)
    assert.deepEqual(r.client.profile.entries.map((e) => e.name), [])
    r.sol.dispose()
  })
})

describe('solsilent-reboot', () => {
  it('after a power cycle SOL goes silent; 5 s later the console deactivates and activates again, output flows, state stays connected', async () => {
    const r = rigWithSol(['solsilent-reboot'], 200)
    const states: string[] = []
    r.con.on('state', (s) => states.push(s))
    await drive(r.clock, r.con.open())
    await run(r.clock, 1000)
    assert.ok(r.output().length > 0, 'output before the power cycle')
    await drive(r.clock, r.client.run(ChassisControl, { action: ChassisAction.PowerCycle }))
    await run(r.clock, 200)
    r.clear()
    await run(r.clock, 4000)
    assert.equal(r.output(), '', 'silent after the power cycle (the quirk)')
    await run(r.clock, 3000, () => r.output().length > 0)
    assert.ok(r.output().length > 0, 'output again after the reactivation')
    assert.equal(r.con.reactivations, 1)
    assert.deepEqual(states, ['connecting', 'connected'])
    assert.equal(r.sol.stats.activations, 2)
    assert.deepEqual(r.client.profile.entries.map((e) => e.name), ['sol-silent-after-reboot'])
    r.sol.dispose()
  })

  it('a console that never printed (nothing on the serial port, as ipmi_sim) is not judged by its silence', async () => {
    const r = rigWithSol(['solsilent-reboot'], 0)
    await drive(r.clock, r.con.open())
    await drive(r.clock, r.client.run(ChassisControl, { action: ChassisAction.PowerCycle }))
    await run(r.clock, 8000)
    assert.equal(r.con.reactivations, 0)
    assert.deepEqual(r.client.profile.entries.map((e) => e.name), [])
    r.sol.dispose()
  })

  it('a compliant BMC keeps printing after the power cycle: no reactivation', async () => {
    const r = rigWithSol([], 200)
    await drive(r.clock, r.con.open())
    await drive(r.clock, r.client.run(ChassisControl, { action: ChassisAction.PowerCycle }))
    await run(r.clock, 200)
    r.clear()
    await run(r.clock, 8000)
    assert.ok(r.output().length > 0)
    assert.equal(r.con.reactivations, 0)
    assert.equal(r.sol.stats.activations, 1)
    assert.deepEqual(r.client.profile.entries.map((e) => e.name), [])
    r.sol.dispose()
  })
})

describe('coldreset-console', () => {
  it('the BMC resets itself mid-console: the console reports it within the liveness bound; a new one connects after the downtime', async () => {
    const r = rigWithSol(['coldreset-console'], 200, { coldResetAfterSolMs: 2000, coldResetDowntimeMs: 4000 })
    await drive(r.clock, r.con.open())
    const t0 = r.clock.now()
    await run(r.clock, 20_000, () => r.con.state === 'error')
    assert.equal(r.con.state, 'error')
    assert.equal(r.bmc.stats.coldResets, 1)
    assert.ok(r.clock.now() - t0 <= 2000 + 10_000 + 500, `reported after ${r.clock.now() - t0} ms`)
    // The operator's (or the worker's) retry: once the BMC is back, a new console connects and output flows.
    await run(r.clock, 4000)
    const again = SolConsole.forClient(r.client, { clock: r.clock })
    let out = 0
    again.on('data', (d) => { out += d.length })
    await drive(r.clock, again.open())
    await run(r.clock, 1000, () => out > 0)
    assert.ok(out > 0)
    assert.equal(r.bmc.stats.coldResets, 1, 'only once')
    r.sol.dispose()
  })
})

// Our SolConsole against the simulator over loopback UDP, with the BMC's own
// fault injection: the console stream stays exact (every byte once, in
// order) through 5% loss plus duplication and reordering in both SOL
// directions; typed input survives the same; a BMC that dies is reported
// (never "connected" followed by silence) and a revived one takes a new console.
// Both halves are ours, so this proves robustness, not interoperability:
// sim-ipmitool and sim-freeipmi are the interop proofs.
import { describe, it, after } from 'node:test'
import assert from 'node:assert/strict'
import { IpmiClient } from '../../src/session/client.js'
import { SolConsole } from '../../src/sol/console.js'
import { startSimFleet, type SimFleetBmc } from '../../src/sim/fleet.js'

const client = (b: SimFleetBmc) =>
  new IpmiClient({ host: b.host, port: b.port }, { username: b.username, password: b.password, cipherSuite: 17, timing: { retransmitMs: 250, retries: 4 } })

async function waitFor(what: string, pred: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (!pred()) {
    if (performance.now() > deadline) assert.fail(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

describe('SolConsole against simulated BMCs over UDP', () => {
  it('5% loss, duplicates and reordering: the boot log arrives exactly, and typed input is echoed exactly', async () => {
    const fleet = await startSimFleet({ count: 1, consoleRate: 4000 })
    after(() => fleet.close())
    const m = fleet.members[0]!
    m.bmc.setFaults({ dropRatio: 0.05, duplicateRatio: 0.05, reorderRatio: 0.05 })
    const c = client(fleet.bmcs[0]!)
    after(() => c.close())
    const con = SolConsole.forClient(c, { livenessTimeoutMs: 10_000 })
    let text = ''
    con.on('data', (d) => (text += d.toString('latin1')))
    await con.open()
    const log = m.sol.host.bootLog.toString('latin1')
    // Run until every kind of fault has hit (the fault PRNG is seeded, so this is not luck) and 3 logs arrived.
    const fc = m.bmc.faultCounters
    await waitFor('three boot logs through every fault', () => text.length >= 3 * log.length && fc.droppedIn > 0 && fc.droppedOut > 0 && fc.duplicated > 0 && fc.reordered > 0 && m.sol.linkStats().retransmits > 0, 60_000)
    const want = log.repeat(Math.ceil(text.length / log.length) + 1)
    assert.equal(text, want.slice(0, text.length), 'no byte lost, doubled or reordered')
    assert.equal(m.sol.linkStats().packetsGivenUp, 0)
    // Input: quiet the log so the echo is easy to find, then type a long line.
    m.sol.host.rateBytesPerSecond = 0
    const line = 'echo ' + 'abcdefghij'.repeat(12)
    const mark = text.length
    con.write(Buffer.from(line + '\r'))
    // Log bytes already queued come first; the echo and the answer follow them.
    const answer = `${line}\r\n${'abcdefghij'.repeat(12)}\r\nroot@sim-0:~# `
    await waitFor('the echo and the answer', () => text.endsWith(answer))
    assert.equal(text.slice(mark).split(line).length, 2, 'the typed line is echoed once')
    await con.close()
    assert.equal(m.sol.active, false, 'close() deactivated SOL')
  })

  it('a BMC that dies is reported as an error with a reason; after revive a new console connects', async () => {
    const fleet = await startSimFleet({ count: 2, consoleRate: 500 })
    after(() => fleet.close())
    const c = client(fleet.bmcs[0]!)
    after(() => c.close())
    const con = SolConsole.forClient(c, { livenessTimeoutMs: 3000 })
    const states: string[] = []
    con.on('state', (s, e) => states.push(e === undefined ? s : `${s}:${e.reason}`))
    await con.open()
    const neighbour = client(fleet.bmcs[1]!)
    after(() => neighbour.close())
    const other = SolConsole.forClient(neighbour)
    let otherBytes = 0
    other.on('data', (d) => (otherBytes += d.length))
    await other.open()
    await fleet.setFault(0, { kind: 'die' })
    await waitFor('the dead BMC reported', () => con.state === 'error', 20_000)
    assert.deepEqual(states.slice(0, 2), ['connecting', 'connected'])
    assert.match(states.at(-1)!, /^error:(unreachable|sol_deactivated|timeout)$/)
    const before = otherBytes
    await waitFor('the neighbour still streaming', () => otherBytes > before + 100)
    await fleet.setFault(0, { kind: 'none' })
    const fresh = client(fleet.bmcs[0]!)
    after(() => fresh.close())
    const again = SolConsole.forClient(fresh)
    let got = ''
    again.on('data', (d) => (got += d.toString('latin1')))
    await again.open()
    await waitFor('output after revive', () => got.length > 50)
    await Promise.all([again.close(), other.close()])
  })
})

// Many clients, one BMC session (DESIGN lesson 6), through the real API and
// WebSocket endpoint on an ipmi_sim node: 1 MiB from the host reaches 10
// clients byte-exact; only the holder's keystrokes reach the host; a
// takeover moves the holder; a client that stops reading is told and
// dropped while the others keep up.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ipmiSimAvailable, requireIpmiSim } from '../../lab/sim.js'
import { bmcSessions } from '../supervisor/fleet.js'
import { deliveredFrom, hostWritePaced, pattern, startConsoleLab, TestClient, type ConsoleLab } from './lab.js'

const NODE = 'c1'

describe('console fan-out (10 WebSocket clients, one SOL session)', { timeout: 240_000 }, () => {
  let lab: ConsoleLab | undefined
  before(async () => {
    if (ipmiSimAvailable() || process.env.CI) lab = await startConsoleLab([{ name: NODE }], { maxClientBufferBytes: 64 * 1024 })
  })
  after(async () => {
    await lab?.stop()
  })

  it('1 MiB reaches all 10 byte-exact; only the holder types; takeover moves the holder', async (t) => {
    if (!requireIpmiSim(t) || lab === undefined) return
    const sim = lab.sims.get(NODE)!
    const roles = ['operator', 'operator', 'operator', 'viewer', 'viewer', 'viewer', 'viewer', 'admin', 'viewer', 'viewer'] as const
    const clients: TestClient[] = []
    for (const role of roles) clients.push(await TestClient.open(lab.wsUrl(NODE, 'replay=0'), lab.tokens[role]))
    await clients[0]!.until(() => clients[0]!.state() === 'connected', 30_000, 'connected')

    // The first operator holds read-write; everyone was told.
    const holderId = clients[0]!.last('hello')!.client
    for (const c of clients) await c.until(() => c.last('holder')?.holder?.client === holderId && c.last('clients')?.count === 10, 10_000, 'holder and count')
    assert.equal(clients[0]!.last('holder')!.you, true)
    assert.equal(clients[3]!.last('hello')!.mode, 'ro')

    const data = pattern(1 << 20, 7)
    const t0 = performance.now()
    const { delivered, wake } = deliveredFrom(lab, NODE)
    await hostWritePaced(sim, data, delivered, wake)
    await Promise.all(clients.map((c) => c.until(() => c.received >= data.length, 120_000, '1 MiB')))
    t.diagnostic(`1 MiB to 10 clients in ${Math.round(performance.now() - t0)} ms`)
    for (const [i, c] of clients.entries()) assert.ok(c.bytes().equals(data), `client ${i} got the stream byte-exact`)
    // One BMC session for all of them.
    assert.equal(await bmcSessions(sim), 1)

    // Only the holder's keystrokes reach the host.
    sim.solBackend.clearReceived()
    clients[1]!.send('OTHER-1\n')
    clients[4]!.send('VIEWER-4\n')
    clients[0]!.send('HOLDER-0\n')
    await sim.solBackend.waitFor((b) => b.includes('HOLDER-0\n'), 10_000)
    assert.equal(clients[1]!.last('error')?.code, 'FORBIDDEN')
    // A viewer cannot take over.
    clients[4]!.control({ type: 'takeover' })
    await clients[4]!.until(() => clients[4]!.messages.filter((m) => m.type === 'error').length >= 2, 10_000, 'takeover refused')

    // Takeover by another operator moves the holder.
    const newHolder = clients[1]!.last('hello')!.client
    clients[1]!.control({ type: 'takeover' })
    for (const c of clients) await c.until(() => c.last('holder')?.holder?.client === newHolder, 10_000, 'new holder')
    assert.match(clients[0]!.last('notice')?.message ?? '', /took read-write over/)
    clients[0]!.send('OLD-HOLDER\n')
    clients[1]!.send('NEW-HOLDER\n')
    await sim.solBackend.waitFor((b) => b.includes('NEW-HOLDER\n'), 10_000)
    const typed = sim.solBackend.received().toString('latin1')
    assert.equal(typed.includes('OTHER-1'), false)
    assert.equal(typed.includes('VIEWER-4'), false)
    assert.equal(typed.includes('OLD-HOLDER'), false)
    assert.match(typed, /HOLDER-0\n[^]*NEW-HOLDER\n/)

    // The status route agrees.
    const res = await fetch(`${lab.base}/api/v1/nodes/${NODE}/console`, { headers: { authorization: `Bearer ${lab.tokens.viewer}` } })
    const status = (await res.json()) as { state: string; clients: unknown[]; holder: { client: number }; bytesIn: number }
    assert.equal(status.state, 'connected')
    assert.equal(status.clients.length, 10)
    assert.equal(status.holder.client, newHolder)
    assert.ok(status.bytesIn >= data.length)
    for (const c of clients) c.close()
    await lab.consoles.get(NODE).flush()
  })

  it('a client that stops reading is told and dropped; the others get everything', async (t) => {
    if (!requireIpmiSim(t) || lab === undefined) return
    const sim = lab.sims.get(NODE)!
    const fast = [await TestClient.open(lab.wsUrl(NODE, 'replay=0&mode=ro'), lab.tokens.viewer), await TestClient.open(lab.wsUrl(NODE, 'replay=0&mode=ro'), lab.tokens.viewer)]
    const slow = await TestClient.open(lab.wsUrl(NODE, 'replay=0&mode=ro'), lab.tokens.viewer)
    slow.ws.pause() // stops reading: the server's queue for it grows
    // Loopback TCP buffers absorb about 4 MB of a client that stopped reading before
    // anything queues in the server (measured), so the stream must be longer than that.
    const data = pattern(6 << 20, 11)
    const { delivered, wake } = deliveredFrom(lab, NODE)
    const t0 = performance.now()
    await hostWritePaced(sim, data, delivered, wake)
    await Promise.all(fast.map((c) => c.until(() => c.received >= data.length, 120_000, '6 MiB')))
    t.diagnostic(`6 MiB to 2 clients beside a stalled one in ${Math.round(performance.now() - t0)} ms`)
    for (const c of fast) assert.ok(c.bytes().equals(data))
    assert.equal(lab.consoles.get(NODE).clientCount, 2, 'the stalled client was dropped')
    slow.ws.resume()
    await slow.until(() => slow.closed !== undefined, 20_000, 'closed')
    assert.equal(slow.closed!.code, 4001)
    assert.equal(slow.last('dropped')?.reason, 'slow')
    assert.ok(slow.received < data.length)
    for (const c of fast) c.close()
  })
})

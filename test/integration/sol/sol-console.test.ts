// SOL console against OpenIPMI ipmi_sim with the test's own serial backend:
// byte-exact streams both ways, BREAK, wrong password, another console
// (ipmitool) holding SOL, and a clean hand-back on close.
import { after, before, describe, test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { ipmiSimAvailable, requireIpmiSim, startIpmiSim, type IpmiSim } from '../../lab/sim.js'
import { SolConsole, type SolConsoleOptions, type SolConsoleState } from '../../../src/sol/console.js'
import type { SolError } from '../../../src/sol/errors.js'
import type { IpmiClient } from '../../../src/session/client.js'
import { Collector, consoleWrite, hostWritePaced, ipmitoolSol, labClient, type IpmitoolConsole } from './helpers.js'

describe('SOL console against ipmi_sim', { timeout: 120_000 }, () => {
  let sim: IpmiSim | undefined
  const clients: IpmiClient[] = []
  const ipmitools: IpmitoolConsole[] = []

  before(async () => {
    if (ipmiSimAvailable()) sim = await startIpmiSim()
  })
  after(async () => {
    for (const t of ipmitools) await t.stop()
    for (const c of clients) await c.close()
    await sim?.stop()
  })

  /** A console that is closed after its test, pass or fail, so SOL is free for the next one. */
  function consoleFor(t: TestContext, c: IpmiClient, opts: SolConsoleOptions = {}): SolConsole {
    const con = SolConsole.forClient(c, opts)
    t.after(() => con.close())
    return con
  }

  function client(config = {}): IpmiClient {
    const c = labClient(sim!, config)
    clients.push(c)
    return c
  }

  test('1 MiB written by the host arrives byte-exact and in order; 64 KiB typed arrives at the host', async (t) => {
    if (!requireIpmiSim(t) || sim === undefined) return
    // A 16 KiB high-water mark so the 64 KiB burst below meets back-pressure.
    const con = consoleFor(t, client(), { tuning: { highWaterMark: 16 * 1024 } })
    const got = new Collector(con)
    const act = await con.open()
    assert.equal(act.maxSendData, 28, 'ipmi_sim inbound 32 minus the SOL header')
    assert.equal(act.maxReceiveData, 255, 'outbound 0x4000 clamped')

    const fromHost = randomBytes(1 << 20)
    const t0 = performance.now()
    await hostWritePaced(sim.solBackend, fromHost, got)
    await got.waitFor(fromHost.length, 60_000)
    const hostMs = performance.now() - t0
    assert.ok(got.all().equals(fromHost), 'host -> console stream differs')

    sim.solBackend.clearReceived()
    const typed = randomBytes(64 * 1024)
    const t1 = performance.now()
    const { refusals } = await consoleWrite(con, typed)
    await sim.solBackend.waitFor(typed.length, 60_000)
    const typedMs = performance.now() - t1
    assert.ok(sim.solBackend.received().equals(typed), 'console -> host stream differs')
    assert.ok(refusals > 0, 'a 64 KiB burst must meet back-pressure')
    t.diagnostic(`host->console ${(fromHost.length / hostMs / 1000).toFixed(2)} MB/s, console->host ${(typed.length / typedMs / 1000).toFixed(3)} MB/s`)
    t.diagnostic(JSON.stringify(con.stats))
    await con.close()
    assert.equal(con.state, 'closed')
  })

  test('flow control: while admit() says no the ACK is withheld, ipmi_sim keeps and resends the bytes, and none is lost, doubled or reordered', async (t) => {
    if (!requireIpmiSim(t) || sim === undefined) return
    // The main thread's credit (src/bridge/credit.ts) stands in as a gate that is closed for 400 ms of every 800:
    // shorter than maxHoldMs, so the gate, not the hold limit, decides when a packet is taken.
    let open = true
    const states: SolConsoleState[] = []
    const con = consoleFor(t, client(), { admit: () => open })
    con.on('state', (s) => states.push(s))
    const got = new Collector(con)
    await con.open()
    open = false
    const gate = setInterval(() => {
      open = !open
    }, 400)
    t.after(() => clearInterval(gate))
    const fromHost = randomBytes(128 * 1024)
    await hostWritePaced(sim.solBackend, fromHost, got)
    await got.waitFor(fromHost.length, 60_000)
    assert.ok(got.all().equals(fromHost), 'host -> console stream differs')
    assert.ok((con.stats?.withheld ?? 0) > 0, 'the gate never held a packet back')
    assert.deepEqual(states, ['connecting', 'connected'], 'the console never left connected')
    t.diagnostic(JSON.stringify(con.stats))
  })

  test('BREAK reaches the serial line between the bytes around it', async (t) => {
    if (!requireIpmiSim(t) || sim === undefined) return
    const con = consoleFor(t, client())
    await con.open()
    sim.solBackend.clearReceived()
    con.write(Buffer.from('a'))
    con.sendBreak()
    con.write(Buffer.from('b'))
    // ipmi_sim's TCP serial backend renders a BREAK as telnet IAC BREAK (ff f3).
    const got = await sim.solBackend.waitFor(4, 10_000)
    assert.deepEqual(got, Buffer.from([0x61, 0xff, 0xf3, 0x62]))
    await con.close()
  })

  test('wrong password: bad_credentials, and the state never said connected', async (t) => {
    if (!requireIpmiSim(t) || sim === undefined) return
    const con = consoleFor(t, client({ password: 'wrong-password' }))
    const states: SolConsoleState[] = []
    con.on('state', (s) => states.push(s))
    await assert.rejects(con.open(), (e: SolError) => e.reason === 'bad_credentials' && e.code === 'BMC_AUTH_FAILED')
    assert.deepEqual(states, ['connecting', 'error'])
  })

  test('ipmitool holds SOL: sol_busy; with force we take over and data flows', async (t) => {
    if (!requireIpmiSim(t) || sim === undefined) return
    const other = await ipmitoolSol(sim)
    ipmitools.push(other)

    const busy = consoleFor(t, client())
    const states: SolConsoleState[] = []
    busy.on('state', (s) => states.push(s))
    await assert.rejects(busy.open(), (e: SolError) => e.reason === 'sol_busy' && e.code === 'SOL_BUSY')
    assert.deepEqual(states, ['connecting', 'error'])

    const con = consoleFor(t, client())
    const got = new Collector(con)
    const takeovers: unknown[] = []
    con.on('takeover', (x) => takeovers.push(x))
    const act = await con.open({ force: true })
    assert.ok(act.takeover !== undefined && act.takeover.ownGhost === false)
    assert.equal(takeovers.length, 1)
    await sim.solBackend.write('after takeover\r\n')
    await got.waitFor((b) => b.includes('after takeover\r\n'))
    sim.solBackend.clearReceived()
    con.write(Buffer.from('typed after takeover\r'))
    await sim.solBackend.waitFor(Buffer.byteLength('typed after takeover\r'))
    assert.ok(!other.output().includes('after takeover'), 'the displaced console must not see new output')
    await con.close()
    await other.stop()
  })

  test('close() hands SOL back: the next console activates without force', async (t) => {
    if (!requireIpmiSim(t) || sim === undefined) return
    const c = client()
    const a = consoleFor(t, c)
    await a.open()
    await a.close()
    const b = consoleFor(t, c) // same session: Deactivate Payload really ran
    const act = await b.open()
    assert.equal(act.takeover, undefined)
    await b.close()
  })
})

// SOL console faults against ipmi_sim: a BMC killed mid-session, a hung BMC
// (SIGSTOP), each detected within the 10 s liveness budget and followed by a
// working new activation (restart / SIGCONT: the whole outage -> recovery
// cycle), and lossy or duplicating networks through the UDP fault proxy with
// byte streams that stay exact.
import { describe, test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { freePort, requireIpmiSim, startIpmiSim, type IpmiSim } from '../lab/sim.js'
import { FaultProxy, type FaultSettings } from '../lab/fault-proxy.js'
import { SolConsole } from '../../src/sol/console.js'
import { Collector, consoleWrite, hostWritePaced, labClient, nextState, within } from '../integration/sol/helpers.js'

const LIVENESS_MS = 10_000

async function lab(t: TestContext): Promise<IpmiSim | undefined> {
  if (!requireIpmiSim(t)) return undefined
  const sim = await startIpmiSim()
  t.after(() => sim.stop())
  return sim
}

/** A connected console on `target` whose client and console are closed after the test. */
async function openConsole(t: TestContext, target: { host: string; port: number }) {
  const client = labClient(target)
  const con = SolConsole.forClient(client, { livenessTimeoutMs: LIVENESS_MS })
  t.after(async () => {
    await con.close()
    await client.close()
  })
  const got = new Collector(con)
  await con.open()
  return { client, con, got }
}

/** Both directions work: host output reaches the console and typed bytes reach the host. */
async function provesDataFlows(sim: IpmiSim, con: SolConsole, got: Collector, tag: string): Promise<void> {
  await sim.solBackend.write(`host ${tag}\r\n`)
  await got.waitFor((b) => b.includes(`host ${tag}\r\n`))
  sim.solBackend.clearReceived()
  con.write(Buffer.from(`typed ${tag}\r`))
  await sim.solBackend.waitFor((b) => b.includes(`typed ${tag}\r`))
}

describe('SOL console when the BMC dies or hangs', { timeout: 90_000 }, () => {
  test('killed mid-session: unreachable within 10 s; after a restart a new activation works', async (t) => {
    const sim = await lab(t)
    if (sim === undefined) return
    const { con, got } = await openConsole(t, sim)
    await provesDataFlows(sim, con, got, 'before')
    const failed = nextState(con, ['error', 'closed'])
    const killedAt = performance.now()
    sim.kill()
    const r = await within(failed, LIVENESS_MS + 5000, 'error after kill')
    const tookMs = r.at - killedAt
    t.diagnostic(`killed BMC reported as ${r.error?.reason} after ${Math.round(tookMs)} ms`)
    assert.equal(r.state, 'error')
    assert.ok(r.error?.reason === 'unreachable' || r.error?.reason === 'timeout', `reason ${r.error?.reason}`)
    assert.ok(tookMs < LIVENESS_MS, `took ${tookMs} ms`)

    await sim.restart()
    await con.open() // same console, same client: a new login and activation
    await provesDataFlows(sim, con, got, 'after restart')
  })

  test('killed while typing: the unacknowledged data path reports it within 10 s too', async (t) => {
    const sim = await lab(t)
    if (sim === undefined) return
    const { con } = await openConsole(t, sim)
    const failed = nextState(con, ['error', 'closed'])
    sim.kill()
    const killedAt = performance.now()
    con.write(Buffer.from('typed into the void\r'))
    const r = await within(failed, LIVENESS_MS + 5000, 'error after kill')
    assert.equal(r.error?.reason, 'unreachable')
    assert.ok(r.at - killedAt < LIVENESS_MS, `took ${r.at - killedAt} ms`)
  })

  test('hung (SIGSTOP): unreachable within 10 s; after SIGCONT a new activation takes our stale instance back', async (t) => {
    const sim = await lab(t)
    if (sim === undefined) return
    const { con, got } = await openConsole(t, sim)
    await provesDataFlows(sim, con, got, 'before')
    const failed = nextState(con, ['error', 'closed'])
    const stoppedAt = performance.now()
    sim.pause()
    t.after(() => {
      if (sim.running) sim.resume()
    })
    const r = await within(failed, LIVENESS_MS + 5000, 'error after SIGSTOP')
    t.diagnostic(`hung BMC reported as ${r.error?.reason} after ${Math.round(r.at - stoppedAt)} ms`)
    assert.ok(r.error?.reason === 'unreachable' || r.error?.reason === 'timeout', `reason ${r.error?.reason}`)
    assert.ok(r.at - stoppedAt < LIVENESS_MS, `took ${r.at - stoppedAt} ms`)

    sim.resume()
    // The BMC still thinks our lost session holds SOL: no force needed to take our own ghost back.
    const act = await con.open()
    assert.equal(act.takeover?.ownGhost, true)
    await provesDataFlows(sim, con, got, 'after resume')
  })
})

describe('SOL console that cannot connect', { timeout: 30_000 }, () => {
  test('nobody answers: unreachable (login gave up) or timeout (our deadline first), never connected', async (t) => {
    const port = await freePort('udp')
    const cases = [
      { loginMs: 1500, openMs: 5000, reason: 'unreachable' },
      { loginMs: 5000, openMs: 1500, reason: 'timeout' },
    ]
    for (const c of cases) {
      const client = labClient({ host: '127.0.0.1', port }, { timing: { connectTimeoutMs: c.loginMs } })
      t.after(() => client.close())
      const con = SolConsole.forClient(client, { openTimeoutMs: c.openMs })
      const states: string[] = []
      con.on('state', (s, e) => states.push(e === undefined ? s : `${s}:${e.reason}`))
      const t0 = performance.now()
      await assert.rejects(con.open(), (e: { reason?: string }) => e.reason === c.reason)
      assert.deepEqual(states, ['connecting', `error:${c.reason}`])
      assert.ok(performance.now() - t0 < Math.min(c.loginMs, c.openMs) + 1000)
    }
  })
})

describe('SOL console through a faulty network', { timeout: 180_000 }, () => {
  // Each BMC retransmit costs ipmi_sim's fixed 1 s, so the lossy case moves less data.
  const cases: { name: string; faults: Partial<FaultSettings>; seed: number; hostBytes: number; typedBytes: number }[] = [
    { name: '5% loss each way', faults: { lossRate: 0.05 }, seed: 11, hostBytes: 32 * 1024, typedBytes: 4 * 1024 },
    // No jitter: ipmi_sim has no duplicate filter on session sequence numbers and
    // would write a copy that arrives after the next packet twice (its bug, not ours).
    { name: '10% duplication and 10% reordering each way', faults: { duplicateRate: 0.1, reorderRate: 0.1 }, seed: 12, hostBytes: 128 * 1024, typedBytes: 16 * 1024 },
  ]
  for (const c of cases) {
    test(`${c.name}: both byte streams stay exact`, async (t) => {
      const sim = await lab(t)
      if (sim === undefined) return
      const proxy = await FaultProxy.start({ target: { port: sim.port }, seed: c.seed })
      t.after(() => proxy.close())
      const { con, got } = await openConsole(t, { host: proxy.host, port: proxy.port })
      proxy.configure(c.faults)

      const fromHost = randomBytes(c.hostBytes)
      // One 1 KiB chunk at a time, each delivered and ACKed before the next: see hostWritePaced.
      const ackForwarded = (): Promise<void> => new Promise((resolve) => {
        const on = (e: { direction: string }): void => {
          if (e.direction !== 'to-bmc') return
          proxy.off('sent', on)
          resolve()
        }
        proxy.on('sent', on)
      })
      await hostWritePaced(sim.solBackend, fromHost, got, 1024, 1024, ackForwarded)
      await got.waitFor(fromHost.length, 120_000)
      assert.ok(got.all().equals(fromHost), 'host -> console stream differs')

      sim.solBackend.clearReceived()
      const typed = randomBytes(c.typedBytes)
      await consoleWrite(con, typed)
      await sim.solBackend.waitFor(typed.length, 120_000)
      assert.ok(sim.solBackend.received().equals(typed), 'console -> host stream differs')

      const s = proxy.stats()
      t.diagnostic(`proxy ${JSON.stringify(s)}; engine ${JSON.stringify(con.stats)}`)
      if (c.faults.lossRate !== undefined) assert.ok(s.dropped > 0 && (con.stats?.retransmits ?? 0) > 0)
      else assert.ok(s['to-bmc'].duplicated + s['to-client'].duplicated > 0)
    })
  }
})

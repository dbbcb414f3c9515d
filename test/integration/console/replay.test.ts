// Replay and lesson 7 on ipmi_sim nodes: a new client gets the recent output
// (the configured tail) with its age; output before any client exists is
// buffered and logged; output the host sends while an on-demand console is
// activating is in the log and in the replay.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { ipmiSimAvailable, requireIpmiSim } from '../../lab/sim.js'
import { FaultProxy } from '../../lab/fault-proxy.js'
import { startIpmiSim, type IpmiSim } from '../../lab/sim.js'
import { deliveredFrom, hostWritePaced, startConsoleLab, TestClient, untilDelivered, type ConsoleLab } from './lab.js'

const TAIL = 16 * 1024
const LINK_DELAY_MS = 300

describe('console replay', { timeout: 240_000 }, () => {
  let lab: ConsoleLab | undefined
  let slowSim: IpmiSim | undefined
  let proxy: FaultProxy | undefined
  before(async () => {
    if (!(ipmiSimAvailable() || process.env.CI)) return
    // r-demand's BMC answers through a link that delays every datagram towards us by
    // LINK_DELAY_MS, so host output sent while it activates arrives after the activation began.
    slowSim = await startIpmiSim({ powerOn: true })
    proxy = await FaultProxy.start({ target: { host: slowSim.host, port: slowSim.port } })
    proxy.configure({ delayMs: LINK_DELAY_MS }, 'to-client')
    lab = await startConsoleLab([
      { name: 'r-full' },
      { name: 'r-demand', bmc: { host: '127.0.0.1', port: proxy.port }, console: { logging: 'interactive' }, over: { timing: { retransmitMs: 1000, backoffMs: 200, retries: 3, connectTimeoutMs: 5000 } } },
    ], { replayBytes: TAIL })
  })
  after(async () => {
    await lab?.stop()
    await proxy?.close()
    await slowSim?.stop()
  })

  it('a new client gets the last output (the configured tail) and its age; the log has all of it', async (t) => {
    if (!requireIpmiSim(t) || lab === undefined) return
    const node = 'r-full'
    const sim = lab.sims.get(node)!
    const s = lab.consoles.get(node)
    await new Promise<void>((resolve) => {
      if (s.state === 'connected') return resolve()
      s.on('state', (st) => st === 'connected' && resolve())
    })
    // Nobody is attached: the output still goes to the buffer and the log.
    let text = ''
    for (let i = 0; text.length < 3 * TAIL; i++) text += `boot message ${i}\r\n`
    const { delivered, wake } = deliveredFrom(lab, node)
    await hostWritePaced(sim, Buffer.from(text), delivered, wake)
    await untilDelivered(lab, node, text.length)
    const c = await TestClient.open(lab.wsUrl(node, 'replay=1&mode=ro'), lab.tokens.viewer)
    await c.until(() => c.replay !== undefined, 10_000, 'replay')
    const replay = c.last('replay')!
    assert.equal(replay.bytes, TAIL)
    assert.ok(replay.ageMs !== null && replay.ageMs >= 0 && replay.ageMs < 30_000, `age ${replay.ageMs}`)
    assert.equal(c.replay!.toString(), text.slice(-TAIL))
    // Live output follows the replay with no gap and no repeat.
    await sim.solBackend.write('after replay\r\n')
    await c.until(() => c.bytes().toString() === 'after replay\r\n', 10_000, 'live output')
    await s.flush()
    const log = readFileSync(s.status().log!.path, 'latin1')
    assert.ok(log.endsWith(`${text}after replay\r\n`), 'the log has every byte')
    c.close()
  })

  it('output the host sends while an on-demand console activates is in the log and the replay', async (t) => {
    if (!requireIpmiSim(t) || lab === undefined) return
    const node = 'r-demand'
    const sim = slowSim!
    const s = lab.consoles.get(node)
    assert.equal(s.state, 'unconnected')
    assert.equal(s.status().wanted, false)
    // The host prints a numbered line every 20 ms (slower than the delayed link carries,
    // so ipmi_sim drops nothing); the first client starts the activation.
    let stop = false
    const written: number[] = []
    const writer = (async () => {
      for (let i = 0; !stop && i < 5000; i++) {
        written[i] = performance.now()
        await sim.solBackend.write(`line ${i}\r\n`)
        await new Promise((r) => setTimeout(r, 20))
      }
    })()
    let connectedAt = 0
    s.on('state', (st) => {
      if (st === 'connected' && connectedAt === 0) connectedAt = performance.now()
    })
    let firstByteAt = 0
    lab.sup.on('console:data', (n) => {
      if (n === node && firstByteAt === 0) firstByteAt = performance.now()
    })
    const c = await TestClient.open(lab.wsUrl(node, 'replay=1'), lab.tokens.operator)
    await c.until(() => c.state() === 'connected', 20_000, 'connected')
    await c.until(() => c.received > 300, 30_000, 'live lines')
    stop = true
    await writer
    await s.flush()
    const log = readFileSync(s.status().log!.path, 'latin1')
    const lines = [...log.matchAll(/line (\d+)\r\n/g)].map((m) => Number(m[1]))
    assert.ok(lines.length > 10, log.slice(0, 200))
    const first = lines[0]!
    t.diagnostic(`first logged line ${first}, written ${Math.round(connectedAt - written[first]!)} ms before the session said connected; first byte ${Math.round(connectedAt - firstByteAt)} ms before it`)
    // Contiguous from the first line the console carried: nothing lost in activation.
    lines.forEach((n, i) => assert.equal(n, first + i))
    const duringActivation = lines.filter((n) => written[n]! < connectedAt)
    assert.ok(duringActivation.length >= 2, `lines sent before the console was connected and kept: ${duringActivation.join(',')}`)
    // And what the client saw (replay, then live) is exactly the log.
    const seen = Buffer.concat([c.replay ?? Buffer.alloc(0), c.bytes()]).toString('latin1')
    assert.ok(log.endsWith(seen) || seen.startsWith(log.slice(log.indexOf('line '))), 'the client saw the logged stream')
    // A second client's replay holds the recent output, the activation's included.
    const late = await TestClient.open(lab.wsUrl(node, 'replay=1&mode=ro'), lab.tokens.viewer)
    await late.until(() => late.replay !== undefined, 10_000, 'replay')
    assert.ok(log.endsWith(late.replay!.toString('latin1')))
    // The last client leaving closes an on-demand console again.
    c.close()
    late.close()
    await new Promise<void>((resolve) => {
      const check = () => {
        if (s.state !== 'unconnected' || s.clientCount !== 0) return
        s.off('state', check)
        resolve()
      }
      s.on('state', check)
      check()
    })
    assert.equal(s.status().wanted, false)
    assert.equal(s.status().reason, null, 'closed on demand is not an error')
  })
})

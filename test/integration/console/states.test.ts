// Console states as clients see them (DESIGN lesson 5), through the
// WebSocket endpoint: a BMC that dies and comes back (ipmi_sim killed and
// restarted on the same port), and exec consoles whose command exits, whose
// connected-pattern never appears, and whose pattern appears.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { freePort, ipmiSimAvailable, requireIpmiSim } from '../../lab/sim.js'
import type { ServerMessage } from '../../../src/console/index.js'
import { startConsoleLab, TestClient, type ConsoleLab } from './lab.js'

type StateMsg = Extract<ServerMessage, { type: 'state' }>
const states = (c: TestClient): StateMsg[] => c.messages.filter((m): m is StateMsg => m.type === 'state')

describe('console states', { timeout: 240_000 }, () => {
  let lab: ConsoleLab | undefined
  let marker = ''
  before(async () => {
    if (!(ipmiSimAvailable() || process.env.CI)) return
    const dead = { host: '127.0.0.1', port: await freePort('udp') } // exec nodes: no BMC answers, which does not matter to their console
    marker = join(mkdtempSync(join(tmpdir(), 'bmcvisor-exec-off-')), 'ran')
    const allowed = { allowExecConsole: true } // serve --allow-exec-consoles
    lab = await startConsoleLab([
      { name: 'b1' },
      { name: 'e-exit', bmc: dead, console: { method: 'exec', command: 'echo "hello from e-exit"; read line; echo "got $line"; exit 3' }, over: allowed },
      { name: 'e-never', bmc: dead, console: { method: 'exec', command: 'echo "waiting for the host"; exec sleep 60', connectedPattern: 'Connected to \\w+' }, over: { ...allowed, consoleExec: { command: 'echo "waiting for the host"; exec sleep 60', connectedPattern: 'Connected to \\w+', connectTimeoutMs: 1500 } } },
      { name: 'e-pattern', bmc: dead, console: { method: 'exec', command: 'echo booting; sleep 0.5; echo "Connected to host"; exec cat', connectedPattern: 'Connected to \\w+', logging: 'interactive' }, over: allowed },
      // The service does not allow exec consoles: the command must never run.
      { name: 'e-off', bmc: dead, console: { method: 'exec', command: `touch ${marker}; exec cat` } },
    ])
  })
  after(async () => {
    await lab?.stop()
    if (marker !== '') rmSync(dirname(marker), { recursive: true, force: true })
  })

  it('BMC down: connecting and then unconnected with the reason; BMC back: connected by itself', async (t) => {
    if (!requireIpmiSim(t) || lab === undefined) return
    const sim = lab.sims.get('b1')!
    const c = await TestClient.open(lab.wsUrl('b1', 'replay=0'), lab.tokens.viewer)
    await c.until(() => c.state() === 'connected', 30_000, 'connected')
    const seen = states(c).length
    sim.kill()
    await sim.waitForExit()
    const t0 = performance.now()
    // The open console notices within its liveness deadline (3 s here) and says why; the
    // reconnect attempts that follow are each announced as connecting and end unreachable.
    await c.until(() => {
      const after = states(c).slice(seen)
      const i = after.findIndex((m) => m.state === 'connecting')
      return after.some((m) => m.state === 'unconnected' && m.reason === 'unreachable') && i >= 0 && after.slice(i).some((m) => m.state === 'unconnected' && m.reason === 'unreachable')
    }, 30_000, 'unconnected (unreachable) and a failed attempt')
    t.diagnostic(`down noticed and retried in ${Math.round(performance.now() - t0)} ms: ${states(c).slice(seen).map((m) => `${m.state}${m.reason ? `(${m.reason})` : ''}`).join(' ')}`)
    assert.equal(states(c).slice(seen).some((m) => m.state === 'connected'), false, 'never connected while the BMC was down')
    const status = lab.consoles.status('b1')
    assert.notEqual(status.state, 'connected')
    await sim.restart()
    const t1 = performance.now()
    await c.until(() => c.state() === 'connected', 30_000, 'connected again')
    t.diagnostic(`connected ${Math.round(performance.now() - t1)} ms after the BMC came back`)
    // Bytes flow again, to the same client, without anyone reconnecting by hand.
    await sim.solBackend.write('back again\n')
    await c.until(() => c.bytes().includes('back again\n'), 10_000, 'output after recovery')
    c.close()
  })

  it('exec: connected once the command runs; unconnected with the exit status when it ends; then it runs again', async (t) => {
    if (!requireIpmiSim(t) || lab === undefined) return
    const c = await TestClient.open(lab.wsUrl('e-exit', 'replay=1'), lab.tokens.operator)
    await c.until(() => c.state() === 'connected', 20_000, 'connected')
    await c.until(() => (c.replay ?? Buffer.alloc(0)).toString().concat(c.bytes().toString()).includes('hello from e-exit'), 10_000, 'greeting')
    c.send('ping\n')
    await c.until(() => states(c).some((m) => m.state === 'unconnected' && m.reason === 'exited'), 10_000, 'exited')
    const exited = states(c).find((m) => m.reason === 'exited')!
    assert.match(exited.message ?? '', /exited with status 3/)
    assert.ok(c.bytes().toString().includes('got ping'))
    // Reconnect works the same for exec: the command is started again.
    const n = states(c).length
    await c.until(() => states(c).slice(n).some((m) => m.state === 'connected'), 20_000, 'connected again')
    c.close()
  })

  it('exec with a connected-pattern that never appears: connecting until the deadline, then unconnected (timeout)', async (t) => {
    if (!requireIpmiSim(t) || lab === undefined) return
    const c = await TestClient.open(lab.wsUrl('e-never', 'replay=1'), lab.tokens.viewer)
    await c.until(() => states(c).some((m) => m.state === 'unconnected' && m.reason === 'timeout'), 20_000, 'timeout')
    const seq = states(c).map((m) => m.state)
    assert.equal(seq.includes('connected'), false, `never connected: ${seq.join(' ')}`)
    assert.ok(seq.includes('connecting'))
    // What the command printed while connecting is logged and replayed (lesson 7).
    await lab.consoles.get('e-never').flush()
    const late = await TestClient.open(lab.wsUrl('e-never', 'replay=1'), lab.tokens.viewer)
    await late.until(() => late.replay !== undefined, 10_000, 'replay')
    assert.match(late.replay!.toString(), /waiting for the host/)
    c.close()
    late.close()
  })

  it('exec with a pattern that appears (interactive: started by the first client): connecting, then connected; input reaches the command', async (t) => {
    if (!requireIpmiSim(t) || lab === undefined) return
    const c = await TestClient.open(lab.wsUrl('e-pattern', 'replay=1'), lab.tokens.operator)
    await c.until(() => c.state() === 'connecting', 20_000, 'connecting')
    await c.until(() => c.state() === 'connected', 20_000, 'connected')
    const seq = states(c).map((m) => m.state)
    assert.deepEqual(seq.slice(seq.lastIndexOf('connecting')), ['connecting', 'connected'])
    const out = () => `${c.replay?.toString() ?? ''}${c.bytes().toString()}`
    assert.match(out(), /booting\n(?:[^]*)Connected to host/)
    c.send('typed into cat\n')
    await c.until(() => out().includes('typed into cat\n'), 10_000, 'echo from the command')
    c.close()
  })

  it('exec consoles off (no --allow-exec-consoles): unconnected with reason exec_disabled, and the command never runs', async (t) => {
    if (!requireIpmiSim(t) || lab === undefined) return
    const c = await TestClient.open(lab.wsUrl('e-off', 'replay=0'), lab.tokens.operator)
    await c.until(() => states(c).some((m) => m.state === 'unconnected' && m.reason === 'exec_disabled'), 20_000, 'exec_disabled')
    assert.match(states(c).find((m) => m.reason === 'exec_disabled')!.message ?? '', /--allow-exec-consoles/)
    // A retry (reopen) does not run it either; the worker answers it like any reopen.
    await lab.consoles.reopen('e-off')
    assert.equal(lab.consoles.status('e-off').reason, 'exec_disabled')
    assert.equal(states(c).some((m) => m.state === 'connected' || m.state === 'connecting'), false)
    assert.equal(existsSync(marker), false, 'the command was not started')
    c.close()
  })
})

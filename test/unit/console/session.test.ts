// ConsoleSession with a fake supervisor port, fake clock and fake client
// sinks: states (lesson 5), fan-out, replay, holder and takeover, slow
// clients, logging modes and on-demand control, worker restarts.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ConsoleSession, SLOW_CLIENT_CLOSE_CODE, type ConsoleEventSource, type ConsolePort, type NodeConsoleConfig } from '../../../src/console/index.js'
import type { Supervisor } from '../../../src/supervisor/supervisor.js'
import { FakeClock, FakePort, FakeSink } from './fakes.js'

const bytes = (s: string) => Buffer.from(s, 'latin1')

function make(config: NodeConsoleConfig = {}, o: { maxClientBufferBytes?: number; replayBytes?: number } = {}) {
  const port = new FakePort()
  const clock = new FakeClock()
  const s = new ConsoleSession({ node: 'n1', config, port, clock, defer: (fn) => fn(), ...o })
  s.handleWorkerState('running')
  return { port, clock, s }
}

const rw = { mode: 'rw' as const, replay: 'tail' as const, user: 'alice', canWrite: true }
const ro = { mode: 'ro' as const, replay: 'tail' as const, user: 'bob', canWrite: false }

describe('ConsoleSession', () => {
  it('the Supervisor satisfies the narrow port and event source (compile-time check)', () => {
    const check = (s: Supervisor): [ConsolePort, ConsoleEventSource] => [s, s]
    assert.equal(typeof check, 'function')
  })

  it('maps worker states to unconnected/connecting/connected with a reason, and tells every client', () => {
    const { s } = make()
    const a = new FakeSink()
    s.attach(a, rw)
    assert.equal(s.state, 'unconnected')
    s.handleState({ state: 'connecting' })
    s.handleState({ state: 'error', reason: 'unreachable', error: { code: 'BMC_UNREACHABLE', message: 'no answer', retryable: true } })
    assert.deepEqual(a.last('state'), { type: 'state', state: 'unconnected', reason: 'unreachable', message: 'no answer' })
    s.handleState({ state: 'connecting' })
    s.handleState({ state: 'connected' })
    assert.deepEqual(a.messages.filter((m) => m.type === 'state').map((m) => (m as { state: string }).state), ['unconnected', 'connecting', 'unconnected', 'connecting', 'connected'])
    s.handleWorkerState('restarting')
    assert.equal(s.status().reason, 'worker_unavailable')
  })

  it('fans every byte out to every client once, and buffers before any client exists (lesson 7)', () => {
    const { s, clock } = make()
    s.handleState({ state: 'connecting' })
    s.handleData(bytes('login: ')) // output during activation, nobody attached yet
    s.handleState({ state: 'connected' })
    clock.tick(2500)
    const sinks = [new FakeSink(), new FakeSink(), new FakeSink()]
    for (const k of sinks) s.attach(k, { ...ro, replay: 'tail' as const })
    s.handleData(bytes('root\r\n'))
    for (const k of sinks) {
      assert.equal(k.text(), 'login: root\r\n')
      assert.deepEqual(k.messages.find((m) => m.type === 'replay'), { type: 'replay', kind: 'tail', bytes: 7, ageMs: 2500 })
    }
    const noReplay = new FakeSink()
    s.attach(noReplay, { ...ro, replay: 'none' as const })
    s.handleData(bytes('x'))
    assert.equal(noReplay.text(), 'x')
    assert.equal(s.status().bytesIn, 14)
  })

  it('coalesces what arrives in one turn into one frame per client, in order with control messages, and a newcomer gets pending bytes once', () => {
    const queued: (() => void)[] = []
    const port = new FakePort()
    const s = new ConsoleSession({ node: 'n1', config: {}, port, clock: new FakeClock(), defer: (fn) => queued.push(fn) })
    const a = new FakeSink()
    s.attach(a, ro)
    s.handleData(bytes('ab'))
    s.handleData(bytes('cd'))
    const b = new FakeSink()
    s.attach(b, ro) // flushes 'abcd' to a first; b gets it as replay
    s.handleData(bytes('ef'))
    s.handleState({ state: 'connected' }) // flushes 'ef' before the state message
    for (const fn of queued.splice(0)) fn()
    assert.deepEqual(a.bytes.map((x) => Buffer.from(x).toString()), ['abcd', 'ef'])
    assert.deepEqual(b.bytes.map((x) => Buffer.from(x).toString()), ['abcd', 'ef'])
    const i = a.messages.findIndex((m) => m.type === 'state' && m.state === 'connected')
    assert.ok(i > 0)
  })

  it('replays only the configured tail', () => {
    const { s } = make({}, { replayBytes: 4 })
    s.handleData(bytes('abcdefgh'))
    const k = new FakeSink()
    s.attach(k, ro)
    assert.equal(k.text(), 'efgh')
  })

  it('one read-write holder: only its keystrokes go through; takeover moves it; leaving promotes the next rw client', () => {
    const { s, port } = make()
    s.handleState({ state: 'connected' })
    const a = new FakeSink()
    const b = new FakeSink()
    const v = new FakeSink()
    const ha = s.attach(a, rw)
    const hb = s.attach(b, { ...rw, user: 'carol' })
    const hv = s.attach(v, ro)
    assert.deepEqual(s.status().holder, { client: ha.id, user: 'alice' })
    assert.equal(a.last('holder')?.you, true)
    assert.equal(b.last('holder')?.you, false)
    ha.input(bytes('a'))
    hb.input(bytes('b'))
    hb.input(bytes('b'))
    hv.input(bytes('v'))
    assert.deepEqual(port.inputs.map((x) => Buffer.from(x as Uint8Array).toString()), ['a'])
    assert.equal(b.messages.filter((m) => m.type === 'error').length, 1, 'told once, not per keystroke')
    hv.takeover()
    assert.equal(v.last('error')?.code, 'FORBIDDEN', 'a viewer cannot take over')
    hb.takeover()
    assert.equal(s.status().holder?.client, hb.id)
    assert.match(a.last('notice')?.message ?? '', /carol took read-write over/)
    hb.input(bytes('B'))
    ha.input(bytes('A'))
    hb.sendBreak()
    assert.deepEqual(port.inputs.slice(1), [bytes('B'), { type: 'break' }])
    hb.detach()
    assert.equal(s.status().holder?.client, ha.id, 'alice asked for rw and gets it back')
    assert.equal(v.last('clients')?.count, 2)
  })

  it('drops a client that falls too far behind, without delaying the others', () => {
    const { s } = make({}, { maxClientBufferBytes: 1000 })
    const slow = new FakeSink()
    const fast = new FakeSink()
    slow.stalled = true
    s.attach(slow, ro)
    s.attach(fast, ro)
    for (let i = 0; i < 20; i++) s.handleData(Buffer.alloc(100, 0x41 + (i % 26)))
    assert.equal(fast.text().length, 2000)
    assert.equal(slow.closedWith?.code, SLOW_CLIENT_CLOSE_CODE)
    assert.equal(slow.last('dropped')?.reason, 'slow')
    assert.equal(slow.text().length, 1100, 'nothing after the drop')
    assert.equal(s.clientCount, 1)
  })

  it('on-demand modes: the console is wanted only while a client is attached', () => {
    const { s, port } = make({ logging: 'interactive' })
    assert.deepEqual(port.controls, [{ node: 'n1', demand: false, fleetSize: 1 }])
    const h1 = s.attach(new FakeSink(), ro)
    const h2 = s.attach(new FakeSink(), ro)
    // The second client finds it still unconnected: retry now again (cheap, and the wait may have begun).
    assert.deepEqual(port.controls.slice(1), [{ node: 'n1', demand: true, retryNow: true }, { node: 'n1', retryNow: true }])
    h1.detach()
    h2.detach()
    assert.deepEqual(port.controls.slice(3), [{ node: 'n1', demand: false }])
    // A new worker is told the demand again.
    s.handleWorkerState('restarting')
    s.handleWorkerState('running')
    assert.deepEqual(port.controls.at(-1), { node: 'n1', demand: false, fleetSize: 1 })
  })

  it('always-on modes: attaching to an unconnected console retries now; to a connected one, nothing', () => {
    const { s, port } = make({ logging: 'memory' })
    port.controls.length = 0
    s.handleState({ state: 'error', reason: 'unreachable' })
    s.attach(new FakeSink(), ro)
    assert.deepEqual(port.controls, [{ node: 'n1', retryNow: true }])
    s.handleState({ state: 'connected' })
    s.attach(new FakeSink(), ro)
    assert.equal(port.controls.length, 1)
  })

  it("logging 'none' keeps no replay buffer", () => {
    const { s } = make({ logging: 'none' })
    const a = new FakeSink()
    s.attach(a, ro)
    s.handleData(bytes('secret'))
    const b = new FakeSink()
    s.attach(b, ro)
    assert.equal(b.last('replay')?.bytes, 0)
    assert.equal(b.text(), '')
  })

  it('reopen goes to the worker; close tells the clients and ends them', async () => {
    const { s, port } = make()
    const a = new FakeSink()
    s.attach(a, rw)
    await s.reopen()
    assert.equal(port.reopens, 1)
    await s.close('bye')
    assert.deepEqual(a.closedWith, { code: 1001, reason: 'bye' })
    assert.equal(s.clientCount, 0)
  })
})

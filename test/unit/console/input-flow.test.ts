// Bounded console input, the main thread's side (ConsoleSession with its
// InputFlow, a fake port answering like the worker, a fake clock): input past
// the limit is cut and the typing client told (`input-dropped`), bytesOut
// counts only what the worker says it wrote, the typing client is paused at
// half the limit and resumed by answers, drains or the pause deadline, and a
// worker that goes away turns what it had not answered into told drops.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ConsoleSession } from '../../../src/console/index.js'
import { FakeClock, FakePort, FakeSink } from './fakes.js'

const LIMIT = 1000
const rw = { mode: 'rw' as const, replay: 'none' as const, user: 'alice', canWrite: true }
const ro = { mode: 'ro' as const, replay: 'none' as const, user: 'bob', canWrite: false }

function make() {
  const port = new FakePort()
  const clock = new FakeClock()
  const s = new ConsoleSession({ node: 'n1', config: {}, port, clock, defer: (fn) => fn(), inputLimitBytes: LIMIT, inputPauseMaxMs: 5000 })
  s.handleWorkerState('running')
  s.handleState({ state: 'connected' })
  const dropped: [number, string][] = []
  s.on('input-dropped', (bytes, reason) => dropped.push([bytes, reason]))
  return { port, clock, s, dropped }
}

const told = (c: FakeSink) => c.messages.filter((m) => m.type === 'input-dropped')
const posted = (port: FakePort) => port.inputs.filter((x): x is Uint8Array => x instanceof Uint8Array).map((x) => x.length)

describe('ConsoleSession input bounds', () => {
  it('cuts input past the limit, tells the typist, and counts only what the worker wrote', () => {
    const { port, s, dropped } = make()
    const a = new FakeSink()
    const b = new FakeSink()
    s.attach(a, rw)
    s.attach(b, ro)
    s.input(1, Buffer.alloc(400))
    s.input(1, Buffer.alloc(400))
    s.input(1, Buffer.alloc(400)) // 200 fit
    s.input(1, Buffer.alloc(10)) // none fit
    assert.deepEqual(posted(port), [400, 400, 200])
    assert.deepEqual(told(a), [{ type: 'input-dropped', bytes: 200, reason: 'buffer_full' }, { type: 'input-dropped', bytes: 10, reason: 'buffer_full' }])
    assert.deepEqual(told(b), [], 'only the client that typed is told')
    assert.equal(s.status().bytesOut, 0, 'nothing is written until the worker says so')
    // The worker wrote the first two; the console then held 300 and cut the third.
    s.handleInput({ type: 'input', written: 400, dropped: 0, backlog: 100 })
    s.handleInput({ type: 'input', written: 400, dropped: 0, backlog: 300 })
    s.handleInput({ type: 'input', written: 150, dropped: 50, reason: 'buffer_full', backlog: 450 })
    assert.equal(s.status().bytesOut, 950)
    assert.equal(s.status().inputDroppedBytes, 260)
    assert.deepEqual(dropped, [[200, 'buffer_full'], [10, 'buffer_full'], [50, 'buffer_full']])
    assert.equal(told(a).at(-1)?.bytes, 50)
  })

  it('input toward a console that is not connected, or a worker that is down, is dropped and told, not lost silently', () => {
    const { port, s } = make()
    const a = new FakeSink()
    s.attach(a, rw)
    s.handleState({ state: 'connecting' })
    s.input(1, Buffer.alloc(5))
    assert.deepEqual(told(a), [{ type: 'input-dropped', bytes: 5, reason: 'not_connected' }])
    s.handleState({ state: 'connected' })
    s.input(1, Buffer.alloc(7))
    s.handleWorkerState('restarting') // never answered
    assert.deepEqual(told(a).at(-1), { type: 'input-dropped', bytes: 7, reason: 'worker_unavailable' })
    assert.equal(s.status().inputDroppedBytes, 12)
    assert.equal(posted(port).length, 1)
  })

  it('pauses the typist at half the limit; answers below half, a drain or the deadline resume it', () => {
    const { s, clock } = make()
    const a = new FakeSink()
    s.attach(a, rw)
    s.input(1, Buffer.alloc(300))
    assert.equal(a.paused, false)
    s.input(1, Buffer.alloc(300))
    assert.equal(a.paused, true, '600 of 1000 in flight')
    s.handleInput({ type: 'input', written: 300, dropped: 0, backlog: 300 })
    assert.equal(a.paused, true, 'the console still holds 300 and 300 are in flight')
    s.handleInput({ type: 'input', written: 300, dropped: 0, backlog: 600 })
    assert.equal(a.paused, true, 'the console holds 600')
    s.handleInput({ type: 'input-drain', backlog: 100 })
    assert.equal(a.paused, false, 'drained below half')
    // A console that never takes anything: paused until the deadline, then its input is dropped and told.
    s.input(1, Buffer.alloc(500))
    assert.equal(a.paused, true)
    s.handleInput({ type: 'input', written: 500, dropped: 0, backlog: 600 })
    clock.tick(5000)
    assert.equal(a.paused, false, 'the deadline resumed it')
    s.input(1, Buffer.alloc(500))
    assert.deepEqual(told(a).at(-1), { type: 'input-dropped', bytes: 100, reason: 'buffer_full' })
    assert.equal(a.pauses, 3)
  })

  it('a paused client that leaves or loses read-write is released; the console going down releases it too', () => {
    const { s } = make()
    const a = new FakeSink()
    const b = new FakeSink()
    const ha = s.attach(a, rw)
    const hb = s.attach(b, { ...rw, user: 'carol' })
    ha.input(Buffer.alloc(600))
    assert.equal(a.paused, true)
    hb.takeover()
    assert.equal(a.paused, false)
    hb.input(Buffer.alloc(100))
    assert.equal(b.paused, true, 'what is in flight counts for the new holder too')
    s.handleState({ state: 'error', reason: 'unreachable' })
    assert.equal(b.paused, true, '700 are still in flight')
    s.handleInput({ type: 'input', written: 0, dropped: 600, reason: 'not_connected', backlog: 0 })
    assert.equal(b.paused, false, '100 in flight: below half')
    assert.deepEqual(told(a).at(-1), { type: 'input-dropped', bytes: 600, reason: 'not_connected' }, 'told to the client that typed it')
    s.handleInput({ type: 'input', written: 0, dropped: 100, reason: 'not_connected', backlog: 0 })
    assert.deepEqual(told(b).at(-1), { type: 'input-dropped', bytes: 100, reason: 'not_connected' })
    s.handleState({ state: 'connected' })
    hb.input(Buffer.alloc(800))
    assert.equal(b.paused, true)
    hb.detach()
    assert.equal(b.paused, false, 'released when it leaves')
  })
})

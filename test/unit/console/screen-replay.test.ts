// A client that attaches with replay 'screen' (the default of the WebSocket):
// the session asks the worker for its screen and holds live bytes back from
// that client until the answer, which covers them; then bytes flow with no gap
// or repeat. No answer in time, or the worker going away, gets the raw tail.
// Fake port, clock and sinks.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ConsoleSession } from '../../../src/console/index.js'
import { SCREEN_WAIT_MS } from '../../../src/console/screen-waits.js'
import { FakeClock, FakePort, FakeSink } from './fakes.js'

const bytes = (s: string) => Buffer.from(s, 'latin1')
const screenRequests = (p: FakePort) => p.inputs.filter((m) => !(m instanceof Uint8Array) && m.type === 'snapshot').length

function make() {
  const port = new FakePort()
  const clock = new FakeClock()
  const s = new ConsoleSession({ node: 'n1', config: {}, port, clock, defer: (fn) => fn() })
  s.handleWorkerState('running')
  s.handleState({ state: 'connected' })
  return { port, clock, s }
}
const viewer = { mode: 'ro' as const, replay: 'screen' as const, user: 'bob', canWrite: false }

describe('ConsoleSession screen replay', () => {
  it('the first frame is the screen; bytes before the answer are in it, bytes after it follow', () => {
    const { s, port } = make()
    s.handleData(bytes('old boot log '))
    const watcher = new FakeSink()
    s.attach(watcher, { ...viewer, replay: 'none' })
    const late = new FakeSink()
    s.attach(late, viewer)
    assert.equal(screenRequests(port), 1)
    s.handleData(bytes('drawn-while-waiting '))
    assert.equal(late.bytes.length, 0, 'no live bytes before the screen')
    assert.equal(watcher.text(), 'drawn-while-waiting ')
    s.handleScreen('<SCREEN>')
    s.handleData(bytes('after'))
    assert.deepEqual(late.messages.find((m) => m.type === 'replay'), { type: 'replay', kind: 'screen', bytes: 8, ageMs: 0 })
    assert.equal(late.text(), '<SCREEN>after')
    assert.equal(watcher.text(), 'drawn-while-waiting after')
  })

  it('one answer serves every client waiting; a later answer goes to nobody', () => {
    const { s } = make()
    const a = new FakeSink()
    const b = new FakeSink()
    s.attach(a, viewer)
    s.attach(b, viewer)
    s.handleScreen('<S1>')
    s.handleScreen('<S2>')
    assert.equal(a.text(), '<S1>')
    assert.equal(b.text(), '<S1>')
  })

  it('no answer within the wait: the raw tail, then live bytes', () => {
    const { s, clock } = make()
    s.handleData(bytes('tail bytes '))
    const c = new FakeSink()
    s.attach(c, viewer)
    s.handleData(bytes('more '))
    clock.tick(SCREEN_WAIT_MS)
    assert.equal(c.messages.find((m) => m.type === 'replay')?.type, 'replay')
    assert.deepEqual(c.messages.find((m) => m.type === 'replay'), { type: 'replay', kind: 'tail', bytes: 16, ageMs: SCREEN_WAIT_MS })
    s.handleData(bytes('live'))
    s.handleScreen('<late answer>')
    assert.equal(c.text(), 'tail bytes more live')
  })

  it('the worker going away while a client waits: the tail at once; without a worker no request is made', () => {
    const { s, port } = make()
    s.handleData(bytes('x'))
    const c = new FakeSink()
    s.attach(c, viewer)
    s.handleWorkerState('restarting')
    assert.equal(c.text(), 'x')
    const d = new FakeSink()
    s.attach(d, viewer)
    assert.equal(screenRequests(port), 1)
    assert.equal(d.text(), 'x')
  })

  it('a client that detaches while waiting is forgotten', () => {
    const { s } = make()
    const c = new FakeSink()
    const h = s.attach(c, viewer)
    h.detach()
    s.handleScreen('<S>')
    assert.equal(c.bytes.length, 0)
  })
})

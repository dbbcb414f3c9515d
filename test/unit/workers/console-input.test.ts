// InputGate (workers/console-input.ts), the worker's bound on console input,
// with a fake console: what fits is written and the rest answered as dropped,
// every message is answered once and in order, input to a console that is
// not connected (or throws while going down) is dropped and answered, and a
// drain is owed after a high backlog and sent once progress brings it below half.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { InputGate, type InputSink } from '../../../workers/console-input.js'
import type { ConsoleInputDrain, ConsoleInputResult } from '../../../src/bridge/messages.js'

class FakeConsole implements InputSink {
  accepting = true
  backlog = 0
  written: number[] = []
  throws = false
  write(data: Uint8Array): void {
    if (this.throws) throw new RangeError('console is closing')
    this.written.push(data.length)
    this.backlog += data.length
  }
}

function gate(limit = 100) {
  const out: (ConsoleInputResult | ConsoleInputDrain)[] = []
  return { g: new InputGate(limit, (m) => out.push(m)), out }
}

describe('InputGate', () => {
  it('writes what fits, answers the rest as dropped, one answer per message in order', () => {
    const { g, out } = gate()
    const con = new FakeConsole()
    assert.equal(g.offer(con, Buffer.alloc(60)), 60)
    assert.equal(g.offer(con, Buffer.alloc(60)), 40)
    assert.equal(g.offer(con, Buffer.alloc(5)), 0)
    assert.deepEqual(con.written, [60, 40])
    assert.deepEqual(out, [
      { type: 'input', written: 60, dropped: 0, backlog: 60 },
      { type: 'input', written: 40, dropped: 20, reason: 'buffer_full', backlog: 100 },
      { type: 'input', written: 0, dropped: 5, reason: 'buffer_full', backlog: 100 },
    ])
  })

  it('input to no console, a console not connected, or one that throws while closing is dropped and answered', () => {
    const { g, out } = gate()
    const con = new FakeConsole()
    assert.equal(g.offer(undefined, Buffer.alloc(3)), 0)
    con.accepting = false
    assert.equal(g.offer(con, Buffer.alloc(4)), 0)
    con.accepting = true
    con.throws = true
    assert.equal(g.offer(con, Buffer.alloc(5)), 0)
    assert.deepEqual(out.map((m) => m.type === 'input' && [m.dropped, m.reason]), [[3, 'not_connected'], [4, 'not_connected'], [5, 'not_connected']])
  })

  it('owes a drain after a backlog of half the limit or more, and sends it once below half', () => {
    const { g, out } = gate()
    const con = new FakeConsole()
    g.offer(con, Buffer.alloc(40))
    g.progress(0)
    assert.equal(out.length, 1, 'no drain owed below half')
    g.offer(con, Buffer.alloc(20))
    g.progress(55)
    assert.equal(out.length, 2, 'still at or above half')
    g.progress(49)
    assert.deepEqual(out.at(-1), { type: 'input-drain', backlog: 49 })
    g.progress(0)
    assert.equal(out.length, 3, 'sent once')
  })

  it('refuses a limit that is not a positive integer', () => {
    assert.throws(() => new InputGate(0, () => undefined), RangeError)
    assert.throws(() => new InputGate(1.5, () => undefined), RangeError)
  })
})

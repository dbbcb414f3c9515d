// systemClock under starvation: a timer that fires late lets the I/O that
// arrived meanwhile be handled first and waits as long again as it was late
// (at most its own length), so a deadline does not fail on the thread's own
// lack of CPU; a timer on time runs at once.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { LATE_TIMER_MS, systemClock } from '../../../src/session/clock.js'

/** Keeps this thread busy for `ms`, as a starved or overloaded event loop is. */
function busy(ms: number): void {
  const end = performance.now() + ms
  while (performance.now() < end) {
    // spin
  }
}

describe('systemClock', () => {
  // systemClock's timers are unref'd: something has to keep this test's loop alive.
  let keepAlive: NodeJS.Timeout
  before(() => {
    keepAlive = setInterval(() => undefined, 1000)
  })
  after(() => clearInterval(keepAlive))

  it('a late timer runs after what the loop had queued meanwhile, and waits about as long as it was late', async () => {
    const order: string[] = []
    const started = performance.now()
    let firedAt = 0
    const done = new Promise<void>((resolve) => {
      systemClock.setTimeout(() => {
        order.push('timer')
        firedAt = performance.now()
        resolve()
      }, 50)
    })
    busy(50 + LATE_TIMER_MS * 3)
    // Stands for an answer that arrived while the thread was busy (handled in the poll phase).
    setImmediate(() => order.push('answer'))
    await done
    assert.deepEqual(order, ['answer', 'timer'])
    assert.ok(firedAt - started >= 50 + LATE_TIMER_MS * 3 + 50 - 5, 'waited again, at most its own 50 ms')
  })

  it('a timer on time runs once, and clearTimeout cancels it, also during its second wait', async () => {
    let runs = 0
    await new Promise<void>((resolve) => systemClock.setTimeout(() => {
      runs++
      resolve()
    }, 5))
    assert.equal(runs, 1)
    const h = systemClock.setTimeout(() => runs++, 20)
    busy(20 + LATE_TIMER_MS * 2)
    await new Promise((r) => setTimeout(r, 5)) // the first timer has fired (late) and armed its second wait
    systemClock.clearTimeout(h)
    await new Promise((r) => setTimeout(r, 60))
    assert.equal(runs, 1)
  })
})

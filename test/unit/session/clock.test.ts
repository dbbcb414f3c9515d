// systemClock under starvation: a timer that fires late lets what arrived
// meanwhile be handled first (it runs after the I/O poll), so a deadline does
// not fail on the thread's own lack of CPU; a timer on time runs at once.
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

  it('a late timer runs after what the loop had queued while the thread was busy', async () => {
    const order: string[] = []
    const done = new Promise<void>((resolve) => {
      systemClock.setTimeout(() => {
        order.push('timer')
        resolve()
      }, 20)
    })
    busy(20 + LATE_TIMER_MS * 3)
    // Stands for an answer that arrived while the thread was busy (handled before the late timer).
    setImmediate(() => order.push('answer'))
    await done
    assert.deepEqual(order, ['answer', 'timer'])
  })

  it('a timer on time runs once, before anything queued after it; a cleared one never runs', async () => {
    const order: string[] = []
    await new Promise<void>((resolve) => systemClock.setTimeout(() => {
      order.push('timer')
      resolve()
    }, 5))
    assert.deepEqual(order, ['timer'])
    let runs = 0
    const h = systemClock.setTimeout(() => runs++, 10)
    systemClock.clearTimeout(h)
    await new Promise((r) => setTimeout(r, 40))
    assert.equal(runs, 0)
  })
})

// systemClock under starvation: a timer that fires late lets what arrived
// meanwhile be handled first (it runs after the I/O poll), so a deadline does
// not fail on the thread's own lack of CPU; a timer on time runs at once.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { Worker } from 'node:worker_threads'
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

  it('a cleared timer does not wake its thread at the time it was due (an idle worker sleeps)', { skip: !existsSync('/proc/thread-self/status') }, async () => {
    // A thread of its own (this one has the test runner's timers) counts its own wake-ups (voluntary
    // context switches) over 500 ms with timers due at 10, 200 and 500 ms: once with a systemClock timer
    // due at 300 ms that it clears at 10 ms (a session keepalive re-armed by traffic), once without. A
    // cleared timer that still woke it would be one more. The least of three tries each, so that a
    // wake-up for anything else (GC) does not count.
    const code = `
      import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))}
      import { readFileSync } from 'node:fs'
      import { parentPort } from 'node:worker_threads'
      register()
      const { systemClock } = await import(${JSON.stringify(new URL('../../../src/session/clock.ts', import.meta.url).href)})
      const wakes = () => Number(/voluntary_ctxt_switches:\\s+(\\d+)/.exec(readFileSync('/proc/thread-self/status', 'latin1'))[1])
      const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
      const keep = setTimeout(() => undefined, 60_000)
      const counts = { cleared: [], none: [] }
      for (let i = 0; i < 3; i++) {
        for (const kind of ['none', 'cleared']) {
          await sleep(50)
          const w0 = wakes()
          const earlier = sleep(200) // an earlier timer is due first, as a console's keepalive is
          const h = kind === 'cleared' ? systemClock.setTimeout(() => undefined, 300) : undefined
          await sleep(10)
          await new Promise((r) => setImmediate(r)) // cleared outside the timers phase, as an answer's I/O callback does
          if (h !== undefined) systemClock.clearTimeout(h)
          await earlier
          await sleep(290)
          counts[kind].push(wakes() - w0)
        }
      }
      clearTimeout(keep)
      parentPort.postMessage(counts)
    `
    const w = new Worker(code, { eval: true })
    const counts = await new Promise<{ cleared: number[]; none: number[] }>((resolve, reject) => {
      w.once('message', resolve)
      w.once('error', reject)
    })
    await w.terminate()
    assert.ok(Math.min(...counts.cleared) <= Math.min(...counts.none), `wake-ups per try: ${JSON.stringify(counts)}`)
  })
})

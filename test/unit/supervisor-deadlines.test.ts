// Deadlines of many calls on few timers, stepped by hand: calls due within one slot share a timer,
// none expires early, a call settled first never expires, and a slot's timer goes when it is empty.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { Deadlines } from '../../src/supervisor/deadlines.js'

function clock() {
  let now = 0
  let seq = 0
  const timers = new Map<number, { at: number; fn: () => void }>()
  return {
    now: () => now,
    setTimer: (fn: () => void, ms: number) => (timers.set(++seq, { at: now + ms, fn }), seq),
    clearTimer: (h: unknown) => void timers.delete(h as number),
    /** Moves time on, running each timer due meanwhile in time order. */
    advance(ms: number) {
      const end = now + ms
      for (;;) {
        const due = [...timers].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0]
        if (due === undefined) break
        timers.delete(due[0])
        now = due[1].at
        due[1].fn()
      }
      now = end
    },
    get timers() {
      return timers.size
    },
  }
}

describe('Deadlines', () => {
  it('calls due within one slot share one timer and expire together, none before its time', () => {
    const c = clock()
    const d = new Deadlines({ slotMs: 50, ...c })
    const expired: number[] = []
    c.advance(5) // deadlines 1005 to 1024.8: all in the slot ending at 1050
    for (let id = 1; id <= 100; id++) {
      d.add(id, 1000, () => expired.push(id))
      c.advance(0.2) // posted over 20 ms, as a range request posts them
    }
    assert.equal(c.timers, 1)
    assert.equal(d.timers, 1)
    c.advance(1025 - 25) // now 1025
    assert.deepEqual(expired, [], 'not before the deadline of the last call')
    c.advance(25)
    assert.equal(expired.length, 100)
    assert.equal(c.timers, 0)
  })

  it('a call removed before its deadline never expires; the others of its slot still do', () => {
    const c = clock()
    const d = new Deadlines({ slotMs: 50, ...c })
    const expired: number[] = []
    const t1 = d.add(1, 500, () => expired.push(1))
    d.add(2, 500, () => expired.push(2))
    d.remove(t1, 1)
    c.advance(600)
    assert.deepEqual(expired, [2])
  })

  it('a slot whose calls were all removed has its timer cleared', () => {
    const c = clock()
    const d = new Deadlines({ slotMs: 50, ...c })
    const early = d.add(1, 100, () => assert.fail('removed'))
    const late = d.add(2, 5000, () => assert.fail('removed'))
    assert.equal(c.timers, 2)
    d.remove(early, 1)
    d.remove(late, 2)
    assert.equal(c.timers, 0)
    assert.equal(d.timers, 0)
  })
})

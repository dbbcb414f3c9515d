// LoginGate (src/supervisor/login-gate.ts) in plain numbers, with a clock and
// timers stepped by hand: one credential-failed login per BMC address at a
// time, spaced by that address's back-off (growing with its failures from any
// node), nodes that never failed never held, a success of a waiting node
// starting the back-off over, and forget() (node removed, reconfigured,
// worker gone) releasing what it held.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { bmcAddress, LoginGate } from '../../src/supervisor/login-gate.js'

function rig() {
  let now = 0
  const timers: { at: number; fn: () => void; id: number }[] = []
  let nextId = 1
  const grants: string[] = []
  const unreachable = new Set<string>()
  const gate = new LoginGate((n) => {
    if (unreachable.has(n)) return false
    grants.push(n)
    return true
  }, {
    policy: { initialMs: 1000, maxMs: 8000 },
    now: () => now,
    random: () => 0.999999, // the whole base delay: the numbers below are exact
    setTimer: (fn, ms) => {
      const t = { at: now + ms, fn, id: nextId++ }
      timers.push(t)
      return t.id
    },
    clearTimer: (id) => {
      const i = timers.findIndex((t) => t.id === id)
      if (i >= 0) timers.splice(i, 1)
    },
  })
  const advance = (ms: number) => {
    now += ms
    for (;;) {
      const due = timers.filter((t) => t.at <= now).sort((a, b) => a.at - b.at)[0]
      if (due === undefined) return
      timers.splice(timers.indexOf(due), 1)
      due.fn()
    }
  }
  return { gate, grants, advance, unreachable }
}

const A = bmcAddress('BMC-1.example', 623)
const B = bmcAddress('bmc-2.example', 623)

describe('LoginGate', () => {
  it('names a BMC by host and port, host case-folded', () => {
    assert.equal(A, 'bmc-1.example:623')
  })

  it('spaces credential-failed logins per address by its growing back-off, one at a time', () => {
    const { gate, grants, advance } = rig()
    gate.outcome('bad1', A, 'bad_credentials') // the free first attempts of two nodes
    gate.outcome('bad2', A, 'bad_credentials')
    gate.request('bad1', A)
    gate.request('bad2', A)
    advance(1999)
    assert.deepEqual(grants, [], 'two failures: the second back-off step (2 s) from the last one')
    advance(1)
    assert.deepEqual(grants, ['bad1'])
    advance(60_000)
    assert.deepEqual(grants, ['bad1'], 'one login at a time: bad2 waits for the outcome of bad1')
    gate.outcome('bad1', A, 'bad_credentials')
    gate.request('bad1', A)
    advance(3999)
    assert.deepEqual(grants, ['bad1'])
    advance(1)
    assert.deepEqual(grants, ['bad1', 'bad2'], 'then bad2, FIFO, 4 s after the third failure')
    gate.outcome('bad2', A, 'bad_credentials')
    gate.request('bad2', A)
    advance(7999)
    assert.deepEqual(grants, ['bad1', 'bad2'])
    advance(1)
    assert.deepEqual(grants, ['bad1', 'bad2', 'bad1'], 'capped at 8 s')
    assert.equal(gate.failures(A), 4)
  })

  it('another address is not held, and neither is a node that never asked', () => {
    const { gate, grants, advance } = rig()
    gate.outcome('bad', A, 'bad_credentials')
    gate.request('bad', A)
    gate.outcome('other', B, 'bad_credentials')
    gate.request('other', B)
    gate.outcome('good', A, 'ok') // a healthy node logging in says nothing about the bad one
    advance(1000)
    assert.deepEqual(grants.sort(), ['bad', 'other'])
    assert.equal(gate.failures(A), 1)
  })

  it('a waiting node that logs in (fixed credentials) starts the back-off over; forget() releases a running login', () => {
    const { gate, grants, advance } = rig()
    for (let i = 0; i < 3; i++) gate.outcome('bad', A, 'bad_credentials')
    gate.request('bad', A)
    gate.request('fixed', A)
    advance(4000)
    assert.deepEqual(grants, ['bad'])
    gate.forget('bad') // reconfigured while its login ran
    assert.deepEqual(grants, ['bad', 'fixed'], 'the next waiting node goes once the running one is forgotten')
    gate.outcome('fixed', A, 'ok')
    assert.equal(gate.failures(A), 0)
    gate.outcome('bad', A, 'bad_credentials')
    gate.request('bad', A)
    advance(999)
    assert.deepEqual(grants, ['bad', 'fixed'])
    advance(1)
    assert.deepEqual(grants, ['bad', 'fixed', 'bad'], 'back to the first step')
  })

  it('a node whose worker cannot be told is skipped, and does not hold the address', () => {
    const { gate, grants, advance, unreachable } = rig()
    unreachable.add('gone')
    gate.outcome('gone', A, 'bad_credentials')
    gate.request('gone', A)
    gate.request('next', A)
    advance(1000)
    assert.deepEqual(grants, ['next'])
    assert.equal(gate.granted, 1)
  })

  it('a running login that ends otherwise (unreachable) frees the slot without counting', () => {
    const { gate, grants, advance } = rig()
    gate.outcome('a', A, 'bad_credentials')
    gate.request('a', A)
    gate.request('b', A)
    advance(1000)
    gate.outcome('a', A, 'other')
    assert.deepEqual(grants, ['a', 'b'])
    assert.equal(gate.failures(A), 1)
    gate.close()
  })
})

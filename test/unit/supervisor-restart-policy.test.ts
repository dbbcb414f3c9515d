import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { decideRestart, DEFAULT_RESTART_SPEC, escalationDeaths, pruneDeaths, shouldEscalate, type Death } from '../../src/supervisor/restart-policy.js'

const spec = { ...DEFAULT_RESTART_SPEC, baseDelayMs: 100, maxDelayMs: 1000, jitter: 0.5, intensity: 5, periodMs: 10_000, parkMs: 60_000 }
const died = (...at: number[]): Death[] => at.map((a) => ({ at: a, duringStart: false }))

describe('restart policy', () => {
  it('first death restarts after the base delay; jitter only adds', () => {
    assert.deepEqual(decideRestart(died(1000), 1000, spec, 0), { action: 'restart', delayMs: 100 })
    assert.deepEqual(decideRestart(died(1000), 1000, spec, 0.999), { action: 'restart', delayMs: 150 })
  })
  it('backs off exponentially with deaths in the window, capped', () => {
    const delays = [1, 2, 3, 4, 5].map((n) => decideRestart(died(...Array.from({ length: n }, (_, i) => i)), n, spec, 0))
    assert.deepEqual(delays.map((d) => (d.action === 'restart' ? d.delayMs : -1)), [100, 200, 400, 800, 1000])
  })
  it('parks a worker that dies more than `intensity` times within the period', () => {
    assert.deepEqual(decideRestart(died(0, 1, 2, 3, 4, 5), 5, spec, 0), { action: 'park', untilMs: 60_005 })
  })
  it('forgets deaths older than the period', () => {
    const old = died(0, 1, 2, 3, 4)
    assert.deepEqual(decideRestart([...old, ...died(20_000)], 20_000, spec, 0), { action: 'restart', delayMs: 100 })
    assert.equal(pruneDeaths([...old, ...died(20_000)], 20_000, spec).length, 1)
  })
  it('deaths during start count double', () => {
    const boot: Death[] = [0, 1, 2].map((at) => ({ at, duringStart: true }))
    assert.equal(decideRestart(boot, 2, spec, 0).action, 'park')
  })
  it('escalates when half the fleet is crash-looping, not for one bad node', () => {
    assert.equal(shouldEscalate(new Map([['a', 5]]), 20), false)
    const many = new Map(Array.from({ length: 10 }, (_, i) => [`n${i}`, 2] as [string, number]))
    assert.equal(shouldEscalate(many, 20), true)
    assert.equal(shouldEscalate(new Map([['a', 3], ['b', 3]]), 3), false)
  })
  it('a slow start counts for the worker\'s own parking, not toward escalation (a busy host, not a broken build)', () => {
    const slow: Death[] = [0, 1, 2].map((at) => ({ at, duringStart: true, slowStart: true }))
    assert.equal(decideRestart(slow, 2, spec, 0).action, 'park')
    assert.equal(escalationDeaths(slow, 2, spec), 0)
    assert.equal(escalationDeaths([...slow, { at: 2, duringStart: true }, { at: 3, duringStart: false }], 3, spec), 2)
    assert.equal(escalationDeaths(died(0, 20_000), 20_000, spec), 1, 'older than the period')
  })
})

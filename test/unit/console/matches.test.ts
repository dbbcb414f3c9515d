// The main thread's record of console watch matches (src/console/matches.ts):
// a bounded ring per node read newest first, the fleet feed, and forgetting
// a node that left.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import type { ConsoleMatch } from '../../../src/bridge/messages.js'
import { ConsoleMatches, MATCHES_PER_NODE, type MatchEvent } from '../../../src/console/matches.js'

const match = (i: number, pattern = 'panic'): ConsoleMatch => ({
  type: 'console-match', bmc: 'n1', pattern, severity: 'critical', line: `line ${i}`, truncated: false, at: Date.UTC(2026, 0, 1, 0, 0, i), count: 1,
})

describe('console matches', () => {
  it('keeps the last N per node, newest first, with ?limit', () => {
    const m = new ConsoleMatches(3)
    for (let i = 1; i <= 5; i++) m.record('n1', match(i))
    m.record('n2', match(9))
    assert.deepEqual(m.recent('n1').map((e) => e.line), ['line 5', 'line 4', 'line 3'])
    assert.deepEqual(m.recent('n1', 2).map((e) => e.line), ['line 5', 'line 4'])
    assert.deepEqual(m.recent('n2'), [{ node: 'n2', pattern: 'panic', severity: 'critical', line: 'line 9', truncated: false, at: '2026-01-01T00:00:09.000Z', count: 1 }])
    assert.deepEqual(m.recent('n3'), [])
    assert.equal(new ConsoleMatches().recent('x').length, 0)
    assert.equal(MATCHES_PER_NODE, 100)
    assert.throws(() => new ConsoleMatches(0), RangeError)
  })

  it("records the supervisor's console:match events, feeds watchers, drops a watcher that throws, and forgets a node", () => {
    const sup = new EventEmitter<{ 'console:match': [node: string, m: ConsoleMatch] }>()
    const m = new ConsoleMatches()
    const stop = m.subscribe(sup)
    const seen: MatchEvent[] = []
    const unwatch = m.watch((e) => seen.push(e))
    m.watch(() => {
      throw new Error('a broken stream')
    })
    assert.equal(m.watchers, 2)
    sup.emit('console:match', 'n1', match(1))
    sup.emit('console:match', 'n1', match(2, 'oom'))
    assert.deepEqual(seen.map((e) => `${e.node}:${e.pattern}`), ['n1:panic', 'n1:oom'])
    assert.equal(m.watchers, 1)
    unwatch()
    assert.equal(m.watchers, 0)
    stop()
    sup.emit('console:match', 'n1', match(3))
    assert.equal(m.recent('n1').length, 2)
    m.forget('n1')
    assert.deepEqual(m.recent('n1'), [])
  })
})

// The worker's console watch (workers/console-watch.ts): console bytes in,
// ConsoleMatch messages out, as BmcAgent posts them to the supervisor. No
// thread, no socket: the matching path alone, with a fixed clock.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { MATCH_EVENTS_PER_SECOND, MATCH_LINE_CHARS, type ConsoleMatch } from '../../../src/bridge/messages.js'
import { DEFAULT_WATCH_PATTERNS, resolveWatch } from '../../../src/bridge/watch.js'
import { ConsoleWatch } from '../../../workers/console-watch.js'

const enc = (s: string) => new TextEncoder().encode(s)
const AT = 1_750_000_000_000

function harness() {
  const posted: ConsoleMatch[] = []
  let now = AT
  const w = new ConsoleWatch('n1', (m) => posted.push(m), () => now)
  return { w, posted, tick: (ms: number) => (now += ms) }
}

describe('worker console watch', () => {
  it('a panic line split over chunks, among other output, is one match with the node, pattern, severity, line and time', () => {
    const { w, posted } = harness()
    w.set(resolveWatch([]))
    w.data(enc('[    1.0] booting\r\n[   12.3] Kernel pa'))
    assert.deepEqual(posted, [])
    w.data(enc('nic - not syncing: VFS: Unable to mount root fs\r\n[   12.4] CPU: 0 PID: 1\r\n'))
    assert.deepEqual(posted, [{
      type: 'console-match', bmc: 'n1', pattern: 'panic', severity: 'critical',
      line: '[   12.3] Kernel panic - not syncing: VFS: Unable to mount root fs', truncated: false, at: AT, count: 1,
    }])
  })

  it('a line that matches two patterns gives one match per pattern; colour codes do not hide a match', () => {
    const { w, posted } = harness()
    w.set([...DEFAULT_WATCH_PATTERNS, { name: 'vfs', regex: 'VFS:', severity: 'info' }])
    w.data(enc('\x1b[31mKernel panic - not syncing: VFS: no root\x1b[0m\n'))
    assert.deepEqual(posted.map((m) => [m.pattern, m.severity]), [['panic', 'critical'], ['vfs', 'info']])
    assert.equal(posted[0]!.line, 'Kernel panic - not syncing: VFS: no root')
  })

  it('a long line is cut to MATCH_LINE_CHARS and says so', () => {
    const { w, posted } = harness()
    w.set(resolveWatch([]))
    w.data(enc(`Kernel panic - not syncing: ${'x'.repeat(600)}\n`))
    assert.equal(posted.length, 1)
    assert.equal(posted[0]!.line.length, MATCH_LINE_CHARS)
    assert.equal(posted[0]!.truncated, true)
    assert.ok(posted[0]!.line.startsWith('Kernel panic - not syncing: xxx'))
  })

  it('no patterns: nothing is matched; a disabled default is not matched; the same list keeps the line in progress', () => {
    const { w, posted } = harness()
    w.data(enc('Kernel panic - not syncing\n'))
    w.set([])
    w.data(enc('Kernel panic - not syncing\n'))
    assert.equal(posted.length, 0)
    w.set(resolveWatch([{ disable: ['panic'] }]))
    assert.deepEqual(w.patterns, ['call_trace', 'mce', 'oom', 'hung_task'])
    w.data(enc('Kernel panic - not syncing\nCall Tr'))
    w.set(resolveWatch([{ disable: ['panic'] }]))
    w.data(enc('ace:\n'))
    assert.deepEqual(posted.map((m) => m.pattern), ['call_trace'])
  })

  it('a new list starts afresh: a half line from before does not join the next chunk', () => {
    const { w, posted } = harness()
    w.set(resolveWatch([]))
    w.data(enc('Kernel panic - not'))
    w.set(resolveWatch([{ add: [{ name: 'marker', regex: '^MARK$', severity: 'info' }] }]))
    w.data(enc(' syncing\nMARK\n'))
    assert.deepEqual(posted.map((m) => m.pattern), ['marker'])
  })

  it('a flood is folded: per pattern and second the first ones go out, the rest as one message with their count on flush', () => {
    const { w, posted, tick } = harness()
    w.set(resolveWatch([]))
    const lines = (from: number, n: number) => Array.from({ length: n }, (_, i) => `Call Trace: ${from + i}\n`).join('')
    w.data(enc(`${lines(1, 25)}Kernel panic - not syncing: once\n`))
    assert.equal(posted.filter((m) => m.pattern === 'call_trace').length, MATCH_EVENTS_PER_SECOND)
    assert.ok(posted.every((m) => m.count === 1))
    assert.equal(posted.filter((m) => m.pattern === 'panic').length, 1, 'another pattern has its own budget')
    posted.length = 0
    w.flush()
    assert.deepEqual(posted.map((m) => [m.pattern, m.count, m.line]), [['call_trace', 25 - MATCH_EVENTS_PER_SECOND, 'Call Trace: 25']])
    posted.length = 0
    w.flush()
    assert.equal(posted.length, 0, 'nothing held, nothing sent')
    // Still the same second: more lines are held again; a new second sends what was held, then opens a fresh budget.
    w.data(enc(lines(26, 3)))
    assert.equal(posted.length, 0)
    tick(1000)
    w.data(enc(lines(29, 2)))
    assert.deepEqual(posted.map((m) => [m.count, m.line]), [[3, 'Call Trace: 28'], [1, 'Call Trace: 29'], [1, 'Call Trace: 30']])
    // Every matching line is accounted for exactly once.
    posted.length = 0
    tick(1000)
    w.data(enc(lines(31, 40)))
    w.flush()
    assert.equal(posted.reduce((n, m) => n + m.count, 0), 40)
  })
})

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DEFAULT_WATCH_PATTERNS, LineWatcher, MAX_WATCH_LINE, checkWatchOverride, resolveWatch, type WatchHit } from '../../../src/bridge/watch.js'
import { ServiceError } from '../../../src/errors.js'

const enc = (s: string) => new TextEncoder().encode(s)

function watch(patterns = resolveWatch([])): { w: LineWatcher; hits: WatchHit[] } {
  const hits: WatchHit[] = []
  return { w: new LineWatcher(patterns, (h) => hits.push(h)), hits }
}

test('each default pattern matches its kernel line and names itself', () => {
  const lines: [string, string][] = [
    ['panic', '[   12.345678] Kernel panic - not syncing: VFS: Unable to mount root fs'],
    ['call_trace', '[   12.3] Call Trace:'],
    ['mce', '[  100.1] mce: [Hardware Error]: Machine check events logged'],
    ['oom', '[  200.2] Out of memory: Killed process 1234 (stress) total-vm:1kB'],
    ['hung_task', '[  300.3] INFO: task kworker/0:1:42 blocked for more than 120 seconds.'],
  ]
  for (const [name, line] of lines) {
    const { w, hits } = watch()
    w.data(enc(line + '\r\n'))
    assert.ok(hits.some((h) => h.pattern === name), `${name}: ${JSON.stringify(hits)}`)
    assert.equal(hits.find((h) => h.pattern === name)?.line, line)
  }
})

test('a line split across chunks matches once, with ANSI colour and CR stripped', () => {
  const { w, hits } = watch()
  const bytes = enc('boot ok\r\n\x1b[31mKernel pa')
  w.data(bytes)
  assert.equal(hits.length, 0)
  w.data(enc('nic - not syncing: Fatal exception\x1b[0m\r\n'))
  assert.deepEqual(hits, [{ pattern: 'panic', severity: 'critical', line: 'Kernel panic - not syncing: Fatal exception' }])
})

test('an over-long line is cut at the bound: text past it is not matched', () => {
  const { w, hits } = watch()
  w.data(enc('x'.repeat(MAX_WATCH_LINE) + 'Kernel panic - not syncing\n'))
  assert.equal(hits.length, 0)
  w.data(enc('Kernel panic - not syncing\n'))
  assert.equal(hits.length, 1)
})

test('overrides disable by name, add patterns, and apply in order', () => {
  const p = resolveWatch([{ disable: ['call_trace'] }, { add: [{ name: 'raid', regex: 'md/raid.*failed', severity: 'warning' }] }, { disable: ['panic'] }])
  assert.deepEqual(p.map((x) => x.name), DEFAULT_WATCH_PATTERNS.map((x) => x.name).filter((n) => n !== 'call_trace' && n !== 'panic').concat('raid'))
  const { w, hits } = watch(p)
  w.data(enc('Call Trace:\nKernel panic - not syncing\nmd/raid1:md0: Disk failed\n'))
  assert.deepEqual(hits.map((h) => h.pattern), ['raid'])
})

test('a bad regex is VALIDATION_FAILED naming the field', () => {
  assert.throws(() => checkWatchOverride({ add: [{ name: 'x', regex: '(', severity: 'info' }] }, 'body.console.watch'),
    (e: unknown) => e instanceof ServiceError && e.code === 'VALIDATION_FAILED' && e.details?.field === 'body.console.watch.add[0].regex')
  assert.throws(() => checkWatchOverride({ add: [{ name: 'Bad Name', regex: 'a', severity: 'info' }] }, 'f'),
    (e: unknown) => e instanceof ServiceError && e.details?.field === 'f.add[0].name')
})

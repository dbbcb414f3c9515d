// The scanner's core without files: lines split across chunks, times from a journal, context, regex errors.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { compilePattern, JournalIndex, LineScanner } from '../../../src/console/log-scan.js'

const journal = JournalIndex.parse([
  { time: '2026-01-01T00:00:00.000Z', type: 'data', offset: 0, length: 6 },
  { time: '2026-01-01T00:00:05.000Z', type: 'data', offset: 6, length: 100 },
].map((r) => JSON.stringify(r)).join('\n'))

function scan(data: Buffer, step: number, o: { context?: number; limit?: number; sinceMs?: number | null } = {}) {
  const s = new LineScanner(compilePattern('PANIC'), journal, { context: o.context ?? 0, limit: o.limit ?? 10, sinceMs: o.sinceMs ?? null, untilMs: null })
  for (let i = 0; i < data.length; i += step) s.push(data.subarray(i, i + step))
  s.end()
  return s
}

describe('LineScanner', () => {
  const data = Buffer.from('a PANIC\nbPAN\nIC\nxPANIC\ny\nPANIC z\r\nlast')
  it('finds the same lines, numbers, times and context whatever the chunk size', () => {
    for (const step of [1, 3, 7, data.length]) {
      const s = scan(data, step, { context: 1 })
      assert.deepEqual(s.matches, [
        { line: 1, time: '2026-01-01T00:00:00.000Z', text: 'a PANIC', before: [], after: ['bPAN'] },
        { line: 4, time: '2026-01-01T00:00:05.000Z', text: 'xPANIC', before: ['IC'], after: ['y'] },
        { line: 6, time: '2026-01-01T00:00:05.000Z', text: 'PANIC z', before: ['y'], after: ['last'] },
      ], `chunks of ${step} bytes`)
    }
  })
  it('leaves out lines before since and stops at the limit', () => {
    assert.deepEqual(scan(data, 5, { sinceMs: Date.parse('2026-01-01T00:00:01.000Z') }).matches.map((m) => m.line), [4, 6])
    const s = scan(data, 5, { limit: 2 })
    assert.equal(s.matches.length, 2)
    assert.equal(s.truncated, true)
  })
  it('an invalid pattern is VALIDATION_FAILED naming the field', () => {
    assert.throws(() => compilePattern('('), (e: { code?: string; details?: { field?: string } }) => e.code === 'VALIDATION_FAILED' && e.details?.field === 'grep')
  })
})

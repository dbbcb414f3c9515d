// The search's plan without a server: since/until forms, which files a node
// has and in what order (mid-compression names included), the pool's size.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { listLogFiles, parseSearchTime } from '../../../src/api/routes/console-search.js'
import { MAX_SEARCH_THREADS, searchThreads } from '../../../src/console/search-pool.js'

const NOW = Date.parse('2026-03-01T12:00:00.000Z')
const invalid = (field: string) => (e: { code?: string; details?: { field?: string } }) => e.code === 'VALIDATION_FAILED' && e.details?.field === field

describe('parseSearchTime', () => {
  it('takes ISO times and relative ones counted back from now', () => {
    assert.equal(parseSearchTime('2026-01-31T12:00:00Z', 'since', NOW), Date.parse('2026-01-31T12:00:00Z'))
    assert.equal(parseSearchTime('2026-01-31', 'since', NOW), Date.parse('2026-01-31'))
    assert.equal(parseSearchTime('2026-01-31T12:00:00.250+02:00', 'since', NOW), Date.parse('2026-01-31T10:00:00.250Z'))
    assert.equal(parseSearchTime('90s', 'since', NOW), NOW - 90_000)
    assert.equal(parseSearchTime('30m', 'since', NOW), NOW - 30 * 60_000)
    assert.equal(parseSearchTime('2h', 'until', NOW), NOW - 2 * 3_600_000)
    assert.equal(parseSearchTime('1d', 'since', NOW), NOW - 86_400_000)
  })
  it('anything else is VALIDATION_FAILED naming the field', () => {
    for (const v of ['yesterday', '2h30m', '-1h', '5y', 'March 1, 2026', '2026-13-45', '']) {
      assert.throws(() => parseSearchTime(v, 'until', NOW), invalid('until'), v)
    }
  })
})

describe('listLogFiles', () => {
  it("lists a node's rotated files oldest first, then the current one; a .gz wins over its plain name mid-compression", async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'bmcvisor-plan-'))
    t.after(() => rmSync(dir, { recursive: true, force: true }))
    const names = [
      'a.b.log', 'a.b.jnl', // a node name with a dot
      'a.b.log.20260102T000000.000Z.gz', 'a.b.jnl.20260102T000000.000Z.gz',
      'a.b.log.20260101T000000.000Z-1', 'a.b.jnl.20260101T000000.000Z-1',
      'a.b.log.20260101T000000.000Z', 'a.b.log.20260101T000000.000Z.gz', 'a.b.jnl.20260101T000000.000Z', // log compressed, journal not yet
      'a.b.log.20260103T000000.000Z.gz.tmp', // being written: not listed
      'a.log', 'other.log', 'a.b.log.bak',
    ]
    for (const n of names) writeFileSync(join(dir, n), '')
    const files = await listLogFiles(dir, new Set(['a.b', 'a']))
    assert.deepEqual(files.get('a.b')!.map((f) => [f.name, f.journal.slice(dir.length + 1)]), [
      ['a.b.log.20260101T000000.000Z.gz', 'a.b.jnl.20260101T000000.000Z'],
      ['a.b.log.20260101T000000.000Z-1', 'a.b.jnl.20260101T000000.000Z-1'],
      ['a.b.log.20260102T000000.000Z.gz', 'a.b.jnl.20260102T000000.000Z.gz'],
      ['a.b.log', 'a.b.jnl'],
    ])
    assert.deepEqual(files.get('a')!.map((f) => f.name), ['a.log'])
    assert.equal(files.has('other'), false, 'only the nodes asked for')
    assert.equal((await listLogFiles(join(dir, 'none'), new Set(['a']))).size, 0, 'no directory yet: no files')
  })
})

describe('searchThreads', () => {
  it('leaves one core to the main thread, at least one thread, at most MAX_SEARCH_THREADS', () => {
    assert.deepEqual([1, 2, 3, 5, 64].map((c) => searchThreads(c)), [1, 1, 2, 4, MAX_SEARCH_THREADS])
  })
})

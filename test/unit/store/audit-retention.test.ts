// keepAudit: prunes at start and then once a day (timers mocked), with the
// cut-off `days` before now; a failing prune is reported, never thrown.
import { describe, it, mock } from 'node:test'
import assert from 'node:assert/strict'
import { waitUntil } from '../../lab/net.js'
import { DAY_MS, keepAudit } from '../../../src/store/audit.js'
import type { AuditRepo } from '../../../src/store/types.js'

describe('keepAudit', () => {
  it('prunes at start and daily, and stops', async () => {
    mock.timers.enable({ apis: ['setInterval'] })
    try {
      const cuts: string[] = []
      let now = Date.parse('2026-06-01T00:00:00Z')
      const repo = { prune: async (before: string) => (cuts.push(before), 2) } as unknown as AuditRepo
      const pruned: number[] = []
      const keep = keepAudit(repo, 30, { pruned: (n) => pruned.push(n), failed: () => assert.fail('no failure expected') }, () => now)
      assert.deepEqual(cuts, ['2026-05-02T00:00:00.000Z'])
      now += DAY_MS
      mock.timers.tick(DAY_MS)
      assert.deepEqual(cuts, ['2026-05-02T00:00:00.000Z', '2026-05-03T00:00:00.000Z'])
      await waitUntil(() => pruned.length === 2, { what: 'both prunes reported' })
      assert.deepEqual(pruned, [2, 2])
      keep.stop()
      mock.timers.tick(DAY_MS * 3)
      assert.equal(cuts.length, 2)
    } finally {
      mock.timers.reset()
    }
  })

  it('reports a failing prune instead of throwing', async () => {
    const errors: unknown[] = []
    const repo = { prune: async () => { throw new Error('disk I/O error') } } as unknown as AuditRepo
    const keep = keepAudit(repo, 1, { pruned: () => undefined, failed: (e) => errors.push(e) })
    keep.stop()
    await waitUntil(() => errors.length === 1, { what: 'the failure reported' })
    assert.equal(errors.length, 1)
  })
})

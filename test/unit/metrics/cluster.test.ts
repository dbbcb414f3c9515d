// wireCluster (src/metrics/cluster.ts) against a scripted cluster: the member
// and owned-node gauges are read at scrape time, each ownership change counts
// by direction (both start at 0), and unwiring stops both.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import { createMetrics, wireCluster, type ClusterSource } from '../../../src/metrics/index.js'

class ScriptedCluster extends EventEmitter<{ ownership: [gained: number, lost: number] }> implements ClusterSource {
  members = 3
  owned = 10
  memberCount(): number {
    return this.members
  }
}

async function values(metrics: ReturnType<typeof createMetrics>, name: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  for (const v of (await metrics.registry.getSingleMetric(name)!.get()).values) out[String(v.labels.direction ?? '')] = v.value
  return out
}

describe('cluster metrics', () => {
  it('gauges at scrape time, ownership changes by direction, nothing after unwiring', async () => {
    const metrics = createMetrics(undefined, { defaultMetrics: false })
    const c = new ScriptedCluster()
    const unwire = wireCluster(metrics, c)
    assert.deepEqual(await values(metrics, 'bmcvisor_cluster_ownership_changes_total'), { gained: 0, lost: 0 })
    c.emit('ownership', 4, 0)
    c.emit('ownership', 1, 2)
    assert.deepEqual(await values(metrics, 'bmcvisor_cluster_ownership_changes_total'), { gained: 5, lost: 2 })
    const text = await metrics.registry.metrics()
    assert.match(text, /^bmcvisor_cluster_members 3$/m)
    assert.match(text, /^bmcvisor_owned_nodes 10$/m)
    c.members = 2
    c.owned = 14
    const later = await metrics.registry.metrics()
    assert.match(later, /^bmcvisor_cluster_members 2$/m)
    assert.match(later, /^bmcvisor_owned_nodes 14$/m)
    unwire()
    c.emit('ownership', 7, 7)
    c.owned = 99
    assert.deepEqual(await values(metrics, 'bmcvisor_cluster_ownership_changes_total'), { gained: 5, lost: 2 })
    assert.doesNotMatch(await metrics.registry.metrics(), /^bmcvisor_owned_nodes 99$/m)
    assert.equal(c.listenerCount('ownership'), 0)
  })
})

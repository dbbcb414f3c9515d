/**
 * The cluster's metrics (definitions.ts: bmcvisor_cluster_members,
 * bmcvisor_owned_nodes, bmcvisor_cluster_ownership_changes_total), fed from
 * whatever reports this instance's membership and owned nodes: src/cluster's
 * Cluster in serve, a plain object in the unit test. The gauges are read at
 * scrape time; the counter counts each start and stop ownership caused.
 */
import type { Metrics } from './metrics.js'
import { OWNERSHIP_DIRECTIONS } from './definitions.js'

export interface ClusterSource {
  /** Live members at the last renewal (0 while no lease is held). */
  memberCount(): number
  /** Nodes this instance runs. */
  readonly owned: number
  on(event: 'ownership', fn: (gained: number, lost: number) => void): unknown
  off(event: 'ownership', fn: (gained: number, lost: number) => void): unknown
}

/** Wires `source` into `metrics`; returns the unwiring. */
export function wireCluster(metrics: Metrics, source: ClusterSource): () => void {
  const { m } = metrics
  // Both directions exist from the start, at 0, so rate() sees the first change.
  for (const d of OWNERSHIP_DIRECTIONS) m.bmcvisor_cluster_ownership_changes_total.inc({ direction: d }, 0)
  const onOwnership = (gained: number, lost: number) => {
    if (gained > 0) m.bmcvisor_cluster_ownership_changes_total.inc({ direction: 'gained' }, gained)
    if (lost > 0) m.bmcvisor_cluster_ownership_changes_total.inc({ direction: 'lost' }, lost)
  }
  source.on('ownership', onOwnership)
  const stopCollect = metrics.onCollect(() => {
    m.bmcvisor_cluster_members.set(source.memberCount())
    m.bmcvisor_owned_nodes.set(source.owned)
  })
  return () => {
    source.off('ownership', onOwnership)
    stopCollect()
  }
}

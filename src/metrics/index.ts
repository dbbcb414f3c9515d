/** The metrics layer: definitions, the registry, the supervisor wiring and the /metrics plugin. */
export { createMetrics, type CreateMetricsOptions, type Metrics } from './metrics.js'
export { wireSupervisor, type MetricsWiring, type SensorLike, type SupervisorSource, type WireOptions } from './wiring.js'
export { wireCluster, type ClusterSource } from './cluster.js'
export { metricsPlugin, metricsRoute, type MetricsPluginOptions } from './plugin.js'
export { METRICS, REJECTED_LABELS, type MetricName } from './definitions.js'

/**
 * The main thread's one Prometheus registry and the bmcvisor metric objects
 * in it, built from definitions.ts, plus prom-client's default process
 * metrics. Owns no timers and no event listeners: wiring.ts feeds it, and
 * collectors registered with `onCollect` run at scrape time (worker event-loop
 * utilisation, console clients, forgetting removed nodes).
 *
 * Hazard: prom-client does not aggregate across worker_threads, so nothing
 * here may be created inside a worker (reference/node-stack.md §3.1); this is
 * also why counters stay monotonic across worker restarts.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import { COMMAND_DURATION_BUCKETS, METRICS, type MetricName } from './definitions.js'

type Kind<N extends MetricName> = (typeof METRICS)[N]['type']
type MetricOf<N extends MetricName> = Kind<N> extends 'counter' ? Counter : Kind<N> extends 'gauge' ? Gauge : Histogram

export type MetricObjects = { [N in MetricName]: MetricOf<N> }

export interface Metrics {
  readonly registry: Registry
  readonly m: MetricObjects
  /** Runs before every scrape (after the previous one's collectors); returns a function that removes it. */
  onCollect(fn: () => void): () => void
  /** Removes every series labelled with this node (it was removed from the fleet). */
  forgetNode(node: string): Promise<void>
}

export interface CreateMetricsOptions {
  /** prom-client's process_* and nodejs_* metrics (default true). */
  defaultMetrics?: boolean
}

/** Builds the bmcvisor metrics in `registry` (a new one by default: never the global, so tests stay independent). */
export function createMetrics(registry: Registry = new Registry(), opts: CreateMetricsOptions = {}): Metrics {
  const collectors = new Set<() => void>()
  const runCollectors = () => {
    for (const fn of collectors) {
      try {
        fn()
      } catch {
        // A failing sampler must not fail the scrape; its gauges keep their last values.
      }
    }
  }
  const objects: Partial<Record<MetricName, Counter | Gauge | Histogram>> = {}
  let first = true
  for (const [name, def] of Object.entries(METRICS) as [MetricName, (typeof METRICS)[MetricName]][]) {
    const base = { name, help: def.help, labelNames: [...def.labels], registers: [registry] }
    if (def.type === 'counter') objects[name] = new Counter(base)
    else if (def.type === 'histogram') objects[name] = new Histogram({ ...base, buckets: [...COMMAND_DURATION_BUCKETS] })
    else if (first) {
      // prom-client calls collect() per metric; one gauge carries the scrape-time collectors for all.
      first = false
      objects[name] = new Gauge({ ...base, collect: runCollectors })
    } else objects[name] = new Gauge(base)
  }
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry })
  const m = objects as MetricObjects
  return {
    registry,
    m,
    onCollect(fn) {
      collectors.add(fn)
      return () => collectors.delete(fn)
    },
    async forgetNode(node) {
      for (const [name, def] of Object.entries(METRICS) as [MetricName, (typeof METRICS)[MetricName]][]) {
        if (!(def.labels as readonly string[]).includes('node')) continue
        const metric = m[name]
        // remove() matches a whole label set, so list this node's sets first (a histogram's without `le`).
        const sets = new Map<string, Record<string, string | number>>()
        for (const v of (await metric.get()).values) {
          if (v.labels.node !== node) continue
          const { le: _le, ...labels } = v.labels as Record<string, string | number>
          sets.set(JSON.stringify(labels), labels)
        }
        for (const labels of sets.values()) metric.remove(labels)
      }
    },
  }
}

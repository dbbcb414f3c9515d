// Fleet overview: is the fleet healthy at a glance (dashboards/README.md maps each panel to its metrics).
import { barGauge, dashboard, resetIds, sel, stat, table, thresholds, timeseries, type Json } from './panels.js'

const RI = '$__rate_interval'

export function fleetOverview(): Json {
  resetIds()
  const panels = [
    stat({
      title: 'BMCs up', unit: 'none', pos: [0, 0, 4, 4],
      description: 'BMCs with an open IPMI session, out of all configured nodes (bmcvisor_bmc_up).',
      targets: [{ expr: `sum(${sel('bmcvisor_bmc_up')})`, legend: 'up' }, { expr: `count(${sel('bmcvisor_bmc_up')})`, legend: 'total' }],
    }),
    stat({
      title: 'Consoles connected', unit: 'none', pos: [4, 0, 4, 4],
      description: 'Consoles that are connected (SOL activated or exec console up), out of all nodes with a console (bmcvisor_console_state).',
      targets: [{ expr: `sum(${sel('bmcvisor_console_state', 'state="connected"')})`, legend: 'connected' }, { expr: `count(${sel('bmcvisor_console_state', 'state="connected"')})`, legend: 'total' }],
    }),
    stat({
      title: 'Workers running', unit: 'none', pos: [8, 0, 4, 4],
      description: 'Worker threads running and answering heartbeats (bmcvisor_worker_state{state="running"}).',
      targets: [{ expr: `sum(${sel('bmcvisor_worker_state', 'state="running"')})`, legend: 'running' }],
    }),
    stat({
      title: 'Workers restarting', unit: 'none', pos: [12, 0, 4, 4], fieldConfig: { defaults: { thresholds: thresholds(1) } },
      description: 'Worker threads starting again after they ended abnormally (bmcvisor_worker_state{state=~"starting|restarting"}).',
      targets: [{ expr: `sum(${sel('bmcvisor_worker_state', 'state=~"starting|restarting"')})`, legend: 'restarting' }],
    }),
    stat({
      title: 'Workers parked', unit: 'none', pos: [16, 0, 4, 4], fieldConfig: { defaults: { thresholds: thresholds(1) } },
      description: 'Worker threads parked after repeated crashes: their commands fail fast until the park ends (bmcvisor_worker_state{state="parked"}).',
      targets: [{ expr: `sum(${sel('bmcvisor_worker_state', 'state="parked"')})`, legend: 'parked' }],
    }),
    stat({
      title: 'Command error ratio', unit: 'percentunit', pos: [20, 0, 4, 4], fieldConfig: { defaults: { thresholds: thresholds(0.2, 0.05) } },
      description: 'Share of BMC operations that failed over the last rate interval, all nodes (bmcvisor_commands_total).',
      targets: [{ expr: `sum(rate(${sel('bmcvisor_commands_total', 'outcome="error"')}[${RI}])) / sum(rate(${sel('bmcvisor_commands_total')}[${RI}]))`, legend: 'errors' }],
    }),
    timeseries({
      title: 'Command rate by outcome', unit: 'ops', pos: [0, 4, 12, 8],
      description: 'BMC operations per second (REST, CLI and the power poller), ok and error (bmcvisor_commands_total).',
      targets: [{ expr: `sum by (outcome) (rate(${sel('bmcvisor_commands_total')}[${RI}]))`, legend: '{{outcome}}' }],
    }),
    timeseries({
      title: 'Command error ratio by command', unit: 'percentunit', pos: [12, 4, 12, 8],
      description: 'Share of each operation that failed (bmcvisor_commands_total); the Failed sessions dashboard has the error codes per node.',
      targets: [{ expr: `sum by (command) (rate(${sel('bmcvisor_commands_total', 'outcome="error"')}[${RI}])) / sum by (command) (rate(${sel('bmcvisor_commands_total')}[${RI}]))`, legend: '{{command}}' }],
    }),
    timeseries({
      title: 'p95 latency by command', unit: 's', pos: [0, 12, 12, 8],
      description: '95th percentile of the time an operation took in the worker, from the histogram (buckets 10 ms to 20 s; bmcvisor_command_duration_seconds).',
      targets: [{ expr: `histogram_quantile(0.95, sum by (le, command) (rate(${sel('bmcvisor_command_duration_seconds_bucket')}[${RI}])))`, legend: '{{command}}' }],
    }),
    timeseries({
      title: 'Workers by state', unit: 'none', pos: [12, 12, 12, 8], options: { legend: { displayMode: 'list', placement: 'bottom' } },
      description: 'Worker threads in each supervisor state over time (bmcvisor_worker_state).',
      targets: [{ expr: `sum by (state) (${sel('bmcvisor_worker_state')})`, legend: '{{state}}' }],
    }),
    timeseries({
      title: 'BMCs and consoles up over time', unit: 'none', pos: [0, 20, 12, 8],
      description: 'Open IPMI sessions and connected consoles, fleet-wide (bmcvisor_bmc_up, bmcvisor_console_state).',
      targets: [
        { expr: `sum(${sel('bmcvisor_bmc_up')})`, legend: 'BMCs up' },
        { expr: `sum(${sel('bmcvisor_console_state', 'state="connected"')})`, legend: 'consoles connected' },
      ],
    }),
    timeseries({
      title: 'IPMI retransmits and dropped packets', unit: 'pps', pos: [12, 20, 12, 8],
      description: 'Requests sent again for lack of an answer, and packets from BMCs that were dropped, fleet-wide (bmcvisor_ipmi_retransmits_total, bmcvisor_ipmi_packets_dropped_total).',
      targets: [
        { expr: `sum(rate(${sel('bmcvisor_ipmi_retransmits_total')}[${RI}]))`, legend: 'retransmits' },
        { expr: `sum(rate(${sel('bmcvisor_ipmi_packets_dropped_total')}[${RI}]))`, legend: 'dropped' },
      ],
    }),
    timeseries({
      title: 'Console throughput', unit: 'Bps', pos: [0, 28, 12, 8],
      description: 'Console bytes per second, fleet-wide: in = host output read from BMCs, out = input written to hosts (bmcvisor_console_bytes_total).',
      targets: [{ expr: `sum by (direction) (rate(${sel('bmcvisor_console_bytes_total')}[${RI}]))`, legend: '{{direction}}' }],
    }),
    barGauge({
      title: 'Busiest worker event loops', unit: 'percentunit', pos: [12, 28, 6, 8], fieldConfig: { defaults: { min: 0, max: 1, thresholds: thresholds(0.8, 0.5) } },
      description: 'The ten workers whose event loop was busiest since the previous scrape (bmcvisor_worker_event_loop_utilization).',
      targets: [{ expr: `topk(10, ${sel('bmcvisor_worker_event_loop_utilization')})`, legend: '{{node}}' }],
    }),
    barGauge({
      title: 'Largest worker heaps', unit: 'bytes', pos: [18, 28, 6, 8],
      description: 'The ten workers with the most V8 heap in use (bmcvisor_worker_heap_used_bytes); the limit is the supervisor\'s resourceLimits.',
      targets: [{ expr: `topk(10, ${sel('bmcvisor_worker_heap_used_bytes')})`, legend: '{{node}}' }],
    }),
    timeseries({
      title: 'bmcvisor process memory', unit: 'bytes', pos: [0, 36, 12, 8],
      description: 'Resident memory of the whole bmcvisor process (all worker threads) and the main thread\'s heap (prom-client default metrics).',
      targets: [
        { expr: 'process_resident_memory_bytes{instance=~"$instance"}', legend: 'RSS {{instance}}' },
        { expr: 'nodejs_heap_size_used_bytes{instance=~"$instance"}', legend: 'main heap {{instance}}' },
      ],
    }),
    timeseries({
      title: 'bmcvisor process CPU', unit: 'percentunit', pos: [12, 36, 12, 8],
      description: 'CPU time of the whole bmcvisor process per second of wall time (1 = one core) (prom-client default metrics).',
      targets: [
        { expr: `rate(process_cpu_seconds_total{instance=~"$instance"}[${RI}])`, legend: 'CPU {{instance}}' },
      ],
    }),
    timeseries({
      title: 'Console matches', unit: 'cps', pos: [0, 44, 12, 8],
      description: 'Console lines per second that matched a watch pattern (kernel panic, Call Trace, machine checks, OOM kills, hung tasks, and any configured ones), fleet-wide by pattern; matched in each node\'s worker (bmcvisor_console_matches_total). A panic fires BmcvisorConsolePanic.',
      targets: [{ expr: `sum by (pattern) (rate(${sel('bmcvisor_console_matches_total')}[${RI}]))`, legend: '{{pattern}}' }],
    }),
    table({
      title: 'Console matches by node and pattern', unit: 'none', pos: [12, 44, 12, 8],
      description: 'Console lines that matched a watch pattern over the time range, by node and pattern, most first (bmcvisor_console_matches_total). The lines themselves and their times: GET /api/v1/nodes/{node}/console/matches.',
      targets: [{ expr: `sort_desc(sum by (instance, node, pattern) (increase(${sel('bmcvisor_console_matches_total')}[$__range])) > 0)`, table: true }],
      transformations: [{ id: 'organize', options: { excludeByName: { Time: true }, renameByName: { Value: 'Matches' } } }],
      options: { sortBy: [{ displayName: 'Matches', desc: true }] },
    }),
    timeseries({
      title: 'BMCs up by protocol', unit: 'none', pos: [0, 52, 12, 8],
      description: 'Open BMC sessions by management protocol, IPMI and Redfish nodes apart (bmcvisor_bmc_up joined on node with bmcvisor_node_protocol).',
      targets: [{ expr: `sum by (protocol) (${sel('bmcvisor_bmc_up')} * on (instance, node) group_left (protocol) ${sel('bmcvisor_node_protocol')})`, legend: '{{protocol}}' }],
    }),
    // Cluster row (several instances on one PostgreSQL; docs/cluster.md). With SQLite every series here is 0.
    stat({
      title: 'Cluster members', unit: 'none', pos: [0, 60, 4, 8], fieldConfig: { defaults: { thresholds: thresholds(0) } },
      description: 'Live members (instances whose lease holds) as each instance saw at its last renewal, the lowest and highest of all instances, next to the number of instances Prometheus scrapes; fewer members than instances fires BmcvisorClusterMemberLost (bmcvisor_cluster_members).',
      targets: [
        { expr: 'min(bmcvisor_cluster_members{instance=~"$instance"})', legend: 'members (lowest view)' },
        { expr: 'max(bmcvisor_cluster_members{instance=~"$instance"})', legend: 'members (highest view)' },
        { expr: 'count(up{job="bmcvisor", instance=~"$instance"})', legend: 'instances scraped' },
      ],
    }),
    timeseries({
      title: 'Owned nodes by instance', unit: 'none', pos: [4, 60, 10, 8],
      description: 'Nodes each instance owns and runs (bmcvisor_owned_nodes): after a failover the dead instance\'s share moves to the others, after a join about 1/N moves to the new one.',
      targets: [{ expr: 'bmcvisor_owned_nodes{instance=~"$instance"}', legend: '{{instance}}' }],
    }),
    timeseries({
      title: 'Ownership changes', unit: 'none', pos: [14, 60, 10, 8],
      description: 'Nodes that started (gained) or stopped (lost) on each instance because ownership moved, per rate interval (bmcvisor_cluster_ownership_changes_total).',
      targets: [{ expr: `sum by (instance, direction) (increase(bmcvisor_cluster_ownership_changes_total{instance=~"$instance"}[${RI}]))`, legend: '{{instance}} {{direction}}' }],
    }),
  ]
  return dashboard({
    uid: 'bmcvisor-fleet', title: 'bmcvisor / Fleet overview', nodeMulti: true, panels,
    description: 'BMC sessions, consoles, workers and commands across the fleet. Panel-to-metric map: dashboards/README.md.',
  })
}

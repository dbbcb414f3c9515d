// Failed sessions: which nodes are down, why, since when, and who fails most.
import { barGauge, column, dashboard, MERGE_TABLE, resetIds, sel, stat, table, thresholds, timeseries, type Json } from './panels.js'

const RI = '$__rate_interval'
/** Same window as the BmcvisorWorkerCrashLooping alert (dashboards/prometheus/alerts.yml). */
const CRASH_WINDOW = '15m'

/** Seconds down and the time it went down, per node and reason, from a *_failure_reason and a *_last_change gauge. */
function downTable(kind: 'bmc' | 'console', title: string, description: string, pos: [number, number, number, number]): Json {
  const reason = `(${sel(`bmcvisor_${kind}_failure_reason`)} == 1)`
  const changed = sel(`bmcvisor_${kind}_last_change_timestamp_seconds`)
  return table({
    title, description, unit: 's', pos,
    targets: [
      { expr: `(time() - ${changed}) * on (instance, node) group_left (reason) ${reason}`, table: true },
      { expr: `${changed} * 1000 * on (instance, node) group_left (reason) ${reason}`, table: true },
    ],
    transformations: MERGE_TABLE,
    options: { sortBy: [{ displayName: 'Down for', desc: true }] },
    fieldConfig: { overrides: [column('A', 'Down for', 's', [{ id: 'custom.cellOptions', value: { type: 'color-text' } }, { id: 'thresholds', value: thresholds(300, 60) }]), column('B', 'Since', 'dateTimeAsIso')] },
  })
}

export function failedSessions(): Json {
  resetIds()
  const panels = [
    stat({
      title: 'BMCs down', unit: 'none', pos: [0, 0, 4, 4], fieldConfig: { defaults: { thresholds: thresholds(1) } },
      description: 'Configured nodes without an open IPMI session to their BMC (1 - bmcvisor_bmc_up).',
      targets: [{ expr: `sum(1 - ${sel('bmcvisor_bmc_up')})`, legend: 'down' }],
    }),
    stat({
      title: 'Consoles down', unit: 'none', pos: [4, 0, 4, 4], fieldConfig: { defaults: { thresholds: thresholds(1) } },
      description: 'Nodes with a console that is not connected (bmcvisor_console_state{state="connected"} == 0).',
      targets: [{ expr: `sum(1 - ${sel('bmcvisor_console_state', 'state="connected"')})`, legend: 'down' }],
    }),
    stat({
      title: 'Session failures', unit: 'none', pos: [8, 0, 4, 4],
      description: 'Failed session openings and lost sessions over the dashboard\'s time range, all nodes (bmcvisor_session_failures_total).',
      targets: [{ expr: `sum(increase(${sel('bmcvisor_session_failures_total')}[$__range]))`, legend: 'failures' }],
    }),
    stat({
      title: 'Worker restarts', unit: 'none', pos: [12, 0, 4, 4], fieldConfig: { defaults: { thresholds: thresholds(1) } },
      description: 'Worker threads that ended abnormally over the dashboard\'s time range (bmcvisor_worker_restarts_total).',
      targets: [{ expr: `sum(increase(${sel('bmcvisor_worker_restarts_total')}[$__range]))`, legend: 'restarts' }],
    }),
    stat({
      title: 'Supervisor escalations', unit: 'none', pos: [16, 0, 4, 4], fieldConfig: { defaults: { thresholds: thresholds(1) } },
      description: 'Times many workers crashed at once over the time range: a host fault or a bmcvisor bug, not a BMC problem (bmcvisor_supervisor_escalations_total).',
      targets: [{ expr: `sum(increase(bmcvisor_supervisor_escalations_total{instance=~"$instance"}[$__range]))`, legend: 'escalations' }],
    }),
    stat({
      title: 'Workers parked', unit: 'none', pos: [20, 0, 4, 4], fieldConfig: { defaults: { thresholds: thresholds(1) } },
      description: 'Worker threads parked after repeated crashes (bmcvisor_worker_state{state="parked"}).',
      targets: [{ expr: `sum(${sel('bmcvisor_worker_state', 'state="parked"')})`, legend: 'parked' }],
    }),
    downTable('bmc', 'BMCs down: reason and since when', 'Nodes whose BMC session is down now, with the reason of the last failure and when the session went down (bmcvisor_bmc_failure_reason, bmcvisor_bmc_last_change_timestamp_seconds).', [0, 4, 12, 9]),
    downTable('console', 'Consoles down: reason and since when', 'Nodes whose console is not connected now, with the reason of the last failure and when it stopped being connected (bmcvisor_console_failure_reason, bmcvisor_console_last_change_timestamp_seconds).', [12, 4, 12, 9]),
    timeseries({
      title: 'Session failure rate by reason', unit: 'cps', pos: [0, 13, 12, 8],
      description: 'Failed session openings and lost sessions per second, by reason (bmcvisor_session_failures_total). A down BMC fails once per reconnect attempt.',
      targets: [{ expr: `sum by (reason) (rate(${sel('bmcvisor_session_failures_total')}[${RI}]))`, legend: '{{reason}}' }],
    }),
    timeseries({
      title: 'Console failure rate by reason', unit: 'cps', pos: [12, 13, 12, 8],
      description: 'Failed console activations and lost consoles per second, by reason (bmcvisor_console_failures_total).',
      targets: [{ expr: `sum by (reason) (rate(${sel('bmcvisor_console_failures_total')}[${RI}]))`, legend: '{{reason}}' }],
    }),
    barGauge({
      title: 'Nodes whose BMC session fails most', unit: 'none', pos: [0, 21, 8, 8], fieldConfig: { defaults: { thresholds: thresholds(10, 1) } },
      description: 'The ten nodes with the most session failures over the dashboard\'s time range (bmcvisor_session_failures_total).',
      targets: [{ expr: `topk(10, sum by (instance, node) (increase(${sel('bmcvisor_session_failures_total')}[$__range])) > 0)`, legend: '{{node}}', table: true }],
    }),
    barGauge({
      title: 'Nodes whose console fails most', unit: 'none', pos: [8, 21, 8, 8], fieldConfig: { defaults: { thresholds: thresholds(10, 1) } },
      description: 'The ten nodes with the most console failures over the dashboard\'s time range (bmcvisor_console_failures_total).',
      targets: [{ expr: `topk(10, sum by (instance, node) (increase(${sel('bmcvisor_console_failures_total')}[$__range])) > 0)`, legend: '{{node}}', table: true }],
    }),
    barGauge({
      title: 'Nodes whose commands fail most', unit: 'none', pos: [16, 21, 8, 8], fieldConfig: { defaults: { thresholds: thresholds(10, 1) } },
      description: 'The ten nodes with the most failed operations over the time range (bmcvisor_command_errors_total).',
      targets: [{ expr: `topk(10, sum by (instance, node) (increase(${sel('bmcvisor_command_errors_total')}[$__range])) > 0)`, legend: '{{node}}', table: true }],
    }),
    table({
      title: 'Crash-looping and parked workers', unit: 'none', pos: [0, 29, 12, 8],
      description: `Workers that ended abnormally in the last ${CRASH_WINDOW} (3 or more is a crash loop, red, as the BmcvisorWorkerCrashLooping alert) and workers parked now (bmcvisor_worker_restarts_total, bmcvisor_worker_state).`,
      targets: [
        { expr: `sum by (instance, node) (increase(${sel('bmcvisor_worker_restarts_total')}[${CRASH_WINDOW}])) > 0`, table: true },
        { expr: `max by (instance, node) (${sel('bmcvisor_worker_state', 'state="parked"')})`, table: true },
      ],
      transformations: [...MERGE_TABLE, { id: 'filterByValue', options: { type: 'exclude', match: 'all', filters: [{ fieldName: 'Value #A', config: { id: 'isNull', options: {} } }, { fieldName: 'Value #B', config: { id: 'lower', options: { value: 1 } } }] } }],
      fieldConfig: {
        overrides: [
          column('A', `Restarts (${CRASH_WINDOW})`, 'none', [{ id: 'custom.cellOptions', value: { type: 'color-background' } }, { id: 'thresholds', value: thresholds(3, 1) }]),
          column('B', 'Parked', 'none', [{ id: 'mappings', value: [{ type: 'value', options: { 0: { text: 'no', color: 'green' }, 1: { text: 'PARKED', color: 'red' } } }] }, { id: 'custom.cellOptions', value: { type: 'color-text' } }]),
        ],
      },
    }),
    timeseries({
      title: 'Worker restarts by node and reason', unit: 'none', pos: [12, 29, 12, 8], options: { drawStyle: 'bars' },
      fieldConfig: { defaults: { custom: { drawStyle: 'bars', fillOpacity: 80 } } },
      description: 'Worker threads that ended abnormally per rate interval, by node and why (crash, exit, oom, hang, start_failed, start_timeout; bmcvisor_worker_restarts_total).',
      targets: [{ expr: `sum by (node, reason) (increase(${sel('bmcvisor_worker_restarts_total')}[${RI}])) > 0`, legend: '{{node}} {{reason}}' }],
    }),
    table({
      title: 'Command errors by node and code', unit: 'none', pos: [0, 37, 24, 8],
      description: 'Failed operations over the time range by node, command and stable error code (docs/errors.md; bmcvisor_command_errors_total).',
      targets: [{ expr: `sum by (instance, node, command, code) (increase(${sel('bmcvisor_command_errors_total')}[$__range])) > 0`, table: true }],
      transformations: [{ id: 'organize', options: { excludeByName: { Time: true }, renameByName: { Value: 'Errors' } } }],
    }),
  ]
  return dashboard({
    uid: 'bmcvisor-failed-sessions', title: 'bmcvisor / Failed sessions', nodeMulti: true, panels,
    description: 'Nodes whose BMC session or console is down, why and since when; failure rates; crash-looping workers. Panel-to-metric map: dashboards/README.md.',
  })
}

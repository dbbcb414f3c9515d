// Node detail: one node's states over time, commands, console, transport, worker and sensors.
import { column, dashboard, MERGE_TABLE, resetIds, sel, stat, stateTimeline, table, thresholds, timeseries, UP_DOWN_MAPPINGS, type Json } from './panels.js'

const RI = '$__rate_interval'

export function nodeDetail(): Json {
  resetIds()
  const panels = [
    stateTimeline({
      title: 'State timeline', unit: 'none', pos: [0, 0, 24, 7], fieldConfig: { defaults: { mappings: UP_DOWN_MAPPINGS, thresholds: thresholds(1) } },
      description: 'Worker thread, BMC session, console and host power over time (bmcvisor_worker_up, bmcvisor_bmc_up, bmcvisor_console_state, bmcvisor_chassis_power_state). Gaps in power mean unknown (BMC down).',
      targets: [
        { expr: sel('bmcvisor_worker_up'), legend: '{{node}} worker' },
        { expr: sel('bmcvisor_bmc_up'), legend: '{{node}} BMC session' },
        { expr: sel('bmcvisor_console_state', 'state="connected"'), legend: '{{node}} console' },
        { expr: sel('bmcvisor_chassis_power_state'), legend: '{{node}} power' },
      ],
    }),
    stat({
      title: 'Host power', unit: 'none', pos: [0, 7, 4, 4],
      fieldConfig: { defaults: { mappings: [{ type: 'value', options: { 0: { text: 'off', color: 'blue' }, 1: { text: 'on', color: 'green' } } }] } },
      description: 'Host power as the BMC last reported it to the power poller; no value while the BMC is down (bmcvisor_chassis_power_state).',
      targets: [{ expr: sel('bmcvisor_chassis_power_state'), legend: '{{node}}' }],
    }),
    stat({
      title: 'Down reason', unit: 'none', pos: [4, 7, 5, 4], options: { textMode: 'name', colorMode: 'background' }, fieldConfig: { defaults: { thresholds: thresholds(1) } },
      description: 'Why the BMC session or the console is down now (last failure reason); empty while both are up (bmcvisor_bmc_failure_reason, bmcvisor_console_failure_reason).',
      targets: [
        { expr: `${sel('bmcvisor_bmc_failure_reason')} == 1`, legend: 'BMC: {{reason}}' },
        { expr: `${sel('bmcvisor_console_failure_reason')} == 1`, legend: 'console: {{reason}}' },
      ],
    }),
    stat({
      title: 'State since', unit: 'dateTimeFromNow', pos: [9, 7, 5, 4],
      description: 'When the BMC session and the console last went up or down (bmcvisor_bmc_last_change_timestamp_seconds, bmcvisor_console_last_change_timestamp_seconds).',
      targets: [
        { expr: `${sel('bmcvisor_bmc_last_change_timestamp_seconds')} * 1000`, legend: 'BMC' },
        { expr: `${sel('bmcvisor_console_last_change_timestamp_seconds')} * 1000`, legend: 'console' },
      ],
    }),
    stat({
      title: 'Console clients', unit: 'none', pos: [14, 7, 4, 4],
      description: 'Terminal and browser clients attached to the console now (bmcvisor_console_clients).',
      targets: [{ expr: sel('bmcvisor_console_clients'), legend: '{{node}}' }],
    }),
    stat({
      title: 'Worker restarts', unit: 'none', pos: [18, 7, 6, 4], fieldConfig: { defaults: { thresholds: thresholds(3, 1) } },
      description: 'Times the worker thread ended abnormally over the time range (bmcvisor_worker_restarts_total).',
      targets: [{ expr: `sum by (node) (increase(${sel('bmcvisor_worker_restarts_total')}[$__range]))`, legend: '{{node}}' }],
    }),
    timeseries({
      title: 'Commands by outcome', unit: 'ops', pos: [0, 11, 12, 8],
      description: 'Operations per second by command and outcome (bmcvisor_commands_total); power.status includes the power poller.',
      targets: [{ expr: `sum by (command, outcome) (rate(${sel('bmcvisor_commands_total')}[${RI}]))`, legend: '{{command}} {{outcome}}' }],
    }),
    timeseries({
      title: 'Command errors by code', unit: 'ops', pos: [12, 11, 12, 8],
      description: 'Failed operations per second by command and stable error code (docs/errors.md; bmcvisor_command_errors_total).',
      targets: [{ expr: `sum by (command, code) (rate(${sel('bmcvisor_command_errors_total')}[${RI}]))`, legend: '{{command}} {{code}}' }],
    }),
    timeseries({
      title: 'Command latency', unit: 's', pos: [0, 19, 12, 8],
      description: 'p50 and p95 of the time operations took in the worker, by command (bmcvisor_command_duration_seconds).',
      targets: [
        { expr: `histogram_quantile(0.5, sum by (le, command) (rate(${sel('bmcvisor_command_duration_seconds_bucket')}[${RI}])))`, legend: 'p50 {{command}}' },
        { expr: `histogram_quantile(0.95, sum by (le, command) (rate(${sel('bmcvisor_command_duration_seconds_bucket')}[${RI}])))`, legend: 'p95 {{command}}' },
      ],
    }),
    timeseries({
      title: 'Session and console failures', unit: 'cps', pos: [12, 19, 12, 8],
      description: 'Failed session openings, lost sessions and console failures per second, by reason (bmcvisor_session_failures_total, bmcvisor_console_failures_total).',
      targets: [
        { expr: `sum by (reason) (rate(${sel('bmcvisor_session_failures_total')}[${RI}]))`, legend: 'session {{reason}}' },
        { expr: `sum by (reason) (rate(${sel('bmcvisor_console_failures_total')}[${RI}]))`, legend: 'console {{reason}}' },
      ],
    }),
    timeseries({
      title: 'Console bytes', unit: 'Bps', pos: [0, 27, 12, 8],
      description: 'Console bytes per second: in = host output read from the BMC, out = input written to the host (bmcvisor_console_bytes_total).',
      targets: [{ expr: `sum by (direction) (rate(${sel('bmcvisor_console_bytes_total')}[${RI}]))`, legend: '{{direction}}' }],
    }),
    timeseries({
      title: 'Retransmits, dropped packets, stale events, relaxed checks', unit: 'pps', pos: [12, 27, 12, 8],
      description: 'IPMI requests sent again, packets from the BMC dropped, late events of replaced sessions dropped, and answers taken under a relaxed check the BMC is known to need (nochecksumcheck: GET nodes/{node}/bmc/profile), per second (bmcvisor_ipmi_retransmits_total, bmcvisor_ipmi_packets_dropped_total, bmcvisor_stale_events_total, bmcvisor_bmc_relaxed_checks_total).',
      targets: [
        { expr: `sum(rate(${sel('bmcvisor_ipmi_retransmits_total')}[${RI}]))`, legend: 'retransmits' },
        { expr: `sum(rate(${sel('bmcvisor_ipmi_packets_dropped_total')}[${RI}]))`, legend: 'dropped' },
        { expr: `sum(rate(${sel('bmcvisor_stale_events_total')}[${RI}]))`, legend: 'stale events' },
        { expr: `sum(rate(${sel('bmcvisor_bmc_relaxed_checks_total')}[${RI}]))`, legend: 'relaxed checks' },
      ],
    }),
    timeseries({
      title: 'Worker event loop', unit: 'percentunit', pos: [0, 35, 12, 8], fieldConfig: { defaults: { min: 0, max: 1 } },
      description: 'Share of time the worker\'s event loop was busy between scrapes (bmcvisor_worker_event_loop_utilization).',
      targets: [{ expr: sel('bmcvisor_worker_event_loop_utilization'), legend: '{{node}}' }],
    }),
    timeseries({
      title: 'Worker heap', unit: 'bytes', pos: [12, 35, 12, 8],
      description: 'V8 heap in use by the worker thread, from its heartbeat replies (bmcvisor_worker_heap_used_bytes).',
      targets: [{ expr: sel('bmcvisor_worker_heap_used_bytes'), legend: '{{node}}' }],
    }),
    table({
      title: 'Sensors (when enabled)', unit: 'none', pos: [0, 43, 12, 10],
      description: 'Last sensor readings and health (0 nominal, 1 warning, 2 critical); empty unless sensor polling is enabled (bmcvisor_sensor_value, bmcvisor_sensor_state).',
      targets: [{ expr: sel('bmcvisor_sensor_value'), table: true }, { expr: sel('bmcvisor_sensor_state'), table: true }],
      transformations: MERGE_TABLE,
      fieldConfig: {
        overrides: [
          column('A', 'Reading', 'none'),
          column('B', 'Health', 'none', [{ id: 'mappings', value: [{ type: 'value', options: { 0: { text: 'ok', color: 'green' }, 1: { text: 'warning', color: 'orange' }, 2: { text: 'critical', color: 'red' } } }] }, { id: 'custom.cellOptions', value: { type: 'color-text' } }]),
        ],
      },
    }),
    timeseries({
      title: 'Sensor readings (when enabled)', unit: 'none', pos: [12, 43, 12, 10],
      description: 'Sensor readings over time in each sensor\'s own unit; empty unless sensor polling is enabled (bmcvisor_sensor_value).',
      targets: [{ expr: sel('bmcvisor_sensor_value'), legend: '{{sensor}} ({{type}})' }],
    }),
    timeseries({
      title: 'Console matches by pattern', unit: 'cps', pos: [0, 53, 24, 8],
      description: 'Console lines per second that matched each of the node\'s watch patterns (bmcvisor_console_matches_total); the lines: GET /api/v1/nodes/{node}/console/matches.',
      targets: [{ expr: `sum by (pattern) (rate(${sel('bmcvisor_console_matches_total')}[${RI}]))`, legend: '{{pattern}}' }],
    }),
  ]
  return dashboard({
    uid: 'bmcvisor-node-detail', title: 'bmcvisor / Node detail', nodeMulti: false, panels,
    description: 'One node: worker, BMC session, console and power over time, commands, transport and sensors. Panel-to-metric map: dashboards/README.md.',
  })
}

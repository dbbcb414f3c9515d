/**
 * Every bmcvisor metric: name, type, help text, labels and the bounded set
 * each label takes its values from (DESIGN.md, Contracts: Metrics).
 *
 * Owns definitions only: metrics.ts builds the prom-client objects from this
 * table, wiring.ts feeds them, dashboards and alert rules read them (a unit
 * test checks every expression against these names). Label values come only
 * from the lists below or from configured node names, never from input; a
 * value outside a list is exported as `other`. Each REJECTED entry says in one
 * line why a label that looks useful is not there (gebn/bmc's habit).
 *
 * Cardinality per node, steady state: ~35 series (counters with known label
 * sets start at 0) plus 15 per command in use (histogram, counters) and four
 * per sensor when sensor polling is on (bmcvisor_sensor_* and the ipmi_* pair).
 */
import { OPS, type OpName } from '../ops/registry.js'
import { CONNECTION_STATES as BRIDGE_CONNECTION_STATES, FAILURE_REASONS as BRIDGE_FAILURE_REASONS, CONFIGURED_PROTOCOLS } from '../bridge/messages.js'
import { WORKAROUND_NAMES as BRIDGE_WORKAROUND_NAMES, type ProfileSource } from '../bridge/profile.js'

/** Supervisor child states (src/supervisor ChildState); a unit test keeps the two lists equal. */
export const WORKER_STATES = ['starting', 'running', 'restarting', 'parked', 'stopping', 'stopped'] as const
/** Why a worker thread ended (ExitReason), without `stopped`: a deliberate stop is not a restart. */
export const RESTART_REASONS = ['crash', 'exit', 'oom', 'hang', 'start_failed', 'start_timeout'] as const
/** Session and console states: the bridge's one list. */
export const CONNECTION_STATES = BRIDGE_CONNECTION_STATES
/** Why a session or console is down: the bridge's one list, plus `other` for anything else. */
export const FAILURE_REASONS = [...BRIDGE_FAILURE_REASONS, 'other'] as const
/** The label values of `command`: the op registry's names (commandLabels), plus `other`. */
export function commandLabels(registry: Readonly<Record<string, unknown>>): readonly string[] {
  return [...Object.keys(registry), 'other']
}
/** BMC operations a worker runs (the op registry) plus `other`; the worker's control requests are not among them. */
export const COMMANDS = commandLabels(OPS) as readonly (OpName | 'other')[]
/** Workaround names (src/session/profile.ts WORKAROUNDS), plus `other`. */
export const WORKAROUND_NAMES = [...BRIDGE_WORKAROUND_NAMES, 'other'] as const
/** Where a profile entry came from. */
export const PROFILE_SOURCES = ['learned', 'configured'] as const satisfies readonly ProfileSource[]
/** How a node's BMC is managed: the bridge's one list. */
/** An auto node is labelled with what its probe found, `auto` until then. */
export const PROTOCOLS = CONFIGURED_PROTOCOLS
/** Console bytes: `in` is output of the host read from the BMC, `out` is input written to the host. */
export const DIRECTIONS = ['in', 'out'] as const

/** Which way a node's ownership moved, as seen by one instance. */
export const OWNERSHIP_DIRECTIONS = ['gained', 'lost'] as const
/** Instance-level metrics: no `node` label (one series per instance; Prometheus adds `instance`). */
export const INSTANCE_METRICS = ['bmcvisor_supervisor_escalations_total', 'bmcvisor_console_output_withheld_total', 'bmcvisor_cluster_members', 'bmcvisor_owned_nodes', 'bmcvisor_cluster_ownership_changes_total'] as const

/** IPMI latency: a LAN round trip is 5 ms-2 s, retransmits and slow BMCs reach ~20 s (reference §3.2). */
export const COMMAND_DURATION_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20] as const

/** At most this many sensors per node are exported (an SDR rarely has more than ~150). */
export const MAX_SENSORS_PER_NODE = 256

export type MetricType = 'counter' | 'gauge' | 'histogram'

export interface MetricDefinition {
  type: MetricType
  help: string
  labels: readonly string[]
}

const N = ['node'] as const

export const METRICS = {
  // --- workers (supervisor) ---
  bmcvisor_worker_up: { type: 'gauge', labels: N, help: "1 while the node's worker thread is running and answers heartbeats, 0 while it starts, restarts, is parked or stopped." },
  bmcvisor_worker_state: { type: 'gauge', labels: [...N, 'state'], help: "The node's worker state: one series per state, 1 for the current one." },
  bmcvisor_worker_restarts_total: { type: 'counter', labels: [...N, 'reason'], help: 'Worker threads that ended abnormally and were (or will be, once unparked) restarted, by why they ended.' },
  bmcvisor_worker_event_loop_utilization: { type: 'gauge', labels: N, help: "Share of time (0-1) the node's worker event loop was busy since the previous scrape." },
  bmcvisor_worker_heap_used_bytes: { type: 'gauge', labels: N, help: "V8 heap in use by the node's worker thread, from its last heartbeat reply." },
  bmcvisor_supervisor_escalations_total: { type: 'counter', labels: [], help: 'Times a large share of workers crashed within the restart period (a host fault or a bmcvisor bug).' },
  // --- cluster (src/cluster; absent with SQLite: one instance owns every node) ---
  bmcvisor_cluster_members: { type: 'gauge', labels: [], help: 'Live cluster members (instances on the shared PostgreSQL whose lease holds) as this instance saw at its last renewal; 0 while it holds no lease, and with the SQLite store (no cluster).' },
  bmcvisor_owned_nodes: { type: 'gauge', labels: [], help: 'Nodes this instance owns and runs (their BMC sessions and consoles are here); with the SQLite store, every node.' },
  bmcvisor_cluster_ownership_changes_total: { type: 'counter', labels: ['direction'], help: 'Nodes that started here (direction=gained) or stopped here (direction=lost) because cluster ownership moved.' },
  // --- BMC sessions ---
  bmcvisor_bmc_up: { type: 'gauge', labels: N, help: "1 while bmcvisor holds an IPMI session to the node's BMC, 0 otherwise." },
  bmcvisor_node_protocol: { type: 'gauge', labels: [...N, 'protocol'], help: "1 for the management protocol of the node's BMC (ipmi, redfish), one series per node: join on `node` to tell IPMI and Redfish nodes apart in the other series." },
  bmcvisor_bmc_failure_reason: { type: 'gauge', labels: [...N, 'reason'], help: "1 for the reason of the last failure while the node's BMC session is down; no series while it is up." },
  bmcvisor_bmc_last_change_timestamp_seconds: { type: 'gauge', labels: N, help: 'Unix time at which bmcvisor_bmc_up took its current value (the session went up or down).' },
  bmcvisor_session_failures_total: { type: 'counter', labels: [...N, 'reason'], help: 'IPMI sessions that failed to open or were lost, by reason (every reconnect attempt that fails counts).' },
  bmcvisor_ipmi_retransmits_total: { type: 'counter', labels: N, help: 'IPMI requests sent again because no answer came in time.' },
  bmcvisor_ipmi_packets_dropped_total: { type: 'counter', labels: N, help: 'Packets from the BMC that were dropped (bad integrity, out of window, unknown session).' },
  bmcvisor_stale_events_total: { type: 'counter', labels: N, help: 'Late events and packets of a replaced session that were dropped (DESIGN lesson 4).' },
  // `workaround` is a name of the one list (WORKAROUND_NAMES), at most one series per name and source per node.
  bmcvisor_bmc_profile_entry: { type: 'gauge', labels: [...N, 'workaround', 'source'], help: "1 for each workaround in the node's BMC profile: learned by its client (source=learned) or set in bmc.workarounds (source=configured); GET nodes/{node}/bmc/profile says what each changes." },
  bmcvisor_bmc_relaxed_checks_total: { type: 'counter', labels: N, help: 'Security checks relaxed because the BMC is known to need it (answers with a wrong data checksum taken because their integrity check passed: nochecksumcheck).' },
  bmcvisor_chassis_power_state: { type: 'gauge', labels: N, help: "Host power as the BMC last reported it: 1 on, 0 off; no series while unknown (BMC down, not yet polled). Named as ipmi_exporter's ipmi_chassis_power_state." },
  // --- consoles ---
  bmcvisor_console_state: { type: 'gauge', labels: [...N, 'state'], help: "The node's console state: one series per state, 1 for the current one; no series for a node without a console." },
  bmcvisor_console_failure_reason: { type: 'gauge', labels: [...N, 'reason'], help: "1 for the reason of the last failure while the node's console is not connected; no series while it is connected." },
  bmcvisor_console_last_change_timestamp_seconds: { type: 'gauge', labels: N, help: "Unix time at which the node's console last became connected or stopped being connected." },
  bmcvisor_console_failures_total: { type: 'counter', labels: [...N, 'reason'], help: 'Console activations that failed or consoles that were lost, by reason.' },
  bmcvisor_console_clients: { type: 'gauge', labels: N, help: 'Clients attached to the node\'s console (terminal and browser sessions).' },
  bmcvisor_console_bytes_total: { type: 'counter', labels: [...N, 'direction'], help: 'Console bytes moved between bmcvisor and the host: in = host output read from the BMC, out = input written to the host.' },
  // `pattern` is a configured watch pattern name (bridge/watch.ts: WATCH_NAME_PATTERN, at most MAX_WATCH_PATTERNS per node), never console text.
  bmcvisor_console_matches_total: { type: 'counter', labels: [...N, 'pattern'], help: "Console lines that matched one of the node's watch patterns (kernel panic, Call Trace, ...), by pattern; counted in the node's worker on the live console output." },
  bmcvisor_console_output_withheld_total: { type: 'counter', labels: [], help: 'SOL packets the service left with their BMC (not acknowledged, so the BMC sent them again) because the main thread had not caught up with console output; fleet-wide. A rising rate means consoles are being slowed down by the service, not failing.' },
  bmcvisor_console_input_dropped_bytes_total: { type: 'counter', labels: N, help: 'Console input that did not reach the host (input buffer full, console not connected, worker down); the client that typed it was told.' },
  // --- commands ---
  bmcvisor_commands_total: { type: 'counter', labels: [...N, 'command', 'outcome'], help: 'Operations run on the BMC by its worker (REST, CLI and the power poller), by outcome.' },
  bmcvisor_command_errors_total: { type: 'counter', labels: [...N, 'command', 'code'], help: 'Failed operations by stable error code (docs/errors.md).' },
  bmcvisor_command_duration_seconds: { type: 'histogram', labels: [...N, 'command'], help: 'Time an operation took inside the worker, success or failure.' },
  // --- sensors (only when sensor polling is enabled) ---
  bmcvisor_sensor_value: { type: 'gauge', labels: [...N, 'sensor', 'type'], help: 'Sensor reading in its unit (as ipmi_exporter ipmi_sensor_value); no series without a numeric reading.' },
  bmcvisor_sensor_state: { type: 'gauge', labels: [...N, 'sensor', 'type'], help: 'Sensor health: 0 nominal, 1 warning, 2 critical or failed (as ipmi_exporter ipmi_sensor_state).' },
  // --- sensors under ipmi_exporter's names (reference/node-stack.md §3.3), same polls, so its dashboards and alerts apply.
  // Labels: `id` is the SDR sensor number (0-255) and `name` the SDR ID string (at most 16 bytes, IPMI v2.0 §43.1): both
  // come from the BMC's SDR, bounded by it and by MAX_SENSORS_PER_NODE, never from API input; `type` is the SDR sensor type.
  ipmi_temperature_celsius: { type: 'gauge', labels: [...N, 'id', 'name'], help: 'Temperature sensor reading in degrees Celsius (ipmi_exporter name); no series without a reading.' },
  ipmi_temperature_state: { type: 'gauge', labels: [...N, 'id', 'name'], help: 'Temperature sensor health: 0 nominal, 1 warning, 2 critical (ipmi_exporter name).' },
  ipmi_fan_speed_rpm: { type: 'gauge', labels: [...N, 'id', 'name'], help: 'Fan speed sensor reading in RPM (ipmi_exporter name); no series without a reading.' },
  ipmi_fan_speed_state: { type: 'gauge', labels: [...N, 'id', 'name'], help: 'Fan speed sensor health: 0 nominal, 1 warning, 2 critical (ipmi_exporter name).' },
  ipmi_voltage_volts: { type: 'gauge', labels: [...N, 'id', 'name'], help: 'Voltage sensor reading in volts (ipmi_exporter name); no series without a reading.' },
  ipmi_voltage_state: { type: 'gauge', labels: [...N, 'id', 'name'], help: 'Voltage sensor health: 0 nominal, 1 warning, 2 critical (ipmi_exporter name).' },
  ipmi_current_amperes: { type: 'gauge', labels: [...N, 'id', 'name'], help: 'Current sensor reading in amperes (ipmi_exporter name); no series without a reading.' },
  ipmi_current_state: { type: 'gauge', labels: [...N, 'id', 'name'], help: 'Current sensor health: 0 nominal, 1 warning, 2 critical (ipmi_exporter name).' },
  ipmi_power_watts: { type: 'gauge', labels: [...N, 'id', 'name'], help: 'Power sensor reading in watts (ipmi_exporter name); no series without a reading.' },
  ipmi_power_state: { type: 'gauge', labels: [...N, 'id', 'name'], help: 'Power sensor health: 0 nominal, 1 warning, 2 critical (ipmi_exporter name).' },
  ipmi_sensor_value: { type: 'gauge', labels: [...N, 'id', 'name', 'type'], help: 'Reading of any other sensor with a numeric value, in its own unit (ipmi_exporter name).' },
  ipmi_sensor_state: { type: 'gauge', labels: [...N, 'id', 'name', 'type'], help: 'Health of any other sensor: 0 nominal, 1 warning, 2 critical (ipmi_exporter name).' },
} as const satisfies Record<string, MetricDefinition>

export type MetricName = keyof typeof METRICS

/** Labels considered and left out, one line each on why. */
export const REJECTED_LABELS: Record<string, string> = {
  bmc_address: 'Unbounded and changes with configuration; the node name is the stable identity, the address is in the REST node view.',
  client: 'Unbounded (one per terminal or browser tab); per-client accounting belongs in the API access log.',
  user: 'BMC and API user names are free text from input, and would leak who works on which node.',
  message: 'Error messages are free text; `code` (a registered error code) and `reason` (a fixed list) carry the meaning.',
  completion_code: 'Up to 256 values times commands times nodes; the error code plus the log detail is enough for alerting.',
  session_id: 'Changes on every reconnect: a new series each time, unbounded over the process lifetime.',
  worker_thread_id: 'Changes on every restart: unbounded; restarts are counted instead.',
  cipher_suite: 'Configuration, not state: shown by the REST node view; it would double every session series for no alert.',
  sel_entry: 'SEL texts are free text from the BMC; the REST events endpoint serves them.',
  sensor_number: 'Duplicates `sensor` on bmcvisor_sensor_* and would split series when the SDR is renumbered; the ipmi_* families carry it as `id` only because ipmi_exporter does.',
  severity: "Fixed per pattern by configuration: alert rules select patterns by name; GET nodes/{node}/console/matches carries it.",
  line: 'Console text is free text from the host: the recent matches (REST) carry the line, the counter only counts.',
  instance: 'Prometheus adds it from the scrape target; one bmcvisor serves many nodes, so `node` names the BMC.',
}

/** Every series name the registry exports for bmcvisor metrics (histograms give _bucket, _sum, _count). */
export function exportedSeriesNames(): string[] {
  const out: string[] = []
  for (const [name, d] of Object.entries(METRICS)) {
    if (d.type === 'histogram') out.push(`${name}_bucket`, `${name}_sum`, `${name}_count`)
    else out.push(name)
  }
  return out
}

/** `value` when it is in `list`, else `other` (label values never come from outside a fixed list). */
export function bounded<T extends string>(list: readonly T[], value: string | undefined, fallback: T): T {
  return value !== undefined && (list as readonly string[]).includes(value) ? (value as T) : fallback
}

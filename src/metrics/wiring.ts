/**
 * From supervisor events to metrics: the only writer of the bmcvisor metrics.
 *
 * Owns the event listeners on the supervisor, a per-node record of what was
 * last exported (so state flips set timestamps and stale series are removed),
 * the power poller and the optional sensor poller. Does not own the registry
 * (metrics.ts) or the supervisor; close() removes everything it added.
 *
 * The supervisor is seen through SupervisorSource, a structural interface
 * with plain strings, so this layer imports no supervisor and of bridge
 * only its lists (test/unit/layering.test.ts); every string that becomes a
 * label value goes through a fixed list first (definitions.ts), or, for a
 * watch pattern's name, through the name rule and the per-node bound. Power state arrives in no
 * event, so it is polled: `power.status` once per `powerPollMs` per node
 * whose BMC session is up, staggered by node name, at most `pollConcurrency`
 * at once; those polls count in bmcvisor_commands_total like any command.
 */
import { MAX_WATCH_PATTERNS, WATCH_NAME_PATTERN } from '../bridge/watch.js'
import { isErrorCode } from '../errors.js'
import {
  bounded, COMMANDS, CONNECTION_STATES, DIRECTIONS, FAILURE_REASONS, MAX_SENSORS_PER_NODE, PROFILE_SOURCES, PROTOCOLS, RESTART_REASONS, WORKAROUND_NAMES, WORKER_STATES,
} from './definitions.js'
import { ipmiSamples, IPMI_STATE, sdrLabel, type IpmiMetric, type IpmiSample } from './ipmi-sensors.js'
import type { Metrics } from './metrics.js'
import { Poller } from './poller.js'

export interface SourceEvents {
  'worker:state': [node: string, state: string]
  'worker:exited': [node: string, info: { reason: string }]
  'session:state': [node: string, msg: { state: string; reason?: string | undefined }]
  'console:state': [node: string, msg: { state: string; reason?: string | undefined }]
  'command:done': [node: string, msg: { op: string; ok: boolean; code?: string | undefined; durationMs: number }]
  stats: [node: string, delta: { retransmits: number; droppedPackets: number; solBytesIn: number; solBytesOut: number; staleEvents: number; relaxedChecks?: number; solWithheld?: number }]
  escalate: [crashing: number, total: number]
  'console:match': [node: string, match: { pattern: string; count: number }]
  'console:watch': [node: string, patterns: readonly { name: string }[]]
}

type Listener<K extends keyof SourceEvents> = (...args: SourceEvents[K]) => void

/** What a worker handle offers for sampling (src/supervisor WorkerHandle). */
export interface WorkerSampler {
  eventLoopUtilization(): { idle: number; active: number; utilization: number } | undefined
  readonly heapUsedBytes: number
}

/** The part of the Supervisor the metrics read (src/supervisor/supervisor.ts satisfies it). */
export interface SupervisorSource {
  on(event: 'worker:state', listener: Listener<'worker:state'>): unknown
  on(event: 'worker:exited', listener: Listener<'worker:exited'>): unknown
  on(event: 'session:state', listener: Listener<'session:state'>): unknown
  on(event: 'console:state', listener: Listener<'console:state'>): unknown
  on(event: 'command:done', listener: Listener<'command:done'>): unknown
  on(event: 'stats', listener: Listener<'stats'>): unknown
  on(event: 'escalate', listener: Listener<'escalate'>): unknown
  on(event: 'console:match', listener: Listener<'console:match'>): unknown
  on(event: 'console:watch', listener: Listener<'console:watch'>): unknown
  off(event: 'worker:state', listener: Listener<'worker:state'>): unknown
  off(event: 'worker:exited', listener: Listener<'worker:exited'>): unknown
  off(event: 'session:state', listener: Listener<'session:state'>): unknown
  off(event: 'console:state', listener: Listener<'console:state'>): unknown
  off(event: 'command:done', listener: Listener<'command:done'>): unknown
  off(event: 'stats', listener: Listener<'stats'>): unknown
  off(event: 'escalate', listener: Listener<'escalate'>): unknown
  off(event: 'console:match', listener: Listener<'console:match'>): unknown
  off(event: 'console:watch', listener: Listener<'console:watch'>): unknown
  /** `protocol` is the node's management protocol (default ipmi). */
  status(): readonly { node: string; state: string; protocol?: string; session: { state: string } | null; console: { state: string } | null }[]
  handleOf(node: string): WorkerSampler | undefined
  run(node: string, op: 'power.status' | 'sensors.list', args?: unknown, opts?: { timeoutMs?: number }): Promise<unknown>
}

/** One sensor reading as src/bmc's SensorReading has it (a structural subset). */
export interface SensorLike {
  name: string
  sensorType: string
  value: number | null
  health: string
  /** SDR sensor number and unit: without a sensor number a reading gives no ipmi_* series. */
  sensorNumber?: number
  unit?: string | null
}

export interface WireOptions {
  /** Host power poll per node, ms; 0 turns it off (default 60 s). */
  powerPollMs?: number
  /** Polls in flight at once, power and sensors each (default 4). */
  pollConcurrency?: number
  pollTimeoutMs?: number
  /** Clients attached to a node's console (the ConsoleManager), read at scrape time; undefined: no series. */
  consoleClients?: (node: string) => number | undefined
  /**
   * Sensor polling, off unless given: `sensors.list` on the node's worker (SDR cached there, then
   * one Get Sensor Reading per sensor: heavier than a power poll), or `read` instead (tests, other sources).
   */
  sensors?: { intervalMs?: number; read?: (node: string) => Promise<readonly SensorLike[]> }
  /** Wall clock in ms, for the *_timestamp_seconds gauges (tests). */
  clock?: () => number
}

export interface MetricsWiring {
  /** Polls started so far (power, sensors). */
  polls(): { power: number; sensors: number }
  /** Console input that was dropped (the ConsoleManager's 'console:input-dropped'). */
  inputDropped(node: string, bytes: number): void
  /** Host power as the last poll saw it (the chassis_power_state gauge), or null while unknown. */
  powerState(node: string): 'on' | 'off' | null
  /** The node's BMC profile entries now (bmcvisor_bmc_profile_entry); entries not named lose their series. */
  setProfile(node: string, entries: readonly { workaround: string; source: string }[]): void
  close(): void
}

interface Track {
  /** The protocol bmcvisor_node_protocol shows (undefined: no series yet). */
  protocol: (typeof PROTOCOLS)[number] | undefined
  bmcUp: boolean | undefined
  bmcReason: string | undefined
  consoleUp: boolean | undefined
  consoleReason: string | undefined
  /** What bmcvisor_chassis_power_state shows (undefined: no series). */
  power: 'on' | 'off' | undefined
  handle: WorkerSampler | undefined
  elu: { idle: number; active: number } | undefined
  sensors: Map<string, { sensor: string; type: string }>
  /** The ipmi_* series last set, by metric name and labels (without node). */
  ipmi: Map<string, { metric: IpmiMetric; labels: Record<string, string> }>
  /** The bmcvisor_bmc_profile_entry series set, by "workaround/source" (bounded: two per workaround name). */
  profile: Map<string, { workaround: string; source: string }>
  /** Watch pattern names with a bmcvisor_console_matches_total series (bounded: MAX_WATCH_PATTERNS). */
  patterns: Set<string>
}

const WATCH_NAME = new RegExp(WATCH_NAME_PATTERN)

/** A sensor ID string as a label value: printable ASCII, at most 16 bytes (IPMI v2.0 §43.1). */
const sensorLabel = sdrLabel
const HEALTH_STATE = IPMI_STATE

/** The `sensors` array of a sensors.list result, or nothing when the shape is not that. */
function sensorList(v: unknown): SensorLike[] {
  const list = (v as { sensors?: unknown } | null)?.sensors
  if (!Array.isArray(list)) return []
  return list.filter((r): r is SensorLike => typeof r === 'object' && r !== null && typeof (r as SensorLike).name === 'string' && typeof (r as SensorLike).sensorType === 'string')
}

export function wireSupervisor(metrics: Metrics, sup: SupervisorSource, opts: WireOptions = {}): MetricsWiring {
  return new SupervisorMetrics(metrics, sup, opts)
}

/** The listeners, per-node records and pollers of one wiring; one method per event. */
class SupervisorMetrics implements MetricsWiring {
  private readonly m: Metrics['m']
  private readonly clock: () => number
  private readonly nodes = new Map<string, Track>()
  private readonly timeoutMs: number
  private readonly power: Poller | undefined
  private readonly sensorPoller: Poller | undefined
  private readonly removeCollector: () => void

  constructor(private readonly metrics: Metrics, private readonly sup: SupervisorSource, private readonly opts: WireOptions) {
    this.m = metrics.m
    this.clock = opts.clock ?? Date.now
    this.timeoutMs = opts.pollTimeoutMs ?? 10_000
    const concurrency = opts.pollConcurrency ?? 4
    const eligible = (node: string) => this.nodes.get(node)?.bmcUp === true
    const powerMs = opts.powerPollMs ?? 60_000
    this.power = powerMs > 0 ? new Poller({ intervalMs: powerMs, concurrency, eligible, poll: (n) => this.pollPower(n) }) : undefined
    this.sensorPoller = opts.sensors !== undefined
      ? new Poller({ intervalMs: opts.sensors.intervalMs ?? 60_000, concurrency, eligible, poll: (n) => this.pollSensors(n) })
      : undefined
    // Nodes supervised before wiring: their current state, then the events.
    for (const st of sup.status()) {
      this.onWorkerState(st.node, st.state)
      if (st.session !== null) this.onSession(st.node, st.session)
      if (st.console !== null) this.onConsole(st.node, st.console)
    }
    sup.on('worker:state', this.onWorkerState)
    sup.on('worker:exited', this.onExited)
    sup.on('session:state', this.onSession)
    sup.on('console:state', this.onConsole)
    sup.on('command:done', this.onCommand)
    sup.on('stats', this.onStats)
    sup.on('escalate', this.onEscalate)
    sup.on('console:match', this.onMatch)
    sup.on('console:watch', this.onWatch)
    this.removeCollector = metrics.onCollect(() => this.collect())
    this.power?.start()
    this.sensorPoller?.start()
  }

  polls(): { power: number; sensors: number } {
    return { power: this.power?.started ?? 0, sensors: this.sensorPoller?.started ?? 0 }
  }

  powerState(node: string): 'on' | 'off' | null {
    return this.nodes.get(node)?.power ?? null
  }

  /**
   * The node's BMC profile now (configured and learned workarounds): one
   * bmcvisor_bmc_profile_entry series each; series of entries gone (a reset,
   * a configuration change) are removed.
   */
  setProfile(node: string, entries: readonly { workaround: string; source: string }[]): void {
    const t = this.track(node)
    const next = new Map<string, { workaround: string; source: string }>()
    for (const e of entries) {
      const labels = { workaround: bounded(WORKAROUND_NAMES, e.workaround, 'other'), source: bounded(PROFILE_SOURCES, e.source, 'learned') }
      next.set(`${labels.workaround}/${labels.source}`, labels)
    }
    for (const [k, labels] of t.profile) if (!next.has(k)) this.m.bmcvisor_bmc_profile_entry.remove({ node, ...labels })
    for (const labels of next.values()) this.m.bmcvisor_bmc_profile_entry.set({ node, ...labels }, 1)
    t.profile = next
  }

  inputDropped(node: string, bytes: number): void {
    if (bytes > 0 && this.nodes.has(node)) this.m.bmcvisor_console_input_dropped_bytes_total.inc({ node }, bytes)
  }

  close(): void {
    this.sup.off('worker:state', this.onWorkerState)
    this.sup.off('worker:exited', this.onExited)
    this.sup.off('session:state', this.onSession)
    this.sup.off('console:state', this.onConsole)
    this.sup.off('command:done', this.onCommand)
    this.sup.off('stats', this.onStats)
    this.sup.off('escalate', this.onEscalate)
    this.sup.off('console:match', this.onMatch)
    this.sup.off('console:watch', this.onWatch)
    this.removeCollector()
    this.power?.stop()
    this.sensorPoller?.stop()
  }

  // --- events ---

  private readonly onWorkerState: Listener<'worker:state'> = (node, state) => {
    this.track(node)
    for (const s of WORKER_STATES) this.m.bmcvisor_worker_state.set({ node, state: s }, s === state ? 1 : 0)
    this.m.bmcvisor_worker_up.set({ node }, state === 'running' ? 1 : 0)
  }

  private readonly onExited: Listener<'worker:exited'> = (node, info) => {
    const t = this.track(node)
    if (info.reason !== 'stopped') this.m.bmcvisor_worker_restarts_total.inc({ node, reason: bounded(RESTART_REASONS, info.reason, 'crash') })
    // The thread's session and console went with it.
    this.setBmcUp(node, t, false)
    if (t.consoleUp !== undefined) this.setConsole(node, t, 'disconnected', undefined)
    t.handle = undefined
    this.m.bmcvisor_worker_event_loop_utilization.remove({ node })
    this.m.bmcvisor_worker_heap_used_bytes.remove({ node })
  }

  private readonly onSession: Listener<'session:state'> = (node, msg) => {
    const t = this.track(node)
    const up = msg.state === 'connected'
    this.setBmcUp(node, t, up)
    if (!up && (msg.state === 'error' || msg.state === 'disconnected') && msg.reason !== undefined) {
      const reason = bounded(FAILURE_REASONS, msg.reason, 'other')
      this.m.bmcvisor_session_failures_total.inc({ node, reason })
      this.setReason(this.m.bmcvisor_bmc_failure_reason, node, t.bmcReason, reason)
      t.bmcReason = reason
    }
  }

  private readonly onConsole: Listener<'console:state'> = (node, msg) => this.setConsole(node, this.track(node), msg.state, msg.reason)

  private readonly onCommand: Listener<'command:done'> = (node, msg) => {
    this.track(node)
    const command = bounded(COMMANDS, msg.op, 'other')
    this.m.bmcvisor_commands_total.inc({ node, command, outcome: msg.ok ? 'ok' : 'error' })
    if (Number.isFinite(msg.durationMs) && msg.durationMs >= 0) this.m.bmcvisor_command_duration_seconds.observe({ node, command }, msg.durationMs / 1000)
    if (!msg.ok) this.m.bmcvisor_command_errors_total.inc({ node, command, code: isErrorCode(msg.code) ? msg.code : 'INTERNAL' })
    // Power was just changed: read it again soon rather than at the next period (the fleet page shows it).
    else if (msg.op === 'power.set') this.power?.soon(node)
  }

  private readonly onStats: Listener<'stats'> = (node, d) => {
    this.track(node)
    const add = (c: { inc(labels: Record<string, string>, n: number): void }, labels: Record<string, string>, n: number) => {
      if (Number.isFinite(n) && n > 0) c.inc(labels, n)
    }
    add(this.m.bmcvisor_ipmi_retransmits_total, { node }, d.retransmits)
    add(this.m.bmcvisor_ipmi_packets_dropped_total, { node }, d.droppedPackets)
    add(this.m.bmcvisor_stale_events_total, { node }, d.staleEvents)
    add(this.m.bmcvisor_bmc_relaxed_checks_total, { node }, d.relaxedChecks ?? 0)
    add(this.m.bmcvisor_console_bytes_total, { node, direction: 'in' }, d.solBytesIn)
    add(this.m.bmcvisor_console_bytes_total, { node, direction: 'out' }, d.solBytesOut)
    add(this.m.bmcvisor_console_output_withheld_total, {}, d.solWithheld ?? 0)
  }

  private readonly onEscalate: Listener<'escalate'> = () => this.m.bmcvisor_supervisor_escalations_total.inc()

  /** A match counts under its pattern's name only if the node is configured with that name (a bounded label). */
  private readonly onMatch: Listener<'console:match'> = (node, match) => {
    const t = this.track(node)
    if (!WATCH_NAME.test(match.pattern)) return
    if (!t.patterns.has(match.pattern) && t.patterns.size >= MAX_WATCH_PATTERNS) return
    t.patterns.add(match.pattern)
    if (Number.isSafeInteger(match.count) && match.count > 0) this.m.bmcvisor_console_matches_total.inc({ node, pattern: match.pattern }, match.count)
  }

  /** The node's patterns start at 0, so increase() sees the first match (the panic alert relies on it). */
  private readonly onWatch: Listener<'console:watch'> = (node, patterns) => {
    const t = this.track(node)
    for (const p of patterns) {
      if (!WATCH_NAME.test(p.name) || (!t.patterns.has(p.name) && t.patterns.size >= MAX_WATCH_PATTERNS)) continue
      t.patterns.add(p.name)
      this.m.bmcvisor_console_matches_total.inc({ node, pattern: p.name }, 0)
    }
  }

  // --- per-node records ---

  private track(node: string): Track {
    let t = this.nodes.get(node)
    if (t !== undefined) return t
    t = { protocol: undefined, bmcUp: undefined, bmcReason: undefined, consoleUp: undefined, consoleReason: undefined, power: undefined, handle: undefined, elu: undefined, sensors: new Map(), ipmi: new Map(), patterns: new Set(), profile: new Map() }
    this.nodes.set(node, t)
    // Known label sets start at 0, so increase() sees a node's first restart,
    // retransmit or console byte, and the fleet's rate() panels are never empty.
    for (const reason of RESTART_REASONS) this.m.bmcvisor_worker_restarts_total.inc({ node, reason }, 0)
    this.m.bmcvisor_ipmi_retransmits_total.inc({ node }, 0)
    this.m.bmcvisor_ipmi_packets_dropped_total.inc({ node }, 0)
    this.m.bmcvisor_stale_events_total.inc({ node }, 0)
    this.m.bmcvisor_bmc_relaxed_checks_total.inc({ node }, 0)
    for (const direction of DIRECTIONS) this.m.bmcvisor_console_bytes_total.inc({ node, direction }, 0)
    this.m.bmcvisor_console_input_dropped_bytes_total.inc({ node }, 0)
    this.setBmcUp(node, t, false)
    this.power?.add(node)
    this.sensorPoller?.add(node)
    return t
  }

  private setBmcUp(node: string, t: Track, up: boolean): void {
    if (t.bmcUp === up) return
    t.bmcUp = up
    this.m.bmcvisor_bmc_up.set({ node }, up ? 1 : 0)
    this.m.bmcvisor_bmc_last_change_timestamp_seconds.set({ node }, this.clock() / 1000)
    if (up) {
      this.setReason(this.m.bmcvisor_bmc_failure_reason, node, t.bmcReason, undefined)
      t.bmcReason = undefined
      this.power?.soon(node)
      this.sensorPoller?.soon(node)
    } else {
      // Unknown while the BMC is down: no series rather than a stale value.
      this.m.bmcvisor_chassis_power_state.remove({ node })
      t.power = undefined
      this.clearSensors(node, t)
    }
  }

  /** One bmcvisor_node_protocol series per node: a reconfigured node's old protocol series goes. */
  private setProtocol(node: string, t: Track, protocol: (typeof PROTOCOLS)[number]): void {
    if (t.protocol === protocol) return
    if (t.protocol !== undefined) this.m.bmcvisor_node_protocol.remove({ node, protocol: t.protocol })
    this.m.bmcvisor_node_protocol.set({ node, protocol }, 1)
    t.protocol = protocol
  }

  private setReason(g: Metrics['m']['bmcvisor_bmc_failure_reason'], node: string, old: string | undefined, reason: string | undefined): void {
    if (old !== undefined && old !== reason) g.remove({ node, reason: old })
    if (reason !== undefined) g.set({ node, reason }, 1)
  }

  private setConsole(node: string, t: Track, state: string, rawReason: string | undefined): void {
    const s = bounded(CONNECTION_STATES, state, 'error')
    for (const x of CONNECTION_STATES) this.m.bmcvisor_console_state.set({ node, state: x }, x === s ? 1 : 0)
    const up = s === 'connected'
    if (t.consoleUp !== up) {
      t.consoleUp = up
      this.m.bmcvisor_console_last_change_timestamp_seconds.set({ node }, this.clock() / 1000)
    }
    if (up) {
      this.setReason(this.m.bmcvisor_console_failure_reason, node, t.consoleReason, undefined)
      t.consoleReason = undefined
    } else if ((s === 'error' || s === 'disconnected') && rawReason !== undefined) {
      const reason = bounded(FAILURE_REASONS, rawReason, 'other')
      this.m.bmcvisor_console_failures_total.inc({ node, reason })
      this.setReason(this.m.bmcvisor_console_failure_reason, node, t.consoleReason, reason)
      t.consoleReason = reason
    }
  }

  private clearSensors(node: string, t: Track, keep?: Set<string>): void {
    for (const [key, labels] of t.sensors) {
      if (keep?.has(key)) continue
      this.m.bmcvisor_sensor_value.remove({ node, ...labels })
      this.m.bmcvisor_sensor_state.remove({ node, ...labels })
      t.sensors.delete(key)
    }
    if (keep === undefined) this.setIpmi(node, t, new Map())
  }

  /** Sets this poll's ipmi_* series and removes the ones of the previous poll it no longer has. */
  private setIpmi(node: string, t: Track, next: Map<string, IpmiSample>): void {
    for (const [k, s] of t.ipmi) if (!next.has(k)) this.m[s.metric].remove({ node, ...s.labels })
    for (const s of next.values()) this.m[s.metric].set({ node, ...s.labels }, s.value)
    t.ipmi = next
  }

  // --- polls ---

  private async pollPower(node: string): Promise<void> {
    const v = await this.sup.run(node, 'power.status', {}, { timeoutMs: this.timeoutMs })
    const state = (v as { state?: unknown } | null)?.state
    const t = this.nodes.get(node)
    if (t?.bmcUp === true && (state === 'on' || state === 'off')) {
      t.power = state
      this.m.bmcvisor_chassis_power_state.set({ node }, state === 'on' ? 1 : 0)
    }
  }

  private async pollSensors(node: string): Promise<void> {
    const read = this.opts.sensors?.read
    let readings: readonly SensorLike[]
    try {
      readings = read !== undefined ? await read(node) : sensorList(await this.sup.run(node, 'sensors.list', {}, { timeoutMs: this.timeoutMs }))
    } catch (e) {
      // Readings unavailable: no series rather than stale ones (the command counters record the failure).
      const t = this.nodes.get(node)
      if (t !== undefined) this.clearSensors(node, t)
      throw e
    }
    const t = this.nodes.get(node)
    if (t === undefined || t.bmcUp !== true) return
    const ipmi = new Map<string, IpmiSample>()
    const seen = new Set<string>()
    for (const r of readings) {
      if (seen.size >= MAX_SENSORS_PER_NODE) break
      const labels = { sensor: sensorLabel(r.name, 16), type: sensorLabel(r.sensorType, 32) }
      const key = `${labels.sensor}\u0000${labels.type}`
      if (seen.has(key)) continue
      seen.add(key)
      t.sensors.set(key, labels)
      if (r.value !== null && Number.isFinite(r.value)) this.m.bmcvisor_sensor_value.set({ node, ...labels }, r.value)
      else this.m.bmcvisor_sensor_value.remove({ node, ...labels })
      const state = HEALTH_STATE[r.health]
      if (state !== undefined) this.m.bmcvisor_sensor_state.set({ node, ...labels }, state)
      else this.m.bmcvisor_sensor_state.remove({ node, ...labels })
      if (typeof r.sensorNumber !== 'number') continue
      for (const x of ipmiSamples({ ...r, sensorNumber: r.sensorNumber })) {
        const k = `${x.metric}\u0000${JSON.stringify(x.labels)}`
        ipmi.set(k, x)
      }
    }
    this.clearSensors(node, t, seen)
    this.setIpmi(node, t, ipmi)
  }

  // --- scrape time: worker samples, console clients, and nodes that left the fleet ---

  private collect(): void {
    const present = new Set<string>()
    for (const st of this.sup.status()) {
      present.add(st.node)
      const t = this.track(st.node)
      this.sampleWorker(st.node, t)
      this.setProtocol(st.node, t, bounded(PROTOCOLS, st.protocol, 'ipmi'))
      const clients = this.opts.consoleClients?.(st.node)
      if (clients !== undefined && Number.isFinite(clients)) this.m.bmcvisor_console_clients.set({ node: st.node }, clients)
    }
    for (const node of [...this.nodes.keys()]) {
      if (present.has(node)) continue
      this.nodes.delete(node)
      this.power?.remove(node)
      this.sensorPoller?.remove(node)
      void this.metrics.forgetNode(node)
    }
  }

  /** Event-loop utilisation since the previous scrape (or since the thread started), and heap. */
  private sampleWorker(node: string, t: Track): void {
    const h = this.sup.handleOf(node)
    if (h !== t.handle) {
      t.handle = h
      t.elu = undefined
    }
    const now = h?.eventLoopUtilization()
    if (h === undefined || now === undefined) return
    const busy = t.elu === undefined ? now.utilization : (now.active - t.elu.active) / Math.max(1e-9, now.active + now.idle - t.elu.active - t.elu.idle)
    t.elu = { idle: now.idle, active: now.active }
    if (Number.isFinite(busy)) this.m.bmcvisor_worker_event_loop_utilization.set({ node }, Math.min(1, Math.max(0, busy)))
    if (h.heapUsedBytes > 0) this.m.bmcvisor_worker_heap_used_bytes.set({ node }, h.heapUsedBytes)
  }
}

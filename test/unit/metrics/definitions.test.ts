// The metric table against DESIGN.md's contract, the bridge's and the
// supervisor's bounded lists, and what the registry really exports.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import Fastify from 'fastify'
import { FAILURE_REASONS as BRIDGE_REASONS, type OpName } from '../../../src/bridge/messages.js'
import { CHILD_STATES, Supervisor } from '../../../src/supervisor/supervisor.js'
import type { ExitReason } from '../../../src/supervisor/worker-handle.js'
import type {
  COMMANDS, RESTART_REASONS} from '../../../src/metrics/definitions.js';
import { CONNECTION_STATES, FAILURE_REASONS, INSTANCE_METRICS, METRICS, REJECTED_LABELS, WORKER_STATES, exportedSeriesNames,
} from '../../../src/metrics/definitions.js'
import { createMetrics, metricsPlugin, wireSupervisor, type SupervisorSource } from '../../../src/metrics/index.js'

// Type-level: the metric lists cover the bridge and supervisor unions exactly (a new
// op or exit reason must be added to definitions.ts, or it would be exported as `other`).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
const _ops: Same<OpName, Exclude<(typeof COMMANDS)[number], 'other'>> = true
const _exits: Same<Exclude<ExitReason, 'stopped'>, (typeof RESTART_REASONS)[number]> = true
void _ops
void _exits

const DESIGN_NAMES = [
  'worker_up', 'worker_restarts_total', 'worker_state', 'bmc_up', 'session_failures_total', 'console_state', 'console_clients',
  'console_bytes_total', 'commands_total', 'command_duration_seconds', 'ipmi_retransmits_total', 'chassis_power_state',
]

describe('metric definitions', () => {
  it("cover DESIGN.md's contract with its labels", () => {
    for (const n of DESIGN_NAMES) assert.ok(`bmcvisor_${n}` in METRICS, n)
    assert.deepEqual(METRICS.bmcvisor_worker_restarts_total.labels, ['node', 'reason'])
    assert.deepEqual(METRICS.bmcvisor_commands_total.labels, ['node', 'command', 'outcome'])
    assert.deepEqual(METRICS.bmcvisor_console_bytes_total.labels, ['node', 'direction'])
    assert.deepEqual(METRICS.bmcvisor_command_duration_seconds.labels, ['node', 'command'])
  })

  it('follow the naming rules: prefix, _total on counters only, base units, help text, node label', () => {
    for (const [name, d] of Object.entries(METRICS)) {
      assert.match(name, /^(bmcvisor|ipmi)_[a-z_]+$/)
      assert.equal(name.endsWith('_total'), d.type === 'counter', name)
      assert.ok(!/_(ms|milliseconds|kb|mb)(_|$)/.test(name), `${name} uses a base unit`)
      assert.ok(d.help.length > 20 && d.help.endsWith('.'), `${name} has help text`)
      if (!(INSTANCE_METRICS as readonly string[]).includes(name)) assert.equal(d.labels[0], 'node', name)
      else assert.ok(!(d.labels as readonly string[]).includes('node'), name)
      for (const l of d.labels) assert.ok(!(l in REJECTED_LABELS), `${name} uses rejected label ${l}`)
    }
    for (const [label, why] of Object.entries(REJECTED_LABELS)) assert.ok(why.length > 20, label)
  })

  it('take label values from the same lists as the bridge and the supervisor', () => {
    // A reason the bridge adds and this list lacks would be exported as `other`.
    for (const r of BRIDGE_REASONS) assert.ok((FAILURE_REASONS as readonly string[]).includes(r), r)
    assert.deepEqual([...WORKER_STATES], [...CHILD_STATES])
    assert.deepEqual([...CONNECTION_STATES].sort(), ['connected', 'connecting', 'disconnected', 'error'])
  })

  it('are what the registry exports, next to the default process metrics', async () => {
    const metrics = createMetrics()
    const names = (await metrics.registry.getMetricsAsJSON()).map((x) => x.name)
    for (const n of Object.keys(METRICS)) assert.ok(names.includes(n), n)
    assert.ok(names.includes('process_cpu_user_seconds_total') && names.includes('nodejs_heap_size_used_bytes'))
    assert.equal(exportedSeriesNames().filter((n) => n.startsWith('bmcvisor_command_duration_seconds')).length, 3)
  })

  it('the real Supervisor satisfies SupervisorSource', () => {
    const sup = new Supervisor()
    const source: SupervisorSource = sup
    const metrics = createMetrics(undefined, { defaultMetrics: false })
    wireSupervisor(metrics, source, { powerPollMs: 0 }).close()
    assert.equal(sup.listenerCount('worker:state'), 0)
  })

  it('GET /metrics serves the registry in the text format', async () => {
    const metrics = createMetrics()
    const app = Fastify()
    await app.register(metricsPlugin, { registry: metrics.registry })
    const res = await app.inject({ method: 'GET', url: '/metrics' })
    assert.equal(res.statusCode, 200)
    assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/)
    assert.match(res.body, /^# HELP bmcvisor_worker_up /m)
    assert.match(res.body, /^# TYPE bmcvisor_command_duration_seconds histogram$/m)
    assert.match(res.body, /^process_resident_memory_bytes \d+/m)
    await app.close()
  })
})

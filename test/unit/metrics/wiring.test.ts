// wireSupervisor against a fake supervisor: every event becomes the metric
// DESIGN.md names, label values stay inside the fixed lists, counters survive
// worker restarts, state flips carry timestamps, and scrape-time samplers and
// pollers behave.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createMetrics } from '../../../src/metrics/metrics.js'
import { wireSupervisor, type WireOptions } from '../../../src/metrics/wiring.js'
import { FakeSupervisor, key, parseExposition } from './helpers.js'
import { MAX_WATCH_PATTERNS } from '../../../src/bridge/watch.js'
import { waitUntil } from '../../lab/net.js'

function setup(opts: WireOptions = {}) {
  const sup = new FakeSupervisor()
  const metrics = createMetrics(undefined, { defaultMetrics: false })
  let now = 1_700_000_000_000
  const wiring = wireSupervisor(metrics, sup, { powerPollMs: 0, clock: () => now, ...opts })
  const scrape = async () => parseExposition(await metrics.registry.metrics())
  return { sup, metrics, wiring, scrape, tick: (ms: number) => (now += ms), at: () => now }
}

describe('metrics wiring', () => {
  it('worker state is one 0/1 series per state and worker_up follows running', async () => {
    const { sup, wiring, scrape } = setup()
    sup.add('n1')
    sup.emit('worker:state', 'n1', 'running')
    const s = await scrape()
    assert.equal(s.get(key('bmcvisor_worker_up', { node: 'n1' })), 1)
    for (const st of ['starting', 'restarting', 'parked', 'stopping', 'stopped']) assert.equal(s.get(key('bmcvisor_worker_state', { node: 'n1', state: st })), 0)
    assert.equal(s.get(key('bmcvisor_worker_state', { node: 'n1', state: 'running' })), 1)
    sup.emit('worker:state', 'n1', 'parked')
    const p = await scrape()
    assert.equal(p.get(key('bmcvisor_worker_up', { node: 'n1' })), 0)
    assert.equal(p.get(key('bmcvisor_worker_state', { node: 'n1', state: 'parked' })), 1)
    wiring.close()
  })

  it('restarts count by reason from 0, survive worker restarts, and a deliberate stop is no restart', async () => {
    const { sup, wiring, scrape } = setup()
    sup.add('n1')
    let s = await scrape()
    for (const reason of ['crash', 'exit', 'oom', 'hang', 'start_failed', 'start_timeout']) assert.equal(s.get(key('bmcvisor_worker_restarts_total', { node: 'n1', reason })), 0)
    sup.emit('worker:exited', 'n1', { reason: 'crash' })
    sup.emit('worker:state', 'n1', 'running')
    sup.emit('worker:exited', 'n1', { reason: 'crash' })
    sup.emit('worker:exited', 'n1', { reason: 'hang' })
    sup.emit('worker:exited', 'n1', { reason: 'stopped' })
    sup.emit('worker:exited', 'n1', { reason: 'something new' })
    s = await scrape()
    assert.equal(s.get(key('bmcvisor_worker_restarts_total', { node: 'n1', reason: 'crash' })), 3)
    assert.equal(s.get(key('bmcvisor_worker_restarts_total', { node: 'n1', reason: 'hang' })), 1)
    assert.equal([...s.keys()].filter((k) => k.includes('stopped') && k.startsWith('bmcvisor_worker_restarts')).length, 0)
    wiring.close()
  })

  it('a failing session counts each failure, shows its reason and since when; connecting keeps the reason', async () => {
    const { sup, wiring, scrape, tick, at } = setup()
    sup.add('n1')
    const t0 = at() / 1000
    sup.emit('session:state', 'n1', { state: 'connected' })
    let s = await scrape()
    assert.equal(s.get(key('bmcvisor_bmc_up', { node: 'n1' })), 1)
    assert.equal(s.get(key('bmcvisor_bmc_last_change_timestamp_seconds', { node: 'n1' })), t0)
    tick(5000)
    sup.emit('session:state', 'n1', { state: 'disconnected', reason: 'unreachable' })
    tick(1000)
    sup.emit('session:state', 'n1', { state: 'connecting' })
    sup.emit('session:state', 'n1', { state: 'error', reason: 'unreachable' })
    sup.emit('session:state', 'n1', { state: 'connecting' })
    s = await scrape()
    assert.equal(s.get(key('bmcvisor_bmc_up', { node: 'n1' })), 0)
    assert.equal(s.get(key('bmcvisor_session_failures_total', { node: 'n1', reason: 'unreachable' })), 2)
    assert.equal(s.get(key('bmcvisor_bmc_failure_reason', { node: 'n1', reason: 'unreachable' })), 1)
    assert.equal(s.get(key('bmcvisor_bmc_last_change_timestamp_seconds', { node: 'n1' })), t0 + 5, 'down since the first failure')
    sup.emit('session:state', 'n1', { state: 'error', reason: 'bad_credentials' })
    sup.emit('session:state', 'n1', { state: 'error', reason: 'a reason from the future' })
    s = await scrape()
    assert.equal(s.get(key('bmcvisor_bmc_failure_reason', { node: 'n1', reason: 'unreachable' })), undefined, 'one reason at a time')
    assert.equal(s.get(key('bmcvisor_bmc_failure_reason', { node: 'n1', reason: 'other' })), 1)
    assert.equal(s.get(key('bmcvisor_session_failures_total', { node: 'n1', reason: 'other' })), 1)
    sup.emit('session:state', 'n1', { state: 'connected' })
    s = await scrape()
    assert.equal([...s.keys()].filter((k) => k.startsWith('bmcvisor_bmc_failure_reason')).length, 0)
    wiring.close()
  })

  it('console state, failures and bytes; a worker exit takes session and console down', async () => {
    const { sup, wiring, scrape } = setup()
    sup.add('n1')
    sup.emit('session:state', 'n1', { state: 'connected' })
    sup.emit('console:state', 'n1', { state: 'connecting' })
    sup.emit('console:state', 'n1', { state: 'error', reason: 'sol_busy' })
    let s = await scrape()
    assert.equal(s.get(key('bmcvisor_console_state', { node: 'n1', state: 'error' })), 1)
    assert.equal(s.get(key('bmcvisor_console_failure_reason', { node: 'n1', reason: 'sol_busy' })), 1)
    assert.equal(s.get(key('bmcvisor_console_failures_total', { node: 'n1', reason: 'sol_busy' })), 1)
    sup.emit('console:state', 'n1', { state: 'connected' })
    sup.emit('stats', 'n1', { retransmits: 2, droppedPackets: 1, solBytesIn: 100, solBytesOut: 7, staleEvents: 3 })
    sup.emit('stats', 'n1', { retransmits: 1, droppedPackets: 0, solBytesIn: 50, solBytesOut: 0, staleEvents: 0 })
    s = await scrape()
    assert.equal(s.get(key('bmcvisor_console_state', { node: 'n1', state: 'connected' })), 1)
    assert.equal(s.get(key('bmcvisor_console_failure_reason', { node: 'n1', reason: 'sol_busy' })), undefined)
    assert.equal(s.get(key('bmcvisor_console_bytes_total', { node: 'n1', direction: 'in' })), 150)
    assert.equal(s.get(key('bmcvisor_console_bytes_total', { node: 'n1', direction: 'out' })), 7)
    assert.equal(s.get(key('bmcvisor_ipmi_retransmits_total', { node: 'n1' })), 3)
    assert.equal(s.get(key('bmcvisor_ipmi_packets_dropped_total', { node: 'n1' })), 1)
    assert.equal(s.get(key('bmcvisor_stale_events_total', { node: 'n1' })), 3)
    sup.emit('worker:exited', 'n1', { reason: 'oom' })
    s = await scrape()
    assert.equal(s.get(key('bmcvisor_bmc_up', { node: 'n1' })), 0)
    assert.equal(s.get(key('bmcvisor_console_state', { node: 'n1', state: 'disconnected' })), 1)
    assert.equal(s.get(key('bmcvisor_console_bytes_total', { node: 'n1', direction: 'in' })), 150, 'counters survive the restart')
    wiring.close()
  })

  it('commands: outcome, error code, latency histogram; labels from fixed lists only', async () => {
    const { sup, wiring, scrape } = setup()
    sup.add('n1')
    sup.emit('command:done', 'n1', { op: 'power.status', ok: true, durationMs: 30 })
    sup.emit('command:done', 'n1', { op: 'power.status', ok: false, code: 'BMC_UNREACHABLE', durationMs: 12_000 })
    sup.emit('command:done', 'n1', { op: 'rm -rf /', ok: false, code: 'secret text', durationMs: 1 })
    const s = await scrape()
    assert.equal(s.get(key('bmcvisor_commands_total', { node: 'n1', command: 'power.status', outcome: 'ok' })), 1)
    assert.equal(s.get(key('bmcvisor_commands_total', { node: 'n1', command: 'power.status', outcome: 'error' })), 1)
    assert.equal(s.get(key('bmcvisor_command_errors_total', { node: 'n1', command: 'power.status', code: 'BMC_UNREACHABLE' })), 1)
    assert.equal(s.get(key('bmcvisor_command_errors_total', { node: 'n1', command: 'other', code: 'INTERNAL' })), 1)
    assert.equal(s.get(key('bmcvisor_command_duration_seconds_bucket', { node: 'n1', command: 'power.status', le: '0.01' })), 0)
    assert.equal(s.get(key('bmcvisor_command_duration_seconds_bucket', { node: 'n1', command: 'power.status', le: '0.05' })), 1)
    assert.equal(s.get(key('bmcvisor_command_duration_seconds_bucket', { node: 'n1', command: 'power.status', le: '10' })), 1)
    assert.equal(s.get(key('bmcvisor_command_duration_seconds_bucket', { node: 'n1', command: 'power.status', le: '20' })), 2)
    assert.equal(s.get(key('bmcvisor_command_duration_seconds_count', { node: 'n1', command: 'power.status' })), 2)
    assert.ok(![...s.keys()].some((k) => k.includes('rm -rf') || k.includes('secret')))
    wiring.close()
  })

  it('scrape-time samples: event-loop utilisation since the last scrape, heap, console clients; removed nodes vanish', async () => {
    const clients = new Map([['n1', 2]])
    const { sup, wiring, scrape } = setup({ consoleClients: (n) => clients.get(n) })
    sup.add('n1')
    sup.add('n2')
    let elu = { idle: 900, active: 100, utilization: 0.1 }
    sup.nodes.get('n1')!.handle = { eventLoopUtilization: () => elu, heapUsedBytes: 5_000_000 }
    let s = await scrape()
    assert.equal(s.get(key('bmcvisor_worker_event_loop_utilization', { node: 'n1' })), 0.1)
    assert.equal(s.get(key('bmcvisor_worker_heap_used_bytes', { node: 'n1' })), 5_000_000)
    assert.equal(s.get(key('bmcvisor_console_clients', { node: 'n1' })), 2)
    assert.equal(s.get(key('bmcvisor_console_clients', { node: 'n2' })), undefined)
    elu = { idle: 1000, active: 400, utilization: 400 / 1400 }
    s = await scrape()
    assert.equal(s.get(key('bmcvisor_worker_event_loop_utilization', { node: 'n1' })), 0.75, '300 busy of the last 400 ms')
    sup.nodes.delete('n1')
    for (let i = 0; i < 100 && [...s.keys()].some((k) => k.includes('node="n1"')); i++) {
      await new Promise((r) => setTimeout(r, 5)) // forgetting is asynchronous (it lists each metric's series)
      s = await scrape()
    }
    assert.deepEqual([...s.keys()].filter((k) => k.includes('node="n1"')), [])
    assert.ok([...s.keys()].some((k) => k.includes('node="n2"')))
    wiring.close()
  })

  it('bmcvisor_node_protocol: one series per node for its protocol (ipmi by default), moved on reconfiguration, unknown names as ipmi', async () => {
    const { sup, wiring, scrape } = setup()
    sup.add('i1')
    sup.add('r1')
    sup.add('x1')
    sup.nodes.get('r1')!.protocol = 'redfish'
    sup.nodes.get('x1')!.protocol = 'carrier-pigeon'
    const series = (s: Map<string, number>) => [...s.entries()].filter(([k]) => k.startsWith('bmcvisor_node_protocol{')).sort()
    assert.deepEqual(series(await scrape()), [
      [key('bmcvisor_node_protocol', { node: 'i1', protocol: 'ipmi' }), 1],
      [key('bmcvisor_node_protocol', { node: 'r1', protocol: 'redfish' }), 1],
      [key('bmcvisor_node_protocol', { node: 'x1', protocol: 'ipmi' }), 1],
    ])
    sup.nodes.get('i1')!.protocol = 'redfish'
    assert.deepEqual(series(await scrape()).filter(([k]) => k.includes('node="i1"')), [[key('bmcvisor_node_protocol', { node: 'i1', protocol: 'redfish' }), 1]])
    wiring.close()
  })

  it('nodes supervised before wiring start from their current status', async () => {
    const sup = new FakeSupervisor()
    sup.nodes.set('n1', { node: 'n1', state: 'running', session: { state: 'connected' }, console: { state: 'connecting' } })
    const metrics = createMetrics(undefined, { defaultMetrics: false })
    const wiring = wireSupervisor(metrics, sup, { powerPollMs: 0 })
    const s = parseExposition(await metrics.registry.metrics())
    assert.equal(s.get(key('bmcvisor_worker_up', { node: 'n1' })), 1)
    assert.equal(s.get(key('bmcvisor_bmc_up', { node: 'n1' })), 1)
    assert.equal(s.get(key('bmcvisor_console_state', { node: 'n1', state: 'connecting' })), 1)
    wiring.close()
    assert.equal(sup.listenerCount('session:state'), 0, 'close() removes every listener')
  })

  it("console matches count per pattern from 0 for the node's patterns, only under names the rule allows, and go with the node", async () => {
    const { sup, wiring, scrape } = setup()
    sup.add('n1')
    sup.add('n2')
    sup.emit('console:watch', 'n1', [{ name: 'panic' }, { name: 'oom' }])
    let s = await scrape()
    assert.equal(s.get(key('bmcvisor_console_matches_total', { node: 'n1', pattern: 'panic' })), 0)
    assert.equal(s.get(key('bmcvisor_console_matches_total', { node: 'n1', pattern: 'oom' })), 0)
    sup.emit('console:match', 'n1', { pattern: 'panic', count: 1 })
    sup.emit('console:match', 'n1', { pattern: 'panic', count: 41 })
    sup.emit('console:match', 'n1', { pattern: 'panic', count: -3 })
    sup.emit('console:match', 'n1', { pattern: 'Not A Name', count: 1 })
    s = await scrape()
    assert.equal(s.get(key('bmcvisor_console_matches_total', { node: 'n1', pattern: 'panic' })), 42, 'a folded flood counts every line')
    assert.equal([...s.keys()].filter((k) => k.includes('Not A Name')).length, 0)
    // At most MAX_WATCH_PATTERNS names per node become series.
    for (let i = 0; i < 40; i++) sup.emit('console:match', 'n2', { pattern: `p${i}`, count: 1 })
    s = await scrape()
    assert.equal([...s.keys()].filter((k) => k.startsWith('bmcvisor_console_matches_total{') && k.includes('node="n2"')).length, MAX_WATCH_PATTERNS)
    sup.nodes.delete('n1')
    await waitUntil(async () => ![...(await scrape()).keys()].some((k) => k.startsWith('bmcvisor_console_matches_total{') && k.includes('node="n1"')), {
      timeoutMs: 5000, what: "n1's match series removed",
    })
    wiring.close()
    assert.equal(sup.listenerCount('console:match'), 0)
  })

  it('SOL packets withheld for want of console credit add up fleet-wide, in one series without a node label', async () => {
    const { sup, wiring, scrape } = setup()
    sup.add('n1')
    sup.add('n2')
    assert.equal((await scrape()).get('bmcvisor_console_output_withheld_total'), 0)
    const none = { retransmits: 0, droppedPackets: 0, solBytesIn: 0, solBytesOut: 0, staleEvents: 0, relaxedChecks: 0 }
    sup.emit('stats', 'n1', { ...none, solWithheld: 4 })
    sup.emit('stats', 'n2', { ...none, solWithheld: 2 })
    sup.emit('stats', 'n2', none) // from a worker that counts no such thing
    assert.equal((await scrape()).get('bmcvisor_console_output_withheld_total'), 6)
    wiring.close()
  })

  it('the BMC profile: one series per workaround and source, gone ones removed, unknown names as other; relaxed checks counted from 0', async () => {
    const { sup, wiring, scrape } = setup()
    sup.add('n1')
    assert.equal((await scrape()).get(key('bmcvisor_bmc_relaxed_checks_total', { node: 'n1' })), 0)
    sup.emit('stats', 'n1', { retransmits: 0, droppedPackets: 0, solBytesIn: 0, solBytesOut: 0, staleEvents: 0, relaxedChecks: 3 })
    wiring.setProfile('n1', [{ workaround: 'solport', source: 'configured' }, { workaround: 'nochecksumcheck', source: 'learned' }, { workaround: 'made-up', source: 'learned' }])
    let s = await scrape()
    assert.equal(s.get(key('bmcvisor_bmc_relaxed_checks_total', { node: 'n1' })), 3)
    assert.equal(s.get(key('bmcvisor_bmc_profile_entry', { node: 'n1', workaround: 'solport', source: 'configured' })), 1)
    assert.equal(s.get(key('bmcvisor_bmc_profile_entry', { node: 'n1', workaround: 'nochecksumcheck', source: 'learned' })), 1)
    assert.equal(s.get(key('bmcvisor_bmc_profile_entry', { node: 'n1', workaround: 'other', source: 'learned' })), 1)
    wiring.setProfile('n1', [{ workaround: 'solport', source: 'configured' }])
    s = await scrape()
    assert.equal(s.get(key('bmcvisor_bmc_profile_entry', { node: 'n1', workaround: 'nochecksumcheck', source: 'learned' })), undefined, 'a reset removes the series')
    assert.equal(s.get(key('bmcvisor_bmc_profile_entry', { node: 'n1', workaround: 'solport', source: 'configured' })), 1)
    wiring.close()
  })
})

// A real Prometheus scrapes a running bmcvisor (startServer, as `bmcvisor
// serve`) with four ipmi_sim nodes: one healthy (console with a client,
// sensors polled), one whose BMC is killed (the failing node), one whose SOL
// is held by ipmitool (console down, host on) and one whose worker is made to
// crash until it is parked, and one whose host prints a kernel panic (its
// worker's watch pattern raises bmcvisor_console_matches_total within 2 s,
// the match is listed over REST, and BmcvisorConsolePanic fires for it); a
// second target of the job is a dead port. Every
// PromQL expression of every dashboard and alert rule must parse and return
// data through Prometheus's HTTP API, the failing node must show in the
// failed-sessions queries, and every alert must fire for its node. The rule
// file is the committed one with each `for:` cut to 1s (the expressions are
// unchanged); `promtool check rules` runs on the committed file itself.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { startServer, type RunningServer } from '../../src/main.js'
import type { NodeDoc } from '../../src/store/types.js'
import { freePort, ipmiSimAvailable, requireIpmiSim, startIpmiSim, type IpmiSim } from '../lab/sim.js'
import { ipmitoolSol, type IpmitoolConsole } from '../integration/sol/helpers.js'
import { alertRules, dashboardExprs } from '../unit/metrics/lint.js'
import { waitUntil } from '../lab/net.js'
import { onPath, requirePrometheus, startPrometheus, type Prometheus, type PromSample } from './prometheus.js'

const ADMIN_TOKEN = 'e2e-admin-token-0123456789'
/** Alerts about a cluster of instances, which a single instance never fires. */
const CLUSTER_ALERTS = ['BmcvisorClusterMemberLost']
const ALERTS_FILE = new URL('../../dashboards/prometheus/alerts.yml', import.meta.url).pathname
const NODES = { ok: 'node-ok', down: 'node-down', busy: 'node-busy', crash: 'node-crash', panic: 'node-panic' } as const
const PANIC_LINE = '[   42.000000] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)'
/** The issue's bound: a panic on the console is in the metric within 2 s. */
const MATCH_DEADLINE_MS = 2000

/** Grafana's variables as a query of the whole fleet would have them (scrape 1 s: $__rate_interval is 4 s; use 5 s). */
function grafanaSubst(expr: string): string {
  return expr.replaceAll('$__rate_interval', '5s').replaceAll('$__range', '5m').replaceAll('$instance', '.+').replaceAll('$node', '.+')
}

function nodeDoc(name: string, sim: { host: string; port: number }): NodeDoc {
  return {
    name, groups: [],
    bmc: { host: sim.host, port: sim.port, username: 'admin', password: 'password', cipherSuite: 3, privilege: 'administrator' },
    console: { method: 'ipmi', logging: 'full' },
  } as NodeDoc
}

async function until<T>(what: string, deadlineMs: number, check: () => Promise<T | undefined> | T | undefined, everyMs = 250): Promise<T> {
  const deadline = Date.now() + deadlineMs
  let last: unknown
  for (;;) {
    try {
      const v = await check()
      if (v !== undefined) return v
    } catch (e) {
      last = e
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`)
    await new Promise((r) => setTimeout(r, everyMs))
  }
}

describe('Prometheus scrapes bmcvisor: dashboards and alerts', { timeout: 150_000 }, () => {
  const sims: Partial<Record<keyof typeof NODES, IpmiSim>> = {}
  let server: RunningServer | undefined
  let prom: Prometheus | undefined
  let holder: IpmitoolConsole | undefined
  let dataDir: string | undefined
  let running = true
  const loops: Promise<void>[] = []

  before(async () => {
    if (!(ipmiSimAvailable() && onPath('prometheus') && onPath('promtool'))) return
    for (const k of Object.keys(NODES) as (keyof typeof NODES)[]) sims[k] = await startIpmiSim({ powerOn: true })
    holder = await ipmitoolSol(sims.busy!) // SOL taken before bmcvisor tries (consoleForce false below)
    dataDir = mkdtempSync(join(tmpdir(), 'bmcvisor-e2e-prom-'))
    server = await startServer({
      listen: '127.0.0.1:0', dataDir, adminToken: ADMIN_TOKEN, enableFaultInjection: true,
      logger: (await import('../../src/log.js')).createLogger({ level: 'silent' }),
      bmcDefaults: {
        timing: { retransmitMs: 250, backoffMs: 100, retries: 3, connectTimeoutMs: 3000 },
        reconnect: { initialMs: 200, maxMs: 1000 }, consoleLivenessMs: 3000, consoleForce: false,
      },
      supervisor: { heartbeatMs: 250, heartbeatTimeoutMs: 3000, restart: { baseDelayMs: 50, maxDelayMs: 200, intensity: 3, periodMs: 120_000, parkMs: 300_000 } },
      metricsOptions: {
        powerPollMs: 1000, sensors: { intervalMs: 2000 },
      },
    })
    for (const [k, name] of Object.entries(NODES)) await server.store.nodes.create(nodeDoc(name, sims[k as keyof typeof NODES]!))
    // A client on the healthy node's console (serve's ConsoleManager; its console appears with the node).
    const consoles = server.consoles
    await until('console session of the healthy node', 10_000, () => consoles.has(NODES.ok) || undefined, 20)
    consoles.attach(NODES.ok, { data: () => undefined, control: () => undefined, bufferedBytes: 0, close: () => undefined }, { user: 'e2e', mode: 'ro', replay: 'none' as const, canWrite: false })
    const target = new URL(server.url).host
    const dead = `127.0.0.1:${await freePort('tcp')}`
    const rules = readFileSync(ALERTS_FILE, 'utf8').replace(/^(\s+for:\s*)\S+$/gm, '$11s')
    prom = await startPrometheus({ jobs: { bmcvisor: [target, dead] }, rules })
  })

  after(async () => {
    running = false
    await Promise.allSettled(loops)
    await holder?.stop()
    await server?.close()
    await prom?.stop()
    await Promise.all(Object.values(sims).map((s) => s.stop()))
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true })
  })

  it('every dashboard and alert expression returns data, the failing node shows and every alert fires', async (t) => {
    if (!requireIpmiSim(t) || !requirePrometheus(t) || server === undefined || prom === undefined) return
    const sup = server.supervisor
    const t0 = performance.now()
    const p = prom
    const phase = (what: string) => t.diagnostic(`${what} at ${((performance.now() - t0) / 1000).toFixed(1)} s`)

    // The committed rule file is valid as it is.
    await promisify(execFile)('promtool', ['check', 'rules', ALERTS_FILE])

    await until('healthy and failing nodes connected', 60_000, () => sup.status(NODES.ok)[0]?.console?.state === 'connected' && sup.status(NODES.down)[0]?.session?.state === 'connected' ? true : undefined)
    await until('power state of the failing node scraped', 30_000, async () => (await p.query(`bmcvisor_chassis_power_state{node="${NODES.down}"} == 1`)).length > 0 || undefined)
    phase('nodes up')

    // The panicking host: its console connected and Prometheus holding the counter at 0 first (increase() needs the 0).
    await until('console of the panicking node connected', 60_000, () => sup.status(NODES.panic)[0]?.console?.state === 'connected' || undefined)
    await until('panic counter at 0 in Prometheus', 30_000, async () => (await p.query(`bmcvisor_console_matches_total{node="${NODES.panic}",pattern="panic"} == 0`)).length > 0 || undefined)
    const metricsUrl = `${server.url}/metrics`
    const panics = async () => {
      const text = await (await fetch(metricsUrl)).text()
      const m = new RegExp(`^bmcvisor_console_matches_total\\{node="${NODES.panic}",pattern="panic"\\} (\\d+)$`, 'm').exec(text)
      return m === null ? undefined : Number(m[1])
    }
    assert.equal(await panics(), 0)
    const written = performance.now()
    await sims.panic!.solBackend.write(`${PANIC_LINE}\r\n`)
    await waitUntil(async () => (await panics()) === 1, { timeoutMs: MATCH_DEADLINE_MS, intervalMs: 20, what: 'the panic in bmcvisor_console_matches_total' })
    t.diagnostic(`panic line counted ${(performance.now() - written).toFixed(0)} ms after the host wrote it`)
    const listed = await fetch(`${server.url}/api/v1/nodes/${NODES.panic}/console/matches`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
    const body = (await listed.json()) as { matches: { pattern: string; severity: string; line: string }[] }
    assert.deepEqual(body.matches.map((m) => [m.pattern, m.severity, m.line]), [['panic', 'critical', PANIC_LINE]])
    sims.down!.kill() // the failing node: its BMC dies

    // Commands to every node, console bytes both ways on the healthy one.
    for (const node of Object.values(NODES)) {
      loops.push((async () => {
        while (running) {
          await sup.run(node, 'power.status', {}, { timeoutMs: 1000 }).catch(() => undefined)
          await new Promise((r) => setTimeout(r, 200))
        }
      })())
    }
    loops.push((async () => {
      while (running) {
        await sims.ok!.solBackend.write('console line\r\n').catch(() => undefined)
        sup.consoleInput(NODES.ok, new TextEncoder().encode('x'))
        await new Promise((r) => setTimeout(r, 200))
      }
    })())

    // The crashing node: crash its worker until the supervisor parks it.
    await until('crash-looping worker parked', 60_000, () => {
      const st = sup.status(NODES.crash)[0]?.state
      if (st === 'parked') return true
      if (st === 'running') {
        try {
          sup.injectFault(NODES.crash, 'crash')
        } catch {
          // between restarts
        }
      }
      return undefined
    }, 100)
    phase('worker parked')

    // Every expression parses and returns data; the cluster alert needs several instances on PostgreSQL and
    // returns nothing for this one SQLite instance: it only has to parse (its firing: alerts.test.yml).
    const exprs = [
      ...dashboardExprs().map((e) => ({ where: e.where, expr: grafanaSubst(e.expr) })),
      ...alertRules().filter((r) => !CLUSTER_ALERTS.includes(r.alert)).map((r) => ({ where: `alert ${r.alert}`, expr: r.expr })),
    ]
    for (const r of alertRules().filter((x) => CLUSTER_ALERTS.includes(x.alert))) await p.query(r.expr)
    const results = new Map<string, PromSample[]>()
    await until('every expression to return data', 60_000, async () => {
      const empty: string[] = []
      for (const { where, expr } of exprs) {
        if ((results.get(where)?.length ?? 0) > 0) continue
        const r = await p.query(expr) // throws if it does not parse
        results.set(where, r)
        if (r.length === 0) empty.push(where)
      }
      if (empty.length > 0) throw new Error(`no data yet: ${empty.join('; ')}`)
      return true
    }, 1000)
    phase(`${exprs.length} expressions returned data`)

    // The failing node in the failed-sessions queries, with its reason.
    const rows = (where: string) => results.get(where) ?? []
    const bmcDown = rows('bmcvisor-failed-sessions.json / BMCs down: reason and since when / A')
    assert.ok(bmcDown.some((s) => s.metric.node === NODES.down && s.metric.reason === 'unreachable'), JSON.stringify(bmcDown))
    assert.ok(!bmcDown.some((s) => s.metric.node === NODES.ok))
    assert.ok(rows('bmcvisor-failed-sessions.json / Nodes whose BMC session fails most / A').some((s) => s.metric.node === NODES.down))
    assert.ok(rows('bmcvisor-failed-sessions.json / Session failure rate by reason / A').some((s) => s.metric.reason === 'unreachable'))
    assert.ok(rows('bmcvisor-failed-sessions.json / Consoles down: reason and since when / A').some((s) => s.metric.node === NODES.busy && s.metric.reason === 'sol_busy'))
    assert.ok(rows('bmcvisor-failed-sessions.json / Crash-looping and parked workers / A').some((s) => s.metric.node === NODES.crash && Number(s.value[1]) >= 3))

    // Values from the other layers: serve's console client count, power, sensors of the healthy node.
    assert.ok(rows('bmcvisor-node-detail.json / Console clients / A').some((s) => s.metric.node === NODES.ok && s.value[1] === '1'))
    assert.ok(rows('bmcvisor-node-detail.json / Host power / A').some((s) => s.metric.node === NODES.ok && s.value[1] === '1'))
    assert.ok(rows('bmcvisor-node-detail.json / Sensors (when enabled) / A').some((s) => s.metric.node === NODES.ok && s.metric.sensor === 'CPU Temp'))

    // Every alert fires for its node, and none for the healthy one.
    const want: [string, Record<string, string>][] = [
      ['BmcvisorBmcUnreachable', { node: NODES.down }],
      ['BmcvisorCommandErrorRatioHigh', { node: NODES.down }],
      ['BmcvisorConsoleDownWhilePoweredOn', { node: NODES.busy }],
      ['BmcvisorWorkerCrashLooping', { node: NODES.crash }],
      ['BmcvisorWorkerParked', { node: NODES.crash }],
      ['BmcvisorConsolePanic', { node: NODES.panic }],
      ['BmcvisorNotScraped', { job: 'bmcvisor' }],
    ]
    const firing = await until('every alert to fire', 30_000, async () => {
      const alerts = (await p.alerts()).filter((a) => a.state === 'firing')
      const missing = want.filter(([name, labels]) => !alerts.some((a) => a.labels.alertname === name && Object.entries(labels).every(([k, v]) => a.labels[k] === v)))
      if (missing.length > 0) throw new Error(`not firing: ${missing.map(([n]) => n).join(', ')}`)
      return alerts
    }, 500)
    phase('alerts firing')
    assert.deepEqual(firing.filter((a) => a.labels.node === NODES.ok), [], 'nothing fires for the healthy node')
    assert.deepEqual(firing.filter((a) => a.labels.alertname === 'BmcvisorConsolePanic').map((a) => a.labels.node), [NODES.panic], 'only the node that panicked')
    const notScraped = firing.filter((a) => a.labels.alertname === 'BmcvisorNotScraped')
    assert.ok(notScraped.every((a) => a.labels.instance !== new URL(server!.url).host), 'the live bmcvisor is scraped')
  })
})

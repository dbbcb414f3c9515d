// Dashboard and alert-rule lint (the rules grafana/dashboard-linter applies,
// offline): committed JSON equals the generator's, stable unique uids and
// panel ids, the datasource variable everywhere, a unit and a description on
// every panel, every expression names only series bmcvisor really exports,
// counters only inside rate()/increase(), rates over $__rate_interval; every
// alert has a summary and a runbook line.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { buildDashboards, DASHBOARD_DIR, render } from '../../../scripts/dashboards/build.js'
import { INSTANCE_METRICS } from '../../../src/metrics/definitions.js'
import { alertRules, counterUses, dashboardExprs, exported, loadDashboards, metricNames } from './lint.js'

describe('Grafana dashboards', () => {
  const dashboards = loadDashboards()

  it('are the generator\'s output (npx tsx scripts/dashboards/build.ts)', () => {
    const built = buildDashboards()
    assert.deepEqual(Object.keys(dashboards).sort(), Object.keys(built).sort())
    for (const [f, d] of Object.entries(built)) assert.equal(readFileSync(DASHBOARD_DIR + f, 'utf8'), render(d), `${f} is stale`)
  })

  it('have stable unique uids, unique panel ids, the datasource and node variables', () => {
    const uids = Object.values(dashboards).map((d) => d.uid)
    assert.deepEqual(uids.sort(), ['bmcvisor-failed-sessions', 'bmcvisor-fleet', 'bmcvisor-node-detail'])
    for (const d of Object.values(dashboards)) {
      const ids = d.panels.map((p) => p.id)
      assert.equal(new Set(ids).size, ids.length, `${d.title}: panel ids unique`)
      const vars = d.templating.list
      assert.ok(vars.some((v) => v.type === 'datasource' && v.name === 'datasource' && v.query === 'prometheus'), `${d.title}: datasource variable`)
      assert.ok(vars.some((v) => v.name === 'node' && JSON.stringify(v.query).includes('label_values(')), `${d.title}: node variable`)
    }
  })

  it('give every panel a title, a description, a unit and the datasource variable', () => {
    for (const d of Object.values(dashboards)) {
      for (const p of d.panels) {
        const where = `${d.title} / ${p.title}`
        assert.ok((p.description ?? '').length > 20, `${where}: description`)
        assert.ok((p.fieldConfig.defaults.unit ?? '') !== '', `${where}: unit`)
        assert.equal(p.datasource.uid, '${datasource}', `${where}: datasource`)
        assert.ok(p.targets.length > 0, `${where}: a query`)
        for (const t of p.targets) assert.equal(t.datasource.uid, '${datasource}', `${where}: target datasource`)
      }
    }
  })

  it('query only series bmcvisor exports, counters inside rate/increase, rates over $__rate_interval, filtered by $node', async () => {
    const { names, counters } = await exported()
    for (const { where, expr } of dashboardExprs()) {
      for (const n of metricNames(expr)) assert.ok(names.has(n), `${where}: ${n} is not exported`)
      const { bad, windows } = counterUses(expr, counters)
      assert.deepEqual(bad, [], `${where}: counter outside rate()/increase()`)
      for (const w of windows) {
        if (w.fn === 'rate' || w.fn === 'irate') assert.equal(w.window, '$__rate_interval', `${where}: rate window`)
        else assert.match(w.window, /^(\$__rate_interval|\$__range|\d+[smh])$/, `${where}: increase window`)
      }
      if (/bmcvisor_/.test(expr) && !INSTANCE_METRICS.some((n) => expr.includes(n))) assert.match(expr, /node=~"\$node"/, `${where}: filtered by $node`)
    }
  })

  it('are mapped panel by panel in dashboards/README.md', () => {
    const readme = readFileSync(new URL('../../../dashboards/README.md', import.meta.url), 'utf8')
    for (const d of Object.values(dashboards)) for (const p of d.panels) assert.ok(readme.includes(`| ${p.title} |`), `${d.title} / ${p.title} missing from the README`)
    for (const r of alertRules()) assert.ok(readme.includes(`\`${r.alert}\``), `${r.alert} missing from the README`)
  })

  it('the lint itself finds metric names and misplaced counters', () => {
    assert.deepEqual(metricNames('sum by (le, node) (rate(a_total{x="y"}[5m])) / on (node) group_left (reason) b == 1'), ['a_total', 'b'])
    assert.deepEqual(counterUses('a_total + rate(a_total[1m])', new Set(['a_total'])).bad, ['a_total'])
  })
})

describe('Prometheus alert rules', () => {
  it('cover the issue\'s alerts, each with a summary and a runbook line', () => {
    const rules = alertRules()
    assert.deepEqual(rules.map((r) => r.alert), ['BmcvisorBmcUnreachable', 'BmcvisorConsoleDownWhilePoweredOn', 'BmcvisorWorkerCrashLooping', 'BmcvisorWorkerParked', 'BmcvisorCommandErrorRatioHigh', 'BmcvisorConsolePanic', 'BmcvisorNotScraped', 'BmcvisorClusterMemberLost'])
    assert.equal(rules.find((r) => r.alert === 'BmcvisorBmcUnreachable')?.for, '5m')
    for (const r of rules) {
      assert.ok((r.annotations.summary ?? '').length > 10, `${r.alert}: summary`)
      assert.ok((r.annotations.runbook ?? '').length > 20, `${r.alert}: runbook`)
    }
  })

  it('query only series bmcvisor exports, counters inside rate/increase', async () => {
    const { names, counters } = await exported()
    for (const r of alertRules()) {
      for (const n of metricNames(r.expr)) assert.ok(names.has(n), `${r.alert}: ${n} is not exported`)
      assert.deepEqual(counterUses(r.expr, counters).bad, [], `${r.alert}: counter outside rate()/increase()`)
    }
  })
})

// Reading the committed dashboards and alert rules, and a small PromQL lint
// (metric names used, counters outside rate()/increase()), shared by the
// unit lint and the Prometheus end-to-end test.
import { readFileSync, readdirSync } from 'node:fs'
import { parse } from 'yaml'
import { DASHBOARD_DIR } from '../../../scripts/dashboards/build.js'
import { createMetrics } from '../../../src/metrics/metrics.js'

const ALERTS = new URL('../../../dashboards/prometheus/alerts.yml', import.meta.url)

export interface Target { expr: string; refId: string; datasource: { uid: string } }
export interface Panel { id: number; type: string; title: string; description?: string; datasource: { uid: string }; fieldConfig: { defaults: { unit?: string } }; targets: Target[] }
export interface Dashboard { uid: string; title: string; panels: Panel[]; templating: { list: { name: string; type: string; query: unknown }[] } }

export function loadDashboards(): Record<string, Dashboard> {
  const out: Record<string, Dashboard> = {}
  for (const f of readdirSync(DASHBOARD_DIR).filter((n) => n.endsWith('.json'))) out[f] = JSON.parse(readFileSync(DASHBOARD_DIR + f, 'utf8')) as Dashboard
  return out
}

export function dashboardExprs(): { where: string; expr: string }[] {
  return Object.entries(loadDashboards()).flatMap(([f, d]) => d.panels.flatMap((p) => p.targets.map((t) => ({ where: `${f} / ${p.title} / ${t.refId}`, expr: t.expr }))))
}

export function alertRules(): { alert: string; expr: string; for?: string; annotations: Record<string, string> }[] {
  const doc = parse(readFileSync(ALERTS, 'utf8')) as { groups: { rules: { alert: string; expr: string; for?: string; annotations: Record<string, string> }[] }[] }
  return doc.groups.flatMap((g) => g.rules)
}

/** Series names exported by a fresh registry, and which of them are counters (histogram series count as counters). */
export async function exported(): Promise<{ names: Set<string>; counters: Set<string> }> {
  const names = new Set<string>(['up'])
  const counters = new Set<string>()
  for (const m of await createMetrics().registry.getMetricsAsJSON()) {
    if (String(m.type) === 'histogram') {
      for (const s of ['_bucket', '_sum', '_count']) {
        names.add(m.name + s)
        counters.add(m.name + s)
      }
    } else names.add(m.name)
    if (String(m.type) === 'counter') counters.add(m.name)
  }
  return { names, counters }
}

const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan'])

/** Metric names in a PromQL expression: strings, label matchers, grouping lists, functions and keywords removed. */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '')
  return [...bare.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(\s*\()?/g)]
    .filter((m) => m[2] === undefined && !KEYWORDS.has(m[1]!.toLowerCase()) && !/^\d/.test(m[1]!))
    .map((m) => m[1]!)
}

/** Every use of a counter must sit directly inside rate/irate/increase; returns the offending uses and the windows. */
export function counterUses(expr: string, counters: Set<string>): { bad: string[]; windows: { fn: string; window: string }[] } {
  const bad: string[] = []
  const windows: { fn: string; window: string }[] = []
  for (const m of expr.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\{[^}]*\})?/g)) {
    if (!counters.has(m[1]!)) continue
    const before = expr.slice(0, m.index).trimEnd()
    const after = expr.slice(m.index + m[0].length)
    const fn = /\b(rate|irate|increase)\s*\($/.exec(before)?.[1]
    const window = /^\[([^\]]+)\]\s*\)/.exec(after)?.[1]
    if (fn === undefined || window === undefined) bad.push(m[0])
    else windows.push({ fn, window })
  }
  return { bad, windows }
}

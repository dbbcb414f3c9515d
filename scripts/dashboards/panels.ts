/**
 * Small builders for Grafana dashboard JSON (classic model, schemaVersion 39):
 * every panel gets the datasource variable, a unit and a description, and
 * every selector the `instance` and `node` variables. The dashboards in this
 * folder use them; build.ts writes the JSON that is committed under
 * dashboards/grafana/dashboards/ (a unit test checks the two agree).
 */

export const DS = { type: 'prometheus', uid: '${datasource}' } as const

export type Json = Record<string, unknown>

/** `metric{instance=~"$instance",node=~"$node",extra}`. */
export function sel(metric: string, extra = ''): string {
  return `${metric}{instance=~"$instance",node=~"$node"${extra === '' ? '' : `,${extra}`}}`
}

export interface Target {
  expr: string
  legend?: string
  /** Instant query in table form (tables, top lists). */
  table?: boolean
}

export interface PanelSpec {
  title: string
  description: string
  unit: string
  targets: Target[]
  /** x, y, w, h on the 24-column grid. */
  pos: [number, number, number, number]
  options?: Json
  fieldConfig?: Json
  transformations?: Json[]
}

let nextId = 1

/** Panel ids restart per dashboard. */
export function resetIds(): void {
  nextId = 1
}

function targets(ts: Target[]): Json[] {
  return ts.map((t, i) => ({
    datasource: DS,
    refId: String.fromCharCode(65 + i),
    expr: t.expr,
    legendFormat: t.legend ?? '__auto',
    range: t.table !== true,
    instant: t.table === true,
    ...(t.table === true ? { format: 'table' } : {}),
  }))
}

export function panel(type: string, p: PanelSpec): Json {
  const [x, y, w, h] = p.pos
  const defaults = { unit: p.unit, ...((p.fieldConfig?.defaults as Json | undefined) ?? {}) }
  return {
    id: nextId++,
    type,
    title: p.title,
    description: p.description,
    datasource: DS,
    gridPos: { x, y, w, h },
    fieldConfig: { defaults, overrides: (p.fieldConfig?.overrides as Json[] | undefined) ?? [] },
    options: p.options ?? {},
    targets: targets(p.targets),
    ...(p.transformations !== undefined ? { transformations: p.transformations } : {}),
  }
}

export const stat = (p: PanelSpec): Json => panel('stat', { ...p, options: { reduceOptions: { calcs: ['lastNotNull'] }, textMode: 'value_and_name', colorMode: 'value', ...p.options } })
export const timeseries = (p: PanelSpec): Json => panel('timeseries', { ...p, options: { legend: { displayMode: 'table', placement: 'right', calcs: ['lastNotNull', 'max'] }, tooltip: { mode: 'multi' }, ...p.options } })
export const table = (p: PanelSpec): Json => panel('table', p)
export const barGauge = (p: PanelSpec): Json => panel('bargauge', { ...p, options: { orientation: 'horizontal', displayMode: 'basic', reduceOptions: { calcs: ['lastNotNull'] }, ...p.options } })
export const stateTimeline = (p: PanelSpec): Json => panel('state-timeline', { ...p, options: { showValue: 'never', mergeValues: true, ...p.options } })

/** Red from `red` upwards (green below). */
export function thresholds(red: number, amber?: number): Json {
  const steps: Json[] = [{ color: 'green', value: null }]
  if (amber !== undefined) steps.push({ color: 'orange', value: amber })
  steps.push({ color: 'red', value: red })
  return { mode: 'absolute', steps }
}

export const UP_DOWN_MAPPINGS = [{ type: 'value', options: { 0: { text: 'down', color: 'red' }, 1: { text: 'up', color: 'green' } } }]

/** A field override: rename and unit for `Value #X` of a merged table. */
export function column(refId: string, name: string, unit: string, extra: Json[] = []): Json {
  return {
    matcher: { id: 'byName', options: `Value #${refId}` },
    properties: [{ id: 'displayName', value: name }, { id: 'unit', value: unit }, ...extra],
  }
}

export const MERGE_TABLE = [
  { id: 'merge', options: {} },
  { id: 'organize', options: { excludeByName: { Time: true, __name__: true, job: true } } },
]

export function templating(opts: { nodeMulti: boolean }): Json {
  return {
    list: [
      { type: 'datasource', name: 'datasource', label: 'Data source', query: 'prometheus', hide: 0, refresh: 1, current: {} },
      {
        type: 'query', name: 'instance', label: 'bmcvisor instance', datasource: DS, query: { query: 'label_values(bmcvisor_worker_up, instance)', refId: 'instance' },
        definition: 'label_values(bmcvisor_worker_up, instance)', refresh: 2, multi: true, includeAll: true, allValue: '.+', current: { text: 'All', value: '$__all' }, sort: 1, hide: 0,
      },
      {
        type: 'query', name: 'node', label: 'Node', datasource: DS, query: { query: 'label_values(bmcvisor_worker_up{instance=~"$instance"}, node)', refId: 'node' },
        definition: 'label_values(bmcvisor_worker_up{instance=~"$instance"}, node)', refresh: 2, sort: 1, hide: 0,
        multi: opts.nodeMulti, includeAll: opts.nodeMulti, ...(opts.nodeMulti ? { allValue: '.+', current: { text: 'All', value: '$__all' } } : { current: {} }),
      },
    ],
  }
}

export function dashboard(d: { uid: string; title: string; description: string; panels: Json[]; nodeMulti: boolean; links?: Json[] }): Json {
  return {
    uid: d.uid,
    title: d.title,
    description: d.description,
    tags: ['bmcvisor'],
    timezone: 'browser',
    editable: true,
    graphTooltip: 1,
    refresh: '30s',
    time: { from: 'now-6h', to: 'now' },
    schemaVersion: 39,
    version: 1,
    links: [
      { type: 'dashboards', tags: ['bmcvisor'], asDropdown: false, includeVars: true, keepTime: true, title: 'bmcvisor' },
      ...(d.links ?? []),
    ],
    annotations: { list: [{ builtIn: 1, datasource: { type: 'grafana', uid: '-- Grafana --' }, enable: true, hide: true, iconColor: 'rgba(0, 211, 255, 1)', name: 'Annotations & Alerts', type: 'dashboard' }] },
    templating: templating({ nodeMulti: d.nodeMulti }),
    panels: d.panels,
  }
}

// The fleet page: every node's row (power, BMC, console and its reason,
// worker and restarts, protocol, groups), a search box and a state filter,
// live through the server-sent events of /api/v1/fleet/events (the server
// sends only the rows that change), and for operators range actions with a
// confirmation that names the nodes and one result per node.
import { roleAllows, seg, type Me } from './api.js'
import { actionBar } from './fleet-actions.js'
import { append, badge, clear, h } from './dom.js'

export interface FleetRow {
  name: string
  groups: string[]
  protocol: string
  consoleMethod: string
  power: 'on' | 'off' | null
  bmc: { up: boolean; state: string | null; reason: string | null }
  console: { state: string; reason: string | null; message: string | null; clients: number }
  worker: { state: string; restarts: number }
}

/** What the filter menu offers: each a test on a row. */
const FILTERS: Record<string, (r: FleetRow) => boolean> = {
  'all nodes': () => true,
  'with a problem': (r) => !r.bmc.up || r.console.state !== 'connected' || r.worker.state !== 'running',
  'BMC unreachable': (r) => !r.bmc.up,
  'console connected': (r) => r.console.state === 'connected',
  'powered off': (r) => r.power === 'off',
}
function tone(ok: boolean, warn = false): 'ok' | 'warn' | 'bad' {
  return ok ? 'ok' : warn ? 'warn' : 'bad'
}

function rowCells(r: FleetRow, selectable: boolean, selected: Set<string>): HTMLTableRowElement {
  const consoleText = r.console.state + (r.console.reason !== null ? ` (${r.console.reason})` : '')
  const bmcText = r.bmc.up ? 'up' : r.bmc.reason ?? r.bmc.state ?? 'unknown'
  const box = h('input', { type: 'checkbox', 'aria-label': `select ${r.name}`, checked: selected.has(r.name) })
  box.addEventListener('change', () => (box.checked ? selected.add(r.name) : selected.delete(r.name)))
  return h('tr', { 'data-node': r.name },
    selectable ? h('td', {}, box) : null,
    h('td', {}, h('a', { href: `#/node/${seg(r.name)}` }, r.name)),
    h('td', { 'data-field': 'power' }, r.power === null ? badge('unknown', 'idle') : badge(r.power, r.power === 'on' ? 'ok' : 'idle')),
    h('td', { 'data-field': 'bmc' }, badge(bmcText, tone(r.bmc.up, r.bmc.state === 'connecting'), r.bmc.state ?? undefined)),
    h('td', { 'data-field': 'console' }, badge(consoleText, tone(r.console.state === 'connected', r.console.state === 'connecting'), r.console.message ?? undefined), ' ',
      h('a', { href: `#/console/${seg(r.name)}`, class: 'open-console' }, 'open'), r.console.clients > 0 ? h('span', { class: 'muted' }, ` ${r.console.clients} watching`) : null),
    h('td', { 'data-field': 'worker' }, badge(r.worker.state, tone(r.worker.state === 'running', r.worker.state === 'starting')), r.worker.restarts > 0 ? ` ${r.worker.restarts} restarts` : ''),
    h('td', {}, `${r.protocol} / ${r.consoleMethod}`),
    h('td', {}, r.groups.map((g) => `@${g}`).join(' ')),
  )
}

export function fleetPage(root: HTMLElement, me: Me): { stop(): void } {
  const rows = new Map<string, FleetRow>()
  const selected = new Set<string>()
  const canAct = roleAllows(me.role, 'operator')
  const search = h('input', { type: 'search', placeholder: 'search name, group, state…', 'aria-label': 'search', id: 'fleet-search' })
  const filter = h('select', { 'aria-label': 'filter', id: 'fleet-filter' }, ...Object.keys(FILTERS).map((f) => h('option', { value: f }, f)))
  const live = h('span', { class: 'live', id: 'live' }, 'connecting…')
  const tbody = h('tbody')
  const results = h('section', { id: 'results', class: 'results' })
  const head = h('tr', {}, canAct ? h('th', {}, '') : null, ...['Node', 'Power', 'BMC', 'Console', 'Worker', 'Protocol', 'Groups'].map((t) => h('th', {}, t)))
  const actions = canAct ? actionBar({ selected, names: () => [...rows.keys()], shown: () => [...rows.values()].filter(matches).map((r) => r.name), render, results }) : null
  append(root, h('div', { class: 'toolbar' }, h('h1', {}, 'Fleet'), search, filter, live), actions, h('table', { class: 'fleet' }, h('thead', {}, head), tbody), results)

  const matches = (r: FleetRow) => {
    const q = search.value.trim().toLowerCase()
    const text = [r.name, ...r.groups.map((g) => `@${g}`), r.power ?? '', r.bmc.reason ?? '', r.console.state, r.console.reason ?? '', r.worker.state].join(' ').toLowerCase()
    return FILTERS[filter.value]!(r) && (q === '' || q.split(/\s+/).every((w) => text.includes(w)))
  }
  function render(): void {
    clear(tbody)
    for (const r of [...rows.values()].sort((a, b) => a.name.localeCompare(b.name))) if (matches(r)) tbody.append(rowCells(r, canAct, selected))
  }
  search.addEventListener('input', render)
  filter.addEventListener('change', render)

  const events = new EventSource('/api/v1/fleet/events')
  events.addEventListener('open', () => (live.textContent = 'live'))
  events.addEventListener('error', () => (live.textContent = 'reconnecting…'))
  events.addEventListener('fleet', (e) => {
    rows.clear()
    for (const r of (JSON.parse((e as MessageEvent<string>).data) as { nodes: FleetRow[] }).nodes) rows.set(r.name, r)
    render()
  })
  events.addEventListener('row', (e) => {
    const r = JSON.parse((e as MessageEvent<string>).data) as FleetRow
    rows.set(r.name, r)
    const old = tbody.querySelector(`tr[data-node="${CSS.escape(r.name)}"]`)
    if (old !== null && matches(r)) old.replaceWith(rowCells(r, canAct, selected))
    else render()
  })
  events.addEventListener('removed', (e) => {
    rows.delete((JSON.parse((e as MessageEvent<string>).data) as { name: string }).name)
    render()
  })

  return { stop: () => events.close() }
}

// The fleet page's range actions (operators): power, identify, next boot
// device for the selected nodes, after a dialog that names them, with one
// result per node. A long selection goes as several noderange requests, one
// after the other, each within the API's expression limit (batches.ts).
import { api, seg } from './api.js'
import { batches } from './batches.js'
import { append, clear, h } from './dom.js'

type Result = { ok: true; value: unknown } | { ok: false; error: { code: string; message: string } }

/** The actions: label, REST path under noderange/{expr}/, body. */
const ACTIONS: { label: string; path: string; body: unknown; danger?: boolean }[] = [
  { label: 'Power on', path: 'power', body: { state: 'on' } },
  { label: 'Power off', path: 'power', body: { state: 'off' }, danger: true },
  { label: 'Power cycle', path: 'power', body: { state: 'cycle' }, danger: true },
  { label: 'Reset', path: 'power', body: { state: 'reset' }, danger: true },
  { label: 'Identify', path: 'identify', body: { state: 'blink', seconds: 15 } },
]
const BOOT_DEVICES = ['pxe', 'disk', 'cdrom', 'bios', 'safe', 'diag', 'none']

export interface FleetSelection {
  selected: Set<string>
  /** Every node the page knows. */
  names(): string[]
  /** The nodes the search and filter show now. */
  shown(): string[]
  render(): void
  results: HTMLElement
}

export function actionBar(sel: FleetSelection): HTMLElement {
  const boot = h('select', { 'aria-label': 'boot device' }, ...BOOT_DEVICES.map((d) => h('option', { value: d }, d)))
  const persistent = h('input', { type: 'checkbox', 'aria-label': 'persistent' })
  return h('div', { class: 'actions', id: 'actions' },
    h('button', { onclick: () => { for (const n of sel.shown()) sel.selected.add(n); sel.render() } }, 'Select shown'),
    h('button', { onclick: () => { sel.selected.clear(); sel.render() } }, 'Clear'),
    ...ACTIONS.map((a) => h('button', { class: a.danger ? 'danger' : '', onclick: () => confirmRun(sel, a.label, a.path, a.body) }, a.label)),
    h('span', { class: 'sep' }), 'Next boot:', boot, h('label', {}, persistent, 'persistent'),
    h('button', { onclick: () => confirmRun(sel, `Boot from ${boot.value}`, 'boot', { device: boot.value, persistent: persistent.checked }) }, 'Set boot device'))
}

function confirmRun(sel: FleetSelection, label: string, path: string, body: unknown): void {
  const known = new Set(sel.names())
  const nodes = [...sel.selected].filter((n) => known.has(n)).sort()
  if (nodes.length === 0) return showResults(sel.results, label, {}, 'Select nodes first (the boxes at the left).')
  const dialog = h('dialog', { class: 'confirm', id: 'confirm' },
    h('h2', {}, `${label}: ${nodes.length} node${nodes.length === 1 ? '' : 's'}?`),
    h('p', { class: 'nodes' }, nodes.join(', ')),
    h('form', { method: 'dialog' }, h('button', { value: 'cancel' }, 'Cancel'), h('button', { value: 'ok', class: 'danger', id: 'confirm-ok' }, label)))
  dialog.addEventListener('close', () => {
    dialog.remove()
    if (dialog.returnValue === 'ok') void run(sel.results, label, path, body, nodes)
  })
  document.body.append(dialog)
  dialog.showModal()
}

async function run(results: HTMLElement, label: string, path: string, body: unknown, nodes: string[]): Promise<void> {
  showResults(results, label, {}, 'running…')
  const all: Record<string, Result> = {}
  try {
    for (const expr of batches(nodes)) Object.assign(all, (await api<{ results: Record<string, Result> }>('PUT', `/noderange/${seg(expr)}/${path}`, body)).results)
    showResults(results, label, all)
  } catch (e) {
    showResults(results, label, all, e instanceof Error ? e.message : String(e))
  }
}

function showResults(results: HTMLElement, label: string, res: Record<string, Result>, note?: string): void {
  clear(results)
  append(results, h('h2', {}, label), note !== undefined ? h('p', { class: 'muted' }, note) : null,
    h('ul', {}, ...Object.entries(res).sort(([a], [b]) => a.localeCompare(b)).map(([node, r]) => h('li', { 'data-node': node, class: r.ok ? 'ok' : 'bad' },
      `${node}: `, r.ok ? 'ok' : `${r.error.code}: ${r.error.message}`))))
}

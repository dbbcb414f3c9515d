// A node's page: worker and session, console status, health, sensors with
// their states, FRU inventory, the event log, and the console log download.
// Each section loads on its own, so one slow or failing BMC command shows its
// error in its section and the rest still fill in.
import { api, seg, type Me } from './api.js'
import { badge, clear, h } from './dom.js'

interface Sensor { name: string; sensorType: string; value: number | null; unit: string | null; status: string; health: string; assertedStates: string[] }
const HEALTH_TONE: Record<string, 'ok' | 'warn' | 'bad' | 'idle'> = { ok: 'ok', warning: 'warn', critical: 'bad', failed: 'bad', unknown: 'idle' }

function section(root: HTMLElement, id: string, title: string): HTMLElement {
  const body = h('div', { class: 'body' }, h('p', { class: 'muted' }, 'loading…'))
  root.append(h('section', { class: 'card', id }, h('h2', {}, title), body))
  return body
}

function fill(body: HTMLElement, load: () => Promise<Node>): void {
  load().then((n) => {
    clear(body)
    body.append(n)
  }, (e: unknown) => {
    clear(body)
    body.append(h('p', { class: 'error' }, e instanceof Error ? e.message : String(e)))
  })
}

function table(heads: string[], rows: (string | Node)[][]): HTMLTableElement {
  return h('table', {}, h('thead', {}, h('tr', {}, ...heads.map((t) => h('th', {}, t)))), h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c) => h('td', {}, c))))))
}

/** A plain object as key: value lines, nested objects indented (inventory areas). */
function facts(v: unknown): HTMLElement {
  if (v === null || typeof v !== 'object') return h('span', {}, String(v))
  return h('dl', {}, ...Object.entries(v as Record<string, unknown>).flatMap(([k, x]) => [h('dt', {}, k), h('dd', {}, typeof x === 'object' && x !== null ? facts(x) : String(x))]))
}

/** An inventory area without the codec's bookkeeping: each field's text (`{ value, encoding }` shows its value). */
function fruArea(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v
  if ('value' in v && 'encoding' in v) return (v as { value: unknown }).value
  return Object.fromEntries(Object.entries(v as Record<string, unknown>)
    .filter(([k, x]) => !FRU_SKIP.has(k) && !(Array.isArray(x) && x.length === 0))
    .map(([k, x]) => [k, fruArea(x)]))
}
const FRU_SKIP = new Set(['header', 'sizeBytes', 'accessByWords', 'bytesRead', 'checksumValid', 'fruId', 'name', 'language', 'mfgDateMinutes', 'fruFileId'])

export function nodePage(root: HTMLElement, node: string, _me: Me): { stop(): void } {
  const n = seg(node)
  root.append(h('div', { class: 'toolbar' }, h('h1', {}, node), h('a', { href: `#/console/${n}`, class: 'button' }, 'Open console'),
    h('a', { href: `/api/v1/nodes/${n}/console/log`, download: `${node}.log`, class: 'button', id: 'log-download' }, 'Download console log')))
  const grid = h('div', { class: 'grid' })
  root.append(grid)
  fill(section(grid, 'worker', 'Worker and session'), async () => {
    const w = await api<{ state: string; restarts: number; threadId: number | null; heapUsedBytes: number; lastExit: unknown; session: { state: string; reason?: string } | null }>('GET', `/nodes/${n}/worker`)
    const c = await api<{ state: string; reason: string | null; message: string | null; clients: { user: string; mode: string }[]; holder: { user: string } | null; bytesIn: number; logging: string; method: string }>('GET', `/nodes/${n}/console`)
    return facts({
      worker: w.state, restarts: w.restarts, thread: w.threadId ?? '-', heap: `${Math.round(w.heapUsedBytes / 1024 / 1024)} MiB`,
      session: w.session === null ? 'none' : `${w.session.state}${w.session.reason !== undefined ? ` (${w.session.reason})` : ''}`,
      console: `${c.state}${c.reason !== null ? ` (${c.reason}${c.message !== null ? `: ${c.message}` : ''})` : ''}`,
      'console method': c.method, logging: c.logging, 'bytes from the console': c.bytesIn,
      attached: c.clients.map((x) => `${x.user} (${x.mode})`).join(', ') || 'nobody', 'read-write': c.holder?.user ?? 'free',
      'last exit': w.lastExit === null ? '-' : JSON.stringify(w.lastExit),
    })
  })
  fill(section(grid, 'health', 'Health'), async () => {
    const v = await api<{ status: string; sensors: number; problems: { sensor: string; health: string; reason: string }[] }>('GET', `/nodes/${n}/health`)
    return h('div', {}, badge(v.status, HEALTH_TONE[v.status] ?? 'idle'), ` from ${v.sensors} sensors`,
      v.problems.length > 0 ? h('ul', {}, ...v.problems.map((p) => h('li', {}, `${p.sensor}: ${p.health} (${p.reason})`))) : null)
  })
  fill(section(grid, 'sensors', 'Sensors'), async () => {
    const v = await api<{ sensors: Sensor[] }>('GET', `/nodes/${n}/sensors`)
    return table(['Sensor', 'Type', 'Reading', 'State', 'Asserted'], v.sensors.map((s) => [
      s.name, s.sensorType, s.value === null ? '-' : `${s.value}${s.unit !== null ? ` ${s.unit}` : ''}`, badge(`${s.health} (${s.status})`, HEALTH_TONE[s.health] ?? 'idle'), s.assertedStates.join(', '),
    ]))
  })
  fill(section(grid, 'inventory', 'Inventory'), async () => {
    const v = await api<{ fruId: number; name: string }[]>('GET', `/nodes/${n}/inventory`)
    return h('div', {}, ...v.map((f) => h('details', { open: true }, h('summary', {}, `FRU ${f.fruId}: ${f.name}`), facts(fruArea((f as { inventory?: unknown }).inventory ?? f)))))
  })
  fill(section(grid, 'events', 'Event log'), async () => {
    const v = await api<{ entries: { id: number; text: string; timestamp?: string }[] }>('GET', `/nodes/${n}/events`)
    return v.entries.length === 0 ? h('p', { class: 'muted' }, 'no entries') : table(['#', 'Time', 'Event'], v.entries.map((e) => [String(e.id), e.timestamp ?? '', e.text]))
  })
  return { stop: () => undefined }
}

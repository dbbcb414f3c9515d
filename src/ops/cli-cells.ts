/**
 * The CLI's table cells for the registry's ops (one line per node): each
 * takes the op's REST value and returns a short, readable text. Values whose
 * shape is not what the op's result schema says print as `?`, never throw.
 */

type Rec = Record<string, unknown>
const rec = (v: unknown): Rec => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Rec) : {})
const str = (v: unknown): string => (v === undefined || v === null ? '?' : String(v))

/** One field of the value, `ok` when the value has none. */
export const field = (key: string) => (v: unknown): string => String(rec(v)[key] ?? 'ok')

/** `ok`, or `critical: CPU Temp (upper critical), ...` from a health value. */
export function healthCell(v: unknown): string {
  const h = rec(v)
  const problems = Array.isArray(h.problems) ? h.problems.map((p) => `${str(rec(p).sensor)} (${str(rec(p).reason)})`) : []
  return problems.length === 0 ? str(h.status) : `${str(h.status)}: ${problems.join(', ')}`
}

/** `12 sensors` from a sensor report. */
export function sensorCountCell(v: unknown): string {
  const s = rec(v).sensors
  return Array.isArray(s) ? `${s.length} sensors` : '?'
}

/** The worst health of a sensor report. */
export function sensorHealthCell(v: unknown): string {
  return healthCell(rec(v).health)
}

/** `2 FRUs` from an inventory. */
export function fruCountCell(v: unknown): string {
  return Array.isArray(v) ? `${v.length} FRU${v.length === 1 ? '' : 's'}` : '?'
}

/** A FRU field's text: `{value}` as decoded, or a plain string. */
function fruText(f: unknown): string {
  if (typeof f === 'string') return f.trim()
  const v = rec(f).value
  return typeof v === 'string' ? v.trim() : ''
}

/** Board manufacturer and product of the first FRU that has a board area. */
export function boardCell(v: unknown): string {
  if (!Array.isArray(v)) return '?'
  for (const fru of v) {
    const board = rec(rec(rec(fru).inventory).board)
    const words = [board.manufacturer, board.productName].map(fruText).filter((x) => x !== '')
    if (words.length > 0) return words.join(' ')
  }
  return '-'
}

/** `3 entries` from a SEL list. */
export function selCountCell(v: unknown): string {
  const e = rec(v).entries
  return Array.isArray(e) ? `${e.length} entries` : '?'
}

/** The newest SEL entry's text, `-` when the log is empty. */
export function selLastCell(v: unknown): string {
  const e = rec(v).entries
  if (!Array.isArray(e) || e.length === 0) return '-'
  return str(rec(e[e.length - 1]).text)
}

/** `pxe (persistent, uefi)` from a boot value. */
export function bootCell(v: unknown): string {
  const b = rec(v)
  const flags = [b.persistent === true ? 'persistent' : 'next boot', str(b.mode)]
  return `${str(b.device)} (${flags.join(', ')})`
}

/** `on`, `off` or `15 s` from an identify value. */
export function identifyCell(v: unknown): string {
  const i = rec(v)
  if (i.force === true) return 'on'
  return Number(i.seconds) === 0 ? 'off' : `${str(i.seconds)} s`
}

/** `firmware 2.15, IPMI 2.0, manufacturer 7244 product 515` from a device id. */
export function mcInfoCell(v: unknown): string {
  const m = rec(v)
  return `firmware ${str(m.firmwareRevision)}, IPMI ${str(m.ipmiVersion)}, manufacturer ${str(m.manufacturerId)} product ${str(m.productId)}`
}

/** `2:admin(administrator) 3:ops(operator,disabled)` from a user list. */
export function usersCell(v: unknown): string {
  if (!Array.isArray(v)) return '?'
  const named = v.map(rec).filter((u) => typeof u.name === 'string' && u.name !== '')
  if (named.length === 0) return '-'
  return named.map((u) => `${str(u.id)}:${str(u.name)}(${str(u.privilege)}${u.enabled === false ? ',disabled' : ''})`).join(' ')
}

/** `3: name,privilege` from users.set's value: the account and what changed. */
export function changedCell(v: unknown): string {
  const r = rec(v)
  return Array.isArray(r.changed) ? `${str(r.id)}: ${r.changed.length > 0 ? r.changed.map(str).join(',') : 'unchanged'}` : '?'
}

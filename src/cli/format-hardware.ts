/**
 * Text output of `bmcvisor ipmi sdr | sensors | fru | sel`, laid out as
 * ipmitool 1.8.19 prints `sdr list`, `sdr elist`, `sensor list`, `fru print`
 * and `sel list|elist|info`, so scripts and eyes used to ipmitool keep working.
 * `--json` prints the operation's result object instead.
 * Known differences: times are always UTC (ipmitool uses the local zone);
 * SEL texts lose ipmitool's alignment blanks ("going low "); values are
 * rounded by toFixed, which rounds exact ties up where printf rounds to even.
 */
import type { FruDeviceInventory, FruListEntry } from '../bmc/fru.js'
import type { SelInfoReport, SelList } from '../bmc/sel.js'
import type { SensorReading, SensorReport } from '../bmc/sensors.js'
import type { SdrRepository } from '../bmc/sdr.js'
import type { FruField } from '../ipmi/fru-format.js'
import type { SelTime } from '../ipmi/sel-record.js'

/** "%.*f" with ipmitool's rule: no decimals for whole values, else `digits`. */
function num(v: number, digits: number): string {
  return v === Math.trunc(v) ? v.toFixed(0) : v.toFixed(digits)
}

const hex2 = (v: number): string => v.toString(16).padStart(2, '0')

/** The discrete value ipmitool shows: state byte 3 (QUIRK(ipmitool): Debian's 1.8.19 patch 0105 prints it instead of the raw byte). */
function stateByte(s: SensorReading): number {
  return (s.states ?? 0) & 0xff
}

/** `sdr list` (and `sdr elist` with `extended`). */
export function formatSdrList(r: SensorReport, extended = false): string {
  return r.sensors
    .map((s) => {
      const name = s.name.slice(0, 16).padEnd(16)
      if (extended) {
        const status = s.threshold ? (s.thresholdState ?? 'ns') : s.raw === null ? 'ns' : 'ok'
        let value: string
        if (s.raw === null) value = s.unavailable === 'scanning-disabled' ? 'Disabled' : 'No Reading'
        else if (s.value !== null) value = `${num(s.value, 2)} ${s.unit ?? ''}`.slice(0, 15) // ipmitool's 16-byte buffer
        else value = s.assertedStates.join(', ')
        return `${name} | ${hex2(s.sensorNumber).toUpperCase()}h | ${status.padEnd(3)} | ${s.entity.padStart(4)} | ${value}`
      }
      let value: string
      if (s.raw === null) value = s.unavailable === 'scanning-disabled' && s.recordKind === 'full' ? 'disabled' : s.recordKind === 'full' ? 'no reading' : 'Not Readable'
      else if (s.value !== null) value = `${num(s.value, 2)} ${s.unit ?? ''}`
      else value = `0x${hex2(stateByte(s))}`
      return `${name} | ${value.slice(0, 15).padEnd(17)} | ${s.status}`
    })
    .join('\n')
}

/** The decoded repository (`sdr records`): one line per record. */
export function formatSdrRecords(repo: SdrRepository): string {
  const head = `SDR version 0x${hex2(repo.info.sdrVersion)}, ${repo.info.recordCount} records${repo.cached ? ' (cached)' : ''}`
  const rows = repo.records.map((rec) => `${String(rec.recordId).padStart(5)}  ${rec.kind.padEnd(12)} ${'name' in rec ? rec.name : `type 0x${hex2(rec.recordType)}`}`)
  return [head, ...rows, ...repo.errors.map((e) => `${String(e.recordId).padStart(5)}  undecodable  ${e.message}`)].join('\n')
}

/** `sensor list`: value, unit, status, then lnr lcr lnc unc ucr unr. */
export function formatSensorList(r: SensorReport): string {
  const order = ['lnr', 'lcr', 'lnc', 'unc', 'ucr', 'unr'] as const
  return r.sensors
    .map((s) => {
      let head: string
      if (!s.threshold) {
        head = s.raw === null ? `| ${'na'.padEnd(10)} | ${'discrete'.padEnd(10)} | ${'na'.padEnd(6)}` : `| 0x${stateByte(s).toString(16).padEnd(8)} | ${'discrete'.padEnd(10)} | 0x${hex2(stateByte(s))}${hex2((s.states ?? 0) >> 8)}`
      } else if (s.raw === null) {
        head = `| ${'na'.padEnd(10)} | ${''.padEnd(10)} | ${'na'.padEnd(6)}`
      } else if (s.value !== null) {
        head = `| ${s.value.toFixed(3).padEnd(10)} | ${(s.unit ?? '').padEnd(10)} | ${s.status.padEnd(6)}`
      } else {
        head = `| 0x${stateByte(s).toString(16).padEnd(8)} | ${''.padEnd(10)} | ${s.status.padEnd(6)}`
      }
      const thresholds = order.map((t) => `| ${(s.thresholds[t] === undefined ? 'na' : s.thresholds[t].toFixed(3)).padEnd(10)}`).join('')
      return `${s.name.slice(0, 16).padEnd(16)} ${head}${thresholds}`
    })
    .join('\n')
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
const two = (n: number): string => String(n).padStart(2, '0')

/** strftime "%c %Z" in the C locale, UTC: "Thu Jun 15 10:30:00 2023 UTC". */
function cTime(iso: string): string {
  const d = new Date(iso)
  const time = `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2)} ${time} ${d.getUTCFullYear()} UTC`
}

function fruDevice(d: FruDeviceInventory | undefined, name: string, fruId: number, error?: { message: string }, header = true): string[] {
  const lines = header ? [`FRU Device Description : ${name} (ID ${fruId})`] : []
  if (d === undefined) return [...lines, ` Device not present (${error?.message ?? 'unknown'})`]
  const field = (label: string, f: FruField | string | undefined): void => {
    const v = typeof f === 'string' ? f : f?.value
    if (v !== undefined && v !== '') lines.push(` ${label.padEnd(22)}: ${v}`)
  }
  if (d.chassis !== undefined) {
    field('Chassis Type', d.chassis.typeName)
    field('Chassis Part Number', d.chassis.partNumber)
    field('Chassis Serial', d.chassis.serialNumber)
    d.chassis.custom.forEach((f) => field('Chassis Extra', f))
  }
  if (d.board !== undefined) {
    field('Board Mfg Date', d.board.mfgDate === null ? 'Unspecified' : cTime(d.board.mfgDate))
    field('Board Mfg', d.board.manufacturer)
    field('Board Product', d.board.productName)
    field('Board Serial', d.board.serialNumber)
    field('Board Part Number', d.board.partNumber)
    d.board.custom.forEach((f) => field('Board Extra', f))
  }
  if (d.product !== undefined) {
    const p = d.product
    field('Product Manufacturer', p.manufacturer)
    field('Product Name', p.productName)
    field('Product Part Number', p.partNumber)
    field('Product Version', p.version)
    field('Product Serial', p.serialNumber)
    field('Product Asset Tag', p.assetTag)
    p.custom.forEach((f) => field('Product Extra', f))
  }
  for (const e of d.errors) lines.push(` (${e.area} area unreadable: ${e.message})`)
  return lines
}

/** `fru print`: every device with its description line, or the one asked for without it (as `fru print ID`). */
export function formatFru(r: FruListEntry[] | FruDeviceInventory): string {
  if (!Array.isArray(r)) return fruDevice(r, r.name, r.fruId, undefined, false).join('\n')
  return r.map((e) => fruDevice(e.inventory, e.name, e.fruId, e.error).join('\n')).join('\n\n')
}

function selWhen(t: SelTime | null): string {
  if (t === null) return ''
  if (t.preInit) return ` Pre-Init  |${String(t.raw).padStart(10, '0')}| `
  if (t.iso === null) return 'Unspecified | Unspecified | '
  const d = new Date(t.iso)
  return `${two(d.getUTCMonth() + 1)}/${two(d.getUTCDate())}/${two(d.getUTCFullYear() % 100)} | ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} UTC | `
}

/** `sel list` / `sel elist`: "   1 | date | time | text". */
export function formatSelList(r: SelList): string {
  if (r.entries.length === 0) return 'SEL has no entries'
  return r.entries.map((e) => `${e.id.toString(16).padStart(4)} | ${selWhen(e.time)}${e.text}`).join('\n')
}

export function formatSelInfo(i: SelInfoReport): string {
  const when = (t: SelTime): string => (t.raw === 0xffffffff || t.raw === 0 ? 'Not Available' : t.iso ?? `Pre-Init +${t.raw}s`)
  return [
    'SEL Information',
    `Version          : ${(i.selVersion & 0x0f)}.${i.selVersion >> 4}`,
    `Entries          : ${i.entries}`,
    `Free Space       : ${i.freeSpaceBytes} bytes`,
    `Last Add Time    : ${when(i.lastAddition)}`,
    `Last Del Time    : ${when(i.lastErase)}`,
    `Overflow         : ${String(i.overflow)}`,
  ].join('\n')
}

/** The text for a hardware subcommand's result (see ipmi-hardware.ts). */
export function formatHardware(cmd: string[], r: unknown): string {
  const [a, b] = cmd
  if (a === 'sdr') return b === 'records' ? formatSdrRecords(r as SdrRepository) : formatSdrList(r as SensorReport, b === 'elist')
  if (a === 'sensors') return formatSensorList(r as SensorReport)
  if (a === 'fru') return formatFru(r as FruListEntry[] | FruDeviceInventory)
  if (b === 'info') return formatSelInfo(r as SelInfoReport)
  if (b === 'clear') return `SEL cleared (${String((r as { entriesBefore: number }).entriesBefore)} entries removed)`
  return formatSelList(r as SelList)
}

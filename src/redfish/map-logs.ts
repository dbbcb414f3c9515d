/**
 * The system event log over Redfish: which LogService is the SEL, and its
 * LogEntry members in the shape of our SEL list (src/bmc/sel.ts). Pure.
 * Schemas: LogService.v1 (LogEntryType), LogEntry.v1 (EntryType SEL,
 * SensorType, SensorNumber, EntryCode, Message, Created).
 *
 * The choice, best first (services of the ComputerSystem before those of
 * the Manager at each step):
 *   1. a service whose LogEntryType is "SEL";
 *   2. a service whose Id is "SEL" (any case: iDRAC's "Sel");
 *   3. the ComputerSystem's own services, first one;
 *   4. a Manager service with Id "Log", "EventLog" or "IPMI".
 * Never one that is a journal, dump, crash or audit log, by Id or name,
 * nor one with LogEntryType "Multiple"/"OEM" and diagnostic data
 * (DiagnosticDataType set).
 */
import type { SelTime } from '../ipmi/sel-record.js'
import type { Doc, Resource } from './client.js'

export interface OwnedLogService extends Resource {
  owner: 'system' | 'manager'
}

const NOT_SEL = /journal|dump|crash|audit|diagnostic|fault|postcode|bios|lifecycle/i
const MANAGER_SEL_IDS = new Set(['log', 'eventlog', 'ipmi'])

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined)

function excluded(doc: Doc): boolean {
  if (doc.DiagnosticDataType !== undefined) return true
  return NOT_SEL.test(`${str(doc.Id) ?? ''} ${str(doc.Name) ?? ''}`)
}

export function pickEventLog(services: readonly OwnedLogService[]): OwnedLogService | undefined {
  const ordered = [...services.filter((s) => s.owner === 'system'), ...services.filter((s) => s.owner === 'manager')].filter((s) => !excluded(s.doc))
  const id = (s: OwnedLogService): string => (str(s.doc.Id) ?? '').toLowerCase()
  return ordered.find((s) => s.doc.LogEntryType === 'SEL')
    ?? ordered.find((s) => id(s) === 'sel')
    ?? ordered.find((s) => s.owner === 'system')
    ?? ordered.find((s) => MANAGER_SEL_IDS.has(id(s)))
}

export interface RedfishSelEntry {
  /** The numeric Id, else the entry's position from 1. */
  id: number
  entryId: string
  time: SelTime | null
  sensorType: string
  sensorNumber?: number
  event: string
  severity?: string
  message?: string
  messageId?: string
  entryType?: string
  /** One line: "Temperature #0x01 | Upper Critical - going high | Temperature threshold exceeded". */
  text: string
}

export function timeOf(created: string | undefined): SelTime | null {
  if (created === undefined) return null
  const ms = Date.parse(created)
  if (!Number.isFinite(ms)) return null
  return { raw: Math.floor(ms / 1000), iso: new Date(ms).toISOString(), preInit: false }
}

export function selEntryOf(doc: Doc, position: number): RedfishSelEntry {
  const entryId = str(doc.Id) ?? String(position)
  const sensorType = str(doc.SensorType) ?? ''
  const sn = typeof doc.SensorNumber === 'number' && Number.isInteger(doc.SensorNumber) ? doc.SensorNumber : undefined
  const message = str(doc.Message)
  const event = str(doc.EntryCode) ?? message ?? ''
  const sensor = sensorType === '' ? '' : sn === undefined ? sensorType : `${sensorType} #0x${sn.toString(16).padStart(2, '0')}`
  const parts = [sensor, str(doc.EntryCode), message].filter((p): p is string => p !== undefined && p !== '')
  const out: RedfishSelEntry = {
    id: /^\d+$/.test(entryId) ? Number(entryId) : position,
    entryId,
    time: timeOf(str(doc.Created)),
    sensorType,
    event,
    text: parts.join(' | '),
  }
  if (sn !== undefined) out.sensorNumber = sn
  for (const [k, src] of [['severity', 'Severity'], ['message', 'Message'], ['messageId', 'MessageId'], ['entryType', 'EntryType']] as const) {
    const v = str(doc[src])
    if (v !== undefined) out[k] = v
  }
  return out
}

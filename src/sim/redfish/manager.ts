/**
 * The one Manager (the BMC itself) and the System Event Log as a LogService
 * (DSP2046: Manager, LogService, LogEntry with EntryType "SEL"). The SEL is
 * the simulated BMC's own (SimHardware.sel, the records `ipmitool sel list`
 * reads), decoded with src/ipmi and described with the SDRs; it is listed
 * under the system's LogServices and, as many BMCs do, the manager's too:
 * one log, two paths, the same entries.
 * Pure builders over a RedfishView.
 * Choices: Severity is Critical for critical and non-recoverable threshold
 * events, Warning for non-critical ones, OK otherwise; LogEntry.SensorType
 * is given only for the IPMI sensor types whose Redfish name is certain.
 */
import { decodeSdrRecord } from '../../ipmi/sdr-records.js'
import { decodeSelRecord, describeSelRecord, selTime, type SelRecord } from '../../ipmi/sel-record.js'
import { collection, link, MANAGER_ID, PATHS, resource, SEL_ID, status, type Doc } from './odata.js'
import { dateTime, uuidOf, type RedfishView } from './view.js'

export const MANAGER_RESET_TYPES = ['ForceRestart', 'GracefulRestart'] as const
export type ManagerResetType = (typeof MANAGER_RESET_TYPES)[number]

/** Where the SEL appears: the system's log services and the manager's. */
export const SEL_PARENTS = { system: PATHS.systemLogServices, manager: PATHS.managerLogServices } as const
export type SelParent = keyof typeof SEL_PARENTS

/** IPMI sensor types (Table 42-3) as LogEntry SensorType values. */
const SENSOR_TYPES: Readonly<Record<number, string>> = {
  0x01: 'Temperature', 0x02: 'Voltage', 0x03: 'Current', 0x04: 'Fan', 0x07: 'Processor',
  0x08: 'Power Supply / Converter', 0x09: 'PowerUnit', 0x0c: 'Memory', 0x10: 'Event Logging Disabled', 0x12: 'System Event',
}
const THRESHOLD_EVENT_TYPE = 0x01
/** Threshold event offsets (Table 42-2) 0-1 and 6-7 are non-critical; the rest critical or worse. */
const NON_CRITICAL_OFFSETS: ReadonlySet<number> = new Set([0, 1, 6, 7])

export function managersCollection(): Doc {
  return collection('#ManagerCollection.ManagerCollection', PATHS.managers, 'Manager Collection', [PATHS.manager])
}

/** "1.23" from major 1 and BCD minor 0x23 (Get Device ID bytes 3-4). */
export function firmwareVersion(v: RedfishView): string {
  const d = v.bmc.device
  return `${d.firmwareMajor}.${d.firmwareMinorBcd.toString(16).padStart(2, '0')}`
}

export function manager(v: RedfishView): Doc {
  return resource('#Manager.v1_17_0.Manager', PATHS.manager, {
    Id: MANAGER_ID, Name: 'Manager', ManagerType: 'BMC', Description: 'bmcvisor simulated BMC',
    Model: 'bmcvisor sim', FirmwareVersion: firmwareVersion(v), UUID: uuidOf(v.bmc.guid),
    DateTime: dateTime(v.wallNow()), DateTimeLocalOffset: '+00:00',
    PowerState: 'On', Status: status('OK'),
    LogServices: link(PATHS.managerLogServices),
    Links: { ManagerForServers: [link(PATHS.system)], ManagerForChassis: [link(PATHS.chassis)] },
    Actions: { '#Manager.Reset': { target: PATHS.managerReset, 'ResetType@Redfish.AllowableValues': MANAGER_RESET_TYPES } },
  })
}

export function logServices(parent: SelParent): Doc {
  return collection('#LogServiceCollection.LogServiceCollection', SEL_PARENTS[parent], 'Log Service Collection', [`${SEL_PARENTS[parent]}/${SEL_ID}`])
}

export function selService(v: RedfishView, parent: SelParent): Doc {
  const path = `${SEL_PARENTS[parent]}/${SEL_ID}`
  return resource('#LogService.v1_4_0.LogService', path, {
    Id: SEL_ID, Name: 'System Event Log Service', LogEntryType: 'SEL', ServiceEnabled: true,
    MaxNumberOfRecords: v.hardware.selCapacity, OverWritePolicy: 'NeverOverWrites',
    DateTime: dateTime(v.wallNow()), DateTimeLocalOffset: '+00:00', Status: status('OK'),
    Entries: link(`${path}/Entries`),
    Actions: { '#LogService.ClearLog': { target: `${path}/Actions/LogService.ClearLog` } },
  })
}

function severity(rec: SelRecord): 'OK' | 'Warning' | 'Critical' {
  if (rec.kind !== 'standard' || rec.eventType !== THRESHOLD_EVENT_TYPE || rec.deassertion) return 'OK'
  return NON_CRITICAL_OFFSETS.has(rec.eventData[0] & 0x0f) ? 'Warning' : 'Critical'
}

function entries(v: RedfishView, parent: SelParent): Doc[] {
  const sdr = v.hardware.sdr.map((b) => decodeSdrRecord(b))
  const base = `${SEL_PARENTS[parent]}/${SEL_ID}/Entries`
  return v.hardware.sel.map((raw) => {
    const rec = decodeSelRecord(raw)
    const e = describeSelRecord(rec, sdr)
    const created = selTime(rec.kind === 'oem' ? 0xffffffff : rec.timestamp).iso
    const sensorType = rec.kind === 'standard' ? SENSOR_TYPES[rec.sensorType] : undefined
    return resource('#LogEntry.v1_14_0.LogEntry', `${base}/${rec.recordId}`, {
      Id: String(rec.recordId), Name: `SEL Entry ${rec.recordId}`, EntryType: 'SEL', Severity: severity(rec),
      Message: e.text,
      ...(created !== null ? { Created: created.replace(/\.\d{3}Z$/, '+00:00') } : {}),
      ...(rec.kind === 'standard' ? { SensorNumber: rec.sensorNumber, EntryCode: rec.deassertion ? 'Deassert' : 'Assert' } : {}),
      ...(sensorType !== undefined ? { SensorType: sensorType } : {}),
    })
  })
}

export function selEntries(v: RedfishView, parent: SelParent): Doc {
  const path = `${SEL_PARENTS[parent]}/${SEL_ID}/Entries`
  const members = entries(v, parent)
  return resource('#LogEntryCollection.LogEntryCollection', path, { Name: 'System Event Log Entries', 'Members@odata.count': members.length, Members: members })
}

export function selEntry(v: RedfishView, parent: SelParent, id: string): Doc | undefined {
  return entries(v, parent).find((e) => e.Id === id)
}

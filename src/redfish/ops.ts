/**
 * BMC operations over Redfish, returning the shapes the IPMI operations of
 * src/bmc return (the op registry's result schemas, src/ops): power, boot,
 * identify, manager info and reset, sensors and health, inventory, the
 * system event log, accounts. Each is a few requests through a
 * RedfishService; the mapping from documents is in the map-*.ts files.
 * A power change reports what was asked once the BMC accepted it; the
 * machine may take seconds to get there (power.status shows PoweringOn).
 */
import { ServiceError } from '../errors.js'
import type { BootDevice, PowerAction } from '../bmc/chassis.js'
import { summarizeHealth, type HealthSummary } from '../bmc/sensors.js'
import type { UserChange } from '../bmc/users.js'
import type { BootDeviceName } from '../ipmi/commands/boot-option-parameters.js'
import { linkOf, type CallOptions, type Doc, type Resource } from './client.js'
import { accountOf, accountPatch, type RedfishUser } from './map-accounts.js'
import { inventoryItemOf, type InventoryKind, type RedfishInventoryItem } from './map-inventory.js'
import { pickEventLog, selEntryOf, type OwnedLogService, type RedfishSelEntry } from './map-logs.js'
import { legacySensorsOf, sensorOf, type RedfishSensor } from './map-sensors.js'
import {
  allowableResetTypes, bootOf, bootPatch, identifyPatch, identifyPropertyOf, MANAGER_RESET_TYPES, mcInfoOf, pickResetType, powerStateOf,
  RESET_TYPES_FOR, type RedfishBoot, type RedfishMcInfo,
} from './map-system.js'
import type { RedfishService } from './service.js'

const obj = (v: unknown): Doc => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Doc) : {})

export async function powerStatus(s: RedfishService, o: CallOptions = {}): Promise<{ state: 'on' | 'off'; powerState: string }> {
  return powerStateOf((await s.system(o)).doc)
}

/** An action object of a resource (`#ComputerSystem.Reset`): its target, and its allowable reset types (inline or from @Redfish.ActionInfo). */
async function resetAction(s: RedfishService, res: Resource, name: string, o: CallOptions): Promise<{ target: string; allowed: string[] | undefined }> {
  const action = obj(obj(res.doc.Actions)[name])
  const target = typeof action.target === 'string' ? action.target : undefined
  if (target === undefined) throw new ServiceError('BMC_NOT_SUPPORTED', `the BMC's ${res.path} has no ${name} action`, { details: { missing: name } })
  let allowed = allowableResetTypes(action)
  const info = action['@Redfish.ActionInfo']
  if (allowed === undefined && typeof info === 'string') {
    const params = (await s.client.get(info, o)).doc.Parameters
    const p = Array.isArray(params) ? params.map(obj).find((x) => x.Name === 'ResetType') : undefined
    if (p !== undefined && Array.isArray(p.AllowableValues)) allowed = p.AllowableValues.filter((v): v is string => typeof v === 'string')
  }
  return { target, allowed }
}

export async function powerControl(s: RedfishService, action: PowerAction, o: CallOptions = {}): Promise<{ action: PowerAction; resetType: string }> {
  const candidates = RESET_TYPES_FOR[action]
  if (candidates === undefined) throw new ServiceError('VALIDATION_FAILED', `unknown power action ${String(action)}`, { details: { field: 'action' } })
  const sys = await s.system(o)
  const { target, allowed } = await resetAction(s, sys, '#ComputerSystem.Reset', o)
  const resetType = pickResetType(action, candidates, allowed)
  await s.client.action(target, { ResetType: resetType }, o)
  return { action, resetType }
}

export async function getBootDevice(s: RedfishService, o: CallOptions = {}): Promise<RedfishBoot> {
  return bootOf((await s.system(o)).doc)
}

export async function setBootDevice(s: RedfishService, device: BootDeviceName, opts: { persistent?: boolean; uefi?: boolean }, o: CallOptions = {}): Promise<BootDevice> {
  const sys = await s.system(o)
  const want = { persistent: opts.persistent ?? false, uefi: opts.uefi ?? false }
  await s.client.patch(sys, bootPatch(sys.doc, device, want), o)
  return { device, ...want, valid: true }
}

/** Identify on the system when it has the property, else on its chassis. */
export async function identify(s: RedfishService, req: { seconds?: number; force?: boolean }, o: CallOptions = {}): Promise<{ seconds: number; force: boolean; property: string }> {
  const seconds = Math.max(0, Math.min(255, Math.floor(req.seconds ?? 15)))
  const force = req.force ?? false
  let res = await s.system(o)
  let prop = identifyPropertyOf(res.doc)
  if (prop === undefined) {
    res = await s.chassis(o)
    prop = identifyPropertyOf(res.doc)
  }
  if (prop === undefined) throw new ServiceError('BMC_NOT_SUPPORTED', 'neither the system nor its chassis has LocationIndicatorActive or IndicatorLED', { details: { missing: 'LocationIndicatorActive' } })
  await s.client.patch(res, identifyPatch(prop, { seconds, force }), o)
  return { seconds, force, property: prop }
}

export async function mcInfo(s: RedfishService, o: CallOptions = {}): Promise<RedfishMcInfo> {
  const [manager, root] = await Promise.all([s.manager(o), s.client.serviceRoot(o)])
  return mcInfoOf(manager.doc, root)
}

/**
 * Manager.Reset. Like IPMI's cold reset the BMC may go away before it
 * answers: no answer counts as done (`answered: false`). The session dies
 * with the BMC: the next request's 401 logs in again (client.ts).
 */
export async function resetBmc(s: RedfishService, o: CallOptions = {}): Promise<{ reset: true; answered: boolean; resetType: string }> {
  const mgr = await s.manager(o)
  const { target, allowed } = await resetAction(s, mgr, '#Manager.Reset', o)
  const resetType = pickResetType('bmc', MANAGER_RESET_TYPES, allowed)
  try {
    await s.client.action(target, { ResetType: resetType }, o)
    return { reset: true, answered: true, resetType }
  } catch (e) {
    if (e instanceof ServiceError && e.code === 'BMC_UNREACHABLE') return { reset: true, answered: false, resetType }
    throw e
  }
}

export interface RedfishSensorReport {
  sensors: RedfishSensor[]
  health: HealthSummary
  /** Redfish has no SDR: always false (the field is the IPMI report's). */
  sdrCached: false
  /** Which resources the readings came from. */
  sources: string[]
}

/** The chassis Sensors collection; the older Thermal and Power resources only when there is no collection. */
export async function readSensors(s: RedfishService, o: CallOptions = {}): Promise<RedfishSensorReport> {
  const chassis = await s.chassis(o)
  const collection = linkOf(chassis.doc.Sensors)
  let sensors: RedfishSensor[]
  let sources: string[]
  if (collection !== undefined) {
    sensors = (await s.client.members(collection, o)).map((m, i) => sensorOf(m.doc, i + 1))
    sources = [collection]
  } else {
    sensors = []
    sources = []
    for (const prop of ['Thermal', 'Power'] as const) {
      const link = linkOf(chassis.doc[prop])
      if (link === undefined) continue
      sensors.push(...legacySensorsOf((await s.client.get(link, o)).doc, prop, sensors.length + 1))
      sources.push(link)
    }
    if (sources.length === 0) throw new ServiceError('BMC_NOT_SUPPORTED', `the BMC's ${chassis.path} has no Sensors, Thermal or Power`, { details: { missing: 'Sensors' } })
  }
  return { sensors, health: summarizeHealth(sensors), sdrCached: false, sources }
}

export async function nodeHealth(s: RedfishService, o: CallOptions = {}): Promise<HealthSummary> {
  return (await readSensors(s, o)).health
}

/** System, chassis, processors, memory and firmware; a part list the BMC lacks is left out, not an error. */
export async function listInventory(s: RedfishService, o: CallOptions = {}): Promise<RedfishInventoryItem[]> {
  const sys = await s.system(o)
  const chassis = await s.chassis(o)
  const parts: { kind: InventoryKind; res: Resource }[] = [{ kind: 'system', res: sys }, { kind: 'chassis', res: chassis }]
  const lists: [InventoryKind, string | undefined][] = [
    ['processor', linkOf(sys.doc.Processors)],
    ['memory', linkOf(sys.doc.Memory)],
  ]
  const root = await s.client.serviceRoot(o)
  if (linkOf(root.UpdateService) !== undefined) lists.push(['firmware', linkOf((await s.fromRoot('UpdateService', o)).doc.FirmwareInventory)])
  for (const [kind, link] of lists) {
    if (link === undefined) continue
    for (const res of await s.client.members(link, o)) parts.push({ kind, res })
  }
  return parts.map((p, i) => inventoryItemOf(p.kind, p.res.path, p.res.doc, i))
}

async function logServicesOf(s: RedfishService, owner: OwnedLogService['owner'], res: Resource, o: CallOptions): Promise<OwnedLogService[]> {
  const link = linkOf(res.doc.LogServices)
  if (link === undefined) return []
  return (await s.client.members(link, o)).map((m) => ({ ...m, owner }))
}

async function eventLog(s: RedfishService, o: CallOptions): Promise<OwnedLogService> {
  const services = [...(await logServicesOf(s, 'system', await s.system(o), o)), ...(await logServicesOf(s, 'manager', await s.manager(o), o))]
  const pick = pickEventLog(services)
  if (pick === undefined) {
    throw new ServiceError('BMC_NOT_SUPPORTED', 'the BMC has no LogService that is a system event log', { details: { logServices: services.map((x) => x.path).join(',') } })
  }
  return pick
}

export interface RedfishSelList {
  info: { entries: number; service: string; name: string | undefined; maxEntries: number | undefined; overWritePolicy: string | undefined }
  entries: RedfishSelEntry[]
}

export async function listEvents(s: RedfishService, o: CallOptions = {}): Promise<RedfishSelList> {
  const svc = await eventLog(s, o)
  const link = linkOf(svc.doc.Entries)
  const entries = link === undefined ? [] : (await s.client.members(link, o)).map((m, i) => selEntryOf(m.doc, i + 1))
  const d = svc.doc
  return {
    info: {
      entries: entries.length, service: svc.path, name: typeof d.Name === 'string' ? d.Name : undefined,
      maxEntries: typeof d.MaxNumberOfRecords === 'number' ? d.MaxNumberOfRecords : undefined,
      overWritePolicy: typeof d.OverWritePolicy === 'string' ? d.OverWritePolicy : undefined,
    },
    entries,
  }
}

export async function clearEvents(s: RedfishService, o: CallOptions = {}): Promise<{ cleared: true; entriesBefore: number }> {
  const before = await listEvents(s, o)
  const svc = await s.client.get(before.info.service, o)
  const action = obj(obj(svc.doc.Actions)['#LogService.ClearLog'])
  if (typeof action.target !== 'string') throw new ServiceError('BMC_NOT_SUPPORTED', `the BMC's ${svc.path} has no ClearLog action`, { details: { missing: '#LogService.ClearLog' } })
  await s.client.action(action.target, {}, o)
  return { cleared: true, entriesBefore: before.info.entries }
}

async function accountsPath(s: RedfishService, o: CallOptions): Promise<string> {
  const link = linkOf((await s.fromRoot('AccountService', o)).doc.Accounts)
  if (link === undefined) throw new ServiceError('BMC_NOT_SUPPORTED', "the BMC's AccountService has no Accounts", { details: { missing: 'Accounts' } })
  return link
}

export async function listUsers(s: RedfishService, o: CallOptions = {}): Promise<RedfishUser[]> {
  return (await s.client.members(await accountsPath(s, o), o)).map((m, i) => accountOf(m.doc, i + 1))
}

/**
 * Changes account `id` (its Id, or our number of it) with a PATCH; when the
 * BMC has no such account, creates one with a POST to the collection, which
 * needs a name, a password and a privilege (the BMC picks the new Id).
 */
export async function setUser(s: RedfishService, id: number, c: UserChange, o: CallOptions = {}): Promise<{ id: number; changed: string[]; accountId: string }> {
  const { body, changed } = accountPatch(c)
  const secrets = c.password !== undefined ? [c.password] : []
  const collection = await accountsPath(s, o)
  const members = await s.client.members(collection, o)
  const users = members.map((m, i) => accountOf(m.doc, i + 1))
  const at = users.findIndex((u) => u.id === id)
  if (at !== -1) {
    await s.client.patch(members[at]!, body, o, secrets)
    return { id, changed, accountId: users[at]!.accountId }
  }
  if (body.UserName === undefined || body.Password === undefined || body.RoleId === undefined) {
    throw new ServiceError('VALIDATION_FAILED', `the BMC has no account ${id}; creating one needs name, password and privilege`, { details: { field: 'body' } })
  }
  const made = await s.client.create(collection, { ...body, ...(c.enabled === undefined ? { Enabled: true } : {}) }, o, secrets)
  const doc = made.doc ?? (made.path !== undefined ? (await s.client.get(made.path, o)).doc : {})
  const user = accountOf(doc, members.length + 1)
  return { id: user.id, changed, accountId: user.accountId }
}

/** The system GUID: the ComputerSystem's UUID (RFC 4122 text already, so no byte order to guess as over IPMI). */
export async function systemGuid(s: RedfishService, o: CallOptions = {}): Promise<{ guid: string; encoding: 'rfc4122'; raw: string }> {
  const uuid = (await s.system(o)).doc.UUID
  if (typeof uuid !== 'string') throw new ServiceError('BMC_NOT_SUPPORTED', 'the ComputerSystem has no UUID', { details: { missing: 'UUID' } })
  return { guid: uuid.toLowerCase(), encoding: 'rfc4122', raw: uuid.replace(/-/g, '').toLowerCase() }
}

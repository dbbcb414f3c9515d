/**
 * The OData envelope every Redfish resource of the simulator carries
 * (DSP0266 §9.5 "Common resource properties"): @odata.id, @odata.type,
 * @odata.context, and collections with Members and Members@odata.count.
 * Also the one list of resource paths and member IDs. Pure, no I/O.
 * Invariant: every path here starts with SERVICE_ROOT and has no trailing
 * slash, except the service root itself ("/redfish/v1/"), as DSP0266 writes it.
 */

export const SERVICE_ROOT = '/redfish/v1'

/** Member IDs: one system, one chassis, one manager, as a 1U server's BMC has (OpenBMC names them the same). */
export const SYSTEM_ID = 'system'
export const CHASSIS_ID = 'chassis'
export const MANAGER_ID = 'bmc'
export const SEL_ID = 'SEL'

export const PATHS = {
  root: `${SERVICE_ROOT}/`,
  systems: `${SERVICE_ROOT}/Systems`,
  system: `${SERVICE_ROOT}/Systems/${SYSTEM_ID}`,
  reset: `${SERVICE_ROOT}/Systems/${SYSTEM_ID}/Actions/ComputerSystem.Reset`,
  processors: `${SERVICE_ROOT}/Systems/${SYSTEM_ID}/Processors`,
  memory: `${SERVICE_ROOT}/Systems/${SYSTEM_ID}/Memory`,
  systemLogServices: `${SERVICE_ROOT}/Systems/${SYSTEM_ID}/LogServices`,
  chassisCollection: `${SERVICE_ROOT}/Chassis`,
  chassis: `${SERVICE_ROOT}/Chassis/${CHASSIS_ID}`,
  sensors: `${SERVICE_ROOT}/Chassis/${CHASSIS_ID}/Sensors`,
  thermal: `${SERVICE_ROOT}/Chassis/${CHASSIS_ID}/Thermal`,
  power: `${SERVICE_ROOT}/Chassis/${CHASSIS_ID}/Power`,
  managers: `${SERVICE_ROOT}/Managers`,
  manager: `${SERVICE_ROOT}/Managers/${MANAGER_ID}`,
  managerReset: `${SERVICE_ROOT}/Managers/${MANAGER_ID}/Actions/Manager.Reset`,
  managerLogServices: `${SERVICE_ROOT}/Managers/${MANAGER_ID}/LogServices`,
  accountService: `${SERVICE_ROOT}/AccountService`,
  accounts: `${SERVICE_ROOT}/AccountService/Accounts`,
  roles: `${SERVICE_ROOT}/AccountService/Roles`,
  sessionService: `${SERVICE_ROOT}/SessionService`,
  sessions: `${SERVICE_ROOT}/SessionService/Sessions`,
  registries: `${SERVICE_ROOT}/Registries`,
} as const

export type Doc = Record<string, unknown>

export function link(path: string): { '@odata.id': string } {
  return { '@odata.id': path }
}

/** "#ComputerSystem.v1_20_0.ComputerSystem" -> "/redfish/v1/$metadata#ComputerSystem.ComputerSystem". */
export function contextOf(odataType: string): string {
  const m = /^#([A-Za-z]+)\.(?:v\d+_\d+_\d+\.)?([A-Za-z]+)$/.exec(odataType)
  if (m === null) throw new RangeError(`not an @odata.type: ${odataType}`)
  return `${SERVICE_ROOT}/$metadata#${m[1]}.${m[2]}`
}

export function resource(odataType: string, path: string, body: Doc): Doc {
  return { '@odata.id': path, '@odata.type': odataType, '@odata.context': contextOf(odataType), ...body }
}

export function collection(odataType: string, path: string, name: string, members: readonly string[]): Doc {
  return resource(odataType, path, { Name: name, 'Members@odata.count': members.length, Members: members.map(link) })
}

/** A resource's Status (DSP0268 Resource.Status). */
export function status(health: 'OK' | 'Warning' | 'Critical', state = 'Enabled'): { State: string; Health: string } {
  return { State: state, Health: health }
}

/**
 * The service root and the one ComputerSystem with its Processors and
 * Memory (DSP2046: ServiceRoot, ComputerSystem, Processor, Memory), and the
 * translation of Boot and identify between Redfish properties and the IPMI
 * state they live in: boot flags (IPMI v2.0 §28.13, Table 28-14 parameter
 * 5) and Chassis Identify (§28.5).
 * Pure builders over a RedfishView; writes go through the BMC's IPMI
 * command handlers (runCommand), so both interfaces change the same bytes.
 * Choices: a Redfish override also sets parameter 3 b3 (do not clear the
 * valid bit after 60 s), because a Redfish "Once" lasts until the next boot,
 * not a minute; the processors and DIMMs are a fixed inventory (IPMI's FRU
 * has none to derive them from).
 */
import { BootDevice, decodeBootFlags, encodeBootFlags, type BootFlags } from '../../ipmi/commands/boot-option-parameters.js'
import { currentBootFlags, identifyState } from '../chassis-commands.js'
import { CC } from '../context.js'
import { collection, link, PATHS, resource, status, SYSTEM_ID, type Doc } from './odata.js'
import { RESET_TYPES } from './power.js'
import { uuidOf, type RedfishView } from './view.js'

const CHASSIS_NETFN = 0x00
const CMD = { chassisIdentify: 0x04, setBootOptions: 0x08 } as const
const BOOT_PARAM = { validBitClearing: 3, bootFlags: 5 } as const
const DONT_CLEAR_ON_TIMEOUT = 0x08

/** BootSourceOverrideTarget <-> IPMI boot device selector; the targets listed in the AllowableValues. */
const TARGET_TO_DEVICE = {
  None: BootDevice.NoOverride, Pxe: BootDevice.Pxe, Hdd: BootDevice.Disk, Diags: BootDevice.Diagnostic,
  Cd: BootDevice.CdDvd, BiosSetup: BootDevice.BiosSetup, Floppy: BootDevice.Floppy, RemoteDrive: BootDevice.RemoteDisk,
} as const
export type BootTarget = keyof typeof TARGET_TO_DEVICE
export const BOOT_TARGETS = Object.keys(TARGET_TO_DEVICE) as BootTarget[]
/** Selectors set over IPMI that have no target of their own read as the nearest one. */
const DEVICE_ALIASES: Readonly<Record<number, BootTarget>> = {
  [BootDevice.DiskSafeMode]: 'Hdd', [BootDevice.RemoteFloppy]: 'Floppy', [BootDevice.RemotePrimaryMedia]: 'Cd', [BootDevice.RemoteCdDvd]: 'Cd',
}
export const BOOT_ENABLED = ['Disabled', 'Once', 'Continuous'] as const
export type BootEnabled = (typeof BOOT_ENABLED)[number]
export const BOOT_MODES = ['Legacy', 'UEFI'] as const
export type BootMode = (typeof BOOT_MODES)[number]

export interface BootOverride {
  target: BootTarget
  enabled: BootEnabled
  mode: BootMode
}

function targetOf(device: number): BootTarget {
  const t = BOOT_TARGETS.find((k) => TARGET_TO_DEVICE[k] === device)
  return t ?? DEVICE_ALIASES[device] ?? 'None'
}

/** The override as Redfish reports it, read from the boot flags now. */
export function readBoot(v: RedfishView): BootOverride {
  const f = decodeBootFlags(currentBootFlags(v.bmc))
  const mode: BootMode = f.uefi ? 'UEFI' : 'Legacy'
  if (!f.valid || f.device === BootDevice.NoOverride) return { target: 'None', enabled: 'Disabled', mode }
  return { target: targetOf(f.device), enabled: f.persistent ? 'Continuous' : 'Once', mode }
}

/** Writes an override through Set System Boot Options; the completion code (0 on success). */
export function writeBoot(v: RedfishView, b: BootOverride): number {
  const flags: BootFlags = { ...decodeBootFlags(currentBootFlags(v.bmc)) }
  const active = b.enabled !== 'Disabled' && b.target !== 'None'
  flags.valid = active
  flags.persistent = b.enabled === 'Continuous'
  flags.uefi = b.mode === 'UEFI'
  flags.device = active ? TARGET_TO_DEVICE[b.target] : BootDevice.NoOverride
  const keep = v.bmc.runCommand(CHASSIS_NETFN, CMD.setBootOptions, Buffer.from([BOOT_PARAM.validBitClearing, DONT_CLEAR_ON_TIMEOUT]))
  if (keep.cc !== CC.Ok) return keep.cc
  return v.bmc.runCommand(CHASSIS_NETFN, CMD.setBootOptions, Buffer.concat([Buffer.from([BOOT_PARAM.bootFlags]), encodeBootFlags(flags)])).cc
}

export function identifyOn(v: RedfishView): boolean {
  return identifyState(v.bmc) !== 0
}

/** Chassis Identify: on until turned off (force bit), or off (interval 0). */
export function writeIdentify(v: RedfishView, on: boolean): number {
  return v.bmc.runCommand(CHASSIS_NETFN, CMD.chassisIdentify, Buffer.from(on ? [0, 1] : [0])).cc
}

/** The fixed processor and DIMM inventory of the simulated server. */
export const PROCESSORS = [
  { id: 'cpu0', socket: 'CPU 0', model: 'bmcvisor Sim CPU 2000', cores: 16, threads: 32, maxSpeedMHz: 3600 },
  { id: 'cpu1', socket: 'CPU 1', model: 'bmcvisor Sim CPU 2000', cores: 16, threads: 32, maxSpeedMHz: 3600 },
] as const
export const DIMMS = [
  { id: 'dimm0', slot: 'DIMM A0', capacityMiB: 32768, speedMHz: 3200 },
  { id: 'dimm1', slot: 'DIMM A1', capacityMiB: 32768, speedMHz: 3200 },
  { id: 'dimm2', slot: 'DIMM B0', capacityMiB: 32768, speedMHz: 3200 },
  { id: 'dimm3', slot: 'DIMM B1', capacityMiB: 32768, speedMHz: 3200 },
] as const
const MIB_PER_GIB = 1024

export function serviceRoot(v: RedfishView): Doc {
  return resource('#ServiceRoot.v1_15_0.ServiceRoot', PATHS.root, {
    Id: 'RootService', Name: 'Root Service', RedfishVersion: '1.15.0', UUID: uuidOf(v.bmc.guid),
    Product: 'bmcvisor simulated BMC', Vendor: 'bmcvisor',
    Systems: link(PATHS.systems), Chassis: link(PATHS.chassisCollection), Managers: link(PATHS.managers),
    SessionService: link(PATHS.sessionService), AccountService: link(PATHS.accountService), Registries: link(PATHS.registries),
    Links: { Sessions: link(PATHS.sessions) },
  })
}

export function systemsCollection(): Doc {
  return collection('#ComputerSystemCollection.ComputerSystemCollection', PATHS.systems, 'Computer System Collection', [PATHS.system])
}

export function computerSystem(v: RedfishView): Doc {
  const fru = v.hardware.identity.product
  const boot = readBoot(v)
  const identify = identifyOn(v)
  const power = v.power.state
  return resource('#ComputerSystem.v1_20_0.ComputerSystem', PATHS.system, {
    Id: SYSTEM_ID, Name: 'System', SystemType: 'Physical',
    Manufacturer: fru.manufacturer, Model: fru.productName, PartNumber: fru.partNumber, SerialNumber: fru.serialNumber,
    AssetTag: fru.assetTag, UUID: uuidOf(v.bmc.guid),
    PowerState: power,
    Status: status('OK', power === 'On' ? 'Enabled' : 'StandbyOffline'),
    IndicatorLED: identify ? 'Blinking' : 'Off',
    LocationIndicatorActive: identify,
    Boot: {
      BootSourceOverrideTarget: boot.target,
      'BootSourceOverrideTarget@Redfish.AllowableValues': BOOT_TARGETS,
      BootSourceOverrideEnabled: boot.enabled,
      'BootSourceOverrideEnabled@Redfish.AllowableValues': BOOT_ENABLED,
      BootSourceOverrideMode: boot.mode,
      'BootSourceOverrideMode@Redfish.AllowableValues': BOOT_MODES,
    },
    ProcessorSummary: {
      Count: PROCESSORS.length, Model: PROCESSORS[0].model,
      CoreCount: PROCESSORS.reduce((n, p) => n + p.cores, 0),
      LogicalProcessorCount: PROCESSORS.reduce((n, p) => n + p.threads, 0),
      Status: status('OK'),
    },
    MemorySummary: { TotalSystemMemoryGiB: DIMMS.reduce((n, d) => n + d.capacityMiB, 0) / MIB_PER_GIB, Status: status('OK') },
    Processors: link(PATHS.processors),
    Memory: link(PATHS.memory),
    LogServices: link(PATHS.systemLogServices),
    Links: { Chassis: [link(PATHS.chassis)], ManagedBy: [link(PATHS.manager)] },
    Actions: {
      '#ComputerSystem.Reset': { target: PATHS.reset, 'ResetType@Redfish.AllowableValues': RESET_TYPES },
    },
  })
}

export function processorsCollection(): Doc {
  return collection('#ProcessorCollection.ProcessorCollection', PATHS.processors, 'Processors Collection', PROCESSORS.map((p) => `${PATHS.processors}/${p.id}`))
}

export function processor(id: string): Doc | undefined {
  const p = PROCESSORS.find((x) => x.id === id)
  if (p === undefined) return undefined
  return resource('#Processor.v1_17_0.Processor', `${PATHS.processors}/${p.id}`, {
    Id: p.id, Name: 'Processor', Socket: p.socket, ProcessorType: 'CPU', ProcessorArchitecture: 'x86', InstructionSet: 'x86-64',
    Manufacturer: 'bmcvisor', Model: p.model, MaxSpeedMHz: p.maxSpeedMHz, TotalCores: p.cores, TotalThreads: p.threads, Status: status('OK'),
  })
}

export function memoryCollection(): Doc {
  return collection('#MemoryCollection.MemoryCollection', PATHS.memory, 'Memory Module Collection', DIMMS.map((d) => `${PATHS.memory}/${d.id}`))
}

export function memory(id: string): Doc | undefined {
  const d = DIMMS.find((x) => x.id === id)
  if (d === undefined) return undefined
  return resource('#Memory.v1_17_0.Memory', `${PATHS.memory}/${d.id}`, {
    Id: d.id, Name: d.slot, DeviceLocator: d.slot, CapacityMiB: d.capacityMiB, OperatingSpeedMhz: d.speedMHz,
    MemoryType: 'DRAM', MemoryDeviceType: 'DDR4', BaseModuleType: 'RDIMM', ErrorCorrection: 'MultiBitECC', Status: status('OK'),
  })
}

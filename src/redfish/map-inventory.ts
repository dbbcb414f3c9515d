/**
 * Redfish hardware inventory in the shape of our FRU list (src/bmc/fru.ts:
 * one entry per part, `fruId` and `name` first): the ComputerSystem, its
 * chassis, processors, memory modules and the firmware inventory, each with
 * the identity fields the resource has (manufacturer, model, serial and
 * part numbers, version) and its Status. The system and chassis entries also
 * carry `inventory.product` / `inventory.chassis` as the FRU areas do, with
 * plain strings. Pure. Schemas: ComputerSystem.v1, Chassis.v1, Processor.v1,
 * Memory.v1, SoftwareInventory.v1.
 */
import type { Doc } from './client.js'

export const INVENTORY_KINDS = ['system', 'chassis', 'processor', 'memory', 'firmware'] as const
export type InventoryKind = (typeof INVENTORY_KINDS)[number]

export interface RedfishInventoryItem {
  /** Position in the list, from 0 (FRU device 0 is the first, too). */
  fruId: number
  name: string
  kind: InventoryKind
  id: string
  path: string
  manufacturer?: string
  model?: string
  serialNumber?: string
  partNumber?: string
  sku?: string
  assetTag?: string
  version?: string
  state?: string
  health?: string
  /** Kind-specific facts (cores, capacity, ...), as the BMC names them. */
  facts: Record<string, string | number | boolean>
  inventory?: { product?: Record<string, string>; chassis?: Record<string, string> }
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined)
const obj = (v: unknown): Doc => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Doc) : {})

/** The facts each kind reports beyond identity, by Redfish property name. */
const FACTS: Readonly<Record<InventoryKind, readonly string[]>> = {
  system: ['SystemType', 'BiosVersion', 'UUID', 'HostName', 'PowerState'],
  chassis: ['ChassisType', 'PowerState'],
  processor: ['Socket', 'ProcessorType', 'ProcessorArchitecture', 'InstructionSet', 'TotalCores', 'TotalThreads', 'MaxSpeedMHz', 'OperatingSpeedMHz'],
  memory: ['CapacityMiB', 'MemoryDeviceType', 'MemoryType', 'BaseModuleType', 'OperatingSpeedMhz', 'ErrorCorrection', 'RankCount'],
  firmware: ['Updateable', 'SoftwareId', 'ReleaseDate', 'LowestSupportedVersion'],
}

function scalars(doc: Doc, keys: readonly string[]): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {}
  for (const k of keys) {
    const v = doc[k]
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = v
  }
  return out
}

function defined(o: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v
  return out
}

export function inventoryItemOf(kind: InventoryKind, path: string, doc: Doc, fruId: number): RedfishInventoryItem {
  const status = obj(doc.Status)
  const ident = defined({
    manufacturer: str(doc.Manufacturer), model: str(doc.Model), serialNumber: str(doc.SerialNumber), partNumber: str(doc.PartNumber),
    sku: str(doc.SKU), assetTag: str(doc.AssetTag), version: str(doc.Version), state: str(status.State), health: str(status.Health),
  })
  const item: RedfishInventoryItem = {
    fruId, name: str(doc.Name) ?? str(doc.Id) ?? path, kind, id: str(doc.Id) ?? '', path, ...ident, facts: scalars(doc, FACTS[kind]),
  }
  if (kind === 'system') {
    item.inventory = { product: defined({ manufacturer: ident.manufacturer, productName: ident.model, serialNumber: ident.serialNumber, partNumber: ident.partNumber, assetTag: ident.assetTag }) }
  } else if (kind === 'chassis') {
    item.inventory = { chassis: defined({ typeName: str(doc.ChassisType), serialNumber: ident.serialNumber, partNumber: ident.partNumber }) }
  }
  return item
}

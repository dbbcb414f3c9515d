/**
 * The resources one BMC's operations start from, found by following links
 * from the service root and remembered by path for the client's lifetime:
 * the managed ComputerSystem (the configured systemId, else the first member
 * of Systems), its chassis (the system's Links.Chassis, else the first
 * member of Chassis) and its manager (Links.ManagedBy, else the first
 * member of Managers). Documents are read fresh on every call; only the
 * paths are cached. Owns no sockets (the client does).
 */
import { ServiceError } from '../errors.js'
import { linkOf, type CallOptions, type Doc, type RedfishClient, type Resource } from './client.js'
import { pickSystem } from './map-system.js'

const firstLink = (v: unknown): string | undefined => (Array.isArray(v) ? linkOf(v[0]) : linkOf(v))
const obj = (v: unknown): Doc => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Doc) : {})

export class RedfishService {
  private systemPath: string | undefined
  private chassisPath: string | undefined
  private managerPath: string | undefined

  constructor(readonly client: RedfishClient) {}

  private async collectionOf(property: string, o: CallOptions): Promise<Resource[]> {
    const root = await this.client.serviceRoot(o)
    const link = linkOf(root[property])
    if (link === undefined) throw new ServiceError('BMC_NOT_SUPPORTED', `the BMC's service root has no ${property}`, { details: { missing: property } })
    return this.client.members(link, o)
  }

  async system(o: CallOptions = {}): Promise<Resource> {
    if (this.systemPath !== undefined) return this.client.get(this.systemPath, o)
    const members = await this.collectionOf('Systems', o)
    const want = this.client.systemId
    const pick = pickSystem(members, want)
    if (pick === undefined) {
      const ids = members.map((m) => String(m.doc.Id ?? m.path)).join(', ')
      throw new ServiceError('BMC_NOT_SUPPORTED', want === undefined ? 'the BMC lists no ComputerSystem' : `the BMC has no ComputerSystem ${want} (it has: ${ids || 'none'})`, {
        details: { systemId: want ?? null, systems: ids },
      })
    }
    this.systemPath = pick.path
    return pick
  }

  async chassis(o: CallOptions = {}): Promise<Resource> {
    if (this.chassisPath !== undefined) return this.client.get(this.chassisPath, o)
    const sys = await this.system(o)
    const link = firstLink(obj(sys.doc.Links).Chassis)
    const res = link !== undefined ? await this.client.get(link, o) : (await this.collectionOf('Chassis', o))[0]
    if (res === undefined) throw new ServiceError('BMC_NOT_SUPPORTED', 'the BMC lists no Chassis', { details: { missing: 'Chassis' } })
    this.chassisPath = res.path
    return res
  }

  async manager(o: CallOptions = {}): Promise<Resource> {
    if (this.managerPath !== undefined) return this.client.get(this.managerPath, o)
    const sys = await this.system(o)
    const link = firstLink(obj(sys.doc.Links).ManagedBy)
    const res = link !== undefined ? await this.client.get(link, o) : (await this.collectionOf('Managers', o))[0]
    if (res === undefined) throw new ServiceError('BMC_NOT_SUPPORTED', 'the BMC lists no Manager', { details: { missing: 'Managers' } })
    this.managerPath = res.path
    return res
  }

  /** A resource the service root links to (AccountService, UpdateService, ...). */
  async fromRoot(property: string, o: CallOptions = {}): Promise<Resource> {
    return this.client.follow(await this.client.serviceRoot(o), property, o)
  }
}

/**
 * Get SDR Repository Info: IPMI v2.0 §33.9, Table 33-3. The repository's
 * version, size and the two change timestamps the SDR cache keys on
 * (src/bmc/sdr.ts). Pure codec.
 * Hazard: many BMCs (ipmi_sim among them) report 0 or FFFFFFFFh for both
 * timestamps ("unspecified"), so a cache cannot rely on them alone.
 */
import { NetFn, type IpmiCommand } from '../command.js'
import { Reader } from '../bytes.js'

/** Operation support byte b6:5 (Table 33-3). */
export const SdrUpdateMode = { Unspecified: 0, NonModal: 1, Modal: 2, Both: 3 } as const
export type SdrUpdateMode = (typeof SdrUpdateMode)[keyof typeof SdrUpdateMode]

export interface SdrRepositoryInfo {
  /** SDR version, BCD-ish: 51h for IPMI 1.5/2.0 repositories (01h/02h seen on old firmware). */
  sdrVersion: number
  recordCount: number
  /** Free space in bytes; FFFEh = "64 KB - 2 or more", FFFFh = unspecified. */
  freeSpaceBytes: number
  /** Most recent addition, seconds since 1970 (or since BMC init when < 20000000h). */
  lastAdditionTimestamp: number
  /** Most recent erase (delete or clear). */
  lastEraseTimestamp: number
  /** b7: a record could not be added because the repository was full. */
  overflow: boolean
  updateMode: SdrUpdateMode
  deleteSdrSupported: boolean
  partialAddSupported: boolean
  reserveSupported: boolean
  getAllocationInfoSupported: boolean
}

export const GetSdrRepositoryInfo: IpmiCommand<void, SdrRepositoryInfo> = {
  name: 'Get SDR Repository Info',
  netFn: NetFn.Storage,
  cmd: 0x20,
  encode: () => Buffer.alloc(0),
  decode(data) {
    const r = new Reader('Get SDR Repository Info response', data)
    const sdrVersion = r.u8()
    const recordCount = r.u16()
    const freeSpaceBytes = r.u16()
    const lastAdditionTimestamp = r.u32()
    const lastEraseTimestamp = r.u32()
    const ops = r.u8()
    return {
      sdrVersion,
      recordCount,
      freeSpaceBytes,
      lastAdditionTimestamp,
      lastEraseTimestamp,
      overflow: (ops & 0x80) !== 0,
      updateMode: ((ops >> 5) & 0x03) as SdrUpdateMode,
      deleteSdrSupported: (ops & 0x08) !== 0,
      partialAddSupported: (ops & 0x04) !== 0,
      reserveSupported: (ops & 0x02) !== 0,
      getAllocationInfoSupported: (ops & 0x01) !== 0,
    }
  },
}

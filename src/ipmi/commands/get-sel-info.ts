/**
 * Get SEL Info: IPMI v2.0 §31.2, Table 31-2. Entry count, free space, the
 * last add/erase timestamps and the supported operations. Pure codec.
 */
import { NetFn, type IpmiCommand } from '../command.js'
import { Reader } from '../bytes.js'

export interface SelInfo {
  /** SEL version, 51h for IPMI 1.5/2.0. */
  selVersion: number
  entries: number
  /** Free space in bytes; FFFFh = 65535 or more. */
  freeSpaceBytes: number
  /** Most recent addition, seconds since 1970 (or since BMC init when < 20000000h; FFFFFFFFh = none). */
  lastAdditionTimestamp: number
  lastEraseTimestamp: number
  /** b7: events were dropped because the SEL was full. */
  overflow: boolean
  deleteSupported: boolean
  partialAddSupported: boolean
  reserveSupported: boolean
  getAllocationInfoSupported: boolean
}

export const GetSelInfo: IpmiCommand<void, SelInfo> = {
  name: 'Get SEL Info',
  netFn: NetFn.Storage,
  cmd: 0x40,
  encode: () => Buffer.alloc(0),
  decode(data) {
    const r = new Reader('Get SEL Info response', data)
    const selVersion = r.u8()
    const entries = r.u16()
    const freeSpaceBytes = r.u16()
    const lastAdditionTimestamp = r.u32()
    const lastEraseTimestamp = r.u32()
    const ops = r.u8()
    return {
      selVersion,
      entries,
      freeSpaceBytes,
      lastAdditionTimestamp,
      lastEraseTimestamp,
      overflow: (ops & 0x80) !== 0,
      deleteSupported: (ops & 0x08) !== 0,
      partialAddSupported: (ops & 0x04) !== 0,
      reserveSupported: (ops & 0x02) !== 0,
      getAllocationInfoSupported: (ops & 0x01) !== 0,
    }
  },
}

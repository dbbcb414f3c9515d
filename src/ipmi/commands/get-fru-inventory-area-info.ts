/**
 * Get FRU Inventory Area Info: IPMI v2.0 §34.1, Table 34-2. The size of a FRU
 * device's inventory area and whether it is read by bytes or by words.
 * Pure codec. FRU device 0 is the BMC's own FRU; others come from FRU
 * Device Locator SDRs (logical FRU devices behind the BMC).
 */
import { NetFn, type IpmiCommand } from '../command.js'
import { Reader } from '../bytes.js'
import { checkRange } from './common.js'

export interface FruDeviceRequest {
  /** Logical FRU device ID, 0..254 (FFh reserved). */
  fruId: number
}

export interface FruInventoryAreaInfo {
  /** Area size in bytes. */
  sizeBytes: number
  /** Byte 4 b0: offsets and counts in Read FRU Data are in 16-bit words. */
  accessByWords: boolean
}

export const GetFruInventoryAreaInfo: IpmiCommand<FruDeviceRequest, FruInventoryAreaInfo> = {
  name: 'Get FRU Inventory Area Info',
  netFn: NetFn.Storage,
  cmd: 0x10,
  encode: (req) => Buffer.from([checkRange('fruId', req.fruId, 0, 0xfe)]),
  decode(data) {
    const r = new Reader('Get FRU Inventory Area Info response', data)
    const sizeBytes = r.u16()
    const access = r.u8()
    return { sizeBytes, accessByWords: (access & 0x01) !== 0 }
  },
}

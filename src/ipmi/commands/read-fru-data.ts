/**
 * Read FRU Data: IPMI v2.0 §34.2, Table 34-3. Up to 255 units of a FRU
 * inventory area from an offset. Pure codec; chunking, shrinking the chunk
 * on C7h/C8h/CAh and the word-access arithmetic are src/bmc/fru.ts.
 * Hazard: the response's count (in the device's access units) may be
 * smaller than asked, and the decoder cannot know the access unit: it keeps
 * every byte after the count, and fruDataBytes() takes the bytes the count
 * covers, failing with IPMI_DECODE_ERROR if fewer were sent.
 */
import { NetFn, type IpmiCommand } from '../command.js'
import { Reader } from '../bytes.js'
import { IpmiDecodeError } from '../errors.js'
import { checkRange } from './common.js'

export interface ReadFruDataRequest {
  fruId: number
  /** Offset in access units (bytes, or words for word-access devices). */
  offset: number
  /** Count in access units, 1..255. */
  count: number
}

export interface ReadFruDataResponse {
  /** Count returned, in access units. */
  count: number
  /** Everything after the count byte: count bytes, or 2 × count for word access (see fruDataBytes). */
  data: Buffer
}

export const ReadFruData: IpmiCommand<ReadFruDataRequest, ReadFruDataResponse> = {
  name: 'Read FRU Data',
  netFn: NetFn.Storage,
  cmd: 0x11,
  /** 81h: FRU device busy (Table 34-3). */
  ccMeanings: { 0x81: 'FRU device busy' },
  encode(req) {
    const b = Buffer.alloc(4)
    b[0] = checkRange('fruId', req.fruId, 0, 0xfe)
    b.writeUInt16LE(checkRange('offset', req.offset, 0, 0xffff), 1)
    b[3] = checkRange('count', req.count, 1, 0xff)
    return b
  },
  decode(data) {
    const r = new Reader('Read FRU Data response', data)
    const count = r.u8()
    return { count, data: r.rest() }
  },
}

/** The data bytes a response's count covers; throws IPMI_DECODE_ERROR when the BMC sent fewer. */
export function fruDataBytes(res: ReadFruDataResponse, accessByWords: boolean): Buffer {
  const n = accessByWords ? res.count * 2 : res.count
  if (res.data.length < n) throw new IpmiDecodeError('Read FRU Data response', 1, n, res.data.length, `count says ${n} bytes, ${res.data.length} sent`)
  return res.data.subarray(0, n)
}

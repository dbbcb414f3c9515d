/**
 * Get SEL Entry: IPMI v2.0 §31.5, Table 31-5. One SEL record (16 bytes,
 * decoded by ../sel-record.ts) and the ID of the next one (FFFFh after the
 * last). Pure codec. A whole-record read (offset 0, FFh) may use reservation
 * 0; partial reads need a reservation from Reserve SEL.
 */
import { NetFn, type IpmiCommand } from '../command.js'
import { Reader } from '../bytes.js'
import { checkRange } from './common.js'

/** Request record IDs: first entry, and last entry. */
export const SEL_FIRST_ENTRY = 0x0000
export const SEL_LAST_ENTRY = 0xffff
/** "Bytes to read" for the entire record. */
export const SEL_READ_ENTIRE_RECORD = 0xff

export interface GetSelEntryRequest {
  reservationId?: number
  recordId: number
  offset?: number
  count?: number
}

export interface GetSelEntryResponse {
  nextRecordId: number
  /** The record (or the requested slice of it), copied. */
  data: Buffer
}

export const GetSelEntry: IpmiCommand<GetSelEntryRequest, GetSelEntryResponse> = {
  name: 'Get SEL Entry',
  netFn: NetFn.Storage,
  cmd: 0x43,
  /** 81h: the SEL is being erased (Table 31-5). */
  ccMeanings: { 0x81: 'cannot execute command, SEL erase in progress' },
  encode(req) {
    const b = Buffer.alloc(6)
    b.writeUInt16LE(checkRange('reservationId', req.reservationId ?? 0, 0, 0xffff), 0)
    b.writeUInt16LE(checkRange('recordId', req.recordId, 0, 0xffff), 2)
    b[4] = checkRange('offset', req.offset ?? 0, 0, 0xff)
    b[5] = checkRange('count', req.count ?? SEL_READ_ENTIRE_RECORD, 1, 0xff)
    return b
  },
  decode(data) {
    const r = new Reader('Get SEL Entry response', data)
    const nextRecordId = r.u16()
    return { nextRecordId, data: r.rest() }
  },
}

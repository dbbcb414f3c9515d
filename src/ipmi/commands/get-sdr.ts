/**
 * Get SDR: IPMI v2.0 §33.12, Table 33-6. Reads all or part of one SDR record
 * and names the next record ID (FFFFh after the last). Pure codec: the walk,
 * partial reads on CAh and re-reservation on C5h are src/bmc/sdr.ts.
 * Hazards: offset/count other than 0/FFh need a valid reservation; with
 * FFh the BMC returns the whole record or CAh if it does not fit its buffer.
 */
import { NetFn, type IpmiCommand } from '../command.js'
import { Reader } from '../bytes.js'
import { checkRange } from './common.js'

/** "Bytes to read" value meaning the entire record. */
export const SDR_READ_ENTIRE_RECORD = 0xff
/** Next-record value after the last record, and "last record" as a request ID. */
export const SDR_LAST_RECORD_ID = 0xffff
/** Every SDR starts with this header: record ID (2), SDR version, type, remaining length (IPMI v2.0 §43, Table 43-1 bytes 1-5). */
export const SDR_HEADER_LENGTH = 5

export interface GetSdrRequest {
  /** 0 only for reads of whole records from offset 0. */
  reservationId: number
  /** 0 = first record. */
  recordId: number
  /** Byte offset into the record, header included. */
  offset: number
  /** Bytes to read; FFh = entire record. */
  count: number
}

export interface GetSdrResponse {
  nextRecordId: number
  /** The requested slice of the record (copied). */
  data: Buffer
}

export const GetSdr: IpmiCommand<GetSdrRequest, GetSdrResponse> = {
  name: 'Get SDR',
  netFn: NetFn.Storage,
  cmd: 0x23,
  encode(req) {
    const b = Buffer.alloc(6)
    b.writeUInt16LE(checkRange('reservationId', req.reservationId, 0, 0xffff), 0)
    b.writeUInt16LE(checkRange('recordId', req.recordId, 0, 0xffff), 2)
    b[4] = checkRange('offset', req.offset, 0, 0xff)
    b[5] = checkRange('count', req.count, 1, 0xff)
    return b
  },
  decode(data) {
    const r = new Reader('Get SDR response', data)
    const nextRecordId = r.u16()
    return { nextRecordId, data: r.rest() }
  },
}

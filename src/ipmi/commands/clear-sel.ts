/**
 * Clear SEL: IPMI v2.0 §31.9, Table 31-9. Starts an erase (AAh) or asks for
 * its progress (00h); both need the current SEL reservation and the bytes
 * 'C' 'L' 'R' as a guard against stray requests. Pure codec: reserving and
 * polling until the erase completes is src/bmc/sel.ts.
 */
import { NetFn, type IpmiCommand } from '../command.js'
import { Reader } from '../bytes.js'
import { checkRange } from './common.js'

export const ClearSelAction = { GetStatus: 0x00, InitiateErase: 0xaa } as const
export type ClearSelAction = (typeof ClearSelAction)[keyof typeof ClearSelAction]

export interface ClearSelRequest {
  reservationId: number
  action: ClearSelAction
}

export interface ClearSelResponse {
  /** b3:0 erasure progress: 1h completed, 0h in progress. */
  completed: boolean
}

export const ClearSel: IpmiCommand<ClearSelRequest, ClearSelResponse> = {
  name: 'Clear SEL',
  netFn: NetFn.Storage,
  cmd: 0x47,
  encode(req) {
    const b = Buffer.alloc(6)
    b.writeUInt16LE(checkRange('reservationId', req.reservationId, 0, 0xffff), 0)
    b.write('CLR', 2, 'latin1')
    if (req.action !== ClearSelAction.GetStatus && req.action !== ClearSelAction.InitiateErase) {
      throw new RangeError(`action must be 0x00 or 0xAA, got ${String(req.action)}`)
    }
    b[5] = req.action
    return b
  },
  decode(data) {
    return { completed: (new Reader('Clear SEL response', data).u8() & 0x0f) === 0x01 }
  },
}

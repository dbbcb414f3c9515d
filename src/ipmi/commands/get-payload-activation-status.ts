/**
 * Get Payload Activation Status: IPMI v2.0 §24.4, Table 24-6. How many
 * instances of a payload type the BMC can run and which are active.
 * Pure codec. QUIRK(various): some BMCs report stale status here (FreeIPMI
 * "solstatus"), so do not treat "inactive" as proof that activation will work.
 */
import { NetFn, type IpmiCommand } from '../command.js'
import { Reader } from '../bytes.js'
import { PayloadType, checkRange } from './common.js'

export interface GetPayloadActivationStatusRequest {
  /** Payload type; default SOL (0x01). */
  payloadType?: number
}

export interface GetPayloadActivationStatusResponse {
  /** Byte 1 b3:0: instances that can be active at once (1-based count). */
  instanceCapacity: number
  /** Active instance numbers (1..16), from the bitmap in bytes 2-3 (bit 0 = instance 1). */
  activeInstances: number[]
}

export const GetPayloadActivationStatus: IpmiCommand<GetPayloadActivationStatusRequest, GetPayloadActivationStatusResponse> = {
  name: 'Get Payload Activation Status',
  netFn: NetFn.App,
  cmd: 0x4a,
  encode: (req) => Buffer.from([checkRange('payloadType', req.payloadType ?? PayloadType.Sol, 0, 0x3f)]),
  decode(data) {
    const r = new Reader('Get Payload Activation Status response', data)
    const capacity = r.u8() & 0x0f
    const bitmap = r.u16()
    const activeInstances: number[] = []
    for (let i = 0; i < 16; i++) if ((bitmap & (1 << i)) !== 0) activeInstances.push(i + 1)
    return { instanceCapacity: capacity, activeInstances }
  },
}

/**
 * Get Payload Instance Info: IPMI v2.0 §24.5, Table 24-7. Which session owns
 * a payload instance. pyghmi sends it as the keepalive while SOL is active
 * ([0x01, 0x01]) and treats a different owner as "SOL deactivated".
 * Pure codec. The owner is the BMC's managed system session ID (the ID we
 * send in our headers), 0 when the instance is not active.
 */
import { NetFn, type IpmiCommand } from '../command.js'
import { Reader } from '../bytes.js'
import { PayloadType, checkRange } from './common.js'

export interface GetPayloadInstanceInfoRequest {
  /** Payload type; default SOL (0x01). */
  payloadType?: number
  /** Payload instance, 1..15. */
  instance: number
}

export interface GetPayloadInstanceInfoResponse {
  /** Bytes 1-4 LE: managed system session ID that activated the instance; 0 = not active. */
  managedSystemSessionId: number
  /**
   * SOL: payload-specific byte 1, the system serial port being redirected
   * (1-based, 0 = unspecified). Absent when the BMC sent only the ID.
   */
  portNumber?: number
  /** The 8 payload-specific bytes (5-12) as sent; may be shorter on some BMCs. */
  payloadSpecific: Buffer
}

export const GetPayloadInstanceInfo: IpmiCommand<GetPayloadInstanceInfoRequest, GetPayloadInstanceInfoResponse> = {
  name: 'Get Payload Instance Info',
  netFn: NetFn.App,
  cmd: 0x4b,
  encode: (req) => Buffer.from([checkRange('payloadType', req.payloadType ?? PayloadType.Sol, 0, 0x3f), checkRange('instance', req.instance, 1, 0x0f)]),
  decode(data) {
    const r = new Reader('Get Payload Instance Info response', data)
    const managedSystemSessionId = r.u32()
    const payloadSpecific = r.rest()
    const out: GetPayloadInstanceInfoResponse = { managedSystemSessionId, payloadSpecific }
    const port = payloadSpecific[0]
    if (port !== undefined) out.portNumber = port
    return out
  },
}

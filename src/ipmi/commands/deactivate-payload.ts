/**
 * Deactivate Payload: IPMI v2.0 §24.2, Table 24-3. Stops a payload instance;
 * the response is the completion code only. Pure codec.
 * Send it before Close Session, or the BMC may keep the SOL slot taken and
 * the next activation gets 0x80. 0x80 here ("already deactivated") is a
 * benign outcome for a shutdown path; ipmi_sim answers it when the
 * activating session has already closed, since it deactivates SOL on close.
 */
import { NetFn, type IpmiCommand } from '../command.js'
import { PayloadType, checkRange } from './common.js'

export interface DeactivatePayloadRequest {
  /** Payload type b5:0; default SOL (0x01). */
  payloadType?: number
  /** Payload instance b3:0, 1..15. */
  instance: number
}

export const DeactivatePayload: IpmiCommand<DeactivatePayloadRequest, void> = {
  name: 'Deactivate Payload',
  netFn: NetFn.App,
  cmd: 0x49,
  ccMeanings: {
    0x80: 'payload already deactivated',
    0x81: 'payload type is disabled',
  },
  encode(req) {
    // Bytes 3-6: payload auxiliary data, all reserved for SOL.
    return Buffer.from([checkRange('payloadType', req.payloadType ?? PayloadType.Sol, 0, 0x3f), checkRange('instance', req.instance, 1, 0x0f), 0, 0, 0, 0])
  },
  decode: () => undefined,
}

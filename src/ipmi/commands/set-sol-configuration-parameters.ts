/**
 * Set SOL Configuration Parameters: IPMI v2.0 §26.2, Table 26-3 (parameters
 * in Table 26-5). Transport netFn. Generic: the caller supplies the
 * parameter data bytes. Pure codec; the response is the completion code only.
 * ipmitool wraps writes in parameter 0 "set in progress" (its "guard"), and
 * carries on when a BMC does not support that.
 */
import { NetFn, type IpmiCommand } from '../command.js'
import { CURRENT_CHANNEL, checkChannel, checkRange } from './common.js'

export interface SetSolConfigurationParametersRequest {
  /** Channel number b3:0; default 0x0E = this channel. */
  channel?: number
  /** Parameter selector (SolParameter). */
  parameter: number
  /** Parameter data as Table 26-5 lays it out. */
  data: Uint8Array
}

export const SetSolConfigurationParameters: IpmiCommand<SetSolConfigurationParametersRequest, void> = {
  name: 'Set SOL Configuration Parameters',
  netFn: NetFn.Transport,
  cmd: 0x21,
  ccMeanings: {
    0x80: 'parameter not supported',
    0x81: "attempt to set 'set in progress' when not in 'set complete' state",
    0x82: 'attempt to write read-only parameter',
  },
  encode(req) {
    const head = Buffer.from([checkChannel(req.channel ?? CURRENT_CHANNEL), checkRange('parameter', req.parameter, 0, 0xff)])
    return Buffer.concat([head, req.data])
  },
  decode: () => undefined,
}

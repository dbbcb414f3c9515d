/**
 * Get SOL Configuration Parameters: IPMI v2.0 §26.3, Table 26-4 (parameters
 * in Table 26-5, selectors in sol-configuration-parameters.ts). Transport
 * netFn. Generic: the parameter data comes back as bytes. Pure codec.
 * QUIRK(ipmi_sim): it ignores the "revision only" bit and sends data anyway.
 */
import { NetFn, type IpmiCommand } from '../command.js'
import { Reader } from '../bytes.js'
import { CURRENT_CHANNEL, checkChannel, checkRange } from './common.js'

export interface GetSolConfigurationParametersRequest {
  /** Channel number b3:0; default 0x0E = this channel. */
  channel?: number
  /** Byte 1 b7: return only the parameter revision, no data. */
  revisionOnly?: boolean
  /** Parameter selector (SolParameter; 192..255 are OEM). */
  parameter: number
  /** Set selector (default 0). */
  setSelector?: number
  /** Block selector (default 0). */
  blockSelector?: number
}

export interface GetSolConfigurationParametersResponse {
  /** b7:4 present revision, b3:0 oldest compatible revision; 0x11 in IPMI v2.0. */
  parameterRevision: number
  /** Parameter data; empty when revisionOnly was asked. */
  data: Buffer
}

export const GetSolConfigurationParameters: IpmiCommand<GetSolConfigurationParametersRequest, GetSolConfigurationParametersResponse> = {
  name: 'Get SOL Configuration Parameters',
  netFn: NetFn.Transport,
  cmd: 0x22,
  ccMeanings: { 0x80: 'parameter not supported' },
  encode(req) {
    return Buffer.from([
      (req.revisionOnly === true ? 0x80 : 0) | checkChannel(req.channel ?? CURRENT_CHANNEL),
      checkRange('parameter', req.parameter, 0, 0xff),
      checkRange('setSelector', req.setSelector ?? 0, 0, 0xff),
      checkRange('blockSelector', req.blockSelector ?? 0, 0, 0xff),
    ])
  },
  decode(data) {
    const r = new Reader('Get SOL Configuration Parameters response', data)
    const parameterRevision = r.u8()
    return { parameterRevision, data: r.rest() }
  },
}

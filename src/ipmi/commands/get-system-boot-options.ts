/**
 * Get System Boot Options: IPMI v2.0 §28.13; parameters in Table 28-14 (typed
 * codecs in boot-option-parameters.ts). Generic: returns the parameter data as
 * bytes; decodeBootFlags and friends give them shape. Pure codec.
 * QUIRK(ipmi_sim): 2.0.33 answers parameter 4 with no data at all, and
 * parameters 0 and 3 with 0xCC; only parameter 5 reads back usefully.
 */
import { NetFn, type IpmiCommand } from '../command.js'
import { Reader } from '../bytes.js'
import { checkRange } from './common.js'
import { BootOptionParameter, decodeBootFlags, type BootFlags } from './boot-option-parameters.js'

export interface GetSystemBootOptionsRequest {
  /** Parameter selector, b6:0 (BootOptionParameter). */
  parameter: number
  /** Set selector (default 0; used by multi-set parameters such as the mailbox). */
  setSelector?: number
  /** Block selector (default 0). */
  blockSelector?: number
}

export interface GetSystemBootOptionsResponse {
  /** Parameter version, b3:0 (1 for IPMI v2.0). */
  parameterVersion: number
  /** Parameter selector echoed, b6:0. */
  parameter: number
  /** b7 of the selector byte: the parameter is marked invalid / locked. */
  invalidOrLocked: boolean
  /** Parameter data; may be empty. */
  data: Buffer
}

export const GetSystemBootOptions: IpmiCommand<GetSystemBootOptionsRequest, GetSystemBootOptionsResponse> = {
  name: 'Get System Boot Options',
  netFn: NetFn.Chassis,
  cmd: 0x09,
  ccMeanings: { 0x80: 'parameter not supported' },
  encode(req) {
    return Buffer.from([
      checkRange('parameter', req.parameter, 0, 0x7f),
      checkRange('setSelector', req.setSelector ?? 0, 0, 0xff),
      checkRange('blockSelector', req.blockSelector ?? 0, 0, 0xff),
    ])
  },
  decode(data) {
    const r = new Reader('Get System Boot Options response', data)
    const version = r.u8()
    const sel = r.u8()
    return { parameterVersion: version & 0x0f, parameter: sel & 0x7f, invalidOrLocked: (sel & 0x80) !== 0, data: r.rest() }
  },
}

/**
 * The boot flags from a parameter-5 answer, or undefined when there is no
 * override in force: pyghmi's rule, "selector b7 set or valid bit clear"
 * means default boot. Note that some BMCs (ipmi_sim) never report the valid
 * bit; callers that must know the device anyway can use decodeBootFlags.
 */
export function bootOverrideFrom(res: GetSystemBootOptionsResponse): BootFlags | undefined {
  if (res.parameter !== BootOptionParameter.BootFlags) {
    throw new RangeError(`expected boot options parameter 5, got ${res.parameter}`)
  }
  const flags = decodeBootFlags(res.data)
  return res.invalidOrLocked || !flags.valid ? undefined : flags
}

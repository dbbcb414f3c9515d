/**
 * Chassis Identify: IPMI v2.0 §28.5. Lights the identify LED (or beeps) for a
 * number of seconds, or until turned off. Response: completion code only.
 * Both request bytes are optional: with none the BMC uses its default (15 s);
 * interval 0 turns identify off; "force on" (byte 2 b0) keeps it on
 * indefinitely and is not supported by every BMC, so it is sent only when asked
 * (ipmitool does the same). pyghmi clamps the interval to 0..255; we reject.
 * QUIRK(ipmi_sim): 2.0.33 answers with 19 bytes of uninitialised data; the
 * response carries nothing by spec, so decode ignores whatever comes.
 */
import { NetFn, type IpmiCommand } from '../command.js'
import { checkRange } from './common.js'

export interface ChassisIdentifyRequest {
  /** Seconds to identify, 0..255; 0 = off. Omit for the BMC default (15 s). */
  intervalSeconds?: number
  /** Byte 2 b0: identify on indefinitely (overrides the interval). */
  forceOn?: boolean
}

export const ChassisIdentify: IpmiCommand<ChassisIdentifyRequest, void> = {
  name: 'Chassis Identify',
  netFn: NetFn.Chassis,
  cmd: 0x04,
  encode(req) {
    if (req.forceOn === true) return Buffer.from([checkRange('intervalSeconds', req.intervalSeconds ?? 0, 0, 255), 0x01])
    if (req.intervalSeconds === undefined) return Buffer.alloc(0)
    return Buffer.from([checkRange('intervalSeconds', req.intervalSeconds, 0, 255)])
  },
  decode: () => undefined,
}

/**
 * Set User Payload Access: IPMI v2.0 §24.6, Table 24-8. Lets a user activate
 * payloads (SOL) on a channel; some BMCs need it before SOL works for a new
 * user. Layout checked against ipmitool `sol payload enable|disable`, which
 * sends 6 bytes with only the SOL bit set. Pure codec; no response data.
 * Hazard: the operation applies only to the payloads whose bits are 1; bits
 * left 0 are unchanged, so "disable SOL" is operation disable + SOL bit set.
 */
import { NetFn, type IpmiCommand } from '../command.js'
import { bit, checkChannel, checkRange, checkUserId } from './common.js'

/** Byte 2 b7:6. */
export const PayloadAccessOperation = { Enable: 0, Disable: 1 } as const
export type PayloadAccessOperation = (typeof PayloadAccessOperation)[keyof typeof PayloadAccessOperation]

export interface SetUserPayloadAccessRequest {
  /** Channel number b3:0. */
  channel: number
  /** User ID b5:0, 1..63. */
  userId: number
  operation: PayloadAccessOperation
  /** Byte 3 b1: standard payload 1, SOL. */
  sol?: boolean
  /** Byte 5 b7:0: OEM payload types 0x20..0x27 (bit n = type 0x20 + n). */
  oemPayloads?: number
}

export const SetUserPayloadAccess: IpmiCommand<SetUserPayloadAccessRequest, void> = {
  name: 'Set User Payload Access',
  netFn: NetFn.App,
  cmd: 0x4c,
  encode(req) {
    const oem = req.oemPayloads ?? 0
    if (!Number.isInteger(oem) || oem < 0 || oem > 0xff) throw new RangeError(`oemPayloads must be a byte, got ${oem}`)
    return Buffer.from([
      checkChannel(req.channel),
      (checkRange('operation', req.operation, 0, 1) << 6) | checkUserId(req.userId),
      bit(req.sol, 1), // b7:2 standard payloads 2..7 are reserved, b0 reserved
      0x00, // standard payloads 8..15: reserved
      oem,
      0x00, // OEM payloads 8..15: reserved
    ])
  },
  decode: () => undefined,
}

/**
 * Set User Password: IPMI v2.0 §22.30. Four operations: disable user, enable
 * user, set password, test password. Pure codec; no response data (the test
 * result is the completion code: 0x80 wrong password, 0x81 wrong size).
 * Hazards: passwords over 16 bytes need the 20-byte form, flagged by byte 1
 * b7; a BMC remembers which form was used and the test operation must use the
 * same one. pyghmi's 2019 code padded to 20 without b7, a latent bug.
 * The password field is sent for enable/disable too (zeros), as ipmitool
 * does; the spec ignores it there and pyghmi omits it. ipmi_sim takes both.
 * QUIRK(ipmi_sim): 2.0.33 answers "test password" with 0x00 even when wrong.
 */
import { NetFn, type IpmiCommand } from '../command.js'
import { checkUserId, padField } from './common.js'

/** Byte 2 b1:0. */
export const PasswordOperation = {
  DisableUser: 0x00,
  EnableUser: 0x01,
  SetPassword: 0x02,
  TestPassword: 0x03,
} as const
export type PasswordOperation = (typeof PasswordOperation)[keyof typeof PasswordOperation]

export interface SetUserPasswordRequest {
  /** User ID b5:0, 1..63. */
  userId: number
  operation: PasswordOperation
  /** Required for set and test; at most 20 bytes. Never logged. */
  password?: string | Uint8Array
  /** Field size. Default: 16, or 20 when the password is longer than 16 bytes. */
  size?: 16 | 20
}

export const SetUserPassword: IpmiCommand<SetUserPasswordRequest, void> = {
  name: 'Set User Password',
  netFn: NetFn.App,
  cmd: 0x47,
  ccMeanings: {
    0x80: 'password test failed: wrong password',
    0x81: 'password test failed: wrong password size',
  },
  encode(req) {
    const op = req.operation
    if (!Object.values(PasswordOperation).includes(op)) throw new RangeError(`unknown password operation ${String(op)}`)
    const needsPassword = op === PasswordOperation.SetPassword || op === PasswordOperation.TestPassword
    if (needsPassword && req.password === undefined) throw new RangeError('set and test password need a password')
    const pw = req.password ?? ''
    const length = typeof pw === 'string' ? Buffer.byteLength(pw, 'utf8') : pw.length
    const size = req.size ?? (length > 16 ? 20 : 16)
    // Error text gives sizes only: the password itself must never reach a message.
    const field = padField('password', pw, size)
    return Buffer.concat([Buffer.from([(size === 20 ? 0x80 : 0) | checkUserId(req.userId), op]), field])
  },
  decode: () => undefined,
}

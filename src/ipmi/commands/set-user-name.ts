/**
 * Set User Name: IPMI v2.0 §22.28. 16 bytes, NUL-padded; longer names are
 * rejected here rather than cut, because a cut name would not match the name
 * the user later logs in with (RAKP hashes the exact bytes). Pure codec; the
 * response is the completion code only. User 1 is usually a fixed null name.
 */
import { NetFn, type IpmiCommand } from '../command.js'
import { checkUserId, padField } from './common.js'
import { USER_NAME_BYTES } from './get-user-name.js'

export interface SetUserNameRequest {
  /** User ID b5:0, 1..63. */
  userId: number
  /** At most 16 bytes once UTF-8 encoded. */
  name: string
}

export const SetUserName: IpmiCommand<SetUserNameRequest, void> = {
  name: 'Set User Name',
  netFn: NetFn.App,
  cmd: 0x45,
  encode: (req) => Buffer.concat([Buffer.from([checkUserId(req.userId)]), padField('name', req.name, USER_NAME_BYTES)]),
  decode: () => undefined,
}

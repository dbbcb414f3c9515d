/**
 * Get User Name: IPMI v2.0 §22.29. The name is a 16-byte NUL-padded field;
 * an unset slot reads as all zeros (empty name). Pure codec.
 * QUIRK(ipmi_sim): user 1 (the anonymous/null user) answers 0xCC.
 */
import { NetFn, type IpmiCommand } from '../command.js'
import { Reader } from '../bytes.js'
import { checkUserId, unpadField } from './common.js'

export const USER_NAME_BYTES = 16

export interface GetUserNameRequest {
  /** User ID b5:0, 1..63. */
  userId: number
}

export interface GetUserNameResponse {
  /** The name up to the first NUL (UTF-8; BMCs store ASCII). */
  name: string
}

export const GetUserName: IpmiCommand<GetUserNameRequest, GetUserNameResponse> = {
  name: 'Get User Name',
  netFn: NetFn.App,
  cmd: 0x46,
  encode: (req) => Buffer.from([checkUserId(req.userId)]),
  decode(data) {
    return { name: unpadField(new Reader('Get User Name response', data).bytes(USER_NAME_BYTES)) }
  },
}

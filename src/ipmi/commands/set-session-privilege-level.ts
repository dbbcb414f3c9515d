/**
 * Set Session Privilege Level: IPMI v2.0 §22.18. Sent once a session is
 * active: RMCP+ sessions start at User level whatever Open Session asked for.
 * Pure codec. pyghmi falls back from Administrator to Operator on 0x80/0x81;
 * that policy belongs to the session layer, which sees the cc on the error.
 */
import { NetFn, type IpmiCommand } from '../command.js'
import { Reader } from '../bytes.js'
import { checkRange, type PrivilegeLevel } from './common.js'

export interface SetSessionPrivilegeLevelRequest {
  /** Requested level (b3:0); 0 = no change, just report the present level. */
  privilege: PrivilegeLevel | 0
}

export interface SetSessionPrivilegeLevelResponse {
  /** New privilege level, or the present one when 0 was requested (b3:0). */
  privilege: number
}

export const SetSessionPrivilegeLevel: IpmiCommand<SetSessionPrivilegeLevelRequest, SetSessionPrivilegeLevelResponse> = {
  name: 'Set Session Privilege Level',
  netFn: NetFn.App,
  cmd: 0x3b,
  ccMeanings: {
    0x80: 'requested level not available for this user',
    0x81: 'requested level exceeds channel and/or user privilege limit',
    0x82: 'cannot disable user level authentication',
  },
  encode: (req) => Buffer.from([checkRange('privilege', req.privilege, 0, 5)]),
  decode(data) {
    const r = new Reader('Set Session Privilege Level response', data)
    return { privilege: r.u8() & 0x0f }
  },
}

/**
 * Set User Access: IPMI v2.0 §22.26. Sets a user's privilege limit on one
 * channel, and optionally its callback / link auth / messaging bits. Pure
 * codec; the response is the completion code only.
 * Hazard: the three access bits are written only when byte 1 b7 ("change
 * bits") is set; without it only the privilege limit (and session limit)
 * change. So this encoder sets b7 exactly when any of the three is given, and
 * then all three are written (missing ones as false).
 */
import { NetFn, type IpmiCommand } from '../command.js'
import { bit, checkChannel, checkRange, checkUserId, type PrivilegeLevel } from './common.js'

export interface SetUserAccessRequest {
  /** Channel number b3:0; 0x0E = this channel. */
  channel: number
  /** User ID b5:0, 1..63. */
  userId: number
  /** Byte 3 b3:0: privilege limit; PrivilegeLevel.NoAccess (0x0F) removes access. */
  privilegeLimit: PrivilegeLevel
  /** Byte 1 b6: restrict to callback connections. */
  callbackOnly?: boolean
  /** Byte 1 b5: enable link authentication. */
  linkAuth?: boolean
  /** Byte 1 b4: enable IPMI messaging (a LAN user needs it to log in). */
  ipmiMessaging?: boolean
  /** Optional byte 4 b3:0: simultaneous session limit for this user (0 = BMC maximum). */
  sessionLimit?: number
}

export const SetUserAccess: IpmiCommand<SetUserAccessRequest, void> = {
  name: 'Set User Access',
  netFn: NetFn.App,
  cmd: 0x43,
  encode(req) {
    const change = req.callbackOnly !== undefined || req.linkAuth !== undefined || req.ipmiMessaging !== undefined
    const b1 = bit(change, 7) | bit(req.callbackOnly, 6) | bit(req.linkAuth, 5) | bit(req.ipmiMessaging, 4) | checkChannel(req.channel)
    const priv = checkRange('privilegeLimit', req.privilegeLimit, 1, 0x0f)
    const out = [b1, checkUserId(req.userId), priv]
    if (req.sessionLimit !== undefined) out.push(checkRange('sessionLimit', req.sessionLimit, 0, 0x0f))
    return Buffer.from(out)
  },
  decode: () => undefined,
}

/**
 * Get User Access: IPMI v2.0 §22.27. A user's access on one channel, plus the
 * channel's user counts. Pure codec. Needs Operator privilege (Administrator
 * on some BMCs). A user ID past the maximum gets 0xCC (invalid data field).
 */
import { NetFn, type IpmiCommand } from '../command.js'
import { Reader } from '../bytes.js'
import { checkChannel, checkUserId } from './common.js'

export interface GetUserAccessRequest {
  /** Channel number b3:0; 0x0E = this channel. */
  channel: number
  /** User ID b5:0, 1..63. */
  userId: number
}

/** Byte 2 b7:6: how the user ID was last enabled (IPMI v2.0 errata 3 and later). */
export const UserEnableStatus = {
  /** 00b: pre-errata-3 BMC, status not reported. */
  Unspecified: 0,
  /** 01b: enabled via Set User Password. */
  Enabled: 1,
  /** 10b: disabled via Set User Password. */
  Disabled: 2,
  Reserved: 3,
} as const
export type UserEnableStatus = (typeof UserEnableStatus)[keyof typeof UserEnableStatus]

export interface GetUserAccessResponse {
  /** Byte 1 b5:0: maximum number of user IDs on this channel, counting user 1. */
  maxUserIds: number
  /** Byte 2 b7:6. */
  enableStatus: UserEnableStatus
  /** Byte 2 b5:0: how many user IDs are enabled on this channel. */
  enabledUserIds: number
  /** Byte 3 b5:0: how many user IDs have fixed names, counting user 1. */
  fixedNameUserIds: number
  /** Byte 4 b6: access only during a callback connection. */
  callbackOnly: boolean
  /** Byte 4 b5: enabled for link authentication. */
  linkAuthEnabled: boolean
  /** Byte 4 b4: enabled for IPMI messaging (needed for LAN login). */
  ipmiMessagingEnabled: boolean
  /** Byte 4 b3:0: privilege limit on this channel (PrivilegeLevel; 0x0F = no access). */
  privilegeLimit: number
}

export const GetUserAccess: IpmiCommand<GetUserAccessRequest, GetUserAccessResponse> = {
  name: 'Get User Access',
  netFn: NetFn.App,
  cmd: 0x44,
  encode: (req) => Buffer.from([checkChannel(req.channel), checkUserId(req.userId)]),
  decode(data) {
    const r = new Reader('Get User Access response', data)
    const max = r.u8()
    const enabled = r.u8()
    const fixed = r.u8()
    const access = r.u8()
    return {
      maxUserIds: max & 0x3f,
      enableStatus: (enabled >> 6) as UserEnableStatus,
      enabledUserIds: enabled & 0x3f,
      fixedNameUserIds: fixed & 0x3f,
      callbackOnly: (access & 0x40) !== 0,
      linkAuthEnabled: (access & 0x20) !== 0,
      ipmiMessagingEnabled: (access & 0x10) !== 0,
      privilegeLimit: access & 0x0f,
    }
  },
}

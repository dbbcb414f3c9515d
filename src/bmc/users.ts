/**
 * BMC user accounts (IPMI v2.0 §22.26-§22.30): list them with their
 * per-channel access, and create or change one (name, password, privilege,
 * enabled). DESIGN lesson 9: bmcvisor's own credential set serves every
 * protocol; this adds human-friendly accounts when an operator wants them.
 */
import { GetUserAccess, UserEnableStatus } from '../ipmi/commands/get-user-access.js'
import { GetUserName } from '../ipmi/commands/get-user-name.js'
import { SetUserAccess } from '../ipmi/commands/set-user-access.js'
import { SetUserName } from '../ipmi/commands/set-user-name.js'
import { PasswordOperation, SetUserPassword } from '../ipmi/commands/set-user-password.js'
import { PayloadAccessOperation, SetUserPayloadAccess } from '../ipmi/commands/set-user-payload-access.js'
import { CURRENT_CHANNEL, PrivilegeLevel } from '../ipmi/commands/common.js'
import { IpmiError } from '../ipmi/errors.js'
import type { CommandRunner } from './runner.js'

export type UserPrivilege = 'callback' | 'user' | 'operator' | 'administrator' | 'oem' | 'no_access'

const PRIVILEGE_BY_NAME: Record<UserPrivilege, PrivilegeLevel> = {
  callback: PrivilegeLevel.Callback,
  user: PrivilegeLevel.User,
  operator: PrivilegeLevel.Operator,
  administrator: PrivilegeLevel.Administrator,
  oem: PrivilegeLevel.Oem,
  no_access: PrivilegeLevel.NoAccess,
}
export const USER_PRIVILEGES = Object.keys(PRIVILEGE_BY_NAME) as UserPrivilege[]

export function privilegeName(level: number): UserPrivilege | 'unknown' {
  for (const [name, v] of Object.entries(PRIVILEGE_BY_NAME)) if (v === level) return name as UserPrivilege
  return 'unknown'
}

export interface BmcUser {
  id: number
  name: string
  enabled: boolean | null
  privilege: UserPrivilege | 'unknown'
  ipmiMessaging: boolean
  linkAuth: boolean
  callbackOnly: boolean
  channel: number
}

export async function listUsers(r: CommandRunner, channel = CURRENT_CHANNEL): Promise<BmcUser[]> {
  const first = await r.run(GetUserAccess, { channel, userId: 1 })
  const users: BmcUser[] = []
  for (let id = 1; id <= first.maxUserIds; id++) {
    const access = id === 1 ? first : await r.run(GetUserAccess, { channel, userId: id })
    const name = await r.run(GetUserName, { userId: id }).then((n) => n.name, (e: unknown) => {
      // 0xCC / 0xCB: an ID without a name slot on some BMCs.
      if (e instanceof IpmiError && e.code === 'BMC_COMMAND_FAILED') return ''
      throw e
    })
    users.push({
      id,
      name,
      enabled: access.enableStatus === UserEnableStatus.Enabled ? true : access.enableStatus === UserEnableStatus.Disabled ? false : null,
      privilege: privilegeName(access.privilegeLimit),
      ipmiMessaging: access.ipmiMessagingEnabled,
      linkAuth: access.linkAuthEnabled,
      callbackOnly: access.callbackOnly,
      channel,
    })
  }
  return users
}

export interface UserChange {
  name?: string
  /** 1..20 bytes; more than 16 uses the 20-byte form. */
  password?: string
  privilege?: UserPrivilege
  enabled?: boolean
  /** Also grant SOL payload access (Set User Payload Access); some BMCs need it for consoles. */
  sol?: boolean
  channel?: number
}

/** Applies the given changes in a safe order: name, password, access, then enable. */
export async function setUser(r: CommandRunner, id: number, c: UserChange): Promise<{ id: number; changed: string[] }> {
  const channel = c.channel ?? CURRENT_CHANNEL
  const changed: string[] = []
  if (c.name !== undefined) {
    await r.run(SetUserName, { userId: id, name: c.name })
    changed.push('name')
  }
  if (c.password !== undefined) {
    const size = Buffer.byteLength(c.password) > 16 ? 20 : 16
    await r.run(SetUserPassword, { userId: id, operation: PasswordOperation.SetPassword, password: c.password, size })
    changed.push('password')
  }
  if (c.privilege !== undefined) {
    const level = PRIVILEGE_BY_NAME[c.privilege]
    const access = level !== PrivilegeLevel.NoAccess
    await r.run(SetUserAccess, { channel, userId: id, privilegeLimit: level, ipmiMessaging: access, linkAuth: access, callbackOnly: false })
    changed.push('privilege')
  }
  if (c.sol !== undefined) {
    await r.run(SetUserPayloadAccess, { channel, userId: id, operation: c.sol ? PayloadAccessOperation.Enable : PayloadAccessOperation.Disable, sol: true })
    changed.push('sol')
  }
  if (c.enabled !== undefined) {
    await r.run(SetUserPassword, { userId: id, operation: c.enabled ? PasswordOperation.EnableUser : PasswordOperation.DisableUser })
    changed.push('enabled')
  }
  return { id, changed }
}

/** Set User Password "test password": true when the BMC says the password matches. */
export async function testPassword(r: CommandRunner, id: number, password: string): Promise<boolean> {
  const size = Buffer.byteLength(password) > 16 ? 20 : 16
  try {
    await r.run(SetUserPassword, { userId: id, operation: PasswordOperation.TestPassword, password, size })
    return true
  } catch (e) {
    if (e instanceof IpmiError && e.code === 'BMC_COMMAND_FAILED' && (e.details.completionCode === 0x80 || e.details.completionCode === 0x81)) return false
    throw e
  }
}

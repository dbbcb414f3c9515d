/**
 * BMC accounts over Redfish (AccountService, ManagerAccount.v1) in the
 * shape of our IPMI user list (src/bmc/users.ts). Pure.
 * Roles: the predefined Administrator, Operator and ReadOnly are IPMI's
 * administrator, operator and user; other roles read `unknown` (roleId
 * keeps the BMC's word). IPMI's per-channel flags have no Redfish source:
 * ipmiMessaging is true when AccountTypes lists "IPMI", the others false,
 * and channel is 0.
 */
import { ServiceError } from '../errors.js'
import type { BmcUser, UserChange, UserPrivilege } from '../bmc/users.js'
import type { Doc } from './client.js'

/** Predefined Redfish roles (DSP0266 §13.2, Role.v1) and their IPMI privilege. */
export const ROLE_FOR: Readonly<Partial<Record<UserPrivilege, string>>> = {
  administrator: 'Administrator',
  operator: 'Operator',
  user: 'ReadOnly',
}

export interface RedfishUser extends BmcUser {
  /** The account's Id as the BMC names it (ours is its number). */
  accountId: string
  roleId: string | undefined
  locked: boolean | undefined
  accountTypes: string[]
}

export function privilegeOfRole(roleId: string | undefined): UserPrivilege | 'unknown' {
  for (const [priv, role] of Object.entries(ROLE_FOR)) if (role === roleId) return priv as UserPrivilege
  return 'unknown'
}

export function accountOf(doc: Doc, position: number): RedfishUser {
  const accountId = typeof doc.Id === 'string' ? doc.Id : String(position)
  const types = Array.isArray(doc.AccountTypes) ? doc.AccountTypes.filter((t): t is string => typeof t === 'string') : []
  const roleId = typeof doc.RoleId === 'string' ? doc.RoleId : undefined
  return {
    id: /^\d+$/.test(accountId) ? Number(accountId) : position,
    name: typeof doc.UserName === 'string' ? doc.UserName : '',
    enabled: typeof doc.Enabled === 'boolean' ? doc.Enabled : null,
    privilege: privilegeOfRole(roleId),
    ipmiMessaging: types.includes('IPMI'),
    linkAuth: false,
    callbackOnly: false,
    channel: 0,
    accountId,
    roleId,
    locked: typeof doc.Locked === 'boolean' ? doc.Locked : undefined,
    accountTypes: types,
  }
}

/** The ManagerAccount properties for a change, and the names of what changes (users.set's `changed`). */
export function accountPatch(c: UserChange): { body: Doc; changed: string[] } {
  if (c.sol !== undefined) {
    throw new ServiceError('BMC_NOT_SUPPORTED', 'Redfish accounts have no Serial-over-LAN payload access to grant (sol)', { details: { field: 'sol' } })
  }
  const body: Doc = {}
  const changed: string[] = []
  if (c.name !== undefined) {
    body.UserName = c.name
    changed.push('name')
  }
  if (c.password !== undefined) {
    body.Password = c.password
    changed.push('password')
  }
  if (c.privilege !== undefined) {
    const role = ROLE_FOR[c.privilege]
    if (role === undefined) {
      throw new ServiceError('BMC_NOT_SUPPORTED', `Redfish has no predefined role for privilege ${c.privilege} (administrator, operator, user)`, { details: { field: 'privilege' } })
    }
    body.RoleId = role
    changed.push('privilege')
  }
  if (c.enabled !== undefined) {
    body.Enabled = c.enabled
    changed.push('enabled')
  }
  return { body, changed }
}

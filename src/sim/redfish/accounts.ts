/**
 * AccountService (accounts and roles) and SessionService (sessions) of the
 * simulated BMC (DSP2046: AccountService, ManagerAccount, Role,
 * SessionService, Session). Accounts are the IPMI user table's slots: an
 * account made here logs in over RMCP+ too, and a user set with `ipmitool
 * user set` is an account here. Account Id = IPMI user ID.
 * Builders are pure; createAccount and patchAccount change the user table
 * and answer a typed result (the service turns failures into messages).
 * Limits follow IPMI: names up to 16 bytes, passwords up to 20 (IPMI v2.0
 * §22.28, §22.30); user 1 (the null user) is not an account.
 */
import { makeUser, Priv, stripNuls, type SimUser } from '../state.js'
import { ROLE_PRIVILEGE, ROLE_PRIVILEGES, ROLES, roleOf, type RoleId, type RedfishSession, type SessionTable } from './auth.js'
import type { MessageName } from './messages.js'
import { collection, link, PATHS, resource, status, type Doc } from './odata.js'
import type { RedfishView } from './view.js'

const MAX_NAME_BYTES = 16
const MAX_PASSWORD_BYTES = 20
/** The first user ID an account can take (1 is the null-name user). */
const FIRST_ACCOUNT_ID = 2
const SESSION_TIMEOUT_DEFAULT_S = 1800

export type Failure = { message: MessageName; args: (string | number)[] }
export type Outcome<T> = { ok: true; value: T } | ({ ok: false } & Failure)

function fail<T>(message: MessageName, ...args: (string | number)[]): Outcome<T> {
  return { ok: false, message, args }
}

export function isAccount(u: SimUser): boolean {
  return u.id >= FIRST_ACCOUNT_ID && u.name.length > 0
}

/** The account with this Id, or undefined. */
export function accountUser(v: RedfishView, id: string): SimUser | undefined {
  const u = /^\d+$/.test(id) ? v.bmc.users[Number(id)] : undefined
  return u !== undefined && isAccount(u) ? u : undefined
}

export function accountService(v: RedfishView): Doc {
  return resource('#AccountService.v1_12_0.AccountService', PATHS.accountService, {
    Id: 'AccountService', Name: 'Account Service', ServiceEnabled: true, Status: status('OK'),
    MinPasswordLength: 1, MaxPasswordLength: MAX_PASSWORD_BYTES, LocalAccountAuth: 'Enabled',
    MaxUsers: v.bmc.config.maxUsers - 1,
    Accounts: link(PATHS.accounts), Roles: link(PATHS.roles),
  })
}

export function accountsCollection(v: RedfishView): Doc {
  return collection('#ManagerAccountCollection.ManagerAccountCollection', PATHS.accounts, 'Accounts Collection',
    v.bmc.users.filter(isAccount).map((u) => `${PATHS.accounts}/${u.id}`))
}

export function account(v: RedfishView, id: string): Doc | undefined {
  const u = accountUser(v, id)
  if (u === undefined) return undefined
  const role = roleOf(u.privilege)
  return resource('#ManagerAccount.v1_10_0.ManagerAccount', `${PATHS.accounts}/${u.id}`, {
    Id: String(u.id), Name: 'User Account', UserName: u.name.toString('utf8'), Password: null,
    RoleId: role ?? 'NoAccess', Enabled: u.enabled, Locked: false, AccountTypes: ['Redfish', 'IPMI'],
    ...(role !== undefined ? { Links: { Role: link(`${PATHS.roles}/${role}`) } } : {}),
  })
}

export function rolesCollection(): Doc {
  return collection('#RoleCollection.RoleCollection', PATHS.roles, 'Roles Collection', ROLES.map((r) => `${PATHS.roles}/${r}`))
}

export function role(id: string): Doc | undefined {
  const r = ROLES.find((x) => x === id)
  if (r === undefined) return undefined
  return resource('#Role.v1_3_1.Role', `${PATHS.roles}/${r}`, { Id: r, Name: `${r} Role`, RoleId: r, IsPredefined: true, AssignedPrivileges: ROLE_PRIVILEGES[r] })
}

export function sessionService(v: RedfishView): Doc {
  return resource('#SessionService.v1_1_8.SessionService', PATHS.sessionService, {
    Id: 'SessionService', Name: 'Session Service', ServiceEnabled: true, Status: status('OK'),
    SessionTimeout: v.sessions.timeoutSeconds, MaxSessions: v.sessions.maxSessions, Sessions: link(PATHS.sessions),
  })
}

export function sessionsCollection(sessions: SessionTable): Doc {
  return collection('#SessionCollection.SessionCollection', PATHS.sessions, 'Session Collection', sessions.list().map((s) => `${PATHS.sessions}/${s.id}`))
}

export function session(s: RedfishSession): Doc {
  return resource('#Session.v1_6_0.Session', `${PATHS.sessions}/${s.id}`, { Id: s.id, Name: 'User Session', UserName: s.userName })
}

/** The idle timeout sessions get unless the fleet sets one (the SessionTimeout property, in ms). */
export const SESSION_IDLE_TIMEOUT_MS = SESSION_TIMEOUT_DEFAULT_S * 1000

export interface AccountFields {
  UserName?: unknown
  Password?: unknown
  RoleId?: unknown
  Enabled?: unknown
}
const WRITABLE = new Set(['UserName', 'Password', 'RoleId', 'Enabled'])
const READ_ONLY = new Set(['Id', 'Name', 'Description', 'Locked', 'AccountTypes', 'Links'])

/** Checks the writable fields' types and limits; a Failure names the first bad one. */
function validate(v: RedfishView, body: Record<string, unknown>, self: SimUser | undefined): Failure | undefined {
  for (const k of Object.keys(body)) {
    if (k.startsWith('@odata.')) continue
    if (!WRITABLE.has(k)) return { message: READ_ONLY.has(k) ? 'PropertyNotWritable' : 'PropertyUnknown', args: [k] }
  }
  const f = body as AccountFields
  if (f.UserName !== undefined) {
    if (typeof f.UserName !== 'string' || f.UserName === '') return { message: 'PropertyValueTypeError', args: [String(f.UserName), 'UserName'] }
    if (Buffer.byteLength(f.UserName) > MAX_NAME_BYTES) return { message: 'StringValueTooLong', args: ['UserName', MAX_NAME_BYTES] }
    const taken = v.bmc.users.find((u) => isAccount(u) && u.name.toString('utf8') === f.UserName && u !== self)
    if (taken !== undefined) return { message: 'ResourceAlreadyExists', args: ['ManagerAccount', 'UserName', f.UserName] }
  }
  if (f.Password !== undefined) {
    // The value is never echoed: it is a secret.
    if (typeof f.Password !== 'string') return { message: 'PropertyValueTypeError', args: ['(hidden)', 'Password'] }
    if (Buffer.byteLength(f.Password) > MAX_PASSWORD_BYTES) return { message: 'StringValueTooLong', args: ['Password', MAX_PASSWORD_BYTES] }
  }
  if (f.RoleId !== undefined && !ROLES.includes(f.RoleId as RoleId)) return { message: 'PropertyValueNotInList', args: [String(f.RoleId), 'RoleId'] }
  if (f.Enabled !== undefined && typeof f.Enabled !== 'boolean') return { message: 'PropertyValueTypeError', args: [String(f.Enabled), 'Enabled'] }
  return undefined
}

function apply(u: SimUser, f: AccountFields): void {
  if (typeof f.UserName === 'string') u.name = Buffer.from(f.UserName, 'utf8')
  if (typeof f.Password === 'string') {
    const p = Buffer.from(f.Password, 'utf8')
    u.password = stripNuls(p)
    u.passwordSize = p.length > 16 ? 20 : 16
  }
  if (typeof f.RoleId === 'string') u.privilege = ROLE_PRIVILEGE[f.RoleId as RoleId]
  if (typeof f.Enabled === 'boolean') u.enabled = f.Enabled
}

/** POST to Accounts: the first free slot from user 2 up. */
export function createAccount(v: RedfishView, body: Record<string, unknown>): Outcome<SimUser> {
  const f = body as AccountFields
  for (const required of ['UserName', 'Password'] as const) if (f[required] === undefined) return fail('PropertyMissing', required)
  const bad = validate(v, body, undefined)
  if (bad !== undefined) return { ok: false, ...bad }
  const free = v.bmc.users.find((u) => u.id >= FIRST_ACCOUNT_ID && !isAccount(u))
  if (free === undefined) return fail('CreateLimitReachedForResource')
  const u = makeUser({ id: free.id, name: String(f.UserName), password: String(f.Password), privilege: ROLE_PRIVILEGE[(f.RoleId as RoleId | undefined) ?? 'ReadOnly'], enabled: f.Enabled !== false })
  v.bmc.users[free.id] = u
  return { ok: true, value: u }
}

/** PATCH of an account; `selfOnly` callers (no ConfigureUsers) may change only their own Password. */
export function patchAccount(v: RedfishView, u: SimUser, body: Record<string, unknown>, selfOnly: boolean): Outcome<SimUser> {
  const bad = validate(v, body, u)
  if (bad !== undefined) return { ok: false, ...bad }
  if (selfOnly && Object.keys(body).some((k) => k !== 'Password' && !k.startsWith('@odata.'))) return fail('InsufficientPrivilege')
  apply(u, body as AccountFields)
  return { ok: true, value: u }
}

/** DELETE of an account: the slot becomes empty and disabled, as `ipmitool user` leaves an unset one. */
export function deleteAccount(v: RedfishView, u: SimUser): void {
  v.bmc.users[u.id] = { ...u, name: Buffer.alloc(0), password: Buffer.alloc(0), enabled: false, privilege: Priv.NoAccess, ipmiMessaging: false }
}

/**
 * The store's model and interface: nodes (with their groups and sealed BMC
 * credentials), API tokens (kept only as hashes) and the audit log. SQLite
 * implements it (sqlite.ts); a shared store for sharded instances would
 * implement the same interface (DESIGN.md, "Beyond one machine").
 *
 * A NodeRecord holds the BMC password and K_G in clear: it lives only in
 * memory, for the node -> BmcConfig mapping. Anything that leaves the
 * process goes through the API's public view, which has no secrets.
 */
import type { EventEmitter } from 'node:events'

export type ConsoleMethod = 'ipmi' | 'exec'
export type ConsoleLogging = 'full' | 'memory' | 'interactive' | 'none'
export type BmcPrivilege = 'administrator' | 'operator' | 'user'
export type Role = 'viewer' | 'operator' | 'admin'
export const ROLES: readonly Role[] = ['viewer', 'operator', 'admin']

export interface NodeBmc {
  host: string
  port: number
  username: string
  password: string
  /** The BMC key K_G as hex (1 to 20 bytes), when the BMC has one. */
  kg?: string | undefined
  /** Fixed suite; absent: negotiated (17 first). Nodes stored before this was optional keep their 3. */
  cipherSuite?: number | undefined
  privilege: BmcPrivilege
  /** Workaround names (src/session/profile.ts WORKAROUNDS) the operator set; the API checks them. */
  workarounds?: string[] | undefined
}

export interface NodeConsole {
  method: ConsoleMethod
  /** exec consoles: the command line to run. */
  command?: string | undefined
  /** exec consoles: a regular expression whose first match means "connected". */
  connectedPattern?: string | undefined
  /** exec consoles: environment variable names for the BMC credentials the command may see (none unless named). */
  env?: { username?: string; password?: string; kg?: string } | undefined
  logging: ConsoleLogging
  /** Console watch patterns this node adds or turns off (on top of the defaults and its groups'). */
  watch?: WatchOverrideDoc | undefined
}

/**
 * A node's or a group's console watch override as stored: the shape of
 * bridge/watch.ts WatchOverride (the store does not import bridge; the API
 * validates it with checkWatchOverride before it is written).
 */
export interface WatchOverrideDoc {
  add?: { name: string; regex: string; severity: string }[] | undefined
  disable?: string[] | undefined
}

/** A node as written by clients (secrets included). */
export interface NodeDoc {
  name: string
  bmc: NodeBmc
  console: NodeConsole
  groups: string[]
}

export interface NodeRecord extends NodeDoc {
  /** Incremented by every change. */
  revision: number
  createdAt: string
  updatedAt: string
}

export interface NodeStoreEvents {
  'node:added': [node: NodeRecord]
  'node:updated': [node: NodeRecord, previous: NodeRecord]
  'node:removed': [node: NodeRecord]
  /** A group's settings (its console watch override) changed; its members' configuration follows. */
  'group:updated': [group: string]
}

export interface NodeRepo extends EventEmitter<NodeStoreEvents> {
  get(name: string): NodeRecord | undefined
  /** All nodes, ordered by name. */
  list(): NodeRecord[]
  names(): string[]
  /** Names of the nodes in a group, ordered; empty when the group has none. */
  inGroup(group: string): string[]
  groups(): { name: string; nodes: string[] }[]
  /** CONFLICT when the name is taken. */
  create(doc: NodeDoc): NodeRecord
  /** NODE_NOT_FOUND when absent; CONFLICT when `expectedRevision` is given and stale. */
  replace(doc: NodeDoc, expectedRevision?: number): NodeRecord
  /** NODE_NOT_FOUND when absent. */
  remove(name: string): NodeRecord
  /** A group's console watch override, if it has one (a group need not have members to have one). */
  groupWatch(group: string): WatchOverrideDoc | undefined
  /** Every group's override, by group name, ordered. */
  groupWatches(): { group: string; watch: WatchOverrideDoc }[]
  /** Sets (or, with undefined, removes) a group's console watch override; emits group:updated. */
  setGroupWatch(group: string, watch: WatchOverrideDoc | undefined): void
}

export interface TokenInfo {
  id: string
  name: string
  role: Role
  createdAt: string
  lastUsedAt: string | null
  /** After this time (ISO) the token is refused; null: never. */
  expiresAt: string | null
}

/** A token as the store knows it now, for re-checking live connections. */
export type TokenState = { state: 'valid'; info: TokenInfo } | { state: 'revoked' | 'expired' | 'unknown' }

export interface TokenStoreEvents {
  /** Emitted by this process's revoke(); another process's (bmcvisor token revoke) shows up in state(). */
  'token:revoked': [id: string]
  'token:updated': [info: TokenInfo]
}

export interface TokenRepo extends EventEmitter<TokenStoreEvents> {
  /** The token string is returned here once and never stored. */
  create(opts: { name: string; role: Role; expiresAt?: string | undefined }): { token: string; info: TokenInfo }
  /** The token's info while it is valid: not revoked, not expired. */
  verify(token: string): TokenInfo | undefined
  /** By id, whether valid, revoked, expired or unknown. */
  state(id: string): TokenState
  /** Tokens not revoked (expired ones included, with their expiresAt). */
  list(): TokenInfo[]
  /** NOT_FOUND when absent. */
  revoke(id: string): void
  /** Changes a token's role; NOT_FOUND when absent or revoked. */
  setRole(id: string, role: Role): TokenInfo
  count(): number
}

export interface AuditEntry {
  id: number
  at: string
  /** Token name, or 'system' / 'cli'. */
  actor: string
  tokenId: string | null
  /** A dotted verb: node.create, power.set, console.attach, token.create, ... */
  action: string
  /** Node name, range expression, token id... */
  target: string | null
  detail: Record<string, unknown> | null
  outcome: string | null
}

export type AuditInput = Omit<AuditEntry, 'id' | 'at'> & { at?: string }

export interface AuditRepo {
  append(e: AuditInput): number
  /** Deletes the rows written before `before` (ISO time); returns how many. */
  prune(before: string): number
  /** Newest first. */
  list(opts?: { limit?: number; beforeId?: number; target?: string }): AuditEntry[]
}

/**
 * A node's learned BMC profile as stored: the shape of src/session/profile.ts
 * LearnedProfile (the store does not import session; reviveProfile reads it).
 */
export interface ProfileDoc {
  entries: { name: string; detail: string; learnedAt: string }[]
  cipherSuite?: number | undefined
}

export interface StoredProfile {
  profile: ProfileDoc
  /** When it was last written (ISO). */
  updatedAt: string
}

export interface ProfileRepo {
  get(node: string): StoredProfile | undefined
  /** Every stored profile, ordered by node. */
  list(): (StoredProfile & { node: string })[]
  /** Replaces the node's profile; a node that does not exist (any more) gets none. */
  put(node: string, profile: ProfileDoc): void
  /** Forgets the node's profile; false when it had none. */
  reset(node: string): boolean
}

export interface Store {
  readonly nodes: NodeRepo
  readonly profiles: ProfileRepo
  readonly tokens: TokenRepo
  readonly audit: AuditRepo
  /** One-off flags kept with the data (e.g. whether the first admin token was issued). */
  getMeta(key: string): string | undefined
  setMeta(key: string, value: string): void
  /** True when the store answers (readiness). */
  ping(): boolean
  close(): void
}

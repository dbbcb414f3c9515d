/**
 * The store's model and interface: nodes (with their groups and sealed BMC
 * credentials), API tokens (kept only as hashes) and the audit log. Every
 * method answers asynchronously. SQLite implements it in one process
 * (sqlite.ts: its promises are settled by the time the call returns);
 * PostgreSQL for instances that share one database (postgres/store.ts).
 * Node events are emitted by the process that made the change; another
 * instance learns of it through the PostgreSQL store's subscribe().
 *
 * A NodeRecord holds the BMC password and K_G in clear: it lives only in
 * memory, for the node -> BmcConfig mapping. Anything that leaves the
 * process goes through the API's public view, which has no secrets.
 */
import type { EventEmitter } from 'node:events'
import type { LoadedKey } from './secret-box.js'

/** bridge/messages.ts CONSOLE_METHODS (the API checks that the two agree); `none`: no console (commands only), the default of a Redfish node. */
export type ConsoleMethod = 'ipmi' | 'exec' | 'ssh' | 'none'
/** bridge/messages.ts CONFIGURED_PROTOCOLS (the API checks that the two agree). */
export type BmcProtocol = 'ipmi' | 'redfish' | 'auto'
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
  /** How the BMC is managed; absent: ipmi. */
  protocol?: BmcProtocol | undefined
  /** Redfish and auto: the BMC's IPMI port (`port` is the Redfish one), for SOL and auto's fallback; absent: 623. */
  ipmiPort?: number | undefined
  /** Redfish: how its HTTPS certificate is trusted (docs/redfish.md). */
  tls?: NodeTls | undefined
  /** Redfish: the ComputerSystem Id to manage; absent: the first the BMC lists. */
  systemId?: string | undefined
}

export interface NodeTls {
  mode: 'verify' | 'pin' | 'insecure'
  /** verify: a PEM CA bundle; absent: the system's roots. */
  ca?: string | undefined
  /** pin: SHA-256 of the BMC's certificate, `AB:CD:...`; absent: learned on first use and stored here. */
  fingerprint?: string | undefined
}

export interface NodeConsole {
  method: ConsoleMethod
  /** exec consoles: the command line to run; ssh consoles: the command the BMC runs instead of a shell. */
  command?: string | undefined
  /** exec consoles: a regular expression whose first match means "connected". */
  connectedPattern?: string | undefined
  /** exec consoles: environment variable names for the BMC credentials the command may see (none unless named). */
  env?: { username?: string; password?: string; kg?: string } | undefined
  /** ssh consoles: the SSH server, if not at bmc.host. */
  host?: string | undefined
  /** ssh consoles: the SSH server's port (default 22). */
  port?: number | undefined
  /** ssh consoles: the pinned host key (SHA256:...), set or learned on first use. */
  hostKey?: string | undefined
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
  get(name: string): Promise<NodeRecord | undefined>
  /** All nodes, ordered by name. */
  list(): Promise<NodeRecord[]>
  names(): Promise<string[]>
  /** Names of the nodes in a group, ordered; empty when the group has none. */
  inGroup(group: string): Promise<string[]>
  groups(): Promise<{ name: string; nodes: string[] }[]>
  /** CONFLICT when the name is taken. */
  create(doc: NodeDoc): Promise<NodeRecord>
  /** NODE_NOT_FOUND when absent; CONFLICT when `expectedRevision` is given and stale. */
  replace(doc: NodeDoc, expectedRevision?: number): Promise<NodeRecord>
  /** NODE_NOT_FOUND when absent. */
  remove(name: string): Promise<NodeRecord>
  /** A group's console watch override, if it has one (a group need not have members to have one). */
  groupWatch(group: string): Promise<WatchOverrideDoc | undefined>
  /** Every group's override, by group name, ordered. */
  groupWatches(): Promise<{ group: string; watch: WatchOverrideDoc }[]>
  /** Sets (or, with undefined, removes) a group's console watch override; emits group:updated. */
  setGroupWatch(group: string, watch: WatchOverrideDoc | undefined): Promise<void>
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
  create(opts: { name: string; role: Role; expiresAt?: string | undefined }): Promise<{ token: string; info: TokenInfo }>
  /** The token's info while it is valid: not revoked, not expired. */
  verify(token: string): Promise<TokenInfo | undefined>
  /** By id, whether valid, revoked, expired or unknown. */
  state(id: string): Promise<TokenState>
  /** Tokens not revoked (expired ones included, with their expiresAt). */
  list(): Promise<TokenInfo[]>
  /** NOT_FOUND when absent. */
  revoke(id: string): Promise<void>
  /** Changes a token's role; NOT_FOUND when absent or revoked. */
  setRole(id: string, role: Role): Promise<TokenInfo>
  count(): Promise<number>
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
  append(e: AuditInput): Promise<number>
  /** Deletes the rows written before `before` (ISO time); returns how many. */
  prune(before: string): Promise<number>
  /** Newest first. */
  list(opts?: { limit?: number; beforeId?: number; target?: string }): Promise<AuditEntry[]>
}

/**
 * A node's learned BMC profile as stored: the shape of src/session/profile.ts
 * LearnedProfile (the store does not import session; reviveProfile reads it).
 */
export interface ProfileDoc {
  entries: { name: string; detail: string; learnedAt: string }[]
  cipherSuite?: number | undefined
  /** A protocol auto node: what the probe found, so a restart does not probe again. */
  protocol?: string | undefined
}

export interface StoredProfile {
  profile: ProfileDoc
  /** When it was last written (ISO). */
  updatedAt: string
}

export interface ProfileRepo {
  get(node: string): Promise<StoredProfile | undefined>
  /** Every stored profile, ordered by node. */
  list(): Promise<(StoredProfile & { node: string })[]>
  /** Replaces the node's profile; a node that does not exist (any more) gets none. */
  put(node: string, profile: ProfileDoc): Promise<void>
  /** Forgets the node's profile; false when it had none. */
  reset(node: string): Promise<boolean>
}

export interface Store {
  readonly nodes: NodeRepo
  readonly profiles: ProfileRepo
  readonly tokens: TokenRepo
  readonly audit: AuditRepo
  /** One-off flags kept with the data (e.g. whether the first admin token was issued). */
  getMeta(key: string): Promise<string | undefined>
  setMeta(key: string, value: string): Promise<void>
  /** Sets `key` only when it has no value yet; true when this call set it (one caller wins among instances). */
  claimMeta(key: string, value: string): Promise<boolean>
  /** True when the store answers (readiness). */
  ping(): Promise<boolean>
  close(): Promise<void>
}

/** Which implementation holds the data (sqlite: the file in the data directory). */
export type StoreKind = 'sqlite' | 'postgres'

/** A store as the service opens it: where its key came from and what to warn about. */
export interface OpenedStore extends Store {
  readonly kind: StoreKind
  /** The data directory: console logs, and for SQLite the database and secret.key. */
  readonly dataDir: string
  /** Where the store is, for messages: a path, or a PostgreSQL URL without its password. */
  readonly location: string
  readonly keySource: LoadedKey['source']
  readonly keyWarning: string | undefined
  /** Entries under the data directory whose mode could not be tightened (file-modes.ts). */
  readonly modeWarnings: string[]
}

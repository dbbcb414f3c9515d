/**
 * The shapes shared by the simulator's parts: the resolved configuration,
 * the view of BMC state that command handlers and the handshake get, and
 * the command handler contract. Keeping them here lets handler files depend
 * on an interface rather than on the SimBmc class (no import cycles).
 * Completion codes are IPMI v2.0 Table 5-2.
 */
import type { QuirkName } from './quirks.js'
import type { SessionTable, SimSession } from './sessions.js'
import type { ChassisState, DeviceIdentity, DuplicateMode, RoleRefusal, SimUser } from './state.js'

export const CC = {
  Ok: 0x00,
  NodeBusy: 0xc0,
  InvalidCommand: 0xc1,
  RequestLengthInvalid: 0xc7,
  ParameterOutOfRange: 0xc9,
  InvalidDataField: 0xcc,
  DuplicateRequest: 0xcf,
  InsufficientPrivilege: 0xd4,
  NotSupportedInPresentState: 0xd5,
  Unspecified: 0xff,
} as const

export interface ResolvedConfig {
  cipherSuites: number[]
  maxSessions: number
  maxUsers: number
  answerCipherSuitesPreSession: boolean
  roleRefusal: RoleRefusal
  duplicateMode: DuplicateMode
  idleTimeoutMs: number
  setupTimeoutMs: number
  coldResetDowntimeMs: number
  /** QUIRK(coldreset-console): how long after the first SOL activation the BMC resets itself. */
  coldResetAfterSolMs: number
  /** Highest privilege the LAN channel allows (IPMI v2.0 §6.8 channel limit). */
  channelPrivilegeLimit: number
  /** Vendor quirks this BMC imitates (empty: a compliant BMC). */
  quirks: ReadonlySet<QuirkName>
}

/** What handlers may read and change. */
export interface SimContext {
  nowMs(): number
  readonly config: ResolvedConfig
  /** Index = user ID; index 0 is unused. */
  readonly users: SimUser[]
  readonly chassis: ChassisState
  readonly device: DeviceIdentity
  readonly guid: Buffer
  /** Undefined when no BMC key is set. */
  readonly kg: Buffer | undefined
  readonly sessions: SessionTable
  /** Ends a session (Close Session, errors); never throws. */
  closeSession(bmcSessionId: number, reason: SessionCloseReason): void
  /** Simulates the BMC rebooting: every session is gone and nothing is answered for a while. */
  coldReset(): void
}

export type SessionCloseReason = 'close-session' | 'idle-timeout' | 'setup-timeout' | 'handshake-failed' | 'cold-reset' | 'died'

export interface CommandResult {
  cc: number
  data?: Buffer
  /** Runs after the response went out (Close Session, Cold Reset). */
  after?: () => void
}

export interface SimCommand {
  name: string
  netFn: number
  cmd: number
  /** Least session privilege needed (IPMI v2.0 Appendix G); 0 = any. */
  privilege: number
  /** Also answered outside a session (session ID 0). */
  preSession?: boolean
  handle(data: Buffer, bmc: SimContext, session: SimSession | undefined): CommandResult
}

export function ok(data?: Buffer): CommandResult {
  return data === undefined ? { cc: CC.Ok } : { cc: CC.Ok, data }
}

export function fail(cc: number): CommandResult {
  return { cc }
}

export function commandKey(netFn: number, cmd: number): number {
  return ((netFn & 0x3f) << 8) | (cmd & 0xff)
}

/** Channel byte b3:0 names this LAN channel (its number or 0x0E "this channel"). */
export function isOurChannel(b: number, lanChannel: number): boolean {
  const ch = b & 0x0f
  return ch === 0x0e || ch === lanChannel
}

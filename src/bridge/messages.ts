/**
 * The typed protocol between the supervisor (main thread) and a
 * BMC worker. Every message names its BMC (`bmc`), so one worker could later
 * serve several BMCs (DESIGN.md, "Beyond one machine"). Credentials travel
 * only in `configure`, never in workerData, so they do not show up in thread
 * dumps; errors travel as WireError and are compared by code.
 */
import type { MessagePort } from 'node:worker_threads'
import type { WireError } from '../errors.js'
import type { OpName } from '../ops/registry.js'
import { MANAGEMENT_PROTOCOLS, type LearnedEntry, type LearnedProfile, type ManagementProtocol, type WorkaroundName } from './profile.js'
import type { ReconnectPolicy } from './reconnect.js'
import type { WatchPattern, WatchSeverity } from './watch.js'

export interface BmcCredentials {
  username: string
  password: string
  /** Hex of the BMC key K_G, when the BMC has one. */
  kgHex?: string | undefined
}

/** How a worker manages its BMC: IPMI 2.0 over LAN, or Redfish over HTTPS (src/redfish); the list lives with the profile that remembers it. */
export { MANAGEMENT_PROTOCOLS, type ManagementProtocol }
/** What a node may configure: a management protocol, or `auto` (probe the Redfish service root, else IPMI; workers/engine/auto-plugin.ts). */
export const CONFIGURED_PROTOCOLS = [...MANAGEMENT_PROTOCOLS, 'auto'] as const
export type ConfiguredProtocol = (typeof CONFIGURED_PROTOCOLS)[number]

/** Where a Redfish service listens unless the node says otherwise (HTTPS): a Redfish or auto node's default port. */
export const DEFAULT_REDFISH_PORT = 443
/** RMCP+ (UDP): an IPMI node's default port, and a Redfish or auto node's default ipmiPort. */
export const DEFAULT_IPMI_PORT = 623

/** True when the node may be managed over Redfish (redfish, or auto): it has TLS trust and a ComputerSystem choice. */
export function mayUseRedfish(protocol: ConfiguredProtocol | undefined): boolean {
  switch (protocol) {
    case 'redfish':
    case 'auto':
      return true
    case 'ipmi':
    case undefined:
      return false
    default:
      return assertNever(protocol)
  }
}

/** How a Redfish node trusts its BMC's certificate (src/redfish/transport.ts; docs/redfish.md). */
export interface BmcTlsConfig {
  mode: 'verify' | 'pin' | 'insecure'
  /** PEM CA bundle (verify). */
  ca?: string | undefined
  /** SHA-256 of the BMC's certificate (pin); none: trust on first use, reported as `trust-learned`. */
  fingerprint?: string | undefined
}

export interface BmcConfig {
  host: string
  port: number
  credentials: BmcCredentials
  /** Default ipmi. */
  protocol?: ConfiguredProtocol | undefined
  /** Redfish and auto nodes: the BMC's IPMI port (UDP; `port` is the Redfish one): SOL for console ipmi, and auto's fallback. Default DEFAULT_IPMI_PORT. */
  ipmiPort?: number | undefined
  /** Redfish: the certificate trust (default verify with the system's roots). */
  tls?: BmcTlsConfig | undefined
  /** Redfish: the ComputerSystem to manage (its Id); default the first the BMC lists. */
  systemId?: string | undefined
  cipherSuite?: number | undefined
  allowInsecureSuite0?: boolean | undefined
  privilege?: 'administrator' | 'operator' | 'user' | undefined
  /** Open and keep the SOL console (false: commands only). */
  console: boolean
  /** Session timing overrides (tests and flaky fleets). */
  timing?: Record<string, number> | undefined
  /** Reconnect backoff: first delay and cap, in ms, and the delay added per node of the fleet (bridge/reconnect.ts). */
  reconnect?: ReconnectPolicy | undefined
  /** Take SOL over from another session (0x80); default true: the console belongs to the service. */
  consoleForce?: boolean | undefined
  /** A dead BMC under an open console is reported within this many ms (default 10 s). */
  consoleLivenessMs?: number | undefined
  /** How the console is reached: IPMI SOL (default), a command the worker runs (`consoleExec`) or SSH (`consoleSsh`). */
  consoleMethod?: WorkerConsoleMethod | undefined
  consoleExec?: ExecConsoleConfig | undefined
  consoleSsh?: SshConsoleConfig | undefined
  /**
   * The service runs exec consoles (`serve --allow-exec-consoles`). Without it
   * an exec console runs nothing and reports `exec_disabled`.
   */
  allowExecConsole?: boolean | undefined
  /** Input bytes the console may hold (default DEFAULT_CONSOLE_INPUT_LIMIT_BYTES); more is dropped and reported. */
  consoleInputLimitBytes?: number | undefined
  /** `serve --sol-accumulate-ms`: the SOL character accumulate interval the worker sets on the BMC before its first SOL activation (src/bmc/sol-config.ts); absent: the BMC's own. */
  solAccumulateMs?: number | undefined
  /**
   * The console opens only while the main thread asks for it (`console-control`
   * with `demand`): logging modes `interactive` and `none`. Default false: always open.
   */
  consoleOnDemand?: boolean | undefined
  /**
   * Console watch patterns, resolved (defaults, groups, node: bridge/watch.ts resolveWatch), matched
   * on the live console output in the worker; undefined or empty: nothing is watched.
   */
  watch?: readonly WatchPattern[] | undefined
  /** Workarounds the operator configured (node field bmc.workarounds): applied from the first login. */
  workarounds?: readonly WorkaroundName[] | undefined
  /** What was learned about this BMC before (the store's, then the worker's own reports): the client starts from it. */
  profile?: LearnedProfile | undefined
}

/**
 * Every console method a node can name, once (the API's schema, the store, the CLI and the
 * worker's plugin table derive from it); `none`: the node has no console (commands only).
 */
export const CONSOLE_METHODS = ['ipmi', 'exec', 'ssh', 'none'] as const
export type ConsoleMethodName = (typeof CONSOLE_METHODS)[number]
/** The methods a worker opens a console with (`none` never reaches one: BmcConfig.console is false). */
export type WorkerConsoleMethod = Exclude<ConsoleMethodName, 'none'>

/** The SSH port a console uses when the node names none. */
export const DEFAULT_SSH_PORT = 22

/**
 * An SSH host key fingerprint as OpenSSH prints it (`ssh-keygen -lf`): `SHA256:` and the
 * unpadded base64 of the SHA-256 of the key blob (43 characters).
 */
export const SSH_HOST_KEY_PATTERN = '^SHA256:[A-Za-z0-9+/]{43}$'

/** A console over SSH (many BMCs' serial console: OpenBMC on port 2200, iDRAC `console com2`, iLO `vsp`). */
export interface SshConsoleConfig {
  /** Where sshd listens: the BMC's host unless the node names another. */
  host: string
  port: number
  /** Run this instead of a shell (iDRAC `console com2`, iLO `vsp`); none: a PTY shell (OpenBMC's port 2200). */
  command?: string | undefined
  /** The pinned host key (SSH_HOST_KEY_PATTERN); none: trust on first use, reported as `trust-learned`. */
  hostKey?: string | undefined
}

/** What a worker learned to trust on first use (a `trust-learned` message): an SSH host key, a TLS certificate. */
export const TRUST_KINDS = ['ssh-host-key', 'tls-certificate'] as const
export type TrustKind = (typeof TRUST_KINDS)[number]

/** A console that is a command (ssh -tt host, a vendor tool): best effort (DESIGN lesson 5). */
export interface ExecConsoleConfig {
  /** A string runs through /bin/sh -c; an array is argv. */
  command: string | string[]
  /** A regular expression the command prints once it is really connected; until then `connecting`. */
  connectedPattern?: string | undefined
  /** Deadline for connectedPattern (default 30 s). */
  connectTimeoutMs?: number | undefined
  /** Bytes (latin1) written to the command for a BREAK; without it a break does nothing. */
  breakSequence?: string | undefined
  /**
   * Which environment variables carry which of the node's credentials (the
   * node's `console.env`); a credential not named here never reaches the command.
   */
  credentialEnv?: CredentialEnv | undefined
}

/** The credentials a node may hand to its exec console command, each under a variable name it chooses. */
export const CREDENTIAL_ENV_FIELDS = ['username', 'password', 'kg'] as const
export type CredentialEnvField = (typeof CREDENTIAL_ENV_FIELDS)[number]
export type CredentialEnv = Partial<Record<CredentialEnvField, string>>

/** What every exec console command gets from the service's own environment (nothing else of it: no tokens). */
export const EXEC_PASSED_ENV = ['PATH', 'HOME', 'USER', 'LOGNAME', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TZ', 'TMPDIR', 'SSH_AUTH_SOCK'] as const
/** What the service sets for every exec console command: who it is for, none of it secret. */
export const EXEC_SERVICE_ENV = ['TERM', 'BMCVISOR_NODE', 'BMCVISOR_BMC_HOST', 'BMCVISOR_BMC_PORT'] as const
export type ExecServiceEnvName = (typeof EXEC_SERVICE_ENV)[number]
/** A credential's variable name: a portable shell name that does not replace one of the two lists above. */
export const CREDENTIAL_ENV_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_]{0,63}$'

export function reservedExecEnvName(name: string): boolean {
  return (EXEC_PASSED_ENV as readonly string[]).includes(name) || (EXEC_SERVICE_ENV as readonly string[]).includes(name)
}

/** BMC operations a worker runs for callers: the registry's names (src/ops). Values are structured-cloneable. */
export type { OpName }

/**
 * The worker's control channel, apart from BMC operations: not in the op
 * registry and not counted in bmcvisor_commands_total. console.reopen closes
 * and reopens the console (or retries now); session.info and worker.resources
 * report the worker's connection and what its thread holds open (leak checks).
 */
export const CONTROL_NAMES = ['console.reopen', 'session.info', 'worker.resources'] as const
export type ControlName = (typeof CONTROL_NAMES)[number]

export type FaultKind = 'crash' | 'hang' | 'exit' | 'oom' | 'reject'

/**
 * A node's name: letters, digits, ".", "_", "-", 1 to 63 characters, not starting with a punctuation mark
 * (a DNS label's length). The API, noderanges, the store and console log files all check names with it.
 */
export const NODE_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$'
export const NODE_NAME = new RegExp(NODE_NAME_PATTERN)

/** The one state vocabulary of a session and of a console, from the worker to the metrics (DESIGN lesson 5). */
export const CONNECTION_STATES = ['connecting', 'connected', 'disconnected', 'error'] as const
export type SessionStateName = (typeof CONNECTION_STATES)[number]

/** Why a session or console is not connected (DESIGN lesson 5). */
export const FAILURE_REASONS = [
  'unreachable', 'bad_credentials', 'sol_busy', 'sol_disabled', 'sol_limit_reached', 'sol_encryption_mismatch',
  'insufficient_privilege', 'sol_refused', 'sol_deactivated', 'timeout', 'protocol', 'closed',
  // exec consoles: the command ended (details carry exitCode/signal), or it could not be started
  'exited', 'misconfigured',
  // an exec console on a service that does not allow them (serve --allow-exec-consoles)
  'exec_disabled',
  // an SSH console whose server showed another host key than the pinned one: never connected
  'host_key_mismatch',
] as const
export type FailureReason = (typeof FAILURE_REASONS)[number]

export function isFailureReason(s: unknown): s is FailureReason {
  return typeof s === 'string' && (FAILURE_REASONS as readonly string[]).includes(s)
}

export type ToWorker =
  | { type: 'configure'; bmc: string; generation: number; config: BmcConfig; consolePort?: MessagePort | undefined }
  | { type: 'command'; bmc: string; id: number; op: OpName; args: unknown; timeoutMs: number }
  /** Answered by a `result` with the same id, like a command, but one without `command` (not a BMC command). */
  | { type: 'control'; bmc: string; id: number; control: ControlName; timeoutMs: number }
  /** Heartbeat of a quiet worker: handling it bumps the shared progress counter (src/bridge/progress.ts); there is no reply message. */
  | { type: 'ping' }
  | { type: 'stop'; bmc: string; deadlineMs: number }
  | { type: 'fault'; bmc: string; kind: FaultKind }
  /** The supervisor's answer to login-wait: log in now (supervisor/login-gate.ts). */
  | { type: 'login-grant'; bmc: string }
  /** New console watch patterns: the worker matches with them from now on, without touching its session or console. */
  | { type: 'watch'; bmc: string; patterns: readonly WatchPattern[] }
  | ConsoleControl

/**
 * Main thread -> worker, from the node's ConsoleSession: whether the console
 * is wanted now (on-demand logging modes), the fleet size for the reconnect
 * policy, and "retry now" (a client attached to an unconnected console).
 */
export interface ConsoleControl {
  type: 'console-control'
  bmc: string
  demand?: boolean | undefined
  fleetSize?: number | undefined
  retryNow?: boolean | undefined
}

export interface WorkerStats {
  retransmits: number
  droppedPackets: number
  solBytesIn: number
  solBytesOut: number
  /** Events and packets of replaced sessions that arrived late and were dropped (lesson 4). */
  staleEvents: number
  /** Security checks relaxed because a learned quirk allowed it (answers with a wrong checksum taken: nochecksumcheck). */
  relaxedChecks: number
  /** SOL packets left with the BMC (not acknowledged) because the main thread had not caught up (src/bridge/credit.ts). */
  solWithheld: number
}

/** What a command's result reports for the metrics: the op and the time the worker took to run it. */
export interface CommandRun {
  op: OpName
  durationMs: number
}

export type FromWorker =
  | { type: 'ready'; bmc: string }
  /** The answer to a command or a control; a command's also says which op ran and how long it took (one message, not two). */
  | { type: 'result'; bmc: string; id: number; ok: true; value: unknown; command?: CommandRun | undefined }
  | { type: 'result'; bmc: string; id: number; ok: false; error: WireError; command?: CommandRun | undefined }
  | { type: 'session'; bmc: string; generation: number; state: SessionStateName; reason?: FailureReason | undefined; error?: WireError | undefined }
  | { type: 'console'; bmc: string; generation: number; state: SessionStateName; reason?: FailureReason | undefined; error?: WireError | undefined }
  | { type: 'stats'; bmc: string; delta: WorkerStats }
  | { type: 'stopped'; bmc: string }
  /** The client learned something about the BMC (`entry`, new to this worker); `profile` is all it knows now. */
  | { type: 'profile'; bmc: string; generation: number; profile: LearnedProfile; entry?: LearnedEntry | undefined }
  /** The last login failed on credentials: the worker logs in again only after login-grant (per-BMC back-off). */
  | { type: 'login-wait'; bmc: string; generation: number }
  | TrustLearned
  | ConsoleMatch

/**
 * Trust on first use (worker -> main): with no pin configured, the worker
 * trusted what the BMC showed (an SSH host key, a TLS certificate) and names
 * its fingerprint, so the main thread can store it as the node's pin; from
 * then on anything else is refused. The worker keeps trusting it for the
 * rest of the generation.
 */
export interface TrustLearned {
  type: 'trust-learned'
  bmc: string
  generation: number
  what: TrustKind
  fingerprint: string
}

/** Characters of a matched console line a ConsoleMatch carries (the rest is cut, and `truncated` says so). */
export const MATCH_LINE_CHARS = 256

/**
 * Match messages a worker sends per pattern and second; further matching
 * lines of that pattern in the same second are folded into one message sent
 * with the next heartbeat (`count` > 1), so a host that floods a matching line
 * costs the main thread a few messages a second, and the counter stays exact.
 */
export const MATCH_EVENTS_PER_SECOND = 10

/** A console line matched a watch pattern (worker -> main, one per pattern that matched the line). */
export interface ConsoleMatch {
  type: 'console-match'
  bmc: string
  /** The pattern's name (a configured name: bridge/watch.ts WATCH_NAME_PATTERN). */
  pattern: string
  severity: WatchSeverity
  /** The cleaned line (no ANSI, no CR), at most MATCH_LINE_CHARS characters. */
  line: string
  truncated: boolean
  /** When the worker saw the line's end: ms since the epoch. */
  at: number
  /** Matching lines this message stands for (1, or more when folded: `line` and `at` are the last one's). */
  count: number
}

/**
 * Console traffic on the MessagePort: bytes as Uint8Array both ways, control
 * as objects. Every input Uint8Array is answered, in order, by exactly one
 * ConsoleInputResult: what the console took and what it dropped (never a
 * silent drop), and its input backlog then. A result with a backlog at or
 * above half the limit is followed by a ConsoleInputDrain once it is below.
 */
export type ConsoleToMain = Uint8Array | ConsoleInputResult | ConsoleInputDrain | ConsoleScreen
/** `snapshot`: answer with a ConsoleScreen (workers/screen.ts). */
export type ConsoleToWorker = Uint8Array | { type: 'break' } | { type: 'snapshot' }

/**
 * The worker's screen of a console, answering a `snapshot` request: escape
 * sequences that redraw it in a fresh 80x24 terminal. On the console port it
 * covers exactly the bytes posted before it (none after).
 */
export interface ConsoleScreen {
  type: 'screen'
  data: string
}

/** Why console input was not written: the console's input buffer is full, it is not connected, or the node's worker is down. */
export const INPUT_DROP_REASONS = ['buffer_full', 'not_connected', 'worker_unavailable'] as const
export type InputDropReason = (typeof INPUT_DROP_REASONS)[number]

/** Input bytes a console may hold that it has not passed on to the host yet (exec: its stdin; SOL: the send queue), per console. */
export const DEFAULT_CONSOLE_INPUT_LIMIT_BYTES = 64 * 1024

export interface ConsoleInputResult {
  type: 'input'
  /** Bytes the console took (they reach the host unless the console ends first). */
  written: number
  dropped: number
  reason?: InputDropReason | undefined
  /** Input bytes the console holds after this one. */
  backlog: number
}

export interface ConsoleInputDrain {
  type: 'input-drain'
  backlog: number
}

export function assertNever(x: never): never {
  throw new Error(`unexpected message ${JSON.stringify(x)}`)
}

/**
 * The failure reason of an error (lesson 5): the reason its details name
 * (a console's own, e.g. sol_limit_reached), else the one its code means.
 * Agrees with src/sol's solFailureReason for every code (a unit test checks).
 */
export function reasonOf(err: { code: string; details?: Record<string, unknown> | undefined }): FailureReason {
  const named = err.details?.reason
  return isFailureReason(named) ? named : failureReason(err.code)
}

/** Maps an error code to the failure reason vocabulary of lesson 5. */
export function failureReason(code: string): FailureReason {
  switch (code) {
    case 'BMC_UNREACHABLE': return 'unreachable'
    case 'BMC_AUTH_FAILED':
    case 'BMC_KG_MISMATCH':
    case 'BMC_PRIVILEGE_REFUSED': return 'bad_credentials'
    case 'SOL_BUSY': return 'sol_busy'
    case 'SOL_DISABLED': return 'sol_disabled'
    case 'SOL_REFUSED': return 'sol_refused'
    case 'BMC_SESSION_CLOSED': return 'closed'
    default: return 'protocol'
  }
}

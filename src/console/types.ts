/**
 * The console layer's vocabulary: states, logging modes, the node console
 * configuration, the narrow port to the supervisor, the client sink that a
 * transport (WebSocket) implements, and the JSON control messages.
 * Imports only the bridge: src/console may import bridge, errors, log.
 */
import type { ConsoleControl, ConsoleMethodName, ConsoleToWorker, CredentialEnv, FailureReason, InputDropReason, SessionStateName } from '../bridge/messages.js'
import type { WireError } from '../errors.js'
import type { ConsoleLog } from './console-log.js'

/** confluent's states (lesson 5): `connected` only once the console really is. */
export type ConsoleState = 'unconnected' | 'connecting' | 'connected'
export const CONSOLE_STATES: readonly ConsoleState[] = ['unconnected', 'connecting', 'connected']

/** Why a console is unconnected: the worker's reasons, plus the worker itself being down. */
export type ConsoleReason = FailureReason | 'worker_unavailable'

/**
 * confluent's `console.logging`:
 * - full: always connected, logged to disk and buffered for replay;
 * - memory: always connected, buffered only;
 * - interactive: connected while a client is attached, logged and buffered;
 * - none: connected while a client is attached, neither logged nor buffered.
 */
export type LoggingMode = 'full' | 'memory' | 'interactive' | 'none'
export const LOGGING_MODES: readonly LoggingMode[] = ['full', 'memory', 'interactive', 'none']

export function isOnDemand(mode: LoggingMode): boolean {
  return mode === 'interactive' || mode === 'none'
}

/** The node model's `console` object (DESIGN.md). */
export interface NodeConsoleConfig {
  method?: ConsoleMethodName | undefined
  /** exec: the command (a string runs through /bin/sh -c); ssh: what the BMC runs instead of a shell. */
  command?: string | string[] | undefined
  /** exec: a regular expression printed once really connected. */
  connectedPattern?: string | undefined
  /** exec: the variables that carry the node's credentials to the command (none unless named). */
  env?: CredentialEnv | undefined
  /** ssh: the SSH server, if not at the BMC's host. */
  host?: string | undefined
  /** ssh: the SSH server's port (default 22). */
  port?: number | undefined
  /** ssh: the pinned host key (SHA256:...); none: trusted on first use. */
  hostKey?: string | undefined
  logging?: LoggingMode | undefined
}

/** What ConsoleSession needs from the supervisor; Supervisor satisfies it as is. */
export interface ConsolePort {
  /** Bytes, a break, or a screen snapshot request (answered by ConsoleSession.handleScreen). */
  consoleInput(node: string, data: ConsoleToWorker): boolean
  consoleControl(node: string, control: Omit<ConsoleControl, 'type' | 'bmc'>): boolean
  control(node: string, control: 'console.reopen', opts?: { timeoutMs?: number }): Promise<unknown>
}

/** The worker's console state message, as the supervisor emits it ('console:state'). */
export interface WorkerConsoleState {
  state: SessionStateName
  reason?: FailureReason | undefined
  error?: WireError | undefined
  generation?: number
}

/**
 * One attached client, as a transport provides it. data() and control()
 * never block: a transport queues, and bufferedBytes says how much is
 * queued, so a slow client is found and dropped without delaying others.
 */
export interface ClientSink {
  data(bytes: Uint8Array): void
  control(msg: ServerMessage): void
  readonly bufferedBytes: number
  close(code: number, reason: string): void
  /**
   * Back-pressure: stop reading this client's input until resumeInput()
   * (a WebSocket stops reading its socket, so TCP holds the client back).
   * A transport without it is never paused; its excess input is dropped and told.
   */
  pauseInput?(): void
  resumeInput?(): void
}

export type ClientMode = 'rw' | 'ro'

export interface ClientInfo {
  id: number
  user: string
  mode: ClientMode
  /** May hold read-write at all (operator role or above). */
  canWrite: boolean
  since: string
}

export interface HolderInfo {
  client: number
  user: string
}

/** Server -> client JSON text frames (bytes travel as binary frames). */
export type ServerMessage =
  | { type: 'hello'; node: string; client: number; mode: ClientMode; canWrite: boolean }
  | { type: 'state'; state: ConsoleState; reason?: ConsoleReason | undefined; message?: string | undefined }
  | { type: 'clients'; count: number; clients: ClientInfo[] }
  | { type: 'holder'; holder: HolderInfo | null; you: boolean }
  /**
   * Followed by exactly one binary frame of `bytes` bytes (none when 0): the
   * screen as it is now (`screen`: escape sequences that redraw it) or the
   * recent output (`tail`: the last bytes as they came).
   */
  | { type: 'replay'; kind: ReplayKind; bytes: number; ageMs: number | null }
  | { type: 'notice'; message: string }
  | { type: 'error'; code: string; message: string }
  /** The client fell too far behind and is dropped. */
  | { type: 'dropped'; reason: 'slow'; bufferedBytes: number }
  /** Input of this client that did not reach the console, and why (never dropped without this). */
  | { type: 'input-dropped'; bytes: number; reason: InputDropReason }

/** Client -> server JSON text frames (input bytes travel as binary frames). */
export type ClientMessage = { type: 'break' } | { type: 'takeover' } | { type: 'release' } | { type: 'reopen' }

export interface ConsoleStatus {
  node: string
  state: ConsoleState
  reason: ConsoleReason | null
  message: string | null
  method: ConsoleMethodName
  logging: LoggingMode
  /** The worker is asked to keep the console open now. */
  wanted: boolean
  clients: ClientInfo[]
  holder: HolderInfo | null
  bytesIn: number
  /** Input bytes the console took (written toward the host); what it did not take is in inputDroppedBytes. */
  bytesOut: number
  inputDroppedBytes: number
  /** Wall-clock time of the last byte from the console, ISO, or null. */
  lastDataAt: string | null
  replayBytes: number
  /** Since when the console is in its state (ISO). */
  since: string
  log: { path: string; bytes: number } | null
}

/** What a new client gets first: the current screen, the raw tail of the output, or nothing. */
export const REPLAY_KINDS = ['screen', 'tail', 'none'] as const
export type ReplayKind = (typeof REPLAY_KINDS)[number]

export interface AttachOptions {
  mode: ClientMode
  replay: ReplayKind
  user: string
  canWrite: boolean
}

export interface ConsoleSessionEvents {
  state: [state: ConsoleState, reason: ConsoleReason | undefined]
  clients: [count: number]
  dropped: [client: number, why: 'slow']
  'input-dropped': [bytes: number, reason: InputDropReason]
}

/** What a transport holds for one attached client. */
export interface ConsoleClientHandle {
  readonly id: number
  input(data: Uint8Array): void
  sendBreak(): void
  takeover(): void
  release(): void
  reopen(): Promise<void>
  detach(why?: string): void
}

/** WebSocket close code for a client dropped for falling too far behind. */
export const SLOW_CLIENT_CLOSE_CODE = 4001

/** Injected time, so tests step it by hand. */
export interface ConsoleClock {
  now(): number
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

export const systemConsoleClock: ConsoleClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms)
    t.unref()
    return t
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
}

/** A ConsoleSession's configuration (the manager builds it per node). */
export interface ConsoleSessionOptions {
  node: string
  config: NodeConsoleConfig
  port: ConsolePort
  /** Opens the node's log (modes full and interactive); undefined: no disk log. */
  openLog?: (() => ConsoleLog) | undefined
  replayBytes?: number
  maxClientBufferBytes?: number
  /** Input bytes in flight toward the console or held by it (default DEFAULT_CONSOLE_INPUT_LIMIT_BYTES; the worker's own bound). */
  inputLimitBytes?: number | undefined
  /** A client held back for back-pressure is read again after this long at most (default 30 s); excess input is then dropped. */
  inputPauseMaxMs?: number | undefined
  /** Nodes in the fleet, for the reconnect policy. */
  fleetSize?: () => number
  clock?: ConsoleClock
  /**
   * Runs the fan-out of what arrived in one event-loop turn (default
   * setImmediate: all console messages already queued become one frame per
   * client). Tests pass `(fn) => fn()` for synchronous delivery.
   */
  defer?: (fn: () => void) => void
  /** How long a client waits for the worker's screen before it gets the raw tail (default SCREEN_WAIT_MS). */
  screenWaitMs?: number | undefined
}

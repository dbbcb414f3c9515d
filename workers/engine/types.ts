/**
 * The connection engine's vocabulary: what goes in (inputs), what comes out
 * (actions), and what the engine knows of a configuration (EngineConfig:
 * the console plugin's capabilities, never its protocol). engine.ts decides,
 * driver.ts carries actions out; neither side names a protocol.
 */
import type { FailureReason, SessionStateName } from '../../src/bridge/messages.js'
import type { ReconnectPolicy } from '../../src/bridge/reconnect.js'
import type { WireError } from '../../src/errors.js'

/** What the engine knows of a console plugin. */
export interface ConsoleTraits {
  /** The console runs over the management session (SOL): it is opened only while the session is up. */
  readonly needsSession: boolean
  /**
   * The plugin can tell when it is really connected (SOL activated, an exec
   * command's connected-pattern seen). One that cannot (a bare command) is
   * best effort (DESIGN lesson 5): its `up` only means it started, so it does
   * not reset the reconnect back-off.
   */
  readonly tellsConnected: boolean
  /** The console may not run on this service: reported once as this error, never opened. */
  readonly refused?: WireError | undefined
}

export interface EngineConfig {
  /** undefined: the node has no console (commands only). */
  console: ConsoleTraits | undefined
  /** The console opens only while a client wants it (until told, the default is closed). */
  onDemand: boolean
  reconnect: ReconnectPolicy
}

/** The two timers of a generation: the management session's retry and the console's. */
export const TIMERS = ['session', 'console'] as const
export type TimerName = (typeof TIMERS)[number]

/** A console attempt: events of an earlier attempt of the same generation are stale too. */
export type Attempt = number

export type EngineInput =
  | { type: 'configure'; generation: number; config: EngineConfig }
  /** Everything of that generation is closed (answer to `teardown`). */
  | { type: 'torn-down'; generation: number }
  | { type: 'session-up'; generation: number }
  | { type: 'session-failed'; generation: number; error: WireError }
  | { type: 'session-lost'; generation: number; error?: WireError | undefined }
  | { type: 'console-up'; generation: number; attempt: Attempt }
  | { type: 'console-failed'; generation: number; attempt: Attempt; error: WireError }
  /** The console ended because the engine closed it. */
  | { type: 'console-closed'; generation: number; attempt: Attempt }
  | { type: 'timer'; generation: number; timer: TimerName }
  | { type: 'demand'; wanted: boolean }
  | { type: 'fleet-size'; size: number }
  /** A client attached: skip the current wait. */
  | { type: 'retry-now' }
  /** Close a connected console and open it again; an unconnected one retries now. */
  | { type: 'reopen' }
  | { type: 'login-granted' }
  | { type: 'stop' }

export type Subject = 'session' | 'console'

export type EngineAction =
  /** Create the plugins of this generation (before anything else of it). */
  | { type: 'build'; generation: number }
  /** Close the console, the session and anything else of this generation, then answer `torn-down`. */
  | { type: 'teardown'; generation: number }
  | { type: 'connect'; generation: number }
  | { type: 'open-console'; generation: number; attempt: Attempt }
  | { type: 'close-console'; generation: number; attempt: Attempt }
  | { type: 'arm-timer'; generation: number; timer: TimerName; delayMs: number }
  | { type: 'cancel-timer'; generation: number; timer: TimerName }
  /** The last login failed on credentials: ask the supervisor's login gate, then wait for `login-granted`. */
  | { type: 'ask-login'; generation: number }
  | { type: 'report'; subject: Subject; generation: number; state: SessionStateName; reason?: FailureReason | undefined; error?: WireError | undefined }

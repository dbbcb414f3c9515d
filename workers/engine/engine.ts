/**
 * ConnectionEngine: the decisions of one BMC's worker as a state machine
 * (STYLE §10.2): inputs in (configuration generations, session and console
 * events, timer expiries, client demand), actions out (build, connect, open
 * or close the console, arm timers, ask the login gate, report state). It
 * does no I/O and keeps no clock; driver.ts carries the actions out and
 * feeds the outcomes back, tagged with their generation and console attempt.
 *
 * Owns (DESIGN lessons 2-5): one watcher: a new generation is built only
 * after the old one is torn down, and configurations that arrive meanwhile
 * replace each other, so live + draining generations never exceed one;
 * healing: every failure arms a jittered, growing retry; quiet orphans:
 * inputs of another generation or attempt are dropped and counted in
 * `stale`; a console stays `connecting` until its plugin says `up`, and
 * every failure is reported with its reason.
 */
import { assertNever, reasonOf, type FailureReason, type SessionStateName } from '../../src/bridge/messages.js'
import { reconnectDelayMs } from '../../src/bridge/reconnect.js'
import type { WireError } from '../../src/errors.js'
import { onConsoleInput, type ConsoleInput } from './console-phase.js'
import { onSessionInput, type SessionInput } from './session-phase.js'
import type { EngineAction, EngineConfig, EngineInput, Subject, TimerName } from './types.js'

export const SESSION_PHASES = ['login-wait', 'connecting', 'connected', 'retry-wait'] as const
export type SessionPhase = (typeof SESSION_PHASES)[number]
/** none: no console; refused: may not run here; idle: not open and no retry armed. */
export const CONSOLE_PHASES = ['none', 'refused', 'idle', 'opening', 'open', 'closing', 'retry-wait'] as const
export type ConsolePhase = (typeof CONSOLE_PHASES)[number]
/** The phases in which a console attempt is under way: its plugin's events count. */
const ATTEMPT_RUNNING: ReadonlySet<ConsolePhase> = new Set(['opening', 'open', 'closing'])

/** One live generation of configuration. */
export interface Live {
  readonly generation: number
  readonly config: EngineConfig
  session: SessionPhase
  console: ConsolePhase
  attempt: number
  sessionFailures: number
  consoleFailures: number
  /** The console was closed to be opened again (reopen). */
  reopen: boolean
  /** The last state reported per subject: consecutive repeats go out once. */
  readonly last: Record<Subject, string | undefined>
}

export class ConnectionEngine {
  private live: Live | undefined
  private readonly draining = new Set<number>()
  private pending: { generation: number; config: EngineConfig } | undefined
  private demand: boolean | undefined
  private fleetSize = 1
  private stopped = false
  private out: EngineAction[] = []
  /** Inputs of a replaced generation or console attempt, dropped (lesson 4). */
  stale = 0

  /** `random` in [0, 1) jitters the back-off (Math.random in the worker, a seeded one in tests). */
  constructor(private readonly random: () => number) {}

  /** Generations alive or still closing: 0 or 1 (lesson 2). */
  get watchers(): number {
    return (this.live !== undefined ? 1 : 0) + this.draining.size
  }

  get generation(): number | undefined {
    return this.live?.generation
  }

  /** The phases of the live generation, for tests and session info. */
  get phases(): { session: SessionPhase; console: ConsolePhase } | undefined {
    return this.live && { session: this.live.session, console: this.live.console }
  }

  handle(input: EngineInput): EngineAction[] {
    this.out = []
    this.dispatch(input)
    const out = this.out
    this.out = []
    return out
  }

  private dispatch(input: EngineInput): void {
    switch (input.type) {
      case 'configure':
        return this.configure(input.generation, input.config)
      case 'torn-down':
        this.draining.delete(input.generation)
        return this.startPending()
      case 'stop':
        this.stopped = true
        this.pending = undefined
        return this.teardownLive()
      case 'fleet-size':
        this.fleetSize = Math.max(1, Math.floor(input.size))
        return
      case 'demand':
        return this.setDemand(input.wanted)
      case 'retry-now':
      case 'reopen':
      case 'login-granted':
        if (this.live === undefined) return
        onSessionInput(this, this.live, input)
        onConsoleInput(this, this.live, input)
        return
      case 'session-up':
      case 'session-failed':
      case 'session-lost':
        if (this.current(input.generation)) onSessionInput(this, this.live!, input)
        return
      case 'console-up':
      case 'console-failed':
      case 'console-closed':
        if (!this.current(input.generation)) return
        // An attempt the engine has seen end (or replaced) says nothing any more.
        if (input.attempt === this.live!.attempt && ATTEMPT_RUNNING.has(this.live!.console)) onConsoleInput(this, this.live!, input)
        else this.stale++
        return
      case 'timer':
        if (!this.current(input.generation)) return
        if (input.timer === 'session') onSessionInput(this, this.live!, input as SessionInput)
        else onConsoleInput(this, this.live!, input as ConsoleInput)
        return
      default:
        assertNever(input)
    }
  }

  private current(generation: number): boolean {
    if (this.live !== undefined && this.live.generation === generation) return true
    this.stale++
    return false
  }

  private configure(generation: number, config: EngineConfig): void {
    if (this.stopped) return
    this.pending = { generation, config }
    this.teardownLive()
    this.startPending()
  }

  private teardownLive(): void {
    const live = this.live
    if (live === undefined) return
    this.live = undefined
    this.draining.add(live.generation)
    this.emit({ type: 'teardown', generation: live.generation })
  }

  private startPending(): void {
    const p = this.pending
    if (p === undefined || this.draining.size > 0 || this.stopped) return
    this.pending = undefined
    const c = p.config.console
    const live: Live = {
      generation: p.generation, config: p.config, session: 'connecting', console: c === undefined ? 'none' : c.refused !== undefined ? 'refused' : 'idle',
      attempt: 0, sessionFailures: 0, consoleFailures: 0, reopen: false, last: { session: undefined, console: undefined },
    }
    this.live = live
    this.emit({ type: 'build', generation: live.generation })
    if (c?.refused !== undefined) this.report(live, 'console', 'error', c.refused)
    if (c !== undefined && !c.needsSession && this.consoleCanOpen(live)) this.openConsole(live)
    this.beginConnect(live)
  }

  private setDemand(wanted: boolean): void {
    const live = this.live
    const was = live !== undefined ? this.consoleWanted(live) : undefined
    this.demand = wanted
    if (live !== undefined && was !== this.consoleWanted(live)) onConsoleInput(this, live, { type: 'demand-changed' })
  }

  // --- helpers for the phase handlers (session-phase.ts, console-phase.ts) ---

  emit(a: EngineAction): void {
    this.out.push(a)
  }

  consoleWanted(live: Live): boolean {
    return live.config.console !== undefined && (this.demand ?? !live.config.onDemand)
  }

  /** The console may be opened now: wanted, and its session (if it needs one) is up. */
  consoleCanOpen(live: Live): boolean {
    const c = live.config.console
    return c !== undefined && c.refused === undefined && this.consoleWanted(live) && (!c.needsSession || live.session === 'connected')
  }

  /** A console that rides on the session shares the session's fate. */
  consoleOnSession(live: Live): boolean {
    const c = live.config.console
    return c !== undefined && c.refused === undefined && c.needsSession && this.consoleWanted(live)
  }

  delayMs(live: Live, failures: number): number {
    return reconnectDelayMs(failures, live.config.reconnect, this.fleetSize, this.random())
  }

  arm(live: Live, timer: TimerName, failures: number): void {
    this.emit({ type: 'arm-timer', generation: live.generation, timer, delayMs: this.delayMs(live, failures) })
  }

  cancel(live: Live, timer: TimerName): void {
    this.emit({ type: 'cancel-timer', generation: live.generation, timer })
  }

  beginConnect(live: Live): void {
    live.session = 'connecting'
    this.report(live, 'session', 'connecting')
    // A wanted console is connecting as soon as its session is (lesson 5).
    if (this.consoleOnSession(live)) this.report(live, 'console', 'connecting')
    this.emit({ type: 'connect', generation: live.generation })
  }

  openConsole(live: Live): void {
    live.attempt++
    live.console = 'opening'
    this.report(live, 'console', 'connecting')
    this.emit({ type: 'open-console', generation: live.generation, attempt: live.attempt })
  }

  closeConsole(live: Live): void {
    live.console = 'closing'
    this.emit({ type: 'close-console', generation: live.generation, attempt: live.attempt })
  }

  /** Reports a state once per change; an error's reason comes from the error (lesson 5). */
  report(live: Live, subject: Subject, state: SessionStateName, error?: WireError, reason?: FailureReason): void {
    const why = reason ?? (error !== undefined ? reasonOf(error) : undefined)
    const key = `${state}:${why ?? ''}`
    if (live.last[subject] === key) return
    live.last[subject] = key
    this.emit({ type: 'report', subject, generation: live.generation, state, reason: why, error })
  }
}

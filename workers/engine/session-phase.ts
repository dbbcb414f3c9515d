/**
 * The management session's half of the connection engine: one handler per
 * session phase. A credential failure waits for the supervisor's login gate
 * (supervisor/login-gate.ts) instead of our own back-off; every other
 * failure and every lost session arms the session timer with a growing,
 * jittered delay. Pure: the engine collects what these emit.
 */
import { assertNever, reasonOf, type FailureReason } from '../../src/bridge/messages.js'
import type { WireError } from '../../src/errors.js'
import type { ConnectionEngine, Live, SessionPhase } from './engine.js'
import type { EngineInput } from './types.js'

export type SessionInput =
  | Extract<EngineInput, { type: 'session-up' | 'session-failed' | 'session-lost' | 'retry-now' | 'reopen' | 'login-granted' }>
  | { type: 'timer'; generation: number; timer: 'session' }

type Handler = (e: ConnectionEngine, live: Live, input: SessionInput) => void

const HANDLERS: Record<SessionPhase, Handler> = {
  'connecting': (e, live, input) => {
    if (input.type === 'session-up') return up(e, live)
    if (input.type !== 'session-failed') return
    const reason = reasonOf(input.error)
    e.report(live, 'session', 'error', input.error, reason)
    if (e.consoleOnSession(live)) e.report(live, 'console', 'error', { ...input.error, details: { ...input.error.details, reason } }, reason)
    if (reason === 'bad_credentials') {
      live.session = 'login-wait'
      e.emit({ type: 'ask-login', generation: live.generation })
      return
    }
    live.session = 'retry-wait'
    e.arm(live, 'session', live.sessionFailures++)
  },
  'connected': (e, live, input) => {
    if (input.type !== 'session-lost') return
    const reason = input.error !== undefined ? reasonOf(input.error) : 'closed'
    e.report(live, 'session', 'disconnected', input.error, reason)
    // SOL ends with its session: lost with the BMC (unreachable), or deactivated with the session.
    lostUnderConsole(e, live, input.error, reason === 'unreachable' ? 'unreachable' : 'sol_deactivated')
    live.session = 'retry-wait'
    e.arm(live, 'session', live.sessionFailures++)
  },
  'retry-wait': (e, live, input) => {
    if (input.type === 'timer') return e.beginConnect(live)
    if (input.type !== 'retry-now' && input.type !== 'reopen') return
    e.cancel(live, 'session')
    live.sessionFailures = 0
    e.beginConnect(live)
  },
  'login-wait': (e, live, input) => {
    if (input.type === 'login-granted') e.beginConnect(live)
  },
}

export function onSessionInput(e: ConnectionEngine, live: Live, input: SessionInput): void {
  HANDLERS[live.session](e, live, input)
}

function up(e: ConnectionEngine, live: Live): void {
  live.session = 'connected'
  e.report(live, 'session', 'connected')
  const c = live.config.console
  // Without a console on this session, being logged in is the success that resets the back-off.
  if (c === undefined || !c.needsSession || !e.consoleWanted(live) || c.refused !== undefined) live.sessionFailures = 0
  if (!e.consoleCanOpen(live)) return
  if (live.console === 'retry-wait') e.cancel(live, 'console')
  if (live.console === 'idle' || live.console === 'retry-wait') e.openConsole(live)
}

/** The session under a SOL console ended: the console ends with it, for the same reason. */
function lostUnderConsole(e: ConnectionEngine, live: Live, error: WireError | undefined, reason: FailureReason): void {
  const c = live.config.console
  if (c === undefined || !c.needsSession) return
  switch (live.console) {
    case 'opening':
    case 'open':
    case 'closing':
      live.reopen = false
      if (e.consoleWanted(live)) e.report(live, 'console', 'error', error, reason)
      else e.report(live, 'console', 'disconnected', error, reason)
      live.console = 'idle'
      return
    case 'retry-wait':
      e.cancel(live, 'console')
      live.console = 'idle'
      return
    case 'none':
    case 'refused':
    case 'idle':
      return
    default:
      assertNever(live.console)
  }
}

/**
 * The console's half of the connection engine: one handler per console
 * phase, the same for every console plugin (SOL, exec, ...). The engine
 * knows a plugin only by its traits: whether it rides on the session and
 * whether it can tell when it is connected (a best-effort console's `up`
 * does not reset the back-off: a command that starts and dies at once must
 * not be restarted in a tight loop). Pure: the engine collects what these emit.
 */
import type { ConnectionEngine, ConsolePhase, Live } from './engine.js'
import type { EngineInput } from './types.js'

export type ConsoleInput =
  | Extract<EngineInput, { type: 'console-up' | 'console-failed' | 'console-closed' | 'retry-now' | 'reopen' | 'login-granted' }>
  | { type: 'timer'; generation: number; timer: 'console' }
  /** consoleWanted() changed (client demand). */
  | { type: 'demand-changed' }

type Handler = (e: ConnectionEngine, live: Live, input: ConsoleInput) => void

const ignore: Handler = () => undefined

/** What an opening and an open console do alike: fail, close, follow demand, reopen. */
const whileOpen: Handler = (e, live, input) => {
  switch (input.type) {
    case 'console-failed':
      return failed(e, live, input.error)
    case 'console-closed':
      return closedUnasked(e, live)
    case 'demand-changed':
      if (!e.consoleWanted(live)) e.closeConsole(live)
      return
    case 'reopen':
      live.reopen = true
      e.closeConsole(live)
      return
    default:
      return
  }
}

const HANDLERS: Record<ConsolePhase, Handler> = {
  'none': ignore,
  'refused': ignore,
  'idle': (e, live, input) => {
    if (input.type === 'demand-changed' || input.type === 'retry-now' || input.type === 'reopen') openIfWanted(e, live)
  },
  'opening': (e, live, input) => {
    switch (input.type) {
      case 'console-up':
        live.console = 'open'
        e.report(live, 'console', 'connected')
        if (live.config.console?.tellsConnected === true) {
          live.consoleFailures = 0
          live.sessionFailures = 0
        }
        return
      default:
        return whileOpen(e, live, input)
    }
  },
  'open': (e, live, input) => whileOpen(e, live, input),
  'closing': (e, live, input) => {
    if (input.type === 'console-failed' || input.type === 'console-closed') {
      e.report(live, 'console', 'disconnected')
      live.console = 'idle'
      const again = live.reopen || input.type === 'console-failed'
      live.reopen = false
      if (again || e.consoleWanted(live)) openIfWanted(e, live)
    } else if (input.type === 'demand-changed' && e.consoleWanted(live)) live.reopen = true
  },
  'retry-wait': (e, live, input) => {
    switch (input.type) {
      case 'timer':
        live.console = 'idle'
        return openIfWanted(e, live)
      case 'retry-now':
      case 'reopen':
      case 'demand-changed':
        e.cancel(live, 'console')
        live.console = 'idle'
        live.consoleFailures = 0
        return openIfWanted(e, live)
      default:
        return
    }
  },
}

export function onConsoleInput(e: ConnectionEngine, live: Live, input: ConsoleInput): void {
  HANDLERS[live.console](e, live, input)
}

function openIfWanted(e: ConnectionEngine, live: Live): void {
  if (e.consoleCanOpen(live)) e.openConsole(live)
}

/** The plugin failed to open, or its open console failed: say why, retry after a while. */
function failed(e: ConnectionEngine, live: Live, error: Extract<ConsoleInput, { type: 'console-failed' }>['error']): void {
  e.report(live, 'console', 'error', error)
  live.console = 'idle'
  if (!e.consoleCanOpen(live)) return
  live.console = 'retry-wait'
  e.arm(live, 'console', live.consoleFailures++)
}

/** The console ended by itself without an error: disconnected, and retried like a failure. */
function closedUnasked(e: ConnectionEngine, live: Live): void {
  e.report(live, 'console', 'disconnected')
  live.console = 'idle'
  if (!e.consoleCanOpen(live)) return
  live.console = 'retry-wait'
  e.arm(live, 'console', live.consoleFailures++)
}

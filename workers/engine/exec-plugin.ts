/**
 * The exec console plugin: the node's console is a command the worker runs
 * (workers/exec-console.ts), one ExecConsole per attempt, independent of
 * the management session. Best effort (DESIGN lesson 5) unless the node
 * configures a connectedPattern: then it can tell when it is connected.
 * On a service without --allow-exec-consoles it is refused: the command
 * never runs and the engine reports exec_disabled.
 */
import type { BmcConfig } from '../../src/bridge/messages.js'
import { ServiceError, toWire } from '../../src/errors.js'
import { ExecConsole, execEnvironment } from '../exec-console.js'
import type { ConsoleHooks, ConsolePlugin, PluginContext } from './plugins.js'
import type { ConsoleTraits } from './types.js'

export function execTraits(config: BmcConfig): ConsoleTraits {
  const pattern = config.consoleExec?.connectedPattern
  const tellsConnected = pattern !== undefined && pattern !== ''
  if (config.allowExecConsole === true) return { needsSession: false, tellsConnected }
  const refused = toWire(new ServiceError('EXEC_CONSOLES_DISABLED',
    'exec consoles are turned off on this server (serve --allow-exec-consoles); the command was not run', { details: { reason: 'exec_disabled' } }))
  return { needsSession: false, tellsConnected, refused }
}

export function execPlugin(ctx: PluginContext): ConsolePlugin {
  const cfg = ctx.config.consoleExec ?? { command: [] }
  const env = execEnvironment(ctx.bmc, ctx.config)
  let con: ExecConsole | undefined
  /** The current attempt, until its command is started. */
  let waiting: { hooks: ConsoleHooks } | undefined
  return {
    ...execTraits(ctx.config),
    open(hooks: ConsoleHooks) {
      const prev = con
      const c = new ExecConsole(cfg, env)
      con = c
      c.on('data', (chunk) => hooks.data(chunk))
      c.on('progress', (backlog) => hooks.progress(backlog))
      c.on('state', (state, err) => {
        if (state === 'connected') hooks.up()
        else if (state === 'error') hooks.failed(toWire(err))
        else if (state === 'closed') hooks.closed()
      })
      const me = { hooks }
      waiting = me
      // One command at a time: the previous run is gone (killed if need be) before the next starts.
      void (prev?.close() ?? Promise.resolve()).then(() => {
        if (waiting !== me) return
        waiting = undefined
        c.open().catch(() => undefined) // the state event says why
      })
    },
    close() {
      const w = waiting
      if (w !== undefined) {
        // Closed before its command started: it never runs, and only we can say so.
        waiting = undefined
        w.hooks.closed()
        return Promise.resolve()
      }
      return con?.close() ?? Promise.resolve()
    },
    get state() {
      return con?.state ?? 'idle'
    },
    sink() {
      const c = con
      if (c === undefined) return undefined
      return {
        get accepting() {
          return c.state === 'connected'
        },
        get backlog() {
          return c.backlog
        },
        write: (data) => c.write(data),
      }
    },
    sendBreak() {
      if (con?.state === 'connected') con.sendBreak()
    },
  }
}

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
import { ownConsolePlugin } from './own-console.js'
import type { ConsolePlugin, PluginContext } from './plugins.js'
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
  return ownConsolePlugin({
    traits: execTraits(ctx.config),
    create: () => new ExecConsole(cfg, env),
    // One command at a time: the previous run is gone (killed if need be) before the next starts.
    start: (c) => void c.open().catch(() => undefined), // the state event says why
    unexplained: 'exec console failed without a reason',
  })
}

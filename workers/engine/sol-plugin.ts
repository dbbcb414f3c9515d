/**
 * The IPMI SOL console plugin: one SolConsole per attempt on the management
 * plugin's session. It can tell when it is connected (Activate Payload
 * answered), so the engine keeps the console `connecting` until then.
 * Owns only its I/O: activation, input, BREAK and Deactivate Payload.
 */
import { hasConsoleCredit } from '../../src/bridge/credit.js'
import type { BmcConfig } from '../../src/bridge/messages.js'
import { ServiceError, toWire } from '../../src/errors.js'
import { SolConsole } from '../../src/sol/console.js'
import { inputLimit } from '../console-input.js'
import type { ConsoleHooks, ConsolePlugin, PluginContext } from './plugins.js'
import type { ConsoleTraits } from './types.js'

const DEFAULT_LIVENESS_MS = 10_000

export function solTraits(): ConsoleTraits {
  return { needsSession: true, tellsConnected: true }
}

export function solPlugin(ctx: PluginContext): ConsolePlugin {
  const config: BmcConfig = ctx.config
  let con: SolConsole | undefined
  return {
    ...solTraits(),
    open(hooks: ConsoleHooks) {
      // Read at each open: an auto node's management plugin has its IPMI client only once its probe answered.
      const client = ctx.management.ipmi
      if (client === undefined) {
        const err = toWire(new ServiceError('INTERNAL', 'the SOL console needs an IPMI session (an IPMI node, or console ipmi beside Redfish)'))
        queueMicrotask(() => hooks.failed(err)) // outcomes come after open() returns, as a SolConsole's do
        return
      }
      const limit = inputLimit(config)
      // write() says "full" at half the input limit, so its 'drain' (at a quarter) is the gate's progress.
      const c = SolConsole.forClient(client, {
        livenessTimeoutMs: config.consoleLivenessMs ?? DEFAULT_LIVENESS_MS,
        admit: hasConsoleCredit,
        tuning: { highWaterMark: Math.ceil(limit / 2), maxBufferedBytes: limit },
      })
      con = c
      c.on('data', (chunk) => hooks.data(chunk))
      c.on('drain', () => hooks.progress(c.bufferedBytes))
      c.on('state', (state, err) => {
        if (state === 'connected') hooks.up()
        else if (state === 'error') hooks.failed(toWire(err))
        else if (state === 'closed') hooks.closed()
      })
      c.open({ force: config.consoleForce ?? true }).catch(() => undefined) // the state event says why
    },
    close: () => con?.close() ?? Promise.resolve(),
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
          return c.bufferedBytes
        },
        write: (data) => void c.write(data),
      }
    },
    sendBreak() {
      if (con?.state === 'connected') con.sendBreak()
    },
  }
}

/**
 * The IPMI SOL console plugin: one SolConsole per attempt on the management
 * plugin's session. It can tell when it is connected (Activate Payload
 * answered), so the engine keeps the console `connecting` until then.
 * Owns only its I/O: activation, input, BREAK and Deactivate Payload.
 */
import { hasConsoleCredit } from '../../src/bridge/credit.js'
import type { BmcConfig } from '../../src/bridge/messages.js'
import { ensureSolAccumulate } from '../../src/bmc/sol-config.js'
import { ServiceError, toWire } from '../../src/errors.js'
import type { IpmiClient } from '../../src/session/client.js'
import { SolConsole } from '../../src/sol/console.js'
import { inputLimit } from '../console-input.js'
import type { ConsoleHooks, ConsolePlugin, PluginContext } from './plugins.js'
import type { ConsoleTraits } from './types.js'

const DEFAULT_LIVENESS_MS = 10_000
/** Each of the two parameter 3 commands waits at most this long: a BMC that does not answer them still gets its console. */
const ACCUMULATE_TIMEOUT_MS = 3000

export function solTraits(): ConsoleTraits {
  return { needsSession: true, tellsConnected: true }
}

export function solPlugin(ctx: PluginContext): ConsolePlugin {
  const config: BmcConfig = ctx.config
  let con: SolConsole | undefined
  /** The BMC's accumulate interval is as asked (or it will not take one): not asked again by this worker. */
  let accumulateSettled = false
  /** An attempt still setting the interval, not yet activating: close() ends it before it activates. */
  let settling: { closed: boolean; done: Promise<void> } | undefined

  /**
   * `serve --sol-accumulate-ms`: before the first activation, the BMC's
   * interval is made the one asked for. A BMC that refuses is learned
   * (sol-accumulate-fixed) and left alone from then on; any other failure
   * leaves the console to start anyway and the next attempt asks again.
   */
  async function settleAccumulate(client: IpmiClient, want: number): Promise<void> {
    try {
      const outcome = await ensureSolAccumulate(client, want, { timeoutMs: ACCUMULATE_TIMEOUT_MS })
      accumulateSettled = true
      if (outcome.kind === 'refused') client.noteLearned('sol-accumulate-fixed', outcome.detail)
    } catch {
      // Not answered or the session went: the console starts with the BMC's interval and the next attempt asks again.
    }
  }

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
      const activate = () => void c.open({ force: config.consoleForce ?? true }).catch(() => undefined) // the state event says why
      const want = config.solAccumulateMs
      if (want === undefined || accumulateSettled || client.hasWorkaround('sol-accumulate-fixed')) return activate()
      const attempt: { closed: boolean; done: Promise<void> } = {
        closed: false,
        done: settleAccumulate(client, want).then(() => {
          if (settling === attempt) settling = undefined
          if (attempt.closed) hooks.closed()
          else activate()
        }),
      }
      settling = attempt
    },
    close() {
      const s = settling
      if (s === undefined) return con?.close() ?? Promise.resolve()
      s.closed = true
      return s.done
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

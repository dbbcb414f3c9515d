/**
 * The SSH console plugin: one SshConsole (workers/ssh-console.ts) per
 * attempt, independent of the management session. It can tell when it is
 * connected (the channel opened), so the engine keeps the console
 * `connecting` until then and retries failures with its back-off.
 * Trust on first use: with no `hostKey` pinned, the first key seen is
 * trusted, reported to the main thread (ctx.trust) and pinned for every
 * later attempt of this generation; the main thread stores it as the
 * node's `console.hostKey`, so a different key is refused from then on.
 */
import { DEFAULT_SSH_PORT, type BmcConfig, type SshConsoleConfig } from '../../src/bridge/messages.js'
import { ServiceError, toWire } from '../../src/errors.js'
import { SshConsole } from '../ssh-console.js'
import type { ConsoleHooks, ConsolePlugin, PluginContext } from './plugins.js'
import type { ConsoleTraits } from './types.js'

const DEFAULT_LIVENESS_MS = 10_000
/** TCP connect, key exchange and authentication together. */
const READY_TIMEOUT_MS = 15_000
/** RFC 4335 leaves a break's length to the client (the server may shorten it): a quarter second, like a serial BREAK key. */
const BREAK_MS = 250

export function sshTraits(): ConsoleTraits {
  return { needsSession: false, tellsConnected: true }
}

export function sshConsoleConfig(config: BmcConfig): SshConsoleConfig {
  return config.consoleSsh ?? { host: config.host, port: DEFAULT_SSH_PORT }
}

export function sshPlugin(ctx: PluginContext): ConsolePlugin {
  const config = ctx.config
  let cfg = sshConsoleConfig(config)
  let con: SshConsole | undefined
  /** The current attempt, until its connection starts. */
  let waiting: { hooks: ConsoleHooks } | undefined
  return {
    ...sshTraits(),
    open(hooks: ConsoleHooks) {
      const prev = con
      const c = new SshConsole(cfg, config.credentials, {
        livenessMs: config.consoleLivenessMs ?? DEFAULT_LIVENESS_MS, readyTimeoutMs: READY_TIMEOUT_MS, breakMs: BREAK_MS,
      })
      con = c
      c.on('data', (chunk) => hooks.data(chunk))
      c.on('progress', (backlog) => hooks.progress(backlog))
      c.on('learned', (fingerprint) => {
        cfg = { ...cfg, hostKey: fingerprint }
        ctx.trust('ssh-host-key', fingerprint)
      })
      c.on('state', (state, err) => {
        if (state === 'connected') hooks.up()
        else if (state === 'error') hooks.failed(toWire(err ?? new ServiceError('INTERNAL', 'SSH console failed without a reason')))
        else if (state === 'closed') hooks.closed()
      })
      const me = { hooks }
      waiting = me
      // One connection at a time: the previous one is gone before the next starts.
      void (prev?.close() ?? Promise.resolve()).then(() => {
        if (waiting !== me) return
        waiting = undefined
        c.open()
      })
    },
    close() {
      const w = waiting
      if (w !== undefined) {
        // Closed before it started connecting: it never will, and only we can say so.
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

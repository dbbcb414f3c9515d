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
import { SshConsole } from '../ssh-console.js'
import { ownConsolePlugin } from './own-console.js'
import type { ConsolePlugin, PluginContext } from './plugins.js'
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
  return ownConsolePlugin({
    traits: sshTraits(),
    create: () => {
      const c = new SshConsole(cfg, config.credentials, {
        livenessMs: config.consoleLivenessMs ?? DEFAULT_LIVENESS_MS, readyTimeoutMs: READY_TIMEOUT_MS, breakMs: BREAK_MS,
      })
      c.on('learned', (fingerprint) => {
        cfg = { ...cfg, hostKey: fingerprint }
        ctx.trust('ssh-host-key', fingerprint)
      })
      return c
    },
    start: (c) => c.open(),
    unexplained: 'SSH console failed without a reason',
  })
}

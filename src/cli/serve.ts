/**
 * `bmcvisor serve`: starts the service (src/main.ts) and runs until
 * SIGINT/SIGTERM, then closes every BMC session before exiting. Options come
 * from flags, the environment and a YAML file (--config or BMCVISOR_CONFIG),
 * all defined once in serve-options.ts. The first start of a fresh data
 * directory prints an admin token once (unless BMCVISOR_ADMIN_TOKEN is set).
 * Under systemd (NOTIFY_SOCKET) it reports READY=1 once the store is open and
 * the API listens, and STOPPING=1 when it begins to shut down.
 */
import { parseArgs } from 'node:util'
import { OPEN_KINDS, type OpenKind } from '../api/auth.js'
import { errorAt, loadConfigFile, resolveOptions } from '../config.js'
import { ServiceError } from '../errors.js'
import { createLogger } from '../log.js'
import { startServer, type RunningServer, type ServeOptions } from '../main.js'
import type { OpenedStore } from '../store/types.js'
import { reportError } from './errors-out.js'
import { SIGN_IN_CODE_TTL_MS } from '../api/web-sessions.js'
import { demoBanner, demoToken, registerDemoNodes, startDemoFleet, type DemoFleet, type DemoRegistration } from './demo.js'
import { CONFIG_ENV, SERVE_ARGS, SERVE_OPTIONS, SERVE_USAGE, type ServeValues } from './serve-options.js'
import { systemdNotifier } from './systemd.js'

export { SERVE_USAGE } from './serve-options.js'

/** Starts the line of `serve`'s output with the browser sign-in link. */
export const SIGN_IN_LINE = 'bmcvisor: sign in from a browser:'

export interface ServeIo {
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream
  env: NodeJS.ProcessEnv
  /** Resolves when the process should stop (signals); tests pass their own. */
  stopSignal?: Promise<unknown>
}

/** serve's exit status after a supervisor escalation (EX_SOFTWARE): non-zero, so systemd's Restart=on-failure acts. */
export const EXIT_ESCALATED = 70

function signals(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'))
    process.once('SIGTERM', () => resolve('SIGTERM'))
  })
}

/** The serve options of a command line, environment and configuration file; undefined for --help. */
export function serveValues(argv: string[], env: NodeJS.ProcessEnv): ServeValues | undefined {
  const { values: o, positionals } = parseArgs({ args: argv, options: SERVE_ARGS, allowPositionals: true, strict: true })
  if (o.help === true) return undefined
  if (positionals.length > 0) throw new ServiceError('VALIDATION_FAILED', `unexpected argument ${positionals[0]}`, { details: { field: 'argv' } })
  const configFile = o.config ?? (env[CONFIG_ENV] === '' ? undefined : env[CONFIG_ENV])
  const file = configFile === undefined ? undefined : loadConfigFile(SERVE_OPTIONS, configFile)
  const resolved = resolveOptions(SERVE_OPTIONS, { flags: o, env, file })
  checkServeValues(resolved.values, resolved.sources)
  return resolved.values
}

/** The rules between options. */
export function checkServeValues(v: ServeValues, sources: ReturnType<typeof resolveOptions<typeof SERVE_OPTIONS>>['sources']): void {
  if (v['tls-ciphers'] !== undefined && v['tls-cert'] === undefined) {
    const source = sources['tls-ciphers']
    throw errorAt(SERVE_OPTIONS, 'tls-ciphers', source, `goes with ${source.from === 'file' ? SERVE_OPTIONS['tls-cert'].key : '--tls-cert'}`)
  }
  if (v['cluster-lease-margin'] >= v['cluster-lease'] * (1 - 1 / 3)) {
    throw errorAt(SERVE_OPTIONS, 'cluster-lease-margin', sources['cluster-lease-margin'], `must be less than two thirds of the lease (${v['cluster-lease']} s): a renewal every third of it must still land before the margin`)
  }
  if (v['request-timeout'] < v['headers-timeout']) {
    throw errorAt(SERVE_OPTIONS, 'request-timeout', sources['request-timeout'], `must be at least the headers timeout (${v['headers-timeout']} s)`)
  }
  if ((v['tls-cert'] === undefined) !== (v['tls-key'] === undefined)) {
    const [set, missing] = v['tls-cert'] !== undefined ? (['tls-cert', 'tls-key'] as const) : (['tls-key', 'tls-cert'] as const)
    const source = sources[set]
    throw errorAt(SERVE_OPTIONS, set, source, `goes with ${source.from === 'file' ? SERVE_OPTIONS[missing].key : `--${missing}`}`)
  }
}

/** What startServer takes from the options and the environment. */
export function serverOptions(v: ServeValues, env: NodeJS.ProcessEnv): ServeOptions {
  return {
    listen: v.listen,
    dataDir: v.data,
    store: v.store,
    cluster: { id: v['cluster-id'], address: v['cluster-address'], leaseMs: Math.round(v['cluster-lease'] * 1000), marginMs: Math.round(v['cluster-lease-margin'] * 1000) },
    adminToken: env.BMCVISOR_ADMIN_TOKEN,
    secretKey: env.BMCVISOR_SECRET_KEY,
    tls: v['tls-cert'] !== undefined && v['tls-key'] !== undefined ? { certFile: v['tls-cert'], keyFile: v['tls-key'], ciphers: v['tls-ciphers'] } : undefined,
    enableFaultInjection: v['enable-fault-injection'],
    allowExecConsoles: v['allow-exec-consoles'],
    consoles: { inputLimitBytes: v['console-input-limit'] },
    ...(v['sol-accumulate-ms'] > 0 ? { bmcDefaults: { solAccumulateMs: v['sol-accumulate-ms'] } } : {}),
    auditRetentionDays: v['audit-retention-days'],
    limits: {
      connectionsPerToken: v['ws-per-token'],
      expensive: { perSecond: v['rate-per-token'], burst: v['rate-burst'] },
      tokenRecheckMs: Math.round(v['token-recheck'] * 1000),
    },
    timeouts: { headersTimeoutMs: Math.round(v['headers-timeout'] * 1000), requestTimeoutMs: Math.round(v['request-timeout'] * 1000) },
    ...(v['sensor-metrics'] ? { metricsOptions: { sensors: { intervalMs: v['sensor-interval'] * 1000 } } } : {}),
    open: OPEN_KINDS.filter((k) => !v.protect.includes(k)) as OpenKind[],
  }
}

/** Runs until a stop signal; meanwhile SIGHUP makes console logs let go of their files and create them anew (logrotate). */
async function untilStopped(server: RunningServer, stopSignal: Promise<unknown> | undefined): Promise<unknown> {
  const onHup = () => {
    server.reopenLogs().then(() => server.logger.info('console logs reopened'), (err: unknown) => server.logger.error({ err }, 'reopening console logs failed'))
  }
  process.on('SIGHUP', onHup)
  return (stopSignal ?? signals()).finally(() => process.off('SIGHUP', onHup))
}

export async function serveCommand(argv: string[], io: ServeIo): Promise<number> {
  try {
    const v = serveValues(argv, io.env)
    if (v === undefined) {
      io.stdout.write(SERVE_USAGE + '\n')
      return 0
    }
    const logger = createLogger({ level: v['log-level'], format: v['log-format'] })
    const notifier = systemdNotifier(io.env, logger)
    // The simulated BMCs first: their ports go into the node records before any worker starts.
    const demo: DemoFleet | undefined = v.demo ? await startDemoFleet(v['demo-size']) : undefined
    let registration: DemoRegistration | undefined
    let initialToken: string | undefined
    const server = await startServer({
      ...serverOptions(v, io.env),
      logger,
      onInitialToken: (token) => {
        initialToken = token
        // The demo prints it in its banner.
        if (demo === undefined) io.stderr.write(`bmcvisor: first start: created an admin token. It is shown only now; keep it (BMCVISOR_TOKEN):\n${token}\n`)
      },
      ...(demo !== undefined ? { prepareStore: async (store: OpenedStore) => void (registration = await registerDemoNodes(store.nodes, demo)) } : {}),
    }).catch(async (e: unknown) => {
      await demo?.close()
      throw e
    })
    io.stderr.write(`bmcvisor: serving on ${server.url} (data ${server.store.dataDir})\n`)
    const envToken = io.env.BMCVISOR_ADMIN_TOKEN !== '' ? io.env.BMCVISOR_ADMIN_TOKEN : undefined
    let known = envToken ?? initialToken
    if (demo !== undefined && registration !== undefined) {
      const token = envToken !== undefined ? undefined : await demoToken(server.store, initialToken)
      known ??= token
      io.stdout.write(demoBanner({ url: server.url, token, fleet: demo, registration, dataDir: server.store.dataDir }))
    }
    // The link carries a one-time code (in the fragment, which browsers do not send), never the token.
    if (known !== undefined) io.stdout.write(`${SIGN_IN_LINE} ${server.url}/#code=${server.web.issueCode(known)}   (works once, within ${SIGN_IN_CODE_TTL_MS / 60_000} minutes)\n`)
    // startServer resolved: the store is open and the API listens.
    await notifier?.ready(`serving on ${server.url}, ${server.supervisor.nodes.length} nodes`)
    const end = await Promise.race([
      untilStopped(server, io.stopSignal).then((signal) => ({ signal })),
      server.escalated.then((escalation) => ({ escalation })),
    ])
    if ('escalation' in end) {
      server.logger.fatal({ ...end.escalation }, 'many workers crashed at once (a host fault or a bmcvisor bug): exiting so that the service manager restarts bmcvisor')
    } else server.logger.info({ signal: end.signal }, 'shutting down: closing BMC sessions')
    await notifier?.stopping()
    await server.close()
    await demo?.close()
    return 'escalation' in end ? EXIT_ESCALATED : 0
  } catch (e) {
    return reportError(e, io.stderr)
  }
}

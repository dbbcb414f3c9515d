/**
 * `bmcvisor serve`: starts the service (src/main.ts) on embedded defaults
 * (127.0.0.1:8623, ./data) and runs until SIGINT/SIGTERM, then closes every
 * BMC session before exiting. The first start of a fresh data directory
 * prints an admin token once (unless BMCVISOR_ADMIN_TOKEN is set).
 */
import { parseArgs } from 'node:util'
import { OPEN_KINDS, type OpenKind } from '../api/auth.js'
import { ServiceError } from '../errors.js'
import { DEFAULT_CONNECTIONS_PER_TOKEN, DEFAULT_TOKEN_RECHECK_MS } from '../api/connections.js'
import { DEFAULT_HEADERS_TIMEOUT_MS, DEFAULT_REQUEST_TIMEOUT_MS } from '../api/http-guard.js'
import { DEFAULT_EXPENSIVE_RATE } from '../api/rate-limit.js'
import { DEFAULT_DATA, DEFAULT_LISTEN, startServer, type ServeOptions } from '../main.js'
import { DEFAULT_AUDIT_RETENTION_DAYS, MAX_AUDIT_RETENTION_DAYS } from '../store/audit.js'
import type { OpenedStore } from '../store/sqlite.js'
import { reportError } from './errors-out.js'
import { DEMO_DEFAULT_COUNT, DEMO_MAX_COUNT, demoBanner, demoToken, registerDemoNodes, startDemoFleet, type DemoFleet, type DemoRegistration } from './demo.js'

export const SERVE_USAGE = `usage: bmcvisor serve [--listen HOST:PORT] [--data DIR] [--tls-cert FILE --tls-key FILE [--tls-ciphers LIST]]
                      [--protect health,metrics,docs] [--enable-fault-injection] [--log-level LEVEL]
                      [--sensor-metrics [--sensor-interval SECONDS]] [--demo [--demo-size N] | --no-demo]
                      [--audit-retention-days N] [--ws-per-token N] [--rate-per-token N --rate-burst N]
                      [--headers-timeout SECONDS] [--request-timeout SECONDS] [--token-recheck SECONDS]
  --listen   default ${DEFAULT_LISTEN} (env BMCVISOR_LISTEN); loopback unless told otherwise
  --data     default ${DEFAULT_DATA} (env BMCVISOR_DATA): bmcvisor.db, secret.key
  --tls-ciphers  OpenSSL cipher list (default: TLS 1.3 suites and ECDHE with AES-GCM or ChaCha20-Poly1305; TLS 1.2+)
  --protect  require a token for these otherwise open endpoints (/healthz and /readyz, /metrics, /docs)
  --sensor-metrics   poll every node's sensors (worker op sensors.list) into /metrics under ipmi_exporter's names
  --sensor-interval  seconds between a node's sensor polls (default 60, at least 1)
  --ws-per-token     console WebSockets one token may hold (default ${DEFAULT_CONNECTIONS_PER_TOKEN})
  --rate-per-token   expensive requests (ranges, sensors, health, inventory, events, console reopen) per second
                     per token (default ${DEFAULT_EXPENSIVE_RATE.perSecond}); --rate-burst how many at once (default ${DEFAULT_EXPENSIVE_RATE.burst})
  --headers-timeout  seconds a client has to send its request headers (default ${DEFAULT_HEADERS_TIMEOUT_MS / 1000})
  --request-timeout  ... and its whole request (default ${DEFAULT_REQUEST_TIMEOUT_MS / 1000})
  --token-recheck    seconds between re-reads of the tokens live connections hold, to see another process's
                     revoke or role change (default ${DEFAULT_TOKEN_RECHECK_MS / 1000}; this server's own changes act at once)
  --audit-retention-days  audit rows older than N days are deleted at start and daily (default ${DEFAULT_AUDIT_RETENTION_DAYS})
  --demo     also run simulated BMCs in this process, registered as nodes demo01.. (group demo), and print
             a token and three things to try (npm start does this); --demo-size N (default ${DEMO_DEFAULT_COUNT}, up to ${DEMO_MAX_COUNT})
  --no-demo  overrides --demo (npm start -- --no-demo); so does BMCVISOR_DEMO=0
environment: BMCVISOR_ADMIN_TOKEN (an admin token serve accepts), BMCVISOR_SECRET_KEY (instead of secret.key)`

/** The numeric limits and timeouts: bounds, and where each goes in ServeOptions. */
const LIMIT_OPTIONS = {
  'ws-per-token': { min: 1, max: 100_000, integer: true, set: (o: LimitServeOptions, v: number) => void ((o.limits ??= {}).connectionsPerToken = v) },
  'rate-per-token': { min: 0.001, max: 1_000_000, integer: false, set: (o: LimitServeOptions, v: number) => void ((o.limits ??= {}).expensive = { ...DEFAULT_EXPENSIVE_RATE, ...o.limits.expensive, perSecond: v }) },
  'rate-burst': { min: 1, max: 1_000_000, integer: true, set: (o: LimitServeOptions, v: number) => void ((o.limits ??= {}).expensive = { ...DEFAULT_EXPENSIVE_RATE, ...o.limits.expensive, burst: v }) },
  'headers-timeout': { min: 0.1, max: 3600, integer: false, set: (o: LimitServeOptions, v: number) => void ((o.timeouts ??= {}).headersTimeoutMs = Math.round(v * 1000)) },
  'request-timeout': { min: 0.1, max: 3600, integer: false, set: (o: LimitServeOptions, v: number) => void ((o.timeouts ??= {}).requestTimeoutMs = Math.round(v * 1000)) },
  'token-recheck': { min: 0, max: 3600, integer: false, set: (o: LimitServeOptions, v: number) => void ((o.limits ??= {}).tokenRecheckMs = Math.round(v * 1000)) },
} as const

type LimitServeOptions = Pick<ServeOptions, 'limits' | 'timeouts'>

/** The limit options given on the command line, checked, as ServeOptions fields. */
export function limitOptions(values: Partial<Record<keyof typeof LIMIT_OPTIONS, string>>): LimitServeOptions {
  const out: LimitServeOptions = {}
  for (const [name, spec] of Object.entries(LIMIT_OPTIONS)) {
    const raw = values[name as keyof typeof LIMIT_OPTIONS]
    if (raw === undefined) continue
    const v = Number(raw)
    if (raw.trim() === '' || !Number.isFinite(v) || v < spec.min || v > spec.max || (spec.integer && !Number.isInteger(v))) {
      throw new ServiceError('VALIDATION_FAILED', `--${name} takes ${spec.integer ? 'a whole number' : 'a number'} from ${spec.min} to ${spec.max}`, { details: { field: name } })
    }
    spec.set(out, v)
  }
  return out
}

const OPTIONS = {
  listen: { type: 'string' },
  data: { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'tls-ciphers': { type: 'string' },
  protect: { type: 'string' },
  'enable-fault-injection': { type: 'boolean' },
  'log-level': { type: 'string' },
  'sensor-metrics': { type: 'boolean' },
  'sensor-interval': { type: 'string' },
  demo: { type: 'boolean' },
  'demo-size': { type: 'string' },
  'no-demo': { type: 'boolean' },
  'audit-retention-days': { type: 'string' },
  ...Object.fromEntries(Object.keys(LIMIT_OPTIONS).map((k) => [k, { type: 'string' }])) as Record<keyof typeof LIMIT_OPTIONS, { type: 'string' }>,
  help: { type: 'boolean', short: 'h' },
} as const

export interface ServeIo {
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream
  env: NodeJS.ProcessEnv
  /** Resolves when the process should stop (signals); tests pass their own. */
  stopSignal?: Promise<unknown>
}

function signals(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'))
    process.once('SIGTERM', () => resolve('SIGTERM'))
  })
}

export async function serveCommand(argv: string[], io: ServeIo): Promise<number> {
  try {
    const { values: o, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true })
    if (o.help === true) {
      io.stdout.write(SERVE_USAGE + '\n')
      return 0
    }
    if (positionals.length > 0) throw new ServiceError('VALIDATION_FAILED', `unexpected argument ${positionals[0]}`, { details: { field: 'argv' } })
    if ((o['tls-cert'] === undefined) !== (o['tls-key'] === undefined)) {
      throw new ServiceError('VALIDATION_FAILED', '--tls-cert and --tls-key go together', { details: { field: 'tls-cert' } })
    }
    if (o['tls-ciphers'] !== undefined && o['tls-cert'] === undefined) throw new ServiceError('VALIDATION_FAILED', '--tls-ciphers goes with --tls-cert and --tls-key', { details: { field: 'tls-ciphers' } })
    const protect = (o.protect ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '')
    for (const p of protect) if (!(OPEN_KINDS as readonly string[]).includes(p)) throw new ServiceError('VALIDATION_FAILED', `--protect takes ${OPEN_KINDS.join(', ')}`, { details: { field: 'protect' } })
    const sensorMetrics = o['sensor-metrics'] === true
    let sensorIntervalS = 60
    if (o['sensor-interval'] !== undefined) {
      if (!sensorMetrics) throw new ServiceError('VALIDATION_FAILED', '--sensor-interval goes with --sensor-metrics', { details: { field: 'sensor-interval' } })
      sensorIntervalS = Number(o['sensor-interval'])
      if (!Number.isFinite(sensorIntervalS) || sensorIntervalS < 1 || sensorIntervalS > 86_400) {
        throw new ServiceError('VALIDATION_FAILED', '--sensor-interval takes seconds from 1 to 86400', { details: { field: 'sensor-interval' } })
      }
    }
    const limits = limitOptions(o)
    const retention = o['audit-retention-days']
    if (retention !== undefined && !/^\d{1,5}$/.test(retention)) throw new ServiceError('VALIDATION_FAILED', `--audit-retention-days takes whole days from 1 to ${MAX_AUDIT_RETENTION_DAYS}`, { details: { field: 'audit-retention-days' } })
    const demoOff = o['no-demo'] === true || ['0', 'off', 'false', 'no'].includes((io.env.BMCVISOR_DEMO ?? '').toLowerCase())
    let demoSize: number | undefined
    if (o.demo === true && !demoOff) {
      demoSize = o['demo-size'] === undefined ? DEMO_DEFAULT_COUNT : Number(o['demo-size'])
      if (!Number.isInteger(demoSize) || demoSize < 1 || demoSize > DEMO_MAX_COUNT) {
        throw new ServiceError('VALIDATION_FAILED', `--demo-size must be an integer from 1 to ${DEMO_MAX_COUNT}`, { details: { field: 'demo-size' } })
      }
    } else if (o['demo-size'] !== undefined && !demoOff) {
      throw new ServiceError('VALIDATION_FAILED', '--demo-size goes with --demo', { details: { field: 'demo-size' } })
    }
    // The simulated BMCs first: their ports go into the node records before any worker starts.
    const demo: DemoFleet | undefined = demoSize === undefined ? undefined : await startDemoFleet(demoSize)
    let registration: DemoRegistration | undefined
    let initialToken: string | undefined
    const server = await startServer({
      listen: o.listen ?? io.env.BMCVISOR_LISTEN ?? DEFAULT_LISTEN,
      dataDir: o.data ?? io.env.BMCVISOR_DATA ?? DEFAULT_DATA,
      adminToken: io.env.BMCVISOR_ADMIN_TOKEN,
      secretKey: io.env.BMCVISOR_SECRET_KEY,
      tls: o['tls-cert'] !== undefined && o['tls-key'] !== undefined ? { certFile: o['tls-cert'], keyFile: o['tls-key'], ciphers: o['tls-ciphers'] } : undefined,
      enableFaultInjection: o['enable-fault-injection'] === true,
      ...(retention !== undefined ? { auditRetentionDays: Number(retention) } : {}),
      ...limits,
      ...(sensorMetrics ? { metricsOptions: { sensors: { intervalMs: Math.round(sensorIntervalS * 1000) } } } : {}),
      open: OPEN_KINDS.filter((k) => !protect.includes(k)) as OpenKind[],
      onInitialToken: (token) => {
        initialToken = token
        // The demo prints it in its banner.
        if (demo === undefined) io.stderr.write(`bmcvisor: first start: created an admin token. It is shown only now; keep it (BMCVISOR_TOKEN):\n${token}\n`)
      },
      ...(demo !== undefined ? { prepareStore: (store: OpenedStore) => void (registration = registerDemoNodes(store.nodes, demo)) } : {}),
      ...(o['log-level'] !== undefined ? { logger: (await import('../log.js')).createLogger({ level: o['log-level'] }) } : {}),
    }).catch(async (e: unknown) => {
      await demo?.close()
      throw e
    })
    io.stderr.write(`bmcvisor: serving on ${server.url} (data ${server.store.dataDir})\n`)
    if (demo !== undefined && registration !== undefined) {
      const envToken = io.env.BMCVISOR_ADMIN_TOKEN
      const token = envToken !== undefined && envToken !== '' ? undefined : demoToken(server.store, initialToken)
      io.stdout.write(demoBanner({ url: server.url, token, fleet: demo, registration, dataDir: server.store.dataDir }))
    }
    // SIGHUP: console logs let go of their files and create them anew (logrotate's postrotate).
    const onHup = () => {
      server.reopenLogs().then(() => server.logger.info('console logs reopened'), (err: unknown) => server.logger.error({ err }, 'reopening console logs failed'))
    }
    process.on('SIGHUP', onHup)
    const sig = await (io.stopSignal ?? signals()).finally(() => process.off('SIGHUP', onHup))
    server.logger.info({ signal: sig }, 'shutting down: closing BMC sessions')
    await server.close()
    await demo?.close()
    return 0
  } catch (e) {
    return reportError(e, io.stderr)
  }
}

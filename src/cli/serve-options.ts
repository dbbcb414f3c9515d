/**
 * Every `bmcvisor serve` option, once: flag, configuration file key, type,
 * default, environment variable, validation and help. parseArgs, the usage
 * text, the YAML validation, `bmcvisor config example` and the table in
 * docs/config.md derive from SERVE_OPTIONS (src/config.ts); adding an option
 * is one entry here plus its use in serve.ts.
 */
import { OPEN_KINDS } from '../api/auth.js'
import { DEFAULT_CONNECTIONS_PER_TOKEN, DEFAULT_TOKEN_RECHECK_MS } from '../api/connections.js'
import { DEFAULT_HEADERS_TIMEOUT_MS, DEFAULT_REQUEST_TIMEOUT_MS } from '../api/http-guard.js'
import { DEFAULT_EXPENSIVE_RATE } from '../api/rate-limit.js'
import { DEFAULT_AUDIT_RETENTION_DAYS, MAX_AUDIT_RETENTION_DAYS } from '../store/audit.js'
import { parseStoreUrl } from '../store/postgres/db.js'
import { DEFAULT_CONSOLE_INPUT_LIMIT_BYTES } from '../bridge/messages.js'
import { SOL_ACCUMULATE_MAX_MS } from '../bmc/sol-config.js'
import { argsOptions, usageLines, type OptionTable, type Values } from '../config.js'
import { DEFAULT_DATA, DEFAULT_LISTEN, parseListen } from '../main.js'
import { DEMO_DEFAULT_COUNT, DEMO_MAX_COUNT } from './demo.js'
import { LOG_FORMATS, LOG_LEVELS } from '../log.js'
import { LEASE_MARGIN_MS, LEASE_MS } from '../cluster/membership.js'

const SENSOR_INTERVAL_MAX_S = 86_400
/** Bounds of the per-token limits and the HTTP timeouts. */
const MAX_LIMIT = 1_000_000
const MIN_RATE = 0.001
const MIN_TIMEOUT_S = 0.1
const MAX_TIMEOUT_S = 3600
/** A console input limit below one line of typing, or above what a worker should hold (its heap is 64 MB). */
const MIN_CONSOLE_INPUT_LIMIT = 1024
const MAX_CONSOLE_INPUT_LIMIT = 16 * 1024 * 1024
/** Bounds of the cluster lease (seconds): below a second a busy event loop misses renewals; past a minute failover is slow. */
const MIN_LEASE_S = 1
const MAX_LEASE_S = 60
const MIN_LEASE_MARGIN_S = 0.1

function listenProblem(v: string): string | undefined {
  try {
    parseListen(v)
    return undefined
  } catch {
    return `must be HOST:PORT (for example ${DEFAULT_LISTEN} or [::1]:8623)`
  }
}

/** A store URL's problem, in words that never repeat the URL (it may hold a password). */
function storeProblem(v: string): string | undefined {
  try {
    parseStoreUrl(v, 'store')
    return undefined
  } catch (e) {
    return (e as Error).message.replace(/^store /, '')
  }
}

export const SERVE_OPTIONS = {
  listen: { type: 'string', key: 'listen', metavar: 'HOST:PORT', default: DEFAULT_LISTEN, example: '[::1]:9623', env: 'BMCVISOR_LISTEN', check: listenProblem, help: 'address of the REST API; loopback unless told otherwise' },
  data: { type: 'string', key: 'data', metavar: 'DIR', default: DEFAULT_DATA, example: '/var/lib/bmcvisor', env: 'BMCVISOR_DATA', help: 'data directory: bmcvisor.db, secret.key, consoles/' },
  store: { type: 'string', key: 'store', metavar: 'URL', default: undefined, example: 'postgres://bmcvisor@db1.example.net:5432/bmcvisor', env: 'BMCVISOR_STORE', check: storeProblem, sensitive: true, help: 'keep nodes, tokens and the audit log in this PostgreSQL database, shared by every instance that names it (password in PGPASSWORD or ~/.pgpass; docs/deploy.md); default: SQLite in the data directory' },
  'cluster-id': { type: 'string', key: 'cluster.id', metavar: 'ID', default: undefined, example: 'bmcv1', env: 'BMCVISOR_CLUSTER_ID', help: 'with --store postgres://: this instance\'s member id, the same across restarts (its nodes come back to it); default: the host name and the --listen port' },
  'cluster-address': { type: 'string', key: 'cluster.address', metavar: 'URL', default: undefined, example: 'https://bmcv1.example.net:8623', env: 'BMCVISOR_CLUSTER_ADDRESS', help: 'with --store postgres://: the URL other instances reach this one at; default: the URL it serves on' },
  'cluster-lease': { type: 'number', key: 'cluster.lease', metavar: 'SECONDS', min: MIN_LEASE_S, max: MAX_LEASE_S, default: LEASE_MS / 1000, example: 15, env: 'BMCVISOR_CLUSTER_LEASE', help: 'with --store postgres://: how long a member\'s lease lasts past each renewal (renewed every third of it); a dead member\'s nodes move after it expires' },
  'cluster-lease-margin': { type: 'number', key: 'cluster.lease-margin', metavar: 'SECONDS', min: MIN_LEASE_MARGIN_S, max: MAX_LEASE_S, default: LEASE_MARGIN_MS / 1000, example: 3, env: 'BMCVISOR_CLUSTER_LEASE_MARGIN', help: 'with --store postgres://: how much sooner than its lease a member cut off from the database stops its BMC sessions and consoles (less than the lease minus a third of it)' },
  'tls-cert': { type: 'string', key: 'tls.cert', metavar: 'FILE', default: undefined, example: '/etc/bmcvisor/tls/cert.pem', help: 'serve HTTPS with this certificate (PEM; goes with --tls-key)' },
  'tls-key': { type: 'string', key: 'tls.key', metavar: 'FILE', default: undefined, example: '/etc/bmcvisor/tls/key.pem', help: 'private key of --tls-cert (PEM)' },
  'tls-ciphers': { type: 'string', key: 'tls.ciphers', metavar: 'LIST', default: undefined, example: 'TLS_AES_256_GCM_SHA384:ECDHE-RSA-AES256-GCM-SHA384', help: 'OpenSSL cipher list of --tls-cert (TLS 1.2+ always; the default: the TLS 1.3 suites and ECDHE with AES-GCM or ChaCha20-Poly1305, no CBC)' },
  protect: { type: 'list', key: 'protect', metavar: 'LIST', choices: OPEN_KINDS, default: [], example: OPEN_KINDS, help: 'require a token for these otherwise open endpoints (/healthz and /readyz, /metrics, /docs)' },
  'enable-fault-injection': { type: 'boolean', key: 'fault-injection', default: false, example: true, help: 'let admins crash or hang workers (POST /api/v1/nodes/{node}/worker/fault): chaos drills' },
  'allow-exec-consoles': { type: 'boolean', key: 'consoles.allow-exec', default: false, example: true, help: "run nodes' exec consoles (console.method exec): an admin can then run any command as the service user; off, they report exec_disabled (docs/security.md)" },
  'console-input-limit': { type: 'integer', key: 'consoles.input-limit', metavar: 'BYTES', min: MIN_CONSOLE_INPUT_LIMIT, max: MAX_CONSOLE_INPUT_LIMIT, default: DEFAULT_CONSOLE_INPUT_LIMIT_BYTES, example: 131072, help: 'input bytes a console may hold on its way to the host; past half the typing client is held back, past all of it its input is dropped and it is told' },
  'sol-accumulate-ms': { type: 'integer', key: 'consoles.sol-accumulate-ms', metavar: 'MS', min: 0, max: SOL_ACCUMULATE_MAX_MS, default: 0, example: 200, help: `set each IPMI BMC's SOL character accumulate interval to this (5 ms steps, rounded up) before its console starts: fewer, fuller SOL packets from hosts that print a little at a time, so less CPU per console, for up to this much added latency; it changes the BMC's own setting, which other SOL clients share (0: leave each BMC's interval alone; a BMC that refuses is learned as sol-accumulate-fixed; docs/console.md)` },
  'ws-per-token': { type: 'integer', key: 'limits.ws-per-token', metavar: 'N', min: 1, max: MAX_LIMIT, default: DEFAULT_CONNECTIONS_PER_TOKEN, example: 64, help: 'console WebSockets one token may hold at once; more are 429 TOO_MANY_CONNECTIONS' },
  'rate-per-token': { type: 'number', key: 'limits.rate-per-token', metavar: 'N', min: MIN_RATE, max: MAX_LIMIT, default: DEFAULT_EXPENSIVE_RATE.perSecond, example: 20, help: 'expensive requests (ranges, sensors, health, inventory, events, console reopen) per second per token; beyond, 429 RATE_LIMITED' },
  'rate-burst': { type: 'integer', key: 'limits.rate-burst', metavar: 'N', min: 1, max: MAX_LIMIT, default: DEFAULT_EXPENSIVE_RATE.burst, example: 100, help: 'expensive requests one token may make at once before --rate-per-token paces it' },
  'token-recheck': { type: 'number', key: 'limits.token-recheck', metavar: 'SECONDS', min: 0, max: MAX_TIMEOUT_S, default: DEFAULT_TOKEN_RECHECK_MS / 1000, example: 2, help: "seconds between re-reads of the tokens live connections hold, to act on another process's revoke or role change (0: never; this server's own changes act at once)" },
  'headers-timeout': { type: 'number', key: 'timeouts.headers', metavar: 'SECONDS', min: MIN_TIMEOUT_S, max: MAX_TIMEOUT_S, default: DEFAULT_HEADERS_TIMEOUT_MS / 1000, example: 5, help: 'seconds a client has to send its request line and headers (slowloris)' },
  'request-timeout': { type: 'number', key: 'timeouts.request', metavar: 'SECONDS', min: MIN_TIMEOUT_S, max: MAX_TIMEOUT_S, default: DEFAULT_REQUEST_TIMEOUT_MS / 1000, example: 60, help: 'seconds a client has to send its whole request, body included (at least --headers-timeout)' },
  'audit-retention-days': { type: 'integer', key: 'audit.retention-days', metavar: 'DAYS', min: 1, max: MAX_AUDIT_RETENTION_DAYS, default: DEFAULT_AUDIT_RETENTION_DAYS, example: 90, help: 'audit rows older than this are deleted at start and daily' },
  'log-level': { type: 'choice', key: 'log.level', metavar: 'LEVEL', choices: LOG_LEVELS, default: 'info', example: 'debug', env: 'BMCVISOR_LOG_LEVEL', help: 'least severe level logged' },
  'log-format': { type: 'choice', key: 'log.format', metavar: 'FORMAT', choices: LOG_FORMATS, default: 'auto', example: 'json', env: 'BMCVISOR_LOG_FORMAT', help: 'auto: readable lines on a terminal, JSON lines otherwise (journald, files, pipes)' },
  'sensor-metrics': { type: 'boolean', key: 'sensors.metrics', default: false, example: true, help: "poll every node's sensors into /metrics under ipmi_exporter's names" },
  'sensor-interval': { type: 'integer', key: 'sensors.interval', metavar: 'SECONDS', min: 1, max: SENSOR_INTERVAL_MAX_S, default: 60, example: 30, requires: 'sensor-metrics', help: "seconds between a node's sensor polls" },
  demo: { type: 'boolean', key: 'demo.enabled', negatable: true, envOffWins: true, default: false, example: true, env: 'BMCVISOR_DEMO', help: 'also run simulated BMCs in this process as nodes demo01.. (group demo); --no-demo or BMCVISOR_DEMO=0 wins over --demo' },
  'demo-size': { type: 'integer', key: 'demo.size', metavar: 'N', min: 1, max: DEMO_MAX_COUNT, default: DEMO_DEFAULT_COUNT, example: 3, requires: 'demo', help: 'number of simulated BMCs of --demo' },
} as const satisfies OptionTable

export type ServeValues = Values<typeof SERVE_OPTIONS>

/** parseArgs options of serve: the table's, plus --config and --help. */
export const SERVE_ARGS = {
  ...argsOptions(SERVE_OPTIONS),
  config: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

export const CONFIG_ENV = 'BMCVISOR_CONFIG'

export const SERVE_USAGE = [
  'usage: bmcvisor serve [--config FILE] [OPTION]...',
  `  --config FILE  a YAML file with any of the options below (env ${CONFIG_ENV}); flags and environment win over it`,
  ...usageLines(SERVE_OPTIONS),
  'environment: BMCVISOR_ADMIN_TOKEN (an admin token serve accepts), BMCVISOR_SECRET_KEY (instead of secret.key)',
  'signals: SIGHUP reopens console log files (logrotate); SIGINT or SIGTERM close every BMC session and exit',
  'files: bmcvisor config check FILE validates a file; bmcvisor config example prints one with every default',
].join('\n')

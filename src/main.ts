/**
 * The composition root: the only place that creates the long-lived objects
 * (logger, store, supervisor, the store->supervisor sync, the fastify app)
 * and the only listen(). `bmcvisor serve` calls startServer(); tests call it
 * too, with port 0.
 *
 * Order on start: store (migrate, key check), first admin token, supervisor
 * and one worker per stored node, app, listen. On close, the reverse: stop
 * taking requests, stop syncing, close every BMC session (bounded), close
 * the store.
 */
import { buildApp, type ApiInstance, type ApiLimits, type ApiPlugin, type OpenKind } from './api/app.js'
import type { HttpTimeouts } from './api/http-guard.js'
import type { BmcDefaults } from './api/node-config.js'
import { syncNodes, type NodeSync } from './api/node-sync.js'
import { storeLearnedTrust } from './api/trust-sync.js'
import { syncConsoles, type ConsoleSync } from './api/console-sync.js'
import { syncProfiles, type ProfileSync } from './api/profile-sync.js'
import { consolePlugin } from './api/routes/console.js'
import { consoleMatchesPlugin } from './api/routes/console-matches.js'
import { consoleSearchPlugin } from './api/routes/console-search.js'
import { webPlugin } from './api/routes/web.js'
import { FleetFeed, type FleetRow } from './api/fleet.js'
import { WebSessions } from './api/web-sessions.js'
import { tlsServerOptions, type TlsFiles } from './api/tls.js'
import { CONSOLE_LOG_DIR, ConsoleManager, ConsoleMatches, type ConsoleManagerOptions } from './console/index.js'
import { SearchPool, type SearchPoolOptions } from './console/search-pool.js'
import { ServiceError } from './errors.js'
import { createLogger, type Logger } from './log.js'
import { createMetrics, metricsRoute, wireCluster, wireSupervisor, type Metrics, type WireOptions } from './metrics/index.js'
import { DEFAULT_AUDIT_RETENTION_DAYS, keepAudit, MAX_AUDIT_RETENTION_DAYS } from './store/audit.js'
import { openConfiguredStore } from './store/open.js'
import { isPostgresStore, type Subscription } from './store/postgres/store.js'
import { Cluster } from './cluster/controller.js'
import { Forwarder, type ForwardCluster } from './cluster/forward.js'
import { RemoteRows } from './cluster/forward-fleet.js'
import { FORWARD_KEY_LABEL } from './cluster/forward-auth.js'
import { liveMembers, type Member } from './cluster/membership.js'
import { clusterPlugin } from './api/routes/cluster.js'
import { hostname } from 'node:os'
import type { OpenedStore } from './store/types.js'
import { Supervisor, type SupervisorOptions } from './supervisor/supervisor.js'

export const DEFAULT_LISTEN = '127.0.0.1:8623'
export const DEFAULT_DATA = './data'
const MIN_ENV_TOKEN_CHARS = 16

export interface ServeOptions {
  /** host:port; IPv6 as [::1]:8623. Default 127.0.0.1:8623 (loopback unless told otherwise). */
  listen?: string
  dataDir?: string
  /** A postgres:// URL (serve --store, BMCVISOR_STORE): nodes, tokens and the audit log in PostgreSQL; default: SQLite in dataDir. */
  store?: string | undefined
  /** With a PostgreSQL store: this instance's member id and the URL the others reach it at (src/cluster). */
  cluster?: { id?: string | undefined; address?: string | undefined; leaseMs?: number; marginMs?: number }
  /** BMCVISOR_ADMIN_TOKEN. */
  adminToken?: string | undefined
  /** BMCVISOR_SECRET_KEY. */
  secretKey?: string | undefined
  /** HTTPS: certificate and key files (checked at start), optional cipher list (default api/tls.ts DEFAULT_TLS_CIPHERS). */
  tls?: TlsFiles | undefined
  enableFaultInjection?: boolean
  /** `serve --allow-exec-consoles` (default false): exec consoles run their commands, as the service user. */
  allowExecConsoles?: boolean
  /** Kinds reachable without a token (default health, metrics, docs). */
  open?: readonly OpenKind[]
  logger?: Logger
  supervisor?: SupervisorOptions
  bmcDefaults?: Partial<BmcDefaults>
  commandTimeoutMs?: number
  /** Extra /api/v1 plugins (the console plugin is always there) and the /metrics plugin. */
  plugins?: ApiPlugin[]
  /** Console replay size, client backlog limit, input limit (also the workers'), log flush/rotation/retention. */
  consoles?: Omit<ConsoleManagerOptions, 'dataDir' | 'onError'>
  metrics?: ApiPlugin
  /** The console log search pool (threads, queue, per-file deadline; defaults in console/search-pool.ts). */
  search?: SearchPoolOptions
  /** Power poll and sensor polling of the metrics wiring (default: power every 60 s, sensors off). */
  metricsOptions?: WireOptions
  /** Connections per token, token recheck period, expensive-request rate (api/app.ts ApiLimits; defaults there). */
  limits?: ApiLimits
  /** Header, request and idle-socket timeouts (api/http-guard.ts; defaults there). */
  timeouts?: Partial<HttpTimeouts>
  /** Audit rows older than this many days are pruned at start and daily (default 365). */
  auditRetentionDays?: number
  /** Called once with the first admin token of a fresh data directory. */
  onInitialToken?: (token: string) => void
  /** Runs on the opened store before any worker starts (the demo registers its nodes here). */
  prepareStore?: (store: OpenedStore) => void | Promise<void>
}

export interface RunningServer {
  url: string
  app: ApiInstance
  store: OpenedStore
  /** With a PostgreSQL store: this instance's membership and the nodes it owns; undefined with SQLite (it runs every node). */
  cluster: Cluster | undefined
  supervisor: Supervisor
  /** Every node's console session (metrics read its getters and events). */
  consoles: ConsoleManager
  /** Each node's recent console watch matches and the fleet's feed of them. */
  matches: ConsoleMatches
  /** The console log search pool (GET /api/v1/noderange/{expr}/console/log). */
  search: SearchPool
  logger: Logger
  /** SIGHUP: console logs let go of their files (logrotate). */
  reopenLogs(): Promise<void>
  /** The one Prometheus registry, served at /metrics. */
  metrics: Metrics
  /**
   * Resolves when a large share of the workers crashed within the restart
   * period (supervisor escalation: a host fault or our bug, not the BMCs'):
   * serve then closes and exits non-zero, so systemd (Restart=on-failure) restarts the process.
   */
  escalated: Promise<{ crashing: number; total: number }>
  /** Browser sessions: `web.issueCode(token)` makes a sign-in link's code. */
  web: WebSessions
  close(): Promise<void>
}

export function parseListen(s: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(s.trim())
  const port = m === null ? NaN : Number(m[3])
  if (m === null || port > 65535) {
    throw new ServiceError('VALIDATION_FAILED', `--listen must be HOST:PORT (for example ${DEFAULT_LISTEN} or [::1]:8623), not ${s}`, { details: { field: 'listen' } })
  }
  const host = m[1] ?? m[2] ?? ''
  return { host: host === '' ? '127.0.0.1' : host, port }
}

/** Issues the first admin token of a fresh data directory, once. */
export async function initialAdminToken(store: OpenedStore, adminToken: string | undefined): Promise<string | undefined> {
  // Claimed, not read then written: of several instances starting on one shared store, one issues it.
  if (!(await store.claimMeta('initial_token_issued', new Date().toISOString()))) return undefined
  if ((adminToken !== undefined && adminToken !== '') || (await store.tokens.count()) > 0) return undefined
  return (await store.tokens.create({ name: 'initial-admin', role: 'admin' })).token
}

/** How soon a lost node change feed is subscribed again. */
const CHANGE_FEED_RETRY_MS = 1000

export async function startServer(o: ServeOptions = {}): Promise<RunningServer> {
  const { host, port } = parseListen(o.listen ?? DEFAULT_LISTEN)
  if (o.adminToken !== undefined && o.adminToken !== '' && o.adminToken.length < MIN_ENV_TOKEN_CHARS) {
    throw new ServiceError('VALIDATION_FAILED', `BMCVISOR_ADMIN_TOKEN must be at least ${MIN_ENV_TOKEN_CHARS} characters`, { details: { field: 'BMCVISOR_ADMIN_TOKEN' } })
  }
  const retentionDays = o.auditRetentionDays ?? DEFAULT_AUDIT_RETENTION_DAYS
  if (!Number.isInteger(retentionDays) || retentionDays < 1 || retentionDays > MAX_AUDIT_RETENTION_DAYS) {
    throw new ServiceError('VALIDATION_FAILED', `the audit retention is a whole number of days from 1 to ${MAX_AUDIT_RETENTION_DAYS}`, { details: { field: 'audit-retention-days' } })
  }
  const https = o.tls === undefined ? undefined : tlsServerOptions(o.tls)
  const logger = o.logger ?? createLogger()
  const store = await openConfiguredStore({
    dataDir: o.dataDir ?? DEFAULT_DATA, secretKey: o.secretKey, privateTrees: [CONSOLE_LOG_DIR], url: o.store,
    onConnectionError: (err) => logger.warn({ err }, 'a store connection broke; the next query reconnects'),
  })
  if (store.keyWarning !== undefined) logger.warn(store.keyWarning)
  for (const w of store.modeWarnings) logger.warn(`data directory entry not made private: ${w}`)
  if (store.keySource === 'created') logger.info({ dataDir: store.dataDir }, 'created secret.key (mode 0600): back it up with the database')
  let execNodes: number
  try {
    const first = await initialAdminToken(store, o.adminToken)
    if (first !== undefined) o.onInitialToken?.(first)
    await o.prepareStore?.(store)
    execNodes = (await store.nodes.list()).filter((n) => n.console.method === 'exec').length
  } catch (e) {
    await store.close()
    throw e
  }
  if (o.allowExecConsoles === true) logger.warn({ execNodes }, 'exec consoles are on (--allow-exec-consoles): admin tokens can run commands as the service user')
  else if (execNodes > 0) logger.warn({ execNodes }, 'nodes with exec consoles run nothing (exec_disabled) unless serve --allow-exec-consoles')
  const retention = keepAudit(store.audit, retentionDays, {
    pruned: (removed, before) => logger.info({ removed, before }, 'audit log pruned'),
    failed: (err) => logger.error({ err }, 'audit log pruning failed'),
  })
  const supervisor = new Supervisor(o.supervisor)
  // Metrics first, so that no supervisor event is missed (counters count from the first worker start).
  const metrics = createMetrics()
  const wiring = wireSupervisor(metrics, supervisor, {
    // Read at scrape time only, so after `consoles` below exists.
    consoleClients: (node) => (consoles.has(node) ? consoles.get(node).clientCount : undefined),
    ...o.metricsOptions,
  })
  const escalated = new Promise<{ crashing: number; total: number }>((resolve) => {
    supervisor.once('escalate', (crashing, total) => resolve({ crashing, total }))
  })
  // Consoles before nodes: a node's buffer and log exist before its worker's first byte (lesson 7).
  const consoles = new ConsoleManager(supervisor, {
    dataDir: store.dataDir,
    ...o.consoles,
    onError: (node, err) => logger.error({ err, node }, 'console log write failed'),
  })
  const unsubscribeConsoles = consoles.subscribe(supervisor)
  const matches = new ConsoleMatches()
  const unsubscribeMatches = matches.subscribe(supervisor)
  const forgetMatches = (n: { name: string }) => matches.forget(n.name)
  store.nodes.on('node:removed', forgetMatches)
  consoles.on('console:input-dropped', (node, bytes) => wiring.inputDropped(node, bytes))
  // Before the nodes' workers start: a key or certificate trusted on first use is stored as the node's pin.
  const trustSync = storeLearnedTrust(supervisor, store.nodes, store.audit, logger)
  // Threads start with the first search (minThreads 0), so an idle server pays nothing for the pool.
  const search = new SearchPool(o.search)
  const web = new WebSessions()
  // With PostgreSQL the instance runs only the nodes it owns (src/cluster); none before it has joined.
  const pgStore = isPostgresStore(store) ? store : undefined
  // Any instance answers any request: requests for another member's nodes go there (src/cluster/forward.ts).
  let forwardCluster: ForwardCluster | undefined
  const forwarder = pgStore === undefined ? undefined : new Forwarder({ key: pgStore.deriveKey(FORWARD_KEY_LABEL), cluster: () => forwardCluster })
  const remoteRows = forwarder === undefined ? undefined : new RemoteRows<FleetRow>(forwarder)
  const fleet = new FleetFeed({
    nodes: () => store.nodes.list(),
    worker: (node) => (supervisor.has(node) ? supervisor.status(node)[0] : undefined),
    console: (node) => (consoles.has(node) ? consoles.status(node) : undefined),
    power: (node) => wiring.powerState(node),
    watch: (changed) => {
      const events = ['worker:state', 'session:state', 'console:state'] as const
      for (const e of events) supervisor.on(e, changed)
      consoles.on('console:state', changed)
      consoles.on('console:clients', changed)
      const nodeEvents = ['node:added', 'node:updated', 'node:removed'] as const
      for (const e of nodeEvents) store.nodes.on(e, changed)
      const unwatchRemote = remoteRows?.watch(changed)
      return () => {
        for (const e of events) supervisor.off(e, changed)
        consoles.off('console:state', changed)
        consoles.off('console:clients', changed)
        for (const e of nodeEvents) store.nodes.off(e, changed)
        unwatchRemote?.()
      }
    },
    ...(remoteRows !== undefined ? { remote: remoteRows } : {}),
  })
  let cluster: Cluster | undefined
  let changes: Subscription | undefined
  const runs = pgStore === undefined ? undefined : (node: string) => cluster?.runs(node) ?? false
  const joined = (): Cluster => {
    if (cluster === undefined) throw new ServiceError('STORE_UNAVAILABLE', 'this instance has not joined the cluster yet')
    return cluster
  }
  // With SQLite there is no cluster: no members, and this one instance owns every node it runs.
  let unwireCluster: (() => void) | undefined = pgStore !== undefined ? undefined : wireCluster(metrics, {
    memberCount: () => 0,
    get owned() {
      return supervisor.nodes.length
    },
    on: () => undefined,
    off: () => undefined,
  })
  let closing: Promise<void> | undefined
  let app: ApiInstance | undefined
  let consoleSync: ConsoleSync | undefined
  let sync: NodeSync | undefined
  let profileSync: ProfileSync | undefined
  try {
    consoleSync = await syncConsoles(store.nodes, consoles, logger)
    // Before the nodes' workers start: their first reports are stored and shown, and each starts from what was learned before.
    const profiles = await syncProfiles(supervisor, store.nodes, store.profiles, wiring, logger)
    profileSync = profiles
    sync = await syncNodes(store.nodes, supervisor, logger, {
      ...o.bmcDefaults,
      allowExecConsole: o.allowExecConsoles ?? false,
      ...(o.consoles?.inputLimitBytes !== undefined ? { consoleInputLimitBytes: o.consoles.inputLimitBytes } : {}),
    }, (node) => profiles.current(node), runs === undefined ? {} : { runs })
    app = await buildApp({
      web,
      ui: webPlugin({ consoles, fleet, secure: https !== undefined }),
      supervisor, store, logger, https,
      adminToken: o.adminToken,
      enableFaultInjection: o.enableFaultInjection ?? false,
      allowExecConsoles: o.allowExecConsoles ?? false,
      ...(o.open !== undefined ? { open: o.open } : {}),
      ...(o.commandTimeoutMs !== undefined ? { commandTimeoutMs: o.commandTimeoutMs } : {}),
      ...(o.limits !== undefined ? { limits: o.limits } : {}),
      ...(o.timeouts !== undefined ? { timeouts: o.timeouts } : {}),
      ...(forwarder !== undefined ? { forward: forwarder } : {}),
      plugins: [
        consolePlugin(consoles, forwarder === undefined ? {} : {
          follow: {
            forwarder, cluster: () => forwardCluster,
            watch: (changed) => {
              cluster?.on('owners', changed)
              return () => void cluster?.off('owners', changed)
            },
          },
        }) as ApiPlugin,
        consoleMatchesPlugin({ matches, known: async (node) => (await store.nodes.get(node)) !== undefined }),
        consoleSearchPlugin({ pool: search, logDir: () => consoles.logDir, nodes: store.nodes, ...(forwarder !== undefined ? { forward: forwarder } : {}) }) as ApiPlugin,
        clusterPlugin(pgStore === undefined ? undefined : {
          status: () => joined().status(),
          drain: (id) => joined().drain(id),
        }),
        ...(o.plugins ?? []),
      ],
      metrics: o.metrics ?? metricsRoute(metrics.registry),
    })
    await app.listen({ host, port })
    if (pgStore !== undefined) {
      const nodeSync = sync
      const bound = app.server.address()
      const ownUrl = `${https ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${typeof bound === 'object' && bound !== null ? bound.port : port}`
      const c = new Cluster({
        db: pgStore.db, logger,
        id: o.cluster?.id ?? `${hostname()}:${typeof bound === 'object' && bound !== null ? bound.port : port}`,
        address: o.cluster?.address ?? ownUrl,
        ...(o.cluster?.leaseMs !== undefined ? { leaseMs: o.cluster.leaseMs } : {}),
        ...(o.cluster?.marginMs !== undefined ? { marginMs: o.cluster.marginMs } : {}),
        nodes: async () => (await store.nodes.list()).map((n) => n.name),
        apply: () => nodeSync.reconcile(),
        stop: (deadlineMs) => nodeSync.stopUnowned(deadlineMs),
      })
      cluster = c
      const db = pgStore.db
      const isLive = (list: readonly Member[], id: string, epoch: number) => list.some((m) => m.id === id && m.epoch === epoch)
      forwardCluster = {
        self: () => {
          const epoch = c.membership.epoch
          return epoch === undefined ? undefined : { id: c.id, epoch }
        },
        ownerOf: (node) => c.ownerOf(node),
        members: () => c.members,
        runsHere: (node) => supervisor.has(node),
        // A member that joined since this one's last renewal is not in its list yet: the store is asked.
        live: async (id, epoch) => isLive(c.members, id, epoch) || isLive(await liveMembers(db), id, epoch),
      }
      const unwireMetrics = wireCluster(metrics, c)
      // A node removed here: the next ownership step reads the node list again (one from elsewhere comes by the change feed).
      const nodeGone = () => c.nodesChanged()
      store.nodes.on('node:removed', nodeGone)
      unwireCluster = () => {
        unwireMetrics()
        store.nodes.off('node:removed', nodeGone)
      }
      supervisor.notHere = (node) => {
        const owner = c.ownerOf(node)
        if (owner !== undefined && owner.id !== c.id) {
          return new ServiceError('NODE_OWNED_ELSEWHERE', `node ${node} is owned by cluster member ${owner.id} at ${owner.address}`, { details: { node, member: owner.id, address: owner.address } })
        }
        return new ServiceError('WORKER_UNAVAILABLE', `node ${node} is moving between cluster members`, { details: { node, state: 'moving' } })
      }
      c.on('moved', (node, from) => {
        // The new owner's console log starts by saying where the earlier part is.
        if (consoles.has(node)) consoles.handleData(node, Buffer.from(`\r\n[bmcvisor: console moved here from cluster member ${from.id} (${from.address}); its earlier log is in that instance's data directory]\r\n`))
      })
      // Changes other instances commit; after a lost feed, everything is re-read (notifications are not kept).
      const listen = async (): Promise<void> => {
        changes = await pgStore.subscribe((ch) => {
          if (ch.origin === pgStore.instanceId) return
          if (ch.op === 'group') nodeSync.refreshGroup(ch.name)
          else {
            c.nodesChanged()
            // Its console session first, so the worker's first bytes (and a moved console's note) have a home.
            void consoleSync?.refresh(ch.name)
              .then(() => nodeSync.refresh(ch.name))
              .catch((err: unknown) => logger.warn({ err, node: ch.name }, 'applying a node change from another instance failed'))
          }
        }, (err) => {
          logger.warn({ err }, 'node change feed lost; resubscribing and re-reading every node')
          const retry = () => {
            if (cluster === undefined || closing !== undefined) return
            listen().then(() => {
              const again = async () => {
                c.nodesChanged()
                await consoleSync?.resync()
                await nodeSync.reconcile()
              }
              again().catch((err: unknown) => logger.warn({ err }, 're-reading the nodes after the change feed came back failed'))
            }, () => setTimeout(retry, CHANGE_FEED_RETRY_MS).unref())
          }
          retry()
        })
      }
      await listen()
      await c.start()
    }
  } catch (e) {
    await changes?.close()
    await cluster?.close()
    sync?.stop()
    consoleSync?.stop()
    trustSync.stop()
    profileSync?.stop()
    wiring.close()
    await app?.close()
    await search.close()
    await supervisor.shutdown(3000)
    unsubscribeMatches()
    store.nodes.off('node:removed', forgetMatches)
    unsubscribeConsoles()
    await consoles.close()
    retention.stop()
    await store.close()
    throw e
  }
  const addr = app.server.address()
  const bound = typeof addr === 'object' && addr !== null ? addr.port : port
  const url = `${https ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${bound}`
  logger.info({ url, nodes: supervisor.nodes.length, dataDir: store.dataDir, store: store.location, ...(cluster !== undefined ? { member: cluster.id } : {}) }, 'bmcvisor listening')
  const server = app
  const nodeSync = sync
  const consoleSyncDone = consoleSync
  const profileSyncDone = profileSync
  return {
    url, app: server, store, cluster, supervisor, consoles, matches, search, logger, metrics, escalated, web,
    reopenLogs: () => consoles.reopenLogs(),
    close() {
      closing ??= (async () => {
        fleet.stop()
        await server.close()
        await changes?.close()
        // Stops its nodes, then leaves: the others take them over at once.
        await cluster?.close()
        unwireCluster?.()
        await search.close()
        nodeSync.stop()
        consoleSyncDone.stop()
        await nodeSync.idle()
        await supervisor.shutdown(5000)
        trustSync.stop()
        await trustSync.idle()
        profileSyncDone.stop()
        await profileSyncDone.idle()
        // After the workers: their last console bytes are logged too.
        unsubscribeMatches()
        store.nodes.off('node:removed', forgetMatches)
        unsubscribeConsoles()
        await consoles.close()
        wiring.close()
        retention.stop()
        await store.close()
      })()
      return closing
    },
  }
}

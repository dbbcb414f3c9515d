// API test helpers: a fake supervisor (SupervisorPort) with scripted
// answers per node and op, a store in a temporary data directory, captured
// log lines, and one token per role.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import type { BmcConfig, FaultKind, OpName } from '../../src/bridge/messages.js'
import { ServiceError } from '../../src/errors.js'
import { buildApp, type ApiInstance, type BuildAppOptions } from '../../src/api/app.js'
import { syncNodes, type NodeSync } from '../../src/api/node-sync.js'
import type { ChildStatus, SupervisorPort } from '../../src/api/ports.js'
import type { WatchPattern } from '../../src/bridge/watch.js'
import { createLogger } from '../../src/log.js'
import { openStore, type OpenedStore } from '../../src/store/sqlite.js'
import type { Role } from '../../src/store/types.js'

export type Answer = (args: unknown, node: string) => unknown
export interface Call { node: string; op: OpName; args: unknown; timeoutMs: number | undefined }

export const DEFAULT_ANSWERS: Partial<Record<OpName, Answer>> = {
  'power.status': () => ({ state: 'on' }),
  'power.set': (a) => ({ action: (a as { action: string }).action }),
  'boot.get': () => ({ device: 'pxe', persistent: false, uefi: true, valid: true }),
  'boot.set': (a) => ({ ...(a as object), valid: true }),
  identify: (a) => ({ seconds: (a as { seconds: number }).seconds, force: (a as { force?: boolean }).force ?? false }),
  'mc.info': () => ({
    deviceId: 32, deviceRevision: 0, firmwareRevision: '2.15', ipmiVersion: '2.0', manufacturerId: 7244, productId: 515,
    providesDeviceSdrs: false, deviceAvailable: true, additionalDeviceSupport: ['Chassis Device'],
  }),
  'mc.reset': () => ({ reset: true, answered: true }),
  'users.list': () => [{ id: 2, name: 'admin', enabled: true, privilege: 'administrator', ipmiMessaging: true, linkAuth: true, callbackOnly: false, channel: 14 }],
  'users.set': (a) => ({ id: (a as { id: number }).id, changed: Object.keys(a as object).filter((k) => k !== 'id') }),
  'sensors.list': (a) => ({
    sensors: [{ name: 'CPU Temp', sensorNumber: 1, sensorType: 'Temperature', entity: '3.1', value: 45, unit: 'degrees C', status: 'ok', health: 'ok', assertedStates: [], raw: 45 }]
      .filter((x) => (a as { type?: string }).type === undefined || x.sensorType === (a as { type?: string }).type),
    health: { status: 'ok', sensors: 1, counts: { ok: 1, warning: 0, critical: 0, failed: 0, unknown: 0 }, problems: [] },
    sdrCached: false,
  }),
  health: () => ({ status: 'ok', sensors: 1, counts: { ok: 1, warning: 0, critical: 0, failed: 0, unknown: 0 }, problems: [] }),
  inventory: () => [{ fruId: 0, name: 'Builtin FRU Device', inventory: { board: { manufacturer: 'Acme' } } }],
  'events.list': () => ({ info: { entries: 1 }, entries: [{ id: 1, text: 'Temperature #0x01 | Upper Critical going high' }] }),
  'events.clear': () => ({ cleared: true, entriesBefore: 1 }),
}

export class FakeSupervisor implements SupervisorPort {
  readonly configs = new Map<string, BmcConfig>()
  readonly calls: Call[] = []
  readonly faults: { node: string; kind: FaultKind }[] = []
  readonly updates: string[] = []
  /** Per node overrides: a function, or a ServiceError to throw, or 'hang'. */
  readonly script = new Map<string, Answer | ServiceError | 'hang'>()

  has(node: string): boolean {
    return this.configs.has(node)
  }
  add(node: string, config: BmcConfig): void {
    if (this.configs.has(node)) throw new ServiceError('CONFLICT', `node ${node} is already supervised`)
    this.configs.set(node, config)
  }
  update(node: string, config: BmcConfig): number {
    this.configs.set(node, config)
    this.updates.push(node)
    return this.updates.length
  }
  /** Watch pattern changes (setWatch), in order. */
  readonly watches: { node: string; patterns: string[] }[] = []
  setWatch(node: string, patterns: readonly WatchPattern[]): void {
    const c = this.configs.get(node)
    if (c === undefined) throw new ServiceError('NODE_NOT_FOUND', `no node named ${node}`)
    this.configs.set(node, { ...c, watch: patterns })
    this.watches.push({ node, patterns: patterns.map((p) => p.name) })
  }
  async remove(node: string): Promise<void> {
    this.configs.delete(node)
  }
  async run(node: string, op: OpName, args: unknown = {}, opts: { timeoutMs?: number } = {}): Promise<unknown> {
    if (!this.configs.has(node)) throw new ServiceError('NODE_NOT_FOUND', `no node named ${node}`)
    this.calls.push({ node, op, args, timeoutMs: opts.timeoutMs })
    const s = this.script.get(node)
    if (s instanceof ServiceError) throw s
    if (s === 'hang') return new Promise(() => undefined)
    const answer = typeof s === 'function' ? s : DEFAULT_ANSWERS[op]
    if (answer === undefined) throw new ServiceError('VALIDATION_FAILED', `unknown operation ${op}`)
    return answer(args, node)
  }
  status(node?: string): ChildStatus[] {
    const names = node === undefined ? [...this.configs.keys()] : [node]
    return names.map((n) => ({
      node: n, state: this.states.get(n) ?? 'running', protocol: this.configs.get(n)?.protocol ?? 'ipmi', restarts: 0, lastExit: null, parkedUntil: null, retryAt: null, threadId: 1, heapUsedBytes: 1000,
      session: { state: 'connected' }, console: { state: 'connected' },
    }))
  }
  injectFault(node: string, kind: FaultKind): void {
    this.faults.push({ node, kind })
  }
  /** Per node worker states other than running (restartWorker turns parked into restarting). */
  readonly states = new Map<string, ChildStatus['state']>()
  restartWorker(node: string): ChildStatus['state'] {
    if (!this.configs.has(node)) throw new ServiceError('NODE_NOT_FOUND', `no node named ${node}`)
    const s = this.states.get(node) ?? 'running'
    if (s !== 'parked') throw new ServiceError('CONFLICT', `worker for ${node} is ${s}`)
    this.states.set(node, 'restarting')
    return 'restarting'
  }
  /** Nodes whose profile was reset, in order. */
  readonly profileResets: string[] = []
  resetProfile(node: string): number {
    const c = this.configs.get(node)
    if (c === undefined) throw new ServiceError('NODE_NOT_FOUND', `no node named ${node}`)
    this.profileResets.push(node)
    return this.update(node, { ...c, profile: undefined })
  }
}

export interface TestApi {
  app: ApiInstance
  store: OpenedStore
  sup: FakeSupervisor
  sync: NodeSync
  tokens: Record<Role, string>
  logs: string[]
  dataDir: string
  auth(role: Role | undefined): Record<string, string>
  close(): Promise<void>
}

export const ADMIN_ENV_TOKEN = 'env-admin-token-0123456789abcdef'

export async function testApi(over: Partial<BuildAppOptions> = {}): Promise<TestApi> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bmcvisor-api-'))
  const store = openStore({ dataDir })
  const logs: string[] = []
  const logger = createLogger({
    level: 'debug',
    destination: new Writable({
      write(chunk: Buffer, _enc, cb) {
        logs.push(chunk.toString('utf8'))
        cb()
      },
    }),
  })
  const sup = new FakeSupervisor()
  const sync = await syncNodes(store.nodes, sup, logger)
  const app = await buildApp({ supervisor: sup, store, logger, adminToken: ADMIN_ENV_TOKEN, enableFaultInjection: true, ...over })
  await app.ready()
  const tokens = {} as Record<Role, string>
  for (const role of ['viewer', 'operator', 'admin'] as const) tokens[role] = (await store.tokens.create({ name: `test-${role}`, role })).token
  return {
    app, store, sup, sync, tokens, logs, dataDir,
    auth: (role): Record<string, string> => (role === undefined ? {} : { authorization: `Bearer ${tokens[role]}` }),
    async close() {
      await app.close()
      sync.stop()
      await store.close()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

export function nodeBody(name: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, bmc: { host: '127.0.0.1', port: 6230, username: 'admin', password: 'sekrit-pw-1' }, groups: ['rack1'], ...over }
}

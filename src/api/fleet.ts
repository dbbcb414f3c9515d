/**
 * The fleet as the browser's fleet page shows it: one row per node (power,
 * BMC session, console, worker, protocol, groups) and a feed of the rows that
 * changed, for GET /api/v1/fleet and its server-sent events
 * (routes/web.ts). The rows are computed here from what the service already
 * holds in memory (supervisor status, console sessions, the store, the power
 * poll of the metrics wiring): no BMC is asked anything for them.
 * Changes: every supervisor, console and store event schedules one
 * recompute (coalesced over REFRESH_DEBOUNCE_MS); the power poll has no
 * event, so a slow tick (POWER_TICK_MS) recomputes too. Only rows that differ
 * from the last ones sent go to subscribers.
 */
import type { ConsoleStatus } from '../console/index.js'
import type { NodeRecord } from '../store/types.js'
import type { ChildStatus } from './ports.js'

export const REFRESH_DEBOUNCE_MS = 100
export const POWER_TICK_MS = 5000

export interface FleetRow {
  name: string
  groups: string[]
  /** The management protocol (IPMI 2.0 RMCP+ today) and the console method. */
  protocol: string
  consoleMethod: string
  power: 'on' | 'off' | null
  bmc: { up: boolean; state: string | null; reason: string | null }
  console: { state: string; reason: string | null; message: string | null; clients: number }
  worker: { state: string; restarts: number }
}

export interface FleetSources {
  nodes(): Promise<NodeRecord[]>
  worker(node: string): ChildStatus | undefined
  console(node: string): ConsoleStatus | undefined
  power(node: string): 'on' | 'off' | null
  /** Calls `changed` on any event that may change a row; returns the unsubscribe. */
  watch(changed: () => void): () => void
  /** In a cluster: the rows of nodes another member owns come from it (src/cluster/forward-fleet.ts). */
  remote?: {
    elsewhere(node: string): boolean
    row(node: string): FleetRow | undefined
    /** Before rows are computed: the other members' rows, recent enough. */
    fresh(): Promise<void>
  }
}

export type FleetUpdate = { type: 'row'; row: FleetRow } | { type: 'removed'; name: string }

export function fleetRow(n: NodeRecord, s: FleetSources): FleetRow {
  const away = s.remote?.row(n.name)
  if (away !== undefined) return away
  const w = s.worker(n.name)
  const c = s.console(n.name)
  const session = w?.session ?? null
  return {
    name: n.name,
    groups: [...n.groups],
    protocol: n.bmc.protocol ?? 'ipmi',
    consoleMethod: n.console.method,
    power: s.power(n.name),
    bmc: { up: session?.state === 'connected', state: session?.state ?? null, reason: session?.reason ?? null },
    console: { state: c?.state ?? 'unconnected', reason: c?.reason ?? null, message: c?.message ?? null, clients: c?.clients.length ?? 0 },
    worker: { state: w?.state ?? 'stopped', restarts: w?.restarts ?? 0 },
  }
}

export class FleetFeed {
  private last = new Map<string, string>()
  private readonly listeners = new Set<(u: FleetUpdate) => void>()
  private timer: NodeJS.Timeout | undefined
  private pending: Promise<void> = Promise.resolve()
  private tick: NodeJS.Timeout | undefined
  private unwatch: (() => void) | undefined

  constructor(private readonly sources: FleetSources) {}

  /** Every node's row; `own`: only those of the nodes this member owns, as it sees them (what another member asks for). */
  async rows(o: { own?: boolean } = {}): Promise<FleetRow[]> {
    const remote = this.sources.remote
    if (o.own === true) return (await this.sources.nodes()).filter((n) => remote?.elsewhere(n.name) !== true).map((n) => fleetRow(n, { ...this.sources, remote: undefined }))
    const [nodes] = await Promise.all([this.sources.nodes(), remote?.fresh()])
    return nodes.map((n) => fleetRow(n, this.sources))
  }

  /** Live updates until the returned function is called; the first subscriber starts the watching. */
  subscribe(listener: (u: FleetUpdate) => void): () => void {
    if (this.listeners.size === 0) this.start()
    this.listeners.add(listener)
    return () => {
      this.listeners.delete(listener)
      if (this.listeners.size === 0) this.stop()
    }
  }

  /**
   * Recomputes every row and sends the ones that changed since the last call.
   * Refreshes run one after another (the store read is asynchronous), so the
   * rows each compares against are those the one before it sent.
   */
  refresh(): Promise<void> {
    const next = this.pending.then(() => this.refreshOnce())
    this.pending = next.catch(() => undefined)
    return next
  }

  private async refreshOnce(): Promise<void> {
    const seen = new Set<string>()
    for (const row of await this.rows()) {
      seen.add(row.name)
      const text = JSON.stringify(row)
      if (this.last.get(row.name) === text) continue
      this.last.set(row.name, text)
      this.send({ type: 'row', row })
    }
    for (const name of [...this.last.keys()]) {
      if (seen.has(name)) continue
      this.last.delete(name)
      this.send({ type: 'removed', name })
    }
  }

  private send(u: FleetUpdate): void {
    for (const l of [...this.listeners]) l(u)
  }

  private start(): void {
    const first = this.pending.then(async () => {
      this.last = new Map((await this.rows()).map((r) => [r.name, JSON.stringify(r)]))
    })
    this.pending = first.catch(() => undefined)
    this.unwatch = this.sources.watch(() => this.schedule())
    this.tick = setInterval(() => this.refreshQuietly(), POWER_TICK_MS).unref()
  }

  /** A timer's refresh: one the store cannot answer is skipped; the next tick or change tries again. */
  private refreshQuietly(): void {
    this.refresh().catch(() => undefined)
  }

  private schedule(): void {
    if (this.timer !== undefined) return
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.refreshQuietly()
    }, REFRESH_DEBOUNCE_MS).unref()
  }

  stop(): void {
    this.unwatch?.()
    this.unwatch = undefined
    clearTimeout(this.timer)
    clearInterval(this.tick)
    this.timer = this.tick = undefined
  }
}

/**
 * ConsoleManager: the ConsoleSession of every node, created by the
 * composition root (src/main.ts) and fed by the supervisor's console events.
 *
 * Owns the sessions, where their logs live (`<dataDir>/consoles`), the fleet
 * size it tells workers (reconnect policy, debounced), and the getters and
 * events that metrics read. Talks to the supervisor only through
 * ConsolePort (types.ts), which Supervisor satisfies structurally.
 * Hazard: add() a node here before supervisor.add(), so that the first
 * byte of its console has a buffer and a log to go to (lesson 7); bytes for
 * a node that is not here are counted in `unroutedBytes` and dropped.
 */
import { EventEmitter } from 'node:events'
import { join } from 'node:path'
import { NODE_NAME, type ConsoleInputDrain, type ConsoleInputResult, type InputDropReason } from '../bridge/messages.js'
import { checkRegExp, ServiceError } from '../errors.js'
import { ConsoleLog, type ConsoleLogOptions } from './console-log.js'
import { ConsoleSession } from './session.js'
import {
  CONSOLE_STATES, LOGGING_MODES, systemConsoleClock, type AttachOptions, type ClientSink, type ConsoleClientHandle, type ConsoleClock, type ConsolePort, type ConsoleReason,
  type ConsoleState, type ConsoleStatus, type NodeConsoleConfig, type WorkerConsoleState,
} from './types.js'

export interface ConsoleManagerOptions {
  /** Logs go to `<dataDir>/consoles/<node>.log`; without it no console is logged to disk. */
  dataDir?: string | undefined
  /** Replay tail per console (default 64 KiB). */
  replayBytes?: number
  /** A client with more queued than this is told and dropped (default 1 MiB). */
  maxClientBufferBytes?: number
  /** Console input limit and back-pressure pause (ConsoleSessionOptions); the worker gets the same limit (BmcConfig.consoleInputLimitBytes). */
  inputLimitBytes?: number | undefined
  inputPauseMaxMs?: number | undefined
  log?: Omit<ConsoleLogOptions, 'dir' | 'node' | 'clock' | 'onError'>
  clock?: ConsoleClock
  /** Log write failures and the like; never thrown. */
  onError?: (node: string, err: Error) => void
}

export interface ConsoleManagerEvents {
  'console:state': [node: string, state: ConsoleState, reason: ConsoleReason | undefined]
  'console:clients': [node: string, count: number]
  'console:dropped': [node: string, client: number, why: 'slow']
  /** Console input that did not reach the console (the metric bmcvisor_console_input_dropped_bytes_total). */
  'console:input-dropped': [node: string, bytes: number, reason: InputDropReason]
  'console:removed': [node: string]
}

/** The supervisor's events that feed consoles; Supervisor satisfies it. */
export interface ConsoleEventSource {
  on(event: 'console:data', listener: (node: string, data: Uint8Array) => void): unknown
  on(event: 'console:input', listener: (node: string, report: ConsoleInputResult | ConsoleInputDrain) => void): unknown
  on(event: 'console:state', listener: (node: string, msg: WorkerConsoleState) => void): unknown
  on(event: 'worker:state', listener: (node: string, state: string) => void): unknown
  on(event: 'console:screen', listener: (node: string, screen: string) => void): unknown
  off(event: 'console:data', listener: (node: string, data: Uint8Array) => void): unknown
  off(event: 'console:input', listener: (node: string, report: ConsoleInputResult | ConsoleInputDrain) => void): unknown
  off(event: 'console:state', listener: (node: string, msg: WorkerConsoleState) => void): unknown
  off(event: 'worker:state', listener: (node: string, state: string) => void): unknown
  off(event: 'console:screen', listener: (node: string, screen: string) => void): unknown
}

export interface ConsoleTotals {
  consoles: number
  clients: number
  bytesIn: number
  bytesOut: number
  byState: Record<ConsoleState, number>
  /** Console bytes for nodes this manager does not know (dropped). */
  unroutedBytes: number
}

/** Where console logs live under the data directory. */
export const CONSOLE_LOG_DIR = 'consoles'

const FLEET_DEBOUNCE_MS = 1000

export class ConsoleManager extends EventEmitter<ConsoleManagerEvents> {
  private readonly sessions = new Map<string, ConsoleSession>()
  private readonly clock: ConsoleClock
  private fleetTimer: unknown
  private closed = false
  /** Totals of removed consoles, so the byte counters stay monotonic. */
  private retired = { bytesIn: 0, bytesOut: 0 }
  unroutedBytes = 0

  constructor(private readonly port: ConsolePort, private readonly o: ConsoleManagerOptions = {}) {
    super()
    this.clock = o.clock ?? systemConsoleClock
  }

  /** Directory of the console logs, if any. */
  get logDir(): string | undefined {
    return this.o.dataDir === undefined ? undefined : join(this.o.dataDir, CONSOLE_LOG_DIR)
  }

  has(node: string): boolean {
    return this.sessions.has(node)
  }

  get nodes(): string[] {
    return [...this.sessions.keys()]
  }

  /** The node's session; NODE_NOT_FOUND otherwise. */
  get(node: string): ConsoleSession {
    const s = this.sessions.get(node)
    if (s === undefined) throw new ServiceError('NODE_NOT_FOUND', `no console for node ${node}`, { details: { node } })
    return s
  }

  add(node: string, config: NodeConsoleConfig = {}): ConsoleSession {
    if (this.closed) throw new ServiceError('WORKER_UNAVAILABLE', 'consoles are shutting down')
    if (this.sessions.has(node)) throw new ServiceError('CONFLICT', `node ${node} already has a console`)
    if (!NODE_NAME.test(node)) throw new ServiceError('VALIDATION_FAILED', `node name ${JSON.stringify(node)} cannot name a console log`, { details: { field: 'name' } })
    validate(config)
    const dir = this.logDir
    const session = new ConsoleSession({
      node,
      config,
      port: this.port,
      openLog: dir === undefined ? undefined : () => new ConsoleLog({ ...this.o.log, dir, node, clock: this.clock, onError: (e) => this.o.onError?.(node, e) }),
      replayBytes: this.o.replayBytes,
      maxClientBufferBytes: this.o.maxClientBufferBytes,
      inputLimitBytes: this.o.inputLimitBytes,
      inputPauseMaxMs: this.o.inputPauseMaxMs,
      fleetSize: () => Math.max(1, this.sessions.size),
      clock: this.clock,
    })
    session.on('state', (state, reason) => this.emit('console:state', node, state, reason))
    session.on('clients', (count) => this.emit('console:clients', node, count))
    session.on('dropped', (client, why) => this.emit('console:dropped', node, client, why))
    session.on('input-dropped', (bytes, reason) => this.emit('console:input-dropped', node, bytes, reason))
    this.sessions.set(node, session)
    this.fleetChanged()
    return session
  }

  /** A changed console configuration (logging mode, method, command). */
  update(node: string, config: NodeConsoleConfig): void {
    validate(config)
    this.get(node).setConfig(config)
  }

  async remove(node: string): Promise<void> {
    const s = this.sessions.get(node)
    if (s === undefined) return
    this.sessions.delete(node)
    this.retired.bytesIn += s.bytesIn
    this.retired.bytesOut += s.bytesOut
    await s.close('the node was removed')
    this.fleetChanged()
    this.emit('console:removed', node)
  }

  status(node: string): ConsoleStatus {
    return this.get(node).status()
  }

  statuses(): ConsoleStatus[] {
    return [...this.sessions.values()].map((s) => s.status())
  }

  attach(node: string, sink: ClientSink, opts: AttachOptions): ConsoleClientHandle {
    return this.get(node).attach(sink, opts)
  }

  reopen(node: string): Promise<void> {
    return this.get(node).reopen()
  }

  /** SIGHUP (logrotate): every log lets go of its files; the next write creates them anew. */
  async reopenLogs(): Promise<void> {
    await Promise.all([...this.sessions.values()].map((s) => s.reopenLog()))
  }

  flush(): Promise<void> {
    return Promise.all([...this.sessions.values()].map((s) => s.flush())).then(() => undefined)
  }

  /** Shutdown: clients get 1001, logs are flushed and closed. */
  async close(): Promise<void> {
    this.closed = true
    if (this.fleetTimer !== undefined) this.clock.clearTimeout(this.fleetTimer)
    await Promise.all([...this.sessions.values()].map((s) => s.close('bmcvisor is shutting down')))
  }

  // --- from the supervisor ---

  handleData(node: string, data: Uint8Array): void {
    const s = this.sessions.get(node)
    if (s === undefined) this.unroutedBytes += data.length
    else s.handleData(data)
  }

  handleState(node: string, msg: WorkerConsoleState): void {
    this.sessions.get(node)?.handleState(msg)
  }

  handleWorkerState(node: string, state: string): void {
    this.sessions.get(node)?.handleWorkerState(state)
  }

  /** Feeds this manager from the supervisor's events; returns the unsubscribe. */
  subscribe(source: ConsoleEventSource): () => void {
    const data = (node: string, d: Uint8Array) => this.handleData(node, d)
    const input = (node: string, r: ConsoleInputResult | ConsoleInputDrain) => this.sessions.get(node)?.handleInput(r)
    const state = (node: string, m: WorkerConsoleState) => this.handleState(node, m)
    const worker = (node: string, st: string) => this.handleWorkerState(node, st)
    source.on('console:data', data)
    source.on('console:input', input)
    source.on('console:state', state)
    source.on('worker:state', worker)
    const screen = (node: string, s: string) => this.sessions.get(node)?.handleScreen(s)
    source.on('console:screen', screen)
    return () => {
      source.off('console:data', data)
      source.off('console:input', input)
      source.off('console:state', state)
      source.off('console:screen', screen)
      source.off('worker:state', worker)
    }
  }

  // --- for metrics ---

  totals(): ConsoleTotals {
    const byState = Object.fromEntries(CONSOLE_STATES.map((s) => [s, 0])) as Record<ConsoleState, number>
    let clients = 0
    let bytesIn = this.retired.bytesIn
    let bytesOut = this.retired.bytesOut
    for (const s of this.sessions.values()) {
      byState[s.state]++
      clients += s.clientCount
      bytesIn += s.bytesIn
      bytesOut += s.bytesOut
    }
    return { consoles: this.sessions.size, clients, bytesIn, bytesOut, byState, unroutedBytes: this.unroutedBytes }
  }

  private fleetChanged(): void {
    if (this.fleetTimer !== undefined) return
    this.fleetTimer = this.clock.setTimeout(() => {
      this.fleetTimer = undefined
      for (const s of this.sessions.values()) s.sendFleetSize()
    }, FLEET_DEBOUNCE_MS)
  }
}

function validate(c: NodeConsoleConfig): void {
  if (c.logging !== undefined && !LOGGING_MODES.includes(c.logging)) {
    throw new ServiceError('VALIDATION_FAILED', `console.logging must be one of ${LOGGING_MODES.join(', ')}`, { details: { field: 'console.logging' } })
  }
  if (c.method === 'exec' && (c.command === undefined || c.command.length === 0)) {
    throw new ServiceError('VALIDATION_FAILED', 'an exec console needs console.command', { details: { field: 'console.command' } })
  }
  if (c.connectedPattern !== undefined) checkRegExp(c.connectedPattern, 'console.connectedPattern')
}

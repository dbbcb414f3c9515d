/**
 * ConsoleSession: the one main-thread coordinator of a node's console
 * (DESIGN lesson 6). Many clients, one BMC session: every byte from the
 * worker goes once into the replay buffer, once into the log and once to each
 * client; input goes to the worker only from the read-write holder.
 *
 * Owns the console state as clients see it (lesson 5: `connecting` until the
 * worker says connected, `unconnected` with a reason otherwise), the replay
 * buffer, the log (given by the manager), the client list and the holder
 * (conserver's model: one read-write holder, the others read-only until they
 * take over). Does not own the connection: the worker keeps it, this only
 * says whether it is wanted (logging modes), when to retry now, and reopen.
 * Invariants: bytes are buffered and logged whether or not any client exists
 * (lesson 7); a client is added and sent its replay in one turn, so it sees
 * no gap and no byte twice; a client whose transport queues more than
 * maxClientBufferBytes is told and dropped, never waited for. Input toward
 * the console is bounded (input-flow.ts): held back, or dropped and told.
 */
import { EventEmitter } from 'node:events'
import { DEFAULT_CONSOLE_INPUT_LIMIT_BYTES, type ConsoleInputDrain, type ConsoleInputResult } from '../bridge/messages.js'
import { ServiceError } from '../errors.js'
import { InputFlow } from './input-flow.js'
import type { ConsoleLog } from './console-log.js'
import { ReplayBuffer } from './replay-buffer.js'
import { ClientReplay } from './screen-waits.js'
import {
  isOnDemand, SLOW_CLIENT_CLOSE_CODE, systemConsoleClock, type AttachOptions, type ClientInfo, type ConsoleClientHandle, type ConsoleSessionEvents, type ConsoleSessionOptions, type ClientSink, type ConsoleClock, type ConsolePort,
  type ConsoleReason, type ConsoleState, type ConsoleStatus, type HolderInfo, type LoggingMode, type NodeConsoleConfig, type ServerMessage,
  type WorkerConsoleState,
} from './types.js'

const INPUT_PAUSE_MAX_MS = 30_000

interface Client extends ClientInfo {
  sink: ClientSink
  toldReadOnly: boolean
}

export class ConsoleSession extends EventEmitter<ConsoleSessionEvents> {
  readonly node: string
  private config: NodeConsoleConfig
  private readonly port: ConsolePort
  private readonly clock: ConsoleClock
  private readonly openLog: (() => ConsoleLog) | undefined
  private readonly maxClientBufferBytes: number
  private readonly fleetSize: () => number
  private readonly buffer: ReplayBuffer
  private log: ConsoleLog | undefined
  private readonly clients = new Map<number, Client>()
  private holder: HolderInfo | undefined
  private nextClientId = 1
  private _state: ConsoleState = 'unconnected'
  private reason: ConsoleReason | undefined
  private message: string | undefined
  private since: number
  private lastFailure: string | undefined
  private demandSent: boolean | undefined
  private workerRunning = false
  private closed = false
  private pendingOut: Uint8Array[] = []
  private outScheduled = false
  private readonly defer: (fn: () => void) => void
  private readonly inputFlow: InputFlow
  private readonly replay: ClientReplay
  bytesIn = 0
  bytesOut = 0
  inputDroppedBytes = 0

  constructor(o: ConsoleSessionOptions) {
    super()
    this.node = o.node
    this.config = o.config
    this.port = o.port
    this.clock = o.clock ?? systemConsoleClock
    this.openLog = o.openLog
    this.maxClientBufferBytes = o.maxClientBufferBytes ?? 1024 * 1024
    this.fleetSize = o.fleetSize ?? (() => 1)
    this.buffer = new ReplayBuffer(o.replayBytes ?? 64 * 1024)
    this.defer = o.defer ?? ((fn) => setImmediate(fn))
    this.inputFlow = new InputFlow({
      limit: o.inputLimitBytes ?? DEFAULT_CONSOLE_INPUT_LIMIT_BYTES,
      pauseMaxMs: o.inputPauseMaxMs ?? INPUT_PAUSE_MAX_MS,
      clock: this.clock,
      post: (data) => this.port.consoleInput(this.node, data),
      sinkOf: (id) => this.clients.get(id)?.sink,
      dropped: (bytes, reason) => {
        this.inputDroppedBytes += bytes
        this.emit('input-dropped', bytes, reason)
      },
      written: (bytes) => (this.bytesOut += bytes),
    })
    this.replay = new ClientReplay({
      tail: () => ({ bytes: this.buffer.snapshot(), ageMs: this.ageMs() }),
      requestScreen: () => this.logging !== 'none' && this.workerRunning && this.port.consoleInput(this.node, { type: 'snapshot' }),
      ageMs: () => this.ageMs(),
      sinkOf: (id) => this.clients.get(id)?.sink,
    }, this.clock, o.screenWaitMs)
    this.since = this.clock.now()
    this.applyLogging()
  }

  get state(): ConsoleState {
    return this._state
  }

  get logging(): LoggingMode {
    return this.config.logging ?? 'full'
  }

  get clientCount(): number {
    return this.clients.size
  }

  /** The worker should keep the console open now. */
  get wanted(): boolean {
    return !isOnDemand(this.logging) || this.clients.size > 0
  }

  /** A new node console configuration; a logging change never drops a live connection (confluent 37549481). */
  setConfig(config: NodeConsoleConfig): void {
    this.config = config
    this.applyLogging()
    this.sendDemand()
  }

  // --- from the supervisor ---

  handleData(data: Uint8Array): void {
    if (this.closed || data.length === 0) return
    this.bytesIn += data.length
    if (this.logging !== 'none') this.buffer.append(data, this.clock.now())
    this.log?.append(data)
    if (this.clients.size === 0) return
    this.pendingOut.push(data)
    if (!this.outScheduled) {
      this.outScheduled = true
      this.defer(() => this.flushOut())
    }
  }

  /** Sends what is pending to every client, as one frame; control messages flush first, so order holds. */
  private flushOut(): void {
    this.outScheduled = false
    if (this.pendingOut.length === 0) return
    const chunks = this.pendingOut
    this.pendingOut = []
    const frame = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)
    for (const c of [...this.clients.values()]) {
      // A client waiting for its screen gets these bytes in it.
      if (this.replay.waiting(c.id)) continue
      c.sink.data(frame)
      if (c.sink.bufferedBytes > this.maxClientBufferBytes) this.dropSlow(c)
    }
  }

  handleState(msg: WorkerConsoleState): void {
    switch (msg.state) {
      case 'connecting':
        return this.setState('connecting', undefined, undefined)
      case 'connected':
        return this.setState('connected', undefined, undefined)
      case 'error':
      case 'disconnected':
        return this.setState('unconnected', msg.reason ?? (msg.state === 'error' ? 'protocol' : undefined), msg.error?.message)
    }
  }

  /** The worker's screen (a snapshot answer): every client waiting for one starts from it. */
  handleScreen(screen: string): void {
    if (this.closed) return
    this.flushOut()
    this.replay.screen(screen)
  }

  /** The worker's answer to console input (bridge ConsoleInputResult), or a drain. */
  handleInput(report: ConsoleInputResult | ConsoleInputDrain): void {
    this.inputFlow.answer(report)
  }

  handleWorkerState(state: string): void {
    if (state !== 'running') {
      this.inputFlow.workerGone()
      this.replay.workerGone()
    }
    this.workerRunning = state === 'running'
    if (this.workerRunning) {
      // A new worker knows nothing of us: tell it the demand and the fleet size again.
      this.demandSent = this.wanted
      this.port.consoleControl(this.node, { demand: this.wanted, fleetSize: this.fleetSize() })
    } else if (this._state !== 'unconnected' || this.reason !== 'worker_unavailable') {
      this.setState('unconnected', 'worker_unavailable', `the node's worker is ${state}`)
    }
  }

  /** The fleet size changed (the manager debounces this). */
  sendFleetSize(): void {
    if (this.workerRunning) this.port.consoleControl(this.node, { fleetSize: this.fleetSize() })
  }

  // --- clients ---

  attach(sink: ClientSink, o: AttachOptions): ConsoleClientHandle {
    if (this.closed) throw new ServiceError('NODE_NOT_FOUND', `console ${this.node} is closed`)
    // Bytes still pending go to the clients that exist; the new one gets them in its replay.
    this.flushOut()
    const id = this.nextClientId++
    const c: Client = { id, user: o.user, mode: o.mode, canWrite: o.canWrite, since: new Date(this.clock.now()).toISOString(), sink, toldReadOnly: false }
    this.clients.set(id, c)
    sink.control({ type: 'hello', node: this.node, client: id, mode: o.mode, canWrite: c.canWrite })
    sink.control(this.stateMessage())
    this.replay.start(id, o.replay)
    this.log?.event({ type: 'attach', client: id, user: o.user, mode: o.mode })
    if (o.mode === 'rw' && o.canWrite && this.holder === undefined) this.holder = { client: id, user: o.user }
    this.broadcastClients()
    this.broadcastHolder()
    if (!this.sendDemand() && this.workerRunning && this._state === 'unconnected') {
      // Someone is looking: skip the reconnect wait (confluent's ping hint, conserver's reinitoncc).
      this.port.consoleControl(this.node, { retryNow: true })
    }
    return {
      id,
      input: (data) => this.input(id, data),
      sendBreak: () => this.sendBreak(id),
      takeover: () => this.takeover(id),
      release: () => this.release(id),
      reopen: () => this.reopen(),
      detach: (why) => this.detach(id, why),
    }
  }

  detach(id: number, why?: string): void {
    const c = this.clients.get(id)
    if (c === undefined) return
    this.inputFlow.release(id)
    this.replay.cancel(id)
    this.clients.delete(id)
    this.log?.event({ type: 'detach', client: id, user: c.user, why })
    if (this.holder?.client === id) {
      this.holder = undefined
      // The longest-waiting client that asked for read-write gets it.
      const next = [...this.clients.values()].find((x) => x.mode === 'rw' && x.canWrite)
      if (next !== undefined) this.holder = { client: next.id, user: next.user }
      this.broadcastHolder()
    }
    this.broadcastClients()
    this.sendDemand()
  }

  input(id: number, data: Uint8Array): void {
    const c = this.clients.get(id)
    if (c === undefined || data.length === 0) return
    if (this.holder?.client !== id) {
      if (!c.toldReadOnly) {
        c.toldReadOnly = true
        const h = this.holder
        c.sink.control({ type: 'error', code: 'FORBIDDEN', message: h === undefined ? 'read-only: nobody holds read-write; take it over to type' : `read-only: ${h.user} holds read-write; take it over to type` })
      }
      return
    }
    this.inputFlow.send(id, data, this._state === 'connected')
  }

  sendBreak(id: number): void {
    const c = this.clients.get(id)
    if (c === undefined) return
    if (this.holder?.client !== id) {
      c.sink.control({ type: 'error', code: 'FORBIDDEN', message: 'read-only: only the read-write holder can send a break' })
      return
    }
    if (this._state === 'connected' && this.port.consoleInput(this.node, { type: 'break' })) this.log?.event({ type: 'break', client: id, user: c.user })
  }

  takeover(id: number): void {
    const c = this.clients.get(id)
    if (c === undefined) return
    if (!c.canWrite) {
      c.sink.control({ type: 'error', code: 'FORBIDDEN', message: 'your role may only watch this console' })
      return
    }
    const from = this.holder
    if (from?.client === id) return
    c.mode = 'rw'
    this.holder = { client: id, user: c.user }
    this.log?.event({ type: 'takeover', client: id, user: c.user, from: from?.client ?? null })
    if (from !== undefined) {
      this.inputFlow.release(from.client)
      this.clients.get(from.client)?.sink.control({ type: 'notice', message: `${c.user} took read-write over; you are read-only now` })
    }
    this.broadcastHolder()
  }

  release(id: number): void {
    const c = this.clients.get(id)
    if (c === undefined) return
    c.mode = 'ro'
    this.inputFlow.release(id)
    if (this.holder?.client !== id) return
    this.holder = undefined
    this.broadcastHolder()
  }

  /** Closes a connected console and opens it again; an unconnected one retries now. */
  async reopen(): Promise<void> {
    await this.port.control(this.node, 'console.reopen', { timeoutMs: 5000 })
  }

  // --- status ---

  status(): ConsoleStatus {
    const h = this.holder
    return {
      node: this.node,
      state: this._state,
      reason: this.reason ?? null,
      message: this.message ?? null,
      method: this.config.method ?? 'ipmi',
      logging: this.logging,
      wanted: this.wanted,
      clients: [...this.clients.values()].map(({ id, user, mode, canWrite, since }) => ({ id, user, mode, canWrite, since })),
      holder: h === undefined ? null : { ...h },
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      inputDroppedBytes: this.inputDroppedBytes,
      lastDataAt: this.buffer.lastAt === undefined ? null : new Date(this.buffer.lastAt).toISOString(),
      replayBytes: this.buffer.size,
      since: new Date(this.since).toISOString(),
      log: this.log === undefined ? null : { path: this.log.logPath, bytes: this.log.bytes },
    }
  }

  /** Flushes the log to the kernel. */
  flush(): Promise<void> {
    return this.log?.flush() ?? Promise.resolve()
  }

  /** SIGHUP: the log lets go of its files and opens them again by name at the next write. */
  reopenLog(): Promise<void> {
    return this.log?.reopen() ?? Promise.resolve()
  }

  /** Removes the console: clients are told (1001) and the log is flushed and closed. */
  async close(reason = 'console removed'): Promise<void> {
    if (this.closed) return
    this.flushOut()
    this.closed = true
    for (const c of [...this.clients.values()]) {
      c.sink.control({ type: 'notice', message: reason })
      c.sink.close(1001, reason)
      this.detach(c.id, 'closed')
    }
    await this.log?.close()
    this.log = undefined
  }

  // --- internals ---

  private ageMs(): number | null {
    const at = this.buffer.lastAt
    return at === undefined ? null : Math.max(0, this.clock.now() - at)
  }

  private applyLogging(): void {
    const disk = this.logging === 'full' || this.logging === 'interactive'
    if (disk && this.log === undefined && this.openLog !== undefined) {
      this.log = this.openLog()
      this.log.event({ type: 'open' })
    } else if (!disk && this.log !== undefined) {
      void this.log.close()
      this.log = undefined
    }
    if (this.logging === 'none') this.buffer.clear()
  }

  /** Tells the worker when the demand changed; true if it sent something. */
  private sendDemand(): boolean {
    const wanted = this.wanted
    if (this.demandSent === wanted || !this.workerRunning) return false
    this.demandSent = wanted
    this.port.consoleControl(this.node, { demand: wanted, ...(wanted ? { retryNow: true } : {}) })
    return true
  }

  private setState(state: ConsoleState, reason: ConsoleReason | undefined, message: string | undefined): void {
    if (this.closed) return
    this.flushOut()
    const prev = this._state
    if (prev === state && this.reason === reason) return
    this._state = state
    this.reason = reason
    this.message = message
    this.since = this.clock.now()
    if (state !== 'connected') this.inputFlow.consoleDown()
    if (state === 'connected') {
      this.lastFailure = undefined
      this.log?.event({ type: 'connect' })
    } else if (prev === 'connected') {
      this.log?.event({ type: 'disconnect', reason: reason ?? null, message })
    } else if (state === 'unconnected' && reason !== undefined && this.lastFailure !== reason) {
      // A console that keeps failing the same way is journaled once, not once per retry.
      this.lastFailure = reason
      this.log?.event({ type: 'connect_failed', reason, message })
    }
    const msg = this.stateMessage()
    for (const c of this.clients.values()) c.sink.control(msg)
    this.emit('state', state, reason)
  }

  private stateMessage(): ServerMessage {
    return { type: 'state', state: this._state, ...(this.reason !== undefined ? { reason: this.reason } : {}), ...(this.message !== undefined ? { message: this.message } : {}) }
  }

  private broadcastClients(): void {
    this.flushOut()
    const clients = this.status().clients
    for (const c of this.clients.values()) c.sink.control({ type: 'clients', count: clients.length, clients })
    this.emit('clients', clients.length)
  }

  private broadcastHolder(): void {
    this.flushOut()
    const h = this.holder
    for (const c of this.clients.values()) {
      c.toldReadOnly = false
      c.sink.control({ type: 'holder', holder: h === undefined ? null : { ...h }, you: h?.client === c.id })
    }
  }

  private dropSlow(c: Client): void {
    c.sink.control({ type: 'dropped', reason: 'slow', bufferedBytes: c.sink.bufferedBytes })
    c.sink.close(SLOW_CLIENT_CLOSE_CODE, 'client too slow: dropped')
    this.detach(c.id, 'slow')
    this.emit('dropped', c.id, 'slow')
  }
}

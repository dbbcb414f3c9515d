// A UDP fault proxy for tests: clients talk to the proxy's loopback port, the
// proxy relays each datagram to the BMC (the target) and the BMC's answers
// back, and in between it can drop, delay, duplicate and reorder datagrams,
// or swallow everything (blackhole). `tc netem` is not available on the test
// machines, hence this.
// Owns one client-facing socket plus one upstream socket per client address
// (so answers find their client, like a NAT) and every timer it arms; close()
// releases all of them. Faults are decided per direction with a seeded PRNG,
// drawing the same number of values for every datagram, so the same seed and
// the same packet sequence give the same drops: runs are reproducible.
import { createSocket } from 'node:dgram'
import type { Socket } from 'node:dgram'
import { EventEmitter, once } from 'node:events'
import { LOOPBACK } from './net.js'

export type Direction = 'to-bmc' | 'to-client'
const DIRECTIONS: readonly Direction[] = ['to-bmc', 'to-client']

export interface FaultSettings {
  /** Probability (0..1) that a datagram is dropped. */
  lossRate: number
  /** Fixed delay added to every datagram. */
  delayMs: number
  /** Extra delay, uniform in [0, jitterMs); jitter alone can also reorder. */
  jitterMs: number
  /** Probability (0..1) that a datagram is sent twice. */
  duplicateRate: number
  /** Probability (0..1) that a datagram is held back and sent after the next one. */
  reorderRate: number
  /** Drop everything. */
  blackhole: boolean
}

export const NO_FAULTS: Readonly<FaultSettings> = Object.freeze({
  lossRate: 0,
  delayMs: 0,
  jitterMs: 0,
  duplicateRate: 0,
  reorderRate: 0,
  blackhole: false,
})

export interface DirectionStats {
  /** Datagrams that arrived at the proxy. */
  received: number
  /** Received and not dropped (sent once, or twice when duplicated). */
  forwarded: number
  dropped: number
  /** Extra copies sent. */
  duplicated: number
  /** Datagrams held back to be sent after a later one. */
  reordered: number
  /** Datagrams actually written to a socket (copies included). */
  sent: number
}

export interface PacketEvent {
  direction: Direction
  outcome: 'dropped' | 'forwarded'
  /** Counting from 1 per direction: the n-th datagram received. */
  seq: number
  bytes: number
}

export interface FaultProxyEvents {
  /** Emitted when the fault decision for a datagram is made. */
  packet: [PacketEvent]
  /** Emitted when a datagram (or copy) leaves the proxy. */
  sent: [{ direction: Direction; bytes: number }]
}

export interface FaultProxyOptions {
  target: { host?: string; port: number }
  /** PRNG seed; default 1. */
  seed?: number
  /** Port to listen on; default: any free port. */
  port?: number
  /** How long a reordered datagram waits for a successor; default 20 ms. */
  reorderHoldMs?: number
  /** Initial faults for both directions. */
  faults?: Partial<FaultSettings>
}

/** mulberry32: a small, fast, seedable PRNG with values in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

interface Held {
  msg: Buffer
  copies: number
  timer: NodeJS.Timeout
}

interface Flow {
  clientAddress: string
  clientPort: number
  upstream: Socket
  held: Partial<Record<Direction, Held>>
}

function emptyStats(): DirectionStats {
  return { received: 0, forwarded: 0, dropped: 0, duplicated: 0, reordered: 0, sent: 0 }
}

export class FaultProxy extends EventEmitter<FaultProxyEvents> {
  readonly host = LOOPBACK
  #front: Socket
  #target: { host: string; port: number }
  #flows = new Map<string, Flow>()
  #settings: Record<Direction, FaultSettings>
  #stats: Record<Direction, DirectionStats> = { 'to-bmc': emptyStats(), 'to-client': emptyStats() }
  #rng: Record<Direction, () => number>
  #timers = new Set<NodeJS.Timeout>()
  #reorderHoldMs: number
  #closed = false

  private constructor(front: Socket, readonly port: number, opts: FaultProxyOptions) {
    super()
    this.#front = front
    this.#target = { host: opts.target.host ?? LOOPBACK, port: opts.target.port }
    const seed = opts.seed ?? 1
    // Independent streams per direction: answers do not shift the decisions
    // for requests.
    this.#rng = { 'to-bmc': mulberry32(seed), 'to-client': mulberry32(seed ^ 0x5bd1e995) }
    this.#settings = { 'to-bmc': { ...NO_FAULTS, ...opts.faults }, 'to-client': { ...NO_FAULTS, ...opts.faults } }
    this.#reorderHoldMs = opts.reorderHoldMs ?? 20
    front.on('message', (msg, rinfo) => this.#fromClient(msg, rinfo.address, rinfo.port))
    front.on('error', () => undefined)
  }

  static async start(opts: FaultProxyOptions): Promise<FaultProxy> {
    const front = createSocket('udp4')
    front.bind(opts.port ?? 0, LOOPBACK)
    await once(front, 'listening')
    return new FaultProxy(front, front.address().port, opts)
  }

  /** Changes faults for one direction or both (the default). */
  configure(faults: Partial<FaultSettings>, direction: Direction | 'both' = 'both'): void {
    for (const d of direction === 'both' ? DIRECTIONS : [direction]) {
      this.#settings[d] = { ...this.#settings[d], ...faults }
    }
  }

  /** Back to a transparent proxy in both directions. */
  clearFaults(): void {
    this.configure(NO_FAULTS)
  }

  /** Swallows all traffic in both directions while on. */
  blackhole(on = true): void {
    this.configure({ blackhole: on })
  }

  settings(direction: Direction): FaultSettings {
    return { ...this.#settings[direction] }
  }

  /** Points the proxy at another BMC (or a dead port) for new datagrams. */
  setTarget(target: { host?: string; port: number }): void {
    this.#target = { host: target.host ?? LOOPBACK, port: target.port }
  }

  stats(): Record<Direction, DirectionStats> & { forwarded: number; dropped: number } {
    const a = { ...this.#stats['to-bmc'] }
    const b = { ...this.#stats['to-client'] }
    return { 'to-bmc': a, 'to-client': b, forwarded: a.forwarded + b.forwarded, dropped: a.dropped + b.dropped }
  }

  #fromClient(msg: Buffer, address: string, port: number): void {
    const key = `${address}:${port}`
    let flow = this.#flows.get(key)
    if (flow === undefined) {
      const upstream = createSocket('udp4')
      const f: Flow = { clientAddress: address, clientPort: port, upstream, held: {} }
      upstream.on('message', (answer, rinfo) => {
        // Only the BMC's answers go back; strays on this port are ignored.
        if (rinfo.address !== this.#target.host || rinfo.port !== this.#target.port) return
        this.#decide(f, 'to-client', answer)
      })
      upstream.on('error', () => undefined)
      upstream.bind(0, LOOPBACK)
      this.#flows.set(key, f)
      flow = f
    }
    this.#decide(flow, 'to-bmc', msg)
  }

  #decide(flow: Flow, direction: Direction, msg: Buffer): void {
    if (this.#closed) return
    const s = this.#settings[direction]
    const st = this.#stats[direction]
    const rng = this.#rng[direction]
    st.received++
    // Always four draws per datagram, whatever the settings.
    const rLoss = rng()
    const rDup = rng()
    const rReorder = rng()
    const rJitter = rng()
    if (s.blackhole || rLoss < s.lossRate) {
      st.dropped++
      this.emit('packet', { direction, outcome: 'dropped', seq: st.received, bytes: msg.length })
      return
    }
    st.forwarded++
    const copies = rDup < s.duplicateRate ? 2 : 1
    if (copies === 2) st.duplicated++
    const reorder = rReorder < s.reorderRate
    this.emit('packet', { direction, outcome: 'forwarded', seq: st.received, bytes: msg.length })
    const delayMs = s.delayMs + rJitter * s.jitterMs
    if (delayMs > 0) this.#after(delayMs, () => this.#deliver(flow, direction, msg, copies, reorder))
    else this.#deliver(flow, direction, msg, copies, reorder)
  }

  // A held datagram goes out right after the next one of its flow and
  // direction, or after reorderHoldMs when no other datagram comes.
  #deliver(flow: Flow, direction: Direction, msg: Buffer, copies: number, reorder: boolean): void {
    const held = flow.held[direction]
    if (held !== undefined) {
      this.#send(flow, direction, msg, copies)
      this.#release(flow, direction)
      return
    }
    if (reorder) {
      this.#stats[direction].reordered++
      const timer = this.#after(this.#reorderHoldMs, () => this.#release(flow, direction))
      flow.held[direction] = { msg, copies, timer }
      return
    }
    this.#send(flow, direction, msg, copies)
  }

  #release(flow: Flow, direction: Direction): void {
    const held = flow.held[direction]
    if (held === undefined) return
    delete flow.held[direction]
    clearTimeout(held.timer)
    this.#timers.delete(held.timer)
    this.#send(flow, direction, held.msg, held.copies)
  }

  #send(flow: Flow, direction: Direction, msg: Buffer, copies: number): void {
    if (this.#closed) return
    for (let i = 0; i < copies; i++) {
      if (direction === 'to-bmc') flow.upstream.send(msg, this.#target.port, this.#target.host)
      else this.#front.send(msg, flow.clientPort, flow.clientAddress)
      this.#stats[direction].sent++
      this.emit('sent', { direction, bytes: msg.length })
    }
  }

  /**
   * Sends `count` copies of a datagram to every client the proxy has seen, as
   * if the BMC had sent them: garbage floods and replayed packets for tests of
   * a busy protocol loop. Resolves when all were handed to the socket.
   */
  async injectToClients(datagram: Uint8Array, count: number): Promise<number> {
    let sent = 0
    for (const flow of this.#flows.values()) {
      for (let i = 0; i < count && !this.#closed; i++) {
        await new Promise<void>((resolve) => this.#front.send(datagram, flow.clientPort, flow.clientAddress, () => resolve()))
        sent++
      }
    }
    return sent
  }

  #after(ms: number, fn: () => void): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.#timers.delete(timer)
      fn()
    }, ms)
    this.#timers.add(timer)
    return timer
  }

  /** Waits until `count` datagrams of a direction have had their fault decided. */
  waitForReceived(direction: Direction, count: number, timeoutMs = 5000): Promise<void> {
    if (this.#stats[direction].received >= count) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const onPacket = (): void => {
        if (this.#stats[direction].received < count) return
        clearTimeout(timer)
        this.off('packet', onPacket)
        resolve()
      }
      const timer = setTimeout(() => {
        this.off('packet', onPacket)
        reject(new Error(`fault proxy: ${this.#stats[direction].received}/${count} ${direction} datagrams after ${timeoutMs} ms`))
      }, timeoutMs)
      this.on('packet', onPacket)
    })
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    for (const t of this.#timers) clearTimeout(t)
    this.#timers.clear()
    const sockets = [this.#front, ...[...this.#flows.values()].map((f) => f.upstream)]
    this.#flows.clear()
    await Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))))
  }
}

/**
 * Outstanding IPMI requests of one session, keyed by rqSeq (6 bits, IPMI v2.0
 * §13.8): allocation, retransmit with jittered growing timeouts, matching of
 * responses on (netFn + 1, cmd, rqSeq) as pyghmi does, and a small in-flight
 * limit with a queue whose waits count against each request's own deadline.
 *
 * A retransmit keeps the rqSeq (the BMC can then recognise a duplicate and
 * answer 0xCF) and gets a new session sequence number from the session. After
 * a request needed retransmits, its rqSeq is taboo for a while, so a late
 * duplicate answer cannot match a newer request.
 */
import { IpmiError } from '../ipmi/errors.js'
import type { LanResponse } from '../ipmi/lan-message.js'
import { encodeLanRequest } from '../ipmi/lan-message.js'
import type { Clock, TimerHandle } from './clock.js'
import type { SessionTiming } from './config.js'

export interface RawResponse {
  cc: number
  data: Buffer
}

export interface RequestOptions {
  /** Overall deadline for this request, queueing and retransmits included. */
  timeoutMs?: number
  /** Retransmits allowed (default from timing). */
  retries?: number
  /**
   * Added to the wait on each retransmit (default the session's backoffMs). 0 spaces the tries evenly, so a
   * short deadline still holds as many of them as a longer one with backoff (SolConsole's keepalive).
   */
  backoffMs?: number
  /** False for Chassis Control and Cold Reset: a 0xCF answer to a retransmit then means "already done". */
  idempotent?: boolean
}

interface Entry {
  netFn: number
  cmd: number
  data: Buffer
  rqSeq: number
  attempts: number
  retries: number
  backoffMs: number
  idempotent: boolean
  deadline: number
  freshSeqOnRetry: boolean
  timer: TimerHandle | undefined
  resolve: (r: RawResponse) => void
  reject: (e: IpmiError) => void
}

const TABOO_MS = 30_000
const COMPLETION_DUPLICATE = 0xcf

export class RequestTable {
  private readonly pending = new Map<number, Entry>()
  private readonly queue: Entry[] = []
  private readonly taboo = new Map<number, number>()
  private nextRqSeq = 1

  constructor(
    private readonly timing: SessionTiming,
    private readonly clock: Clock,
    private readonly rand: () => number,
    private readonly io: { send(lanMessage: Buffer): void; retransmitted(): void },
  ) {}

  /** Default overall deadline: the whole retransmit schedule, jitter included. */
  defaultTimeoutMs(retries = this.timing.retries): number {
    let total = 0
    for (let i = 0; i <= retries; i++) total += this.tryTimeout(i, this.timing.backoffMs, 1)
    return total
  }

  get inFlight(): number {
    return this.pending.size + this.queue.length
  }

  request(netFn: number, cmd: number, data: Buffer, opts: RequestOptions): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
      const retries = opts.retries ?? this.timing.retries
      const e: Entry = {
        netFn, cmd, data, rqSeq: -1, attempts: 0, retries, backoffMs: opts.backoffMs ?? this.timing.backoffMs, idempotent: opts.idempotent ?? true,
        deadline: this.clock.now() + (opts.timeoutMs ?? this.defaultTimeoutMs(retries)),
        freshSeqOnRetry: false, timer: undefined, resolve, reject,
      }
      if (this.pending.size < this.timing.maxInFlight && this.allocate(e)) this.transmit(e)
      else {
        this.queue.push(e)
        e.timer = this.clock.setTimeout(() => this.expireQueued(e), Math.max(0, e.deadline - this.clock.now()))
      }
    })
  }

  /** Offers a response; true if it answered an outstanding request. */
  deliver(r: LanResponse): boolean {
    const e = this.pending.get(r.rqSeq)
    if (e === undefined || r.netFn !== (e.netFn | 1) || r.cmd !== e.cmd) return false
    if (r.cc === COMPLETION_DUPLICATE && e.attempts > 1) {
      if (!e.idempotent) {
        // The BMC saw an earlier copy and ran it: done (reference §3.2).
        this.complete(e)
        e.resolve({ cc: 0, data: Buffer.alloc(0) })
        return true
      }
      // Answers a copy; wait for the real answer, and use a new rqSeq next try.
      e.freshSeqOnRetry = true
      return true
    }
    this.complete(e)
    e.resolve({ cc: r.cc, data: r.data })
    return true
  }

  failAll(err: IpmiError): void {
    const all = [...this.pending.values(), ...this.queue]
    this.pending.clear()
    this.queue.length = 0
    for (const e of all) {
      if (e.timer) this.clock.clearTimeout(e.timer)
      e.reject(err)
    }
  }

  private tryTimeout(attempt: number, backoffMs: number, jitter: number): number {
    const base = this.timing.retransmitMs + attempt * backoffMs
    return base * (1 + this.timing.jitterRatio * jitter)
  }

  private allocate(e: Entry): boolean {
    const now = this.clock.now()
    for (let i = 0; i < 64; i++) {
      const seq = (this.nextRqSeq + i) & 0x3f
      const until = this.taboo.get(seq)
      if (until !== undefined && until <= now) this.taboo.delete(seq)
      if (this.pending.has(seq) || (until !== undefined && until > now)) continue
      this.nextRqSeq = (seq + 1) & 0x3f
      e.rqSeq = seq
      this.pending.set(seq, e)
      return true
    }
    return false
  }

  private transmit(e: Entry): void {
    e.attempts++
    this.io.send(encodeLanRequest({ netFn: e.netFn, cmd: e.cmd, rqSeq: e.rqSeq, data: e.data }))
    const wait = Math.min(this.tryTimeout(e.attempts - 1, e.backoffMs, this.rand()), Math.max(0, e.deadline - this.clock.now()))
    e.timer = this.clock.setTimeout(() => this.onTimeout(e), wait)
  }

  private onTimeout(e: Entry): void {
    e.timer = undefined
    if (this.pending.get(e.rqSeq) !== e) return
    if (e.attempts > e.retries || this.clock.now() >= e.deadline) {
      this.complete(e)
      e.reject(new IpmiError('BMC_UNREACHABLE', `no answer from BMC to netFn 0x${e.netFn.toString(16)} cmd 0x${e.cmd.toString(16)} after ${e.attempts} tries`, {
        retryable: true,
        details: { netFn: e.netFn, cmd: e.cmd, attempts: e.attempts },
      }))
      return
    }
    if (e.freshSeqOnRetry) {
      this.pending.delete(e.rqSeq)
      this.taboo.set(e.rqSeq, this.clock.now() + TABOO_MS)
      e.freshSeqOnRetry = false
      if (!this.allocate(e)) {
        e.reject(new IpmiError('BMC_BUSY', 'no free request sequence number', { retryable: true }))
        this.pump()
        return
      }
    }
    this.io.retransmitted()
    this.transmit(e)
  }

  private complete(e: Entry): void {
    if (e.timer) this.clock.clearTimeout(e.timer)
    e.timer = undefined
    this.pending.delete(e.rqSeq)
    if (e.attempts > 1) this.taboo.set(e.rqSeq, this.clock.now() + TABOO_MS)
    this.pump()
  }

  private expireQueued(e: Entry): void {
    const i = this.queue.indexOf(e)
    if (i < 0) return
    this.queue.splice(i, 1)
    e.reject(new IpmiError('BMC_UNREACHABLE', 'request timed out while waiting for earlier requests to this BMC', { retryable: true, details: { netFn: e.netFn, cmd: e.cmd, attempts: 0 } }))
  }

  private pump(): void {
    while (this.queue.length > 0 && this.pending.size < this.timing.maxInFlight) {
      const e = this.queue[0]!
      if (!this.allocate(e)) return
      this.queue.shift()
      if (e.timer) this.clock.clearTimeout(e.timer)
      this.transmit(e)
    }
  }
}

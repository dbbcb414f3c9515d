/**
 * SolConsole: one SOL console on one BMC session. Binds a session (through
 * SolSessionSource) to a SolEngine: activation with takeover, liveness by
 * keepalive, back-pressure, and Deactivate Payload on close.
 *
 * Owns: the activation, the engine, the keepalive timer and the console
 * state. Does not own the session: IpmiClient does; close() leaves it to its
 * owner unless closeSessionOnClose is set. Spec: IPMI v2.0 §15, §24.
 * Contract (DESIGN lessons 5 and 7): the state is `connecting` until Activate
 * Payload succeeded, then `connected`; a failure is `error` with a reason,
 * never `connected` followed by a quiet end. Listeners attached before
 * open() get every byte: SOL payloads that arrive before the activation
 * answer is processed are held and delivered right after `connected`.
 * Hazards: ipmi_sim deactivates SOL when the session closes; a lost session
 * may still hold SOL on the BMC, so its ID is remembered and the next
 * activation takes that instance back.
 */
import { EventEmitter } from 'node:events'
import { decodeResponse } from '../ipmi/command.js'
import { GetDeviceId, GetPayloadInstanceInfo } from '../ipmi/commands/index.js'
import { IpmiError } from '../ipmi/errors.js'
import { systemClock, type Clock, type TimerHandle } from '../session/clock.js'
import type { IpmiClient } from '../session/client.js'
import { activateSol, deactivateSol, type SolActivation } from './activation.js'
import { SolEngine, type SolEngineFailure, type SolEngineStats, type SolEngineTuning, type SolRemoteStatus } from './engine.js'
import { SolError, toSolError } from './errors.js'
import { clientSource, type SolSessionPort, type SolSessionSource } from './session-port.js'

export type SolConsoleState = 'idle' | 'connecting' | 'connected' | 'error' | 'closed'

export interface SolConsoleEvents {
  /** Every state change; `error` carries the SolError (with its reason). */
  state: [state: SolConsoleState, error?: SolError]
  /** Console output, in order, each byte once. */
  data: [chunk: Buffer]
  /** write() returned false earlier and there is room again. */
  drain: []
  /** The BMC's status changed (paused, transfer unavailable) or it reported an event. */
  status: [status: SolRemoteStatus, event?: 'break_detected' | 'transmit_overrun']
  /** open() deactivated another session's SOL first. */
  takeover: [info: NonNullable<SolActivation['takeover']>]
}

export interface SolConsoleOptions {
  clock?: Clock
  /** SOL payload instance; 1 is the serial console. */
  instance?: number
  /** Deadline for `connecting` (login and activation). Default 15 s, above the login's own 10 s. */
  openTimeoutMs?: number
  /** A BMC that dies or stops answering is reported within this. Default 10 s. */
  livenessTimeoutMs?: number
  /**
   * Keepalive (Get Payload Instance Info) period while connected. Default half the liveness timeout
   * (5 s of 10 s): with the request's own deadline (liveness - interval - 2 s, its tries 1 s apart) a
   * dead BMC is still reported 2 s inside the liveness timeout, and an idle thread wakes as seldom as
   * that allows (every wake-up counts when there are a thousand of them: bench/RESULTS-scale.md).
   */
  keepaliveIntervalMs?: number
  /** close() waits this long for queued input to reach the BMC. Default 2 s. */
  flushTimeoutMs?: number
  /** close() also closes the session (when the console owns it). Default false. */
  closeSessionOnClose?: boolean
  /**
   * QUIRK(solsilent-reboot): after a host power up, cycle or reset sent on
   * this session, SOL that carries no output for this long is deactivated and
   * activated again (a booting host prints within seconds; a BMC whose SOL
   * went dead with the reboot stays silent until then). Only a console that has printed something is
   * judged so. Default 15 s; 0 = never.
   */
  silentAfterPowerMs?: number
  /**
   * Whether console output may be taken now (the main thread's credit,
   * src/bridge/credit.ts); while false the engine leaves new packets with the
   * BMC (src/sol/engine.ts). Default: always.
   */
  admit?: () => boolean
  tuning?: Partial<SolEngineTuning>
}

/** The keepalive's interval plus its request's deadline stay this far inside the liveness budget (event-loop delays, jitter). */
const KEEPALIVE_MARGIN_MS = 2000
/** A keepalive request has at least this long, however short the budget. */
const KEEPALIVE_MIN_REQUEST_MS = 1000
const ACTIVATE_REQUEST_MS = 5000
const DEACTIVATE_REQUEST_MS = 2000
const DEFAULT_SILENT_AFTER_POWER_MS = 15_000
/**
 * QUIRK(solsilent-reboot): output that arrives this soon after the power
 * change (at most half of silentAfterPowerMs) does not count as the host
 * speaking: it was printed before the restart and was still in flight or
 * being resent by the BMC.
 */
const IN_FLIGHT_GRACE_MS = 1000

export class SolConsole extends EventEmitter<SolConsoleEvents> {
  private readonly clock: Clock
  private readonly o: Required<Omit<SolConsoleOptions, 'clock' | 'tuning' | 'admit'>> & { tuning: Partial<SolEngineTuning> }
  private readonly admit: (() => boolean) | undefined
  /** When the last SOL payload of the current activation came in: a BMC that sends is not dead. */
  private lastPacketAt = -Infinity
  private _state: SolConsoleState = 'idle'
  private attempt = 0
  private port: SolSessionPort | undefined
  private unsubscribe: (() => void) | undefined
  private engine: SolEngine | undefined
  private early: Buffer[] | undefined
  private keepaliveTimer: TimerHandle | undefined
  private keepaliveWithDeviceId = false
  private _activation: SolActivation | undefined
  private readonly ownGhosts = new Set<number>()
  private idleWaiters: (() => void)[] = []
  private closing: Promise<void> | undefined
  /** QUIRK(solsilent-reboot): armed by a host power change; firing with no output since powerChangedAt + grace means reactivate. */
  private silenceTimer: TimerHandle | undefined
  private powerChangedAt = 0
  private lastOutputAt = -Infinity
  /** Deactivate-and-activate in progress on the same session: keepalive results are not judged meanwhile. */
  private reactivating = false
  /** Times SOL was deactivated and activated again because it stayed silent after a power change. */
  reactivations = 0
  /** Keepalives that went unanswered while SOL packets kept coming (not counted as the BMC gone). */
  keepaliveForgiven = 0

  constructor(private readonly source: SolSessionSource, opts: SolConsoleOptions = {}) {
    super()
    this.clock = opts.clock ?? systemClock
    this.admit = opts.admit
    const liveness = opts.livenessTimeoutMs ?? 10_000
    this.o = {
      instance: opts.instance ?? 1,
      openTimeoutMs: opts.openTimeoutMs ?? 15_000,
      livenessTimeoutMs: liveness,
      keepaliveIntervalMs: opts.keepaliveIntervalMs ?? liveness / 2,
      flushTimeoutMs: opts.flushTimeoutMs ?? 2000,
      closeSessionOnClose: opts.closeSessionOnClose ?? false,
      silentAfterPowerMs: opts.silentAfterPowerMs ?? DEFAULT_SILENT_AFTER_POWER_MS,
      tuning: { ackTimeoutMs: Math.max(1000, liveness - 2000), ...opts.tuning },
    }
  }

  static forClient(client: IpmiClient, opts: SolConsoleOptions = {}): SolConsole {
    return new SolConsole(clientSource(client), opts)
  }

  get state(): SolConsoleState {
    return this._state
  }

  get activation(): SolActivation | undefined {
    return this._activation
  }

  get stats(): SolEngineStats | undefined {
    return this.engine?.stats
  }

  /** Bytes accepted by write() that have not been sent yet. */
  get bufferedBytes(): number {
    return this.engine?.bufferedBytes ?? 0
  }

  /**
   * Logs in when needed and activates SOL. Resolves once `connected`;
   * rejects with a SolError (state `error`) otherwise. Attach 'data' first.
   */
  async open(opts: { force?: boolean } = {}): Promise<SolActivation> {
    if (this._state === 'connecting' || this._state === 'connected' || this.closing !== undefined) {
      throw new Error(`SOL console is ${this._state}; close it before opening again`)
    }
    const id = ++this.attempt
    this._activation = undefined
    this.setState('connecting')
    let timer: TimerHandle | undefined
    const deadline = new Promise<never>((_, reject) => {
      timer = this.clock.setTimeout(() => {
        reject(new SolError('timeout', 'BMC_UNREACHABLE', `SOL console did not connect within ${this.o.openTimeoutMs} ms`, { retryable: true }))
      }, this.o.openTimeoutMs)
    })
    try {
      const act = await Promise.race([this.connectOnce(id, opts.force ?? false), deadline])
      this.connected(act)
      return act
    } catch (e) {
      const err = toSolError(e)
      if (this.live(id)) this.fail(err)
      throw err
    } finally {
      if (timer !== undefined) this.clock.clearTimeout(timer)
    }
  }

  /**
   * Queues console input. False when the buffer is full: stop writing until
   * 'drain'. Throws when not connected, or when a writer ignored false far too long.
   */
  write(data: Uint8Array): boolean {
    return this.requireEngine().write(data)
  }

  /** Sends a serial BREAK at this point of the input stream. */
  sendBreak(): void {
    this.requireEngine().sendBreak()
  }

  /** Standing CTS and DCD/DSR control towards the host (IPMI v2.0 Table 15-2 byte 4 b3, b2). */
  setControl(c: { deassertCts?: boolean; deassertDcdDsr?: boolean }): void {
    this.requireEngine().setControl(c)
  }

  /**
   * Waits (up to flushTimeoutMs) for queued input to be sent, deactivates
   * SOL, and ends in `closed`. Never throws. While connecting, it abandons
   * the attempt (an activation that still succeeds is deactivated).
   */
  close(): Promise<void> {
    this.closing ??= this.doClose().finally(() => {
      this.closing = undefined
    })
    return this.closing
  }

  private async doClose(): Promise<void> {
    const st = this._state
    if (st === 'connecting') {
      this.attempt++
      this.release()
      this.setState('closed')
      return
    }
    if (st !== 'connected') return
    const engine = this.engine
    if (engine !== undefined && !engine.idle) await this.waitIdle(this.o.flushTimeoutMs)
    if (this._state !== 'connected') return // failed while flushing
    const port = this.port
    this.release()
    if (port !== undefined) {
      await deactivateSol(port, this.o.instance, { timeoutMs: DEACTIVATE_REQUEST_MS, retries: 1 })
      if (this.o.closeSessionOnClose) await port.close()
    }
    this.setState('closed')
  }

  private live(id: number): boolean {
    return id === this.attempt && this._state === 'connecting'
  }

  private async connectOnce(id: number, force: boolean): Promise<SolActivation> {
    const port = await this.source.connect()
    if (!this.live(id)) throw new IpmiError('BMC_SESSION_CLOSED', 'SOL console was closed while connecting')
    this.port = port
    this.early = []
    this.unsubscribe = port.subscribe({
      sol: (p) => {
        if (this.port !== port) return
        this.lastPacketAt = this.clock.now()
        if (this.early !== undefined) this.early.push(p)
        else this.engine?.receive(p)
      },
      closed: (e) => {
        if (this.port === port) this.onSessionClosed(port, e)
      },
      hostPower: () => {
        if (this.port === port) this.armSilenceWatch()
      },
    })
    const started = this.clock.now()
    const act = await activateSol(port, {
      instance: this.o.instance,
      force,
      ownGhosts: this.ownGhosts,
      requestOptions: () => ({ timeoutMs: Math.max(1, Math.min(ACTIVATE_REQUEST_MS, this.o.openTimeoutMs - (this.clock.now() - started))) }),
    })
    if (!this.live(id)) {
      // Too late (deadline or close): give the instance back.
      void deactivateSol(port, this.o.instance, { timeoutMs: DEACTIVATE_REQUEST_MS, retries: 1 })
      throw new IpmiError('BMC_SESSION_CLOSED', 'SOL console was closed while connecting')
    }
    return act
  }

  private connected(act: SolActivation): void {
    this._activation = act
    const again = this._state === 'connected' // a reactivation: the state stays connected
    if (act.takeover !== undefined) {
      if (act.takeover.previousOwner !== null) this.ownGhosts.delete(act.takeover.previousOwner)
      this.emit('takeover', act.takeover)
    }
    const engine = new SolEngine(this.clock, act.maxSendData, {
      send: (p) => this.port?.sendSol(p),
      deliver: (d) => {
        this.lastOutputAt = this.clock.now()
        this.emit('data', d)
      },
      learned: (name, detail) => this.source.learn?.(name, detail),
      status: (s, ev) => this.emit('status', s, ev),
      drain: () => this.emit('drain'),
      idle: () => this.flushIdleWaiters(),
      failed: (f) => this.onEngineFailed(f),
      ...(this.admit !== undefined ? { admit: this.admit } : {}),
    }, this.o.tuning)
    this.engine = engine
    if (!again) this.setState('connected')
    // Output that came with or before the activation answer (lesson 7).
    const early = this.early ?? []
    this.early = undefined
    for (const p of early) {
      if (this.engine !== engine) break
      engine.receive(p)
    }
    if (this.engine !== engine) return
    engine.start()
    this.armKeepalive()
  }

  private armSilenceWatch(): void {
    if (this.o.silentAfterPowerMs <= 0 || this._state !== 'connected') return
    this.clearSilenceWatch()
    this.powerChangedAt = this.clock.now()
    this.silenceTimer = this.clock.setTimeout(() => {
      this.silenceTimer = undefined
      const grace = Math.min(IN_FLIGHT_GRACE_MS, this.o.silentAfterPowerMs / 2)
      // A console that never printed (a BMC with nothing on its serial port, as ipmi_sim) proves nothing by silence.
      if (this.lastOutputAt > -Infinity && this.lastOutputAt < this.powerChangedAt + grace) void this.reactivate()
    }, this.o.silentAfterPowerMs)
  }

  private clearSilenceWatch(): void {
    if (this.silenceTimer !== undefined) this.clock.clearTimeout(this.silenceTimer)
    this.silenceTimer = undefined
  }

  /**
   * QUIRK(solsilent-reboot): SOL stayed silent after the host restarted while
   * the session lives. Deactivate and activate again on the same session; the
   * console stays `connected` (input written meanwhile throws, as while
   * connecting). A failure ends in `error` like any lost console.
   */
  private async reactivate(): Promise<void> {
    const port = this.port
    if (this._state !== 'connected' || port === undefined || this.reactivating) return
    this.reactivating = true
    const id = this.attempt
    this.engine?.stop()
    this.engine = undefined
    this.early = []
    if (this.keepaliveTimer !== undefined) this.clock.clearTimeout(this.keepaliveTimer)
    this.keepaliveTimer = undefined
    try {
      await deactivateSol(port, this.o.instance, { timeoutMs: DEACTIVATE_REQUEST_MS, retries: 1 })
      const act = await activateSol(port, { instance: this.o.instance, force: false, ownGhosts: this.ownGhosts, requestOptions: () => ({ timeoutMs: ACTIVATE_REQUEST_MS }) })
      if (id !== this.attempt || this.port !== port) {
        // Closed or failed meanwhile: give the new activation back.
        void deactivateSol(port, this.o.instance, { timeoutMs: DEACTIVATE_REQUEST_MS, retries: 1 })
        return
      }
      this.reactivations++
      this.source.learn?.('sol-silent-after-reboot', `SOL carried nothing for ${this.o.silentAfterPowerMs} ms after a host power change; deactivated and activated again`)
      this.connected(act)
    } catch (e) {
      if (id === this.attempt && this.port === port) this.fail(toSolError(e))
    } finally {
      this.reactivating = false
    }
  }

  private armKeepalive(): void {
    if (this.keepaliveTimer !== undefined) this.clock.clearTimeout(this.keepaliveTimer)
    this.keepaliveTimer = this.clock.setTimeout(() => this.keepalive(), this.o.keepaliveIntervalMs)
  }

  /**
   * Get Payload Instance Info proves both that the BMC answers and that SOL
   * is still ours (pyghmi); BMCs that refuse it get Get Device ID instead.
   */
  private keepalive(): void {
    this.keepaliveTimer = undefined
    const port = this.port
    if (this._state !== 'connected' || port === undefined) return
    const timeoutMs = Math.max(KEEPALIVE_MIN_REQUEST_MS, this.o.livenessTimeoutMs - this.o.keepaliveIntervalMs - KEEPALIVE_MARGIN_MS)
    const sentAt = this.clock.now()
    const cmd = this.keepaliveWithDeviceId ? GetDeviceId : GetPayloadInstanceInfo
    const data = this.keepaliveWithDeviceId ? Buffer.alloc(0) : GetPayloadInstanceInfo.encode({ instance: this.o.instance })
    // Tries evenly spaced (no backoff): the 3 s deadline of the default timing holds three, as the 5 s one of a 3 s interval did.
    port.request(cmd.netFn, cmd.cmd, data, { timeoutMs, backoffMs: 0 }).then(
      (r) => {
        if (this.port !== port || this._state !== 'connected' || this.reactivating) return
        if (this.keepaliveWithDeviceId) return this.armKeepalive()
        if (r.cc !== 0) {
          this.keepaliveWithDeviceId = true
          return this.armKeepalive()
        }
        const owner = decodeResponse(GetPayloadInstanceInfo, r.cc, r.data).managedSystemSessionId
        if (owner === port.managedSystemSessionId) return this.armKeepalive()
        this.fail(new SolError('sol_deactivated', 'BMC_SESSION_CLOSED',
          owner === 0 ? 'SOL was deactivated on the BMC' : `SOL was taken over by BMC session 0x${owner.toString(16)}`,
          { retryable: true, details: { owner } }))
      },
      (e: unknown) => {
        if (this.port !== port || this._state !== 'connected' || this.reactivating) return
        const err = toSolError(e)
        if (err.reason === 'unreachable' && this.lastPacketAt >= sentAt) {
          // The answer was lost or came too late for a starved thread, but the BMC kept sending SOL
          // (held packets are sent again, too): it is alive. The next keepalive judges again.
          this.keepaliveForgiven++
          return this.armKeepalive()
        }
        this.fail(err.reason === 'unreachable'
          ? new SolError('unreachable', 'BMC_UNREACHABLE', 'BMC stopped answering (SOL keepalive)', { retryable: true, cause: e })
          : err)
        if (err.reason === 'unreachable') {
          this.ownGhosts.add(port.managedSystemSessionId)
          port.lose(new IpmiError('BMC_UNREACHABLE', 'BMC stopped answering (SOL keepalive)', { retryable: true, details: { stage: 'sol-keepalive' } }))
        }
      },
    )
  }

  private onEngineFailed(f: SolEngineFailure): void {
    const port = this.port
    if (f.reason === 'unreachable') {
      if (port !== undefined) this.ownGhosts.add(port.managedSystemSessionId)
      this.fail(new SolError('unreachable', 'BMC_UNREACHABLE', f.message, { retryable: true }))
      // Commands may still work: try to give the instance back, but leave the session alone.
      if (port !== undefined) void deactivateSol(port, this.o.instance, { timeoutMs: DEACTIVATE_REQUEST_MS, retries: 1 })
    } else {
      this.fail(new SolError('sol_deactivated', 'BMC_SESSION_CLOSED', f.message, { retryable: true }))
    }
  }

  private onSessionClosed(port: SolSessionPort, e: IpmiError | undefined): void {
    if (this._state !== 'connected' && this._state !== 'connecting') return
    if (e?.code === 'BMC_UNREACHABLE') {
      this.ownGhosts.add(port.managedSystemSessionId)
      this.fail(toSolError(e))
    } else if (this._state === 'connected') {
      this.fail(new SolError('sol_deactivated', 'BMC_SESSION_CLOSED', `the session carrying SOL ended: ${e?.message ?? 'closed'}`, { retryable: true, cause: e }))
    }
    // While connecting, the pending request fails with the session's error and open() reports it.
  }

  private fail(err: SolError): void {
    if (this._state !== 'connected' && this._state !== 'connecting') return
    this.attempt++
    this.release()
    this.setState('error', err)
  }

  /** Stops the engine and keepalive and lets go of the session's events. */
  private release(): void {
    if (this.keepaliveTimer !== undefined) this.clock.clearTimeout(this.keepaliveTimer)
    this.keepaliveTimer = undefined
    this.clearSilenceWatch()
    this.engine?.stop()
    this.engine = undefined
    this.early = undefined
    this.unsubscribe?.()
    this.unsubscribe = undefined
    this.port = undefined
    this.flushIdleWaiters()
  }

  private waitIdle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = this.clock.setTimeout(resolve, ms)
      this.idleWaiters.push(() => {
        this.clock.clearTimeout(timer)
        resolve()
      })
    })
  }

  private flushIdleWaiters(): void {
    const w = this.idleWaiters
    this.idleWaiters = []
    for (const f of w) f()
  }

  private requireEngine(): SolEngine {
    if (this.engine === undefined || this._state !== 'connected' || this.closing !== undefined) {
      throw new IpmiError('BMC_SESSION_CLOSED', `SOL console is ${this.closing !== undefined ? 'closing' : this._state}`)
    }
    return this.engine
  }

  private setState(s: SolConsoleState, err?: SolError): void {
    this._state = s
    if (err === undefined) this.emit('state', s)
    else this.emit('state', s, err)
  }
}

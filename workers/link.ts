/**
 * Link: one generation of a BMC worker's configuration (workers/bmc-agent.ts
 * owns the current one): the IpmiClient, the SOL or exec console, and the one
 * watcher loop that keeps them up with jittered backoff (DESIGN lessons 2-4).
 * Reports everything through its BmcAgent, which drops what a cancelled Link
 * says. After a login that failed on credentials the next login waits for the
 * supervisor's per-BMC grant (supervisor/login-gate.ts) instead of its own backoff.
 */
import {
  DEFAULT_CONSOLE_INPUT_LIMIT_BYTES, reasonOf, type BmcConfig, type FailureReason,
} from '../src/bridge/messages.js'
import { ServiceError, toWire } from '../src/errors.js'
import { IpmiClient } from '../src/session/client.js'
import type { SessionConfig } from '../src/session/config.js'
import { SolConsole } from '../src/sol/console.js'
import { DEFAULT_RECONNECT, reconnectDelayMs } from '../src/bridge/reconnect.js'
import { SdrCache } from '../src/bmc/sdr.js'
import { ExecKeeper, execEnvironment } from './exec-console.js'
import type { InputSink } from './console-input.js'
import type { BmcAgent } from './bmc-agent.js'

function sessionConfig(c: BmcConfig): SessionConfig {
  return {
    username: c.credentials.username,
    password: c.credentials.password,
    kg: c.credentials.kgHex ? Buffer.from(c.credentials.kgHex, 'hex') : undefined,
    cipherSuite: c.cipherSuite,
    allowInsecureSuite0: c.allowInsecureSuite0,
    privilege: c.privilege,
    timing: c.timing,
  }
}

/** One generation of configuration: a client, maybe a console, and its watcher loop. */
export class Link {
  readonly client: IpmiClient
  console: SolConsole | undefined
  /** The BMC's SDR cache, shared by sensor, health, inventory and event ops of this configuration. */
  readonly sdr = new SdrCache()
  /** The exec console's own loop, when the node's console is a command (independent of the session). */
  readonly exec: ExecKeeper | undefined
  /** An exec console on a service that does not allow them: it runs nothing and says so. */
  readonly execDisabled: boolean
  cancelled = false
  lastSessionState: string | undefined
  lastConsoleState: string | undefined
  /** Set while the watcher waits: called when the console fails. */
  consoleFailed: ((reason: FailureReason, error?: ReturnType<typeof toWire>) => void) | undefined
  /** Set while the watcher waits: wakes it to (re)open the SOL console without backoff. */
  consoleWake: (() => void) | undefined
  private retryNow = false
  /** The last login failed on credentials: the next waits for the supervisor's per-BMC grant, not for our own backoff. */
  private credentialFailed = false
  private timer: NodeJS.Timeout | undefined
  private wake: (() => void) | undefined
  private failures = 0

  constructor(readonly agent: BmcAgent, readonly generation: number, readonly config: BmcConfig) {
    this.client = new IpmiClient({ host: config.host, port: config.port }, sessionConfig(config))
    this.client.on('session', (session) => agent.sessionOpened(this, session.stats))
    this.execDisabled = config.console && config.consoleMethod === 'exec' && config.allowExecConsole !== true
    if (config.console && config.consoleMethod === 'exec' && !this.execDisabled) {
      const exec = config.consoleExec ?? { command: [] }
      this.exec = new ExecKeeper(exec, execEnvironment(agent.bmc, config), {
        wanted: () => !this.cancelled && agent.consoleWanted(config),
        delayMs: (failures) => this.delayMs(failures),
        data: (chunk) => agent.consoleData(this, chunk),
        state: (state, err) => agent.consoleState(this, state, err, false),
        progress: (backlog) => agent.inputProgress(this, backlog),
      })
    }
  }

  /** Where console input goes now: the exec command or the SOL console. */
  inputSink(): InputSink | undefined {
    if (this.exec !== undefined) return this.exec.sink()
    const con = this.console
    if (con === undefined) return undefined
    return {
      get accepting() {
        return con.state === 'connected'
      },
      get backlog() {
        return con.bufferedBytes
      },
      write: (data) => void con.write(data),
    }
  }

  sendBreak(): void {
    if (this.exec !== undefined) return this.exec.sendBreak()
    if (this.console?.state === 'connected') this.console.sendBreak()
  }

  /** SOL is this link's console and the main thread wants it open now. */
  wantsSol(): boolean {
    return this.config.console && (this.config.consoleMethod ?? 'ipmi') === 'ipmi' && this.agent.consoleWanted(this.config)
  }

  /** The watcher: keeps session (and console) up until cancelled. */
  async run(): Promise<void> {
    this.exec?.start()
    if (this.execDisabled) {
      const err = new ServiceError('EXEC_CONSOLES_DISABLED', 'exec consoles are turned off on this server (serve --allow-exec-consoles); the command was not run',
        { details: { reason: 'exec_disabled' } })
      this.agent.consoleState(this, 'error', err, false)
    }
    while (!this.cancelled) {
      try {
        if (this.client.currentSession === undefined) {
          if (this.credentialFailed) await this.agent.loginPermit(this)
          if (this.cancelled) return
          this.agent.sessionState(this, 'connecting')
          // A wanted console is connecting as soon as its session is (lesson 5: announced when really attempted).
          if (this.wantsSol()) this.agent.consoleState(this, 'connecting')
          await this.client.connect()
          if (this.cancelled) return
        }
        this.agent.sessionState(this, 'connected')
        const lost = this.agent.watchSession(this)
        try {
          // A console that fails to open has said why in its own event; the session stays.
          const consoleUp = !this.wantsSol() || (this.console?.state === 'connected') || await this.openConsole().then(() => true, () => false)
          if (consoleUp) {
            this.failures = 0
            const why = await lost.promise
            if (this.cancelled) return
            if (this.client.currentSession === undefined) this.agent.sessionState(this, 'disconnected', why.reason, why.error)
          }
        } finally {
          lost.dispose()
        }
      } catch (e) {
        if (this.cancelled) return
        const w = toWire(e)
        const reason = reasonOf(w)
        this.credentialFailed = reason === 'bad_credentials'
        this.agent.sessionState(this, 'error', reason, w)
        if (this.wantsSol()) this.agent.consoleState(this, 'error', { ...w, details: { ...w.details, reason } })
      }
      if (this.retryNow || this.credentialFailed) {
        this.retryNow = false
        continue
      }
      await this.backoff()
    }
  }

  /** The main thread's demand changed (on-demand logging modes). */
  demandChanged(): void {
    if (this.exec !== undefined) return this.exec.demandChanged()
    if (this.wantsSol()) {
      this.retryNow = true
      this.consoleWake?.()
      this.nudge()
    } else if (this.console !== undefined && (this.console.state === 'connected' || this.console.state === 'connecting')) {
      void this.console.close()
    }
  }

  /** Ends a connected console and opens it again at once; an unconnected one retries now. */
  reopenConsole(): void {
    if (this.exec !== undefined) return this.exec.reopen()
    const con = this.console
    if (con !== undefined && con.state === 'connected') {
      void con.close().then(() => {
        if (this.cancelled) return
        this.retryNow = true
        this.consoleWake?.()
      })
    }
    this.nudge()
  }

  /** Skip the wait before the next console attempt (a client attached). */
  retryConsoleNow(): void {
    if (this.exec !== undefined) this.exec.nudge()
    else this.nudge()
  }

  delayMs(failures: number): number {
    const policy = this.config.reconnect ?? DEFAULT_RECONNECT
    return reconnectDelayMs(failures, policy, this.agent.fleetSize, Math.random())
  }

  private async openConsole(): Promise<void> {
    const limit = inputLimit(this.config)
    // write() says "full" at half the input limit, so its 'drain' (at a quarter) is the gate's progress.
    const con = SolConsole.forClient(this.client, {
      livenessTimeoutMs: this.config.consoleLivenessMs ?? 10_000,
      tuning: { highWaterMark: Math.ceil(limit / 2), maxBufferedBytes: limit },
    })
    this.console = con
    con.on('data', (chunk) => this.agent.consoleData(this, chunk))
    con.on('drain', () => this.agent.inputProgress(this, con.bufferedBytes))
    con.on('state', (state, err) => this.agent.consoleState(this, state, err))
    await con.open({ force: this.config.consoleForce ?? true })
  }

  private backoff(): Promise<void> {
    const ms = this.delayMs(this.failures++)
    return new Promise((resolve) => {
      this.wake = resolve
      this.timer = setTimeout(resolve, ms)
    })
  }

  /** Skip the current backoff wait (console reopen, a caller wants it now). */
  nudge(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
    this.failures = 0
    this.wake?.()
  }

  async cancel(): Promise<void> {
    this.cancelled = true
    this.agent.loginGranted(this)
    this.nudge()
    await this.exec?.cancel()
    await this.console?.close()
    await this.client.close()
  }
}

export function inputLimit(c: BmcConfig): number {
  return c.consoleInputLimitBytes ?? DEFAULT_CONSOLE_INPUT_LIMIT_BYTES
}

/**
 * SSH consoles: one SshConsole is one connection to the BMC's SSH server
 * (npm ssh2) that opens a PTY shell or runs the node's console command
 * (iDRAC `console com2`, iLO `vsp`; OpenBMC's port 2200 needs none). When
 * to connect again is the connection engine's (engine/ssh-plugin.ts).
 *
 * It reports with the SOL console's vocabulary: `connecting` until the
 * channel is open (DESIGN lesson 5), then `connected`; every failure is
 * `error` with a stable code and reason (sshFailure): unreachable, timeout,
 * bad_credentials, host_key_mismatch (never connected: the check happens
 * before authentication), closed. Output of the channel (stdout and stderr:
 * a PTY merges them anyway) is streamed as it comes (lesson 7).
 * Hazards: the password is handed to ssh2 only (password and
 * keyboard-interactive answers), never to an error or a log line; a host key
 * is trusted on first use only when the node pins none (`learned` says which).
 */
import { EventEmitter } from 'node:events'
import { createRequire } from 'node:module'
import type ssh2 from 'ssh2'
import type { ClientChannel } from 'ssh2'
import type { BmcCredentials, SshConsoleConfig } from '../src/bridge/messages.js'
import { ServiceError } from '../src/errors.js'
import { sendBreakRequest } from './ssh-break.js'
import { hostKeyFingerprint, sshFailure, type SshPhase } from './ssh-trust.js'

export type SshConsoleState = 'connecting' | 'connected' | 'error' | 'closed'

export interface SshConsoleEvents {
  state: [state: SshConsoleState, error?: ServiceError]
  data: [chunk: Buffer]
  /** Some input was passed on to the SSH channel: what is still buffered toward it. */
  progress: [backlog: number]
  /** No key was pinned and the server showed this one (OpenSSH's SHA256: form): it was trusted. */
  learned: [fingerprint: string]
}

export interface SshConsoleOptions {
  /** A dead server under an open console is reported within about this many ms (keepalives). */
  livenessMs: number
  /** Connecting (TCP, key exchange, authentication) gives up after this many ms. */
  readyTimeoutMs: number
  /** Length of an RFC 4335 break, in ms. */
  breakMs: number
}

/** The terminal the PTY is asked for: what the worker's screen emulator assumes (workers/screen.ts). */
const PTY = { term: 'xterm', cols: 80, rows: 24 } as const
/** Keepalives per liveness window: the server is declared dead after this many unanswered ones. */
const KEEPALIVES_PER_WINDOW = 3
/**
 * After our end of the connection is closed, how long a server may take to
 * close its end before the socket is destroyed: a hung BMC never answers the
 * FIN, and a teardown must not wait for it (the next generation waits on it).
 */
export const CLOSE_GRACE_MS = 2000

/**
 * ssh2 is loaded by the first SSH console of the thread, not when the worker
 * starts: evaluating it costs each fresh thread about 25 ms of CPU on Node 20
 * (bench/worker-start.ts), and most workers run SOL. It is CommonJS.
 */
const require = createRequire(import.meta.url)
let ssh2Client: typeof ssh2.Client | undefined
const loadClient = (): typeof ssh2.Client => (ssh2Client ??= (require('ssh2') as typeof ssh2).Client)

export class SshConsole extends EventEmitter<SshConsoleEvents> {
  private readonly client = new (loadClient())()
  private channel: ClientChannel | undefined
  private _state: SshConsoleState | 'idle' = 'idle'
  private closing = false
  /** A pinned key the server did not show: the fingerprint it showed instead. */
  private mismatch: string | undefined
  private phase: SshPhase = 'handshake'
  private destroyTimer: NodeJS.Timeout | undefined
  /** ssh2 said `close`: the socket is gone. */
  private gone = false
  readonly ended: Promise<void>
  private endedResolve: () => void = () => undefined

  constructor(private readonly cfg: SshConsoleConfig, private readonly credentials: BmcCredentials, private readonly o: SshConsoleOptions) {
    super()
    this.ended = new Promise((r) => (this.endedResolve = r))
  }

  get state(): SshConsoleState | 'idle' {
    return this._state
  }

  /** Connects; the state events say how it went. */
  open(): void {
    if (this._state !== 'idle') return
    this.setState('connecting')
    const c = this.client
    c.on('keyboard-interactive', (_name, _instructions, _lang, prompts, finish) => {
      // BMCs ask for the password through keyboard-interactive: every prompt gets the one credential set's password.
      finish(prompts.map(() => this.credentials.password))
    })
    c.on('handshake', () => {
      if (this.phase === 'handshake') this.phase = 'authenticating'
    })
    c.on('ready', () => this.startChannel())
    c.on('error', (err: Error & { level?: string }) => {
      // While we close it, whatever the connection does is part of closing.
      if (!this.closing) this.fail(sshFailure(err, this.mismatch, this.cfg.hostKey, this.phase))
    })
    c.on('close', () => {
      this.gone = true
      clearTimeout(this.destroyTimer)
      if (this.closing) {
        if (this._state === 'connecting' || this._state === 'connected') this.setState('closed')
      } else this.fail(new ServiceError('BMC_SESSION_CLOSED', 'the SSH connection to the console closed', { details: { reason: 'closed' } }))
      this.endedResolve()
    })
    const keepaliveInterval = Math.max(1, Math.ceil(this.o.livenessMs / KEEPALIVES_PER_WINDOW))
    c.connect({
      host: this.cfg.host, port: this.cfg.port, username: this.credentials.username, password: this.credentials.password,
      tryKeyboard: true, readyTimeout: this.o.readyTimeoutMs, keepaliveInterval, keepaliveCountMax: KEEPALIVES_PER_WINDOW - 1,
      hostVerifier: (key: Buffer) => this.verify(key),
    })
  }

  write(data: Uint8Array): void {
    const ch = this.channel
    if (ch === undefined || this._state !== 'connected') return
    ch.write(data, () => this.emit('progress', ch.writableLength))
  }

  get backlog(): number {
    return this.channel?.writableLength ?? 0
  }

  /** An RFC 4335 break on the console's channel (the BMC passes it on to the serial line). */
  sendBreak(): void {
    if (this.channel !== undefined && this._state === 'connected') sendBreakRequest(this.channel, this.o.breakMs)
  }

  /** Ends the connection; resolves once it is gone. */
  close(): Promise<void> {
    this.closing = true
    if (this._state === 'idle') {
      this._state = 'closed'
      this.endedResolve()
    } else this.shutdown()
    return this.ended
  }

  /**
   * Ends the connection: politely (SSH disconnect, FIN) once logged in, and for
   * good once the grace is over; before that there is nobody to be polite to.
   */
  private shutdown(): void {
    if (this.gone) return
    if (this.phase !== 'connected') {
      this.client.destroy()
      return
    }
    this.client.end()
    this.destroyTimer ??= setTimeout(() => this.client.destroy(), CLOSE_GRACE_MS)
  }

  private verify(key: Buffer): boolean {
    const seen = hostKeyFingerprint(key)
    if (this.cfg.hostKey === undefined) {
      this.emit('learned', seen)
      return true
    }
    if (seen === this.cfg.hostKey) return true
    this.mismatch = seen
    return false
  }

  private startChannel(): void {
    const opened = (err: Error | undefined, ch: ClientChannel) => {
      if (err !== undefined) {
        this.fail(new ServiceError('BMC_PROTOCOL_ERROR', `the SSH server refused the console channel: ${err.message}`, { details: { reason: 'protocol' } }))
        return
      }
      if (this._state !== 'connecting') {
        ch.close()
        return
      }
      this.channel = ch
      this.phase = 'connected'
      ch.on('data', (chunk: Buffer) => this.emit('data', chunk))
      ch.stderr.on('data', (chunk: Buffer) => this.emit('data', chunk))
      ch.on('close', () => {
        // The console command or shell ended: the connection has nothing more to carry.
        if (!this.closing) this.fail(new ServiceError('BMC_SESSION_CLOSED', 'the SSH console channel closed', { details: { reason: 'closed' } }))
        this.shutdown()
      })
      this.setState('connected')
    }
    if (this.cfg.command === undefined) this.client.shell(PTY, opened)
    else this.client.exec(this.cfg.command, { pty: PTY }, opened)
  }

  /** Reports a failure once; false if the console had already ended. */
  private fail(err: ServiceError): boolean {
    if (this._state !== 'connecting' && this._state !== 'connected') return false
    this.setState('error', err)
    this.shutdown()
    return true
  }

  private setState(s: SshConsoleState, err?: ServiceError): void {
    this._state = s
    if (err === undefined) this.emit('state', s)
    else this.emit('state', s, err)
  }
}

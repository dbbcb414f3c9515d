/**
 * Exec consoles: the node's console is a command bmcvisor runs (`ssh -tt
 * host`, a vendor tool), inside the node's worker beside the SOL console.
 *
 * ExecConsole is one run of the command; when to run it again is the
 * connection engine's (workers/engine, through engine/exec-plugin.ts).
 * It reports with the SOL console's vocabulary (`connecting`, `connected`,
 * `error` with a reason, `closed`), so the main thread's ConsoleSession does
 * not care which method a node uses.
 * Best effort by nature (DESIGN lesson 5): `connected` once the command runs,
 * unless a connectedPattern is configured; then `connecting` until the
 * pattern appears in the output or the deadline passes. Output printed
 * before that is streamed like any other (lesson 7). The end of the command
 * is `error` with reason `exited` and its status.
 * Hazards: the command runs in its own process group, killed as a group
 * (SIGTERM, then SIGKILL); a command that survives the service's SIGKILL is
 * orphaned, so commands should end on stdin EOF (ssh does). The service's
 * own environment (tokens) is not passed on: only a safe subset, and the
 * node's credentials only under the names the node chose (execEnvironment).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { EventEmitter } from 'node:events'
import {
  assertNever, CREDENTIAL_ENV_FIELDS, EXEC_PASSED_ENV, type BmcConfig, type CredentialEnvField, type ExecConsoleConfig, type ExecServiceEnvName,
} from '../src/bridge/messages.js'
import { ServiceError } from '../src/errors.js'

export type ExecConsoleState = 'connecting' | 'connected' | 'error' | 'closed'

export interface ExecConsoleEvents {
  state: [state: ExecConsoleState, error?: ServiceError]
  data: [chunk: Buffer]
  /** Some input reached the command's stdin pipe: what is still buffered toward it. */
  progress: [backlog: number]
}

const PATTERN_WINDOW = 4096
const KILL_GRACE_MS = 2000

/**
 * The command's environment: a safe subset of ours, who the console is for
 * (node, BMC host and port), and only those credentials the node names in
 * `console.env`, under the names it chose. Nothing else: a command that
 * prints its environment must not put the BMC password in the log unless
 * the node asked for it.
 */
export function execEnvironment(node: string, config: BmcConfig, base: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {}
  for (const k of EXEC_PASSED_ENV) if (base[k] !== undefined) env[k] = base[k]
  const service: Record<ExecServiceEnvName, string> = {
    TERM: 'xterm', BMCVISOR_NODE: node, BMCVISOR_BMC_HOST: config.host, BMCVISOR_BMC_PORT: String(config.port),
  }
  Object.assign(env, service)
  const named = config.consoleExec?.credentialEnv ?? {}
  for (const field of CREDENTIAL_ENV_FIELDS) {
    const name = named[field]
    const value = credentialValue(config, field)
    if (name !== undefined && value !== undefined) env[name] = value
  }
  return env
}

function credentialValue(config: BmcConfig, field: CredentialEnvField): string | undefined {
  switch (field) {
    case 'username': return config.credentials.username
    case 'password': return config.credentials.password
    case 'kg': return config.credentials.kgHex
    default: return assertNever(field)
  }
}

/** One run of the console command. */
export class ExecConsole extends EventEmitter<ExecConsoleEvents> {
  private child: ChildProcess | undefined
  private _state: ExecConsoleState | 'idle' = 'idle'
  private window = ''
  private deadline: NodeJS.Timeout | undefined
  private killTimer: NodeJS.Timeout | undefined
  private closing = false
  /** Resolves once the process is gone (or never started). */
  readonly ended: Promise<void>
  private endedResolve: () => void = () => undefined

  constructor(private readonly cfg: ExecConsoleConfig, private readonly env: Record<string, string>) {
    super()
    this.ended = new Promise((r) => (this.endedResolve = r))
  }

  get state(): ExecConsoleState | 'idle' {
    return this._state
  }

  /** Starts the command; resolves when `connected`, rejects (state `error`) otherwise. */
  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const pattern = this.compilePattern()
      if (pattern instanceof ServiceError) {
        this.fail(pattern)
        this.endedResolve()
        return reject(pattern)
      }
      this.setState('connecting')
      const argv = typeof this.cfg.command === 'string' ? ['/bin/sh', '-c', this.cfg.command] : this.cfg.command
      const child = spawn(argv[0]!, argv.slice(1), { env: this.env, stdio: ['pipe', 'pipe', 'pipe'], detached: true })
      this.child = child
      const onOutput = (chunk: Buffer) => {
        this.emit('data', chunk)
        if (this._state === 'connecting' && pattern !== undefined) {
          this.window = (this.window + chunk.toString('latin1')).slice(-PATTERN_WINDOW)
          if (pattern.test(this.window)) connected()
        }
      }
      const connected = () => {
        if (this._state !== 'connecting') return
        if (this.deadline) clearTimeout(this.deadline)
        this.window = ''
        this.setState('connected')
        resolve()
      }
      child.stdout!.on('data', onOutput)
      child.stderr!.on('data', onOutput)
      child.stdin!.on('error', () => undefined) // EPIPE after the command ended: the exit says why
      child.once('spawn', () => {
        if (pattern === undefined) connected()
        else {
          this.deadline = setTimeout(() => {
            const err = new ServiceError('BMC_UNREACHABLE', `console command did not print ${JSON.stringify(this.cfg.connectedPattern)} within ${this.timeoutMs} ms`,
              { details: { reason: 'timeout' } })
            if (this.fail(err)) reject(err)
            this.kill()
          }, this.timeoutMs)
        }
      })
      child.once('error', (e: NodeJS.ErrnoException) => {
        // Only spawn failures arrive here (ENOENT, EACCES): the command cannot run as configured.
        const err = new ServiceError('VALIDATION_FAILED', `console command could not start: ${e.code ?? e.message}`, { details: { reason: 'misconfigured', errno: e.code ?? 'unknown' } })
        if (this.fail(err)) reject(err)
        this.finish()
      })
      child.once('close', (code, signal) => {
        const how = signal !== null ? `signal ${signal}` : `status ${code}`
        const err = new ServiceError('BMC_SESSION_CLOSED', `console command exited with ${how}`,
          { details: { reason: 'exited', exitCode: code, signal } })
        if (this.closing) {
          if (this._state === 'connecting' || this._state === 'connected') this.setState('closed')
        } else if (this.fail(err)) reject(err)
        this.finish()
      })
    })
  }

  write(data: Uint8Array): void {
    const stdin = this.child?.stdin
    if (stdin == null || (this._state !== 'connected' && this._state !== 'connecting')) return
    stdin.write(data, () => this.emit('progress', stdin.writableLength))
  }

  /** Input bytes written and not yet taken by the command's stdin pipe (a command that does not read keeps them here). */
  get backlog(): number {
    return this.child?.stdin?.writableLength ?? 0
  }

  sendBreak(): void {
    if (this.cfg.breakSequence !== undefined) this.write(Buffer.from(this.cfg.breakSequence, 'latin1'))
  }

  /** Ends the command (SIGTERM, then SIGKILL to its process group); resolves when it is gone. */
  close(): Promise<void> {
    this.closing = true
    if (this.deadline) clearTimeout(this.deadline)
    if (this.child === undefined) {
      if (this._state === 'idle') this._state = 'closed'
      this.endedResolve()
    } else this.kill()
    return this.ended
  }

  private get timeoutMs(): number {
    return this.cfg.connectTimeoutMs ?? 30_000
  }

  private compilePattern(): RegExp | undefined | ServiceError {
    if (this.cfg.connectedPattern === undefined || this.cfg.connectedPattern === '') return undefined
    try {
      return new RegExp(this.cfg.connectedPattern)
    } catch {
      return new ServiceError('VALIDATION_FAILED', 'connectedPattern is not a valid regular expression', { details: { reason: 'misconfigured', field: 'connectedPattern' } })
    }
  }

  private kill(): void {
    const child = this.child
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return
    signalGroup(child, 'SIGTERM')
    this.killTimer ??= setTimeout(() => signalGroup(child, 'SIGKILL'), KILL_GRACE_MS)
  }

  /** Reports a failure once; false if the console had already ended. */
  private fail(err: ServiceError): boolean {
    if (this._state !== 'connecting' && this._state !== 'connected' && this._state !== 'idle') return false
    if (this.deadline) clearTimeout(this.deadline)
    this.setState('error', err)
    return true
  }

  private finish(): void {
    if (this.deadline) clearTimeout(this.deadline)
    if (this.killTimer) clearTimeout(this.killTimer)
    this.killTimer = undefined
    // Whatever is left of the group (a shell's children) goes with it.
    if (this.child !== undefined) signalGroup(this.child, 'SIGKILL')
    this.endedResolve()
  }

  private setState(s: ExecConsoleState, err?: ServiceError): void {
    this._state = s
    if (err === undefined) this.emit('state', s)
    else this.emit('state', s, err)
  }
}

function signalGroup(child: ChildProcess, sig: NodeJS.Signals): void {
  if (child.pid === undefined) return
  try {
    process.kill(-child.pid, sig)
  } catch {
    // the group is gone already
  }
}

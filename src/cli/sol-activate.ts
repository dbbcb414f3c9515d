/**
 * `bmcvisor ipmi ... sol activate [--force]`: bridges a terminal to one SOL
 * console, like `ipmitool sol activate`. Raw mode when stdin is a TTY; the
 * escape character (`~`) at the start of a line takes a command: `~.` ends
 * the console, `~B` sends a serial BREAK, `~~` sends one `~`, `~?` lists
 * them. Exit codes: 0 the user ended it (or stdin ended), 1 the console could
 * not be opened, 2 it was lost after it had connected; errors print one line
 * `bmcvisor: CODE: message` on stderr.
 * Owns the terminal mode while it runs and restores it on every way out. The
 * client (and its session) stays the caller's.
 */
import type { IpmiClient } from '../session/client.js'
import { SolConsole, type SolConsoleOptions } from '../sol/console.js'
import type { SolError } from '../sol/errors.js'

export const SolExitCode = { UserQuit: 0, OpenFailed: 1, Lost: 2 } as const

export type EscapeAction = { kind: 'data'; data: Buffer } | { kind: 'break' } | { kind: 'quit' } | { kind: 'help' }

const CR = 0x0d
const LF = 0x0a

/**
 * The `~` escape state machine over raw input bytes. Pure: feed() returns
 * what to do, in order; the escape byte and its command never reach the BMC.
 */
export class EscapeParser {
  private atLineStart = true
  private afterEscape = false

  constructor(private readonly escape = 0x7e /* '~' */) {}

  feed(input: Uint8Array): EscapeAction[] {
    const out: EscapeAction[] = []
    let data: number[] = []
    const flush = (): void => {
      if (data.length > 0) out.push({ kind: 'data', data: Buffer.from(data) })
      data = []
    }
    for (const b of input) {
      if (this.afterEscape) {
        this.afterEscape = false
        this.atLineStart = false
        if (b === 0x2e /* . */) {
          flush()
          out.push({ kind: 'quit' })
          return out
        } else if (b === 0x42 /* B */) {
          flush()
          out.push({ kind: 'break' })
          this.atLineStart = true // as OpenSSH: another escape may follow at once
        } else if (b === 0x3f /* ? */) {
          flush()
          out.push({ kind: 'help' })
          this.atLineStart = true
        } else if (b === this.escape) {
          data.push(b)
        } else {
          data.push(this.escape, b)
          this.atLineStart = b === CR || b === LF
        }
        continue
      }
      if (this.atLineStart && b === this.escape) {
        this.afterEscape = true
        continue
      }
      data.push(b)
      this.atLineStart = b === CR || b === LF
    }
    flush()
    return out
  }
}

const HELP = [
  'Supported escape sequences:',
  '  ~.  terminate the connection',
  '  ~B  send a BREAK to the remote system',
  '  ~?  this message',
  '  ~~  send the escape character by typing it twice',
  '  (escapes are only recognized immediately after a newline)',
].join('\r\n')

export interface SolActivateOptions {
  force: boolean
  stdin: NodeJS.ReadStream
  stdout: NodeJS.WriteStream
  /** Where status and error lines go; default process.stderr. */
  stderr?: NodeJS.WritableStream
  /** Console tuning (timeouts, liveness); the defaults suit a terminal. */
  console?: SolConsoleOptions
}

function errorLine(e: SolError): string {
  return `bmcvisor: ${e.code}: ${e.message}\n`
}

/** Runs one interactive SOL console until the user quits or it fails; resolves with the exit code. */
export async function solActivate(client: IpmiClient, opts: SolActivateOptions): Promise<number> {
  const { stdin, stdout } = opts
  const stderr = opts.stderr ?? process.stderr
  const con = SolConsole.forClient(client, opts.console)
  con.on('data', (d) => stdout.write(d))
  try {
    await con.open({ force: opts.force })
  } catch (e) {
    stderr.write(errorLine(e as SolError))
    return SolExitCode.OpenFailed
  }
  const act = con.activation
  if (act?.takeover !== undefined) {
    const who = act.takeover.previousOwner === null ? 'another session' : `session 0x${act.takeover.previousOwner.toString(16)}`
    stderr.write(`[SOL taken over from ${who}]\r\n`)
  }
  stderr.write('[SOL Session operational.  Use ~? for help]\r\n')

  const raw = stdin.isTTY === true
  if (raw) stdin.setRawMode(true)
  const parser = new EscapeParser()
  return await new Promise<number>((resolve) => {
    let done = false
    let paused = false
    const finish = (code: number, err?: SolError): void => {
      if (done) return
      done = true
      stdin.off('data', onData)
      stdin.off('end', onEnd)
      con.off('drain', onDrain)
      stdin.pause()
      if (raw) stdin.setRawMode(false)
      if (err !== undefined) stderr.write(`\r\n${errorLine(err)}`)
      void con.close().then(() => {
        if (code === SolExitCode.UserQuit) stderr.write('[terminated bmcvisor]\r\n')
        resolve(code)
      })
    }
    const onDrain = (): void => {
      paused = false
      if (!done) stdin.resume()
    }
    const onData = (chunk: Buffer | string): void => {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
      for (const a of parser.feed(bytes)) {
        if (con.state !== 'connected') return
        if (a.kind === 'quit') return finish(SolExitCode.UserQuit)
        if (a.kind === 'help') stderr.write(`\r\n${HELP}\r\n`)
        else if (a.kind === 'break') con.sendBreak()
        else if (!con.write(a.data) && !paused) {
          // Back-pressure: stop reading the terminal until the BMC took the bytes.
          paused = true
          stdin.pause()
          con.once('drain', onDrain)
        }
      }
    }
    const onEnd = (): void => finish(SolExitCode.UserQuit)
    con.on('state', (s, err) => {
      if (s === 'error' && err !== undefined) finish(SolExitCode.Lost, err)
    })
    stdin.on('data', onData)
    stdin.on('end', onEnd)
    stdin.resume()
  })
}

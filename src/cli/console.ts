/**
 * `bmcvisor console NODE [--ro]`: a terminal client of a running server's
 * console WebSocket (BMCVISOR_URL, BMCVISOR_TOKEN). Raw mode when stdin is a
 * TTY; conserver's escape `Ctrl-E c` then a command, anywhere in the input:
 * `.` exit, `b` break, `o` reopen, `f` force read-write (take over), `r`
 * release read-write, `?` help. A status line (on stderr) whenever the
 * console's state, the holder or the client count changes.
 * Exit codes: 0 the user quit (or stdin ended), 1 the console could not be
 * attached (one line `bmcvisor: CODE: message`), 2 the connection was lost
 * for good. A connection the server dropped by going away (RECONNECT_CLOSE_CODES)
 * is attached again to the same URL, with a status line each way, until
 * RECONNECT_DEADLINE_MS.
 * Owns the terminal mode while it runs and restores it on every way out.
 */
import { parseArgs } from 'node:util'
import WebSocket from 'ws'
import { ServiceError, isErrorCode } from '../errors.js'
import type { ServerMessage } from '../console/types.js'
import { clientFromEnv, DEFAULT_URL, seg } from './client.js'
import { reportError } from './errors-out.js'

export const ConsoleExitCode = { UserQuit: 0, AttachFailed: 1, Lost: 2 } as const

export type ConsoleEscapeAction =
  | { kind: 'data'; data: Buffer }
  | { kind: 'quit' } | { kind: 'break' } | { kind: 'reopen' } | { kind: 'takeover' } | { kind: 'release' } | { kind: 'help' }

const CTRL_E = 0x05
const COMMANDS: Record<number, ConsoleEscapeAction['kind']> = {
  0x2e: 'quit', // .
  0x62: 'break', // b
  0x6f: 'reopen', // o
  0x66: 'takeover', // f
  0x72: 'release', // r
  0x3f: 'help', // ?
}

/**
 * conserver's escape over raw input bytes: Ctrl-E, then `c`, then a command.
 * Pure: feed() returns what to do, in order. A Ctrl-E not followed by `c` is
 * passed on with the next byte; an unknown command shows the help.
 */
export class ConsoleEscapeParser {
  private stage: 0 | 1 | 2 = 0

  feed(input: Uint8Array): ConsoleEscapeAction[] {
    const out: ConsoleEscapeAction[] = []
    let data: number[] = []
    const flush = () => {
      if (data.length > 0) out.push({ kind: 'data', data: Buffer.from(data) })
      data = []
    }
    for (const b of input) {
      if (this.stage === 0) {
        if (b === CTRL_E) this.stage = 1
        else data.push(b)
      } else if (this.stage === 1) {
        if (b === 0x63 /* c */) this.stage = 2
        else {
          this.stage = b === CTRL_E ? 1 : 0
          data.push(CTRL_E)
          if (b !== CTRL_E) data.push(b)
        }
      } else {
        this.stage = 0
        flush()
        const kind = COMMANDS[b] ?? 'help'
        out.push({ kind } as ConsoleEscapeAction)
        if (kind === 'quit') return out
      }
    }
    flush()
    return out
  }
}

const HELP = [
  'Escape sequences (Ctrl-E c, then):',
  '  .  exit',
  '  b  send a BREAK',
  '  o  reopen the console (close and connect again)',
  '  f  force read-write (take it over)',
  '  r  release read-write',
  '  ?  this message',
].join('\r\n')

const USAGE = 'usage: bmcvisor console NODE [--ro]   (BMCVISOR_URL, BMCVISOR_TOKEN; escape: Ctrl-E c .)'

export interface ConsoleIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown }
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream
  env: NodeJS.ProcessEnv
}

/** The status line a control message deserves, or undefined. */
export function statusLine(node: string, m: ServerMessage, me: number | undefined): string | undefined {
  switch (m.type) {
    case 'state':
      return `[${node}: ${m.state}${m.reason !== undefined ? ` (${m.reason}${m.message !== undefined ? `: ${m.message}` : ''})` : ''}]`
    case 'holder':
      return m.holder === null ? '[read-write is free: Ctrl-E c f takes it]' : m.you ? '[read-write: you]' : `[read-only: ${m.holder.user} holds read-write; Ctrl-E c f takes it over]`
    case 'clients':
      return `[${m.count} client${m.count === 1 ? '' : 's'} attached]`
    case 'replay':
      // A screen redraws the whole terminal (it starts by clearing it): a line before it would be wiped.
      return m.bytes === 0 || m.kind === 'screen' ? undefined : `[replay: ${m.bytes} bytes${m.ageMs !== null ? `, last output ${Math.round(m.ageMs / 1000)} s ago` : ''}]`
    case 'notice':
      return `[${m.message}]`
    case 'error':
      return `[${m.code}: ${m.message}]`
    case 'dropped':
      return '[dropped: this terminal fell too far behind the console]'
    case 'hello':
      return me === undefined ? `[attached to ${node} (${m.mode === 'rw' ? 'read-write wanted' : 'read-only'}); Ctrl-E c ? for help]` : undefined
    case 'input-dropped':
      return `[input dropped: ${m.bytes} bytes did not reach the console (${m.reason})]`
    default: {
      // Every message type is handled (the compiler checks); one from a newer server gets no line.
      const newer: never = m
      return newer
    }
  }
}

export async function consoleCommand(argv: string[], io: ConsoleIo): Promise<number> {
  let node: string
  let ro: boolean
  try {
    const { values, positionals } = parseArgs({ args: argv, options: { ro: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true })
    if (values.help === true) {
      io.stdout.write(`${USAGE}\n`)
      return 0
    }
    if (positionals.length !== 1) throw new ServiceError('VALIDATION_FAILED', USAGE, { details: { field: 'argv' } })
    node = positionals[0]!
    ro = values.ro === true
  } catch (e) {
    return reportError(e, io.stderr)
  }
  const token = io.env.BMCVISOR_TOKEN
  if (token === undefined || token === '') return reportError(new ServiceError('UNAUTHORIZED', 'set BMCVISOR_TOKEN to an API token (bmcvisor token create --role operator)'), io.stderr)
  const base = (io.env.BMCVISOR_URL ?? DEFAULT_URL).replace(/\/+$/, '')
  const url = `${base.replace(/^http/, 'ws')}/api/v1/nodes/${seg(node)}/console/ws?replay=screen${ro ? '&mode=ro' : ''}`
  const first = await attach(url, token, base)
  if (first instanceof ServiceError) return reportError(first, io.stderr) === 2 ? 2 : ConsoleExitCode.AttachFailed
  return run(node, first, io, () => attach(url, token, base))
}

interface Attached { ws: WebSocket; early: [Buffer, boolean][] }

/** Opens the console socket; an error (the server's refusal, or no server) as a ServiceError. */
async function attach(url: string, token: string, base: string): Promise<Attached | ServiceError> {
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` }, maxPayload: 16 * 1024 * 1024 })
  // Frames that come in the same read as the upgrade answer are emitted before 'open' resolves here.
  const early: [Buffer, boolean][] = []
  const keep = (data: Buffer, isBinary: boolean) => early.push([data, isBinary])
  ws.on('message', keep)
  const attached = await new Promise<ServiceError | undefined>((resolve) => {
    ws.once('open', () => resolve(undefined))
    ws.once('unexpected-response', (_req, res) => {
      let body = ''
      res.on('data', (c: Buffer) => (body += c.toString()))
      res.on('end', () => {
        let err: { code?: unknown; message?: unknown } | undefined
        try {
          err = (JSON.parse(body) as { error?: typeof err }).error
        } catch {
          // not our envelope
        }
        resolve(new ServiceError(isErrorCode(err?.code) ? err.code : 'INTERNAL', typeof err?.message === 'string' ? err.message : `HTTP ${res.statusCode}`))
      })
    })
    ws.once('error', (e: Error & { code?: string }) => resolve(new ServiceError('WORKER_UNAVAILABLE', `cannot reach bmcvisor at ${base}: ${e.code ?? e.message}`)))
  })
  if (attached !== undefined) {
    ws.on('error', () => undefined)
    ws.terminate()
    return attached
  }
  ws.off('message', keep)
  return { ws, early }
}

/**
 * Closes after which the client attaches again, to the same URL (the instance it was given, which in a cluster
 * forwards to the node's owner): the server went away or restarts (1001, 1012), the connection broke (1006),
 * or it asked to try again (1013). Any other close (the user's, a revoked token, a slow client) ends the command.
 */
export const RECONNECT_CLOSE_CODES: ReadonlySet<number> = new Set([1001, 1006, 1012, 1013])
/** Waits between attempts: doubling up to the last. */
export const RECONNECT_WAITS_MS = [250, 500, 1000, 2000, 5000] as const
/** How long reconnecting is tried before the command gives up (exit 2). */
export const RECONNECT_DEADLINE_MS = 120_000

function run(node: string, first: Attached, io: ConsoleIo, again: () => Promise<Attached | ServiceError>): Promise<number> {
  let ws = first.ws
  const { stdin, stdout, stderr } = io
  const raw = stdin.isTTY === true && typeof stdin.setRawMode === 'function'
  if (raw) stdin.setRawMode!(true)
  const parser = new ConsoleEscapeParser()
  const status = (line: string) => stderr.write(`\r\n${line}\r\n`)
  let me: number | undefined
  const lastLine = new Map<string, string>()
  return new Promise<number>((resolve) => {
    let done = false
    const finish = (code: number, why?: string) => {
      if (done) return
      done = true
      stdin.off('data', onData)
      stdin.off('end', onEnd)
      stdin.pause()
      if (raw) stdin.setRawMode!(false)
      if (why !== undefined) status(why)
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(1000)
      resolve(code)
    }
    const control = (m: object) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m))
    }
    const onData = (chunk: Buffer | string) => {
      for (const a of parser.feed(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)) {
        switch (a.kind) {
          case 'data':
            if (ws.readyState === ws.OPEN) ws.send(a.data, { binary: true })
            break
          case 'quit':
            return finish(ConsoleExitCode.UserQuit, '[terminated bmcvisor console]')
          case 'help':
            status(HELP)
            break
          case 'break':
            control({ type: 'break' })
            break
          case 'takeover':
            control({ type: 'takeover' })
            break
          case 'release':
            control({ type: 'release' })
            break
          case 'reopen':
            status('[reopening the console]')
            clientFromEnv(io.env).request('POST', `/nodes/${seg(node)}/console/reopen`).catch((e: { code?: string; message?: string }) => status(`[reopen failed: ${e.code ?? 'INTERNAL'}: ${e.message ?? ''}]`))
            break
        }
      }
    }
    const onEnd = () => finish(ConsoleExitCode.UserQuit)
    const onMessage = (data: Buffer, isBinary: boolean) => {
      if (isBinary) {
        stdout.write(data)
        return
      }
      let m: ServerMessage
      try {
        m = JSON.parse(data.toString()) as ServerMessage
      } catch {
        return
      }
      const line = statusLine(node, m, me)
      if (m.type === 'hello') me = m.client
      // Say each kind of news once: the same state or holder twice in a row is not news.
      if (line !== undefined && lastLine.get(m.type) !== line) {
        lastLine.set(m.type, line)
        status(line)
      }
    }
    let lostAt: number | undefined
    let attempt = 0
    const reconnect = async (): Promise<void> => {
      for (;;) {
        if (done) return
        if (performance.now() - lostAt! > RECONNECT_DEADLINE_MS) return finish(ConsoleExitCode.Lost, `[gave up reconnecting after ${RECONNECT_DEADLINE_MS / 1000} s]`)
        await new Promise((resolve) => setTimeout(resolve, RECONNECT_WAITS_MS[Math.min(attempt++, RECONNECT_WAITS_MS.length - 1)]))
        if (done) return
        const next = await again()
        if (next instanceof ServiceError) {
          // The server answered but will not attach this console (unknown node, token revoked): no use trying again.
          if (!next.retryable && next.code !== 'INTERNAL') return finish(ConsoleExitCode.Lost, `[${next.code}: ${next.message}]`)
          continue
        }
        lostAt = undefined
        attempt = 0
        me = undefined
        lastLine.clear()
        wire(next)
        return
      }
    }
    const wire = (a: Attached) => {
      ws = a.ws
      for (const [data, isBinary] of a.early) onMessage(data, isBinary)
      a.ws.on('message', onMessage)
      a.ws.on('close', (code, reason) => {
        if (done) return
        const why = reason.length > 0 ? reason.toString() : `code ${code}`
        if (!RECONNECT_CLOSE_CODES.has(code)) return finish(ConsoleExitCode.Lost, `[connection to bmcvisor closed: ${why}]`)
        status(`[connection to bmcvisor lost: ${why}; reconnecting]`)
        lostAt = performance.now()
        void reconnect()
      })
      a.ws.on('error', () => undefined) // 'close' follows with the reason
    }
    wire(first)
    stdin.on('data', onData)
    stdin.on('end', onEnd)
    stdin.resume()
  })
}

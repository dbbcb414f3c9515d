/**
 * What the consoles that own their connection (exec, SSH: not riding on the
 * management session) share as plugins: one connection object per attempt,
 * one at a time (the previous one is gone before the next opens), its
 * events passed to the attempt's hooks, input through its write/backlog.
 * Each plugin says how to make a connection and how to start it.
 */
import { ServiceError, toWire } from '../../src/errors.js'
import type { ConsoleHooks, ConsolePlugin } from './plugins.js'
import type { ConsoleTraits } from './types.js'

/** The connection of one attempt (workers/exec-console.ts ExecConsole, workers/ssh-console.ts SshConsole). */
export interface OwnConnection {
  readonly state: string
  readonly backlog: number
  on(event: 'state', listener: (state: 'connecting' | 'connected' | 'error' | 'closed', error?: ServiceError) => void): unknown
  on(event: 'data', listener: (chunk: Buffer) => void): unknown
  on(event: 'progress', listener: (backlog: number) => void): unknown
  write(data: Uint8Array): void
  sendBreak(): void
  close(): Promise<void>
}

export interface OwnConsoleSpec<C extends OwnConnection> {
  traits: ConsoleTraits
  /** A new connection for an attempt (not started yet). */
  create(): C
  /** Starts it, once the previous attempt's connection is gone; a failure is reported by its state event. */
  start(c: C): void
  /** Why a connection failed when it did not say (the error state carries none). */
  unexplained: string
}

export function ownConsolePlugin<C extends OwnConnection>(spec: OwnConsoleSpec<C>): ConsolePlugin {
  let con: C | undefined
  /** The current attempt, until its connection starts. */
  let waiting: { hooks: ConsoleHooks } | undefined
  return {
    ...spec.traits,
    open(hooks: ConsoleHooks) {
      const prev = con
      const c = spec.create()
      con = c
      c.on('data', (chunk) => hooks.data(chunk))
      c.on('progress', (backlog) => hooks.progress(backlog))
      c.on('state', (state, err) => {
        if (state === 'connected') hooks.up()
        else if (state === 'error') hooks.failed(toWire(err ?? new ServiceError('INTERNAL', spec.unexplained)))
        else if (state === 'closed') hooks.closed()
      })
      const me = { hooks }
      waiting = me
      void (prev?.close() ?? Promise.resolve()).then(() => {
        if (waiting !== me) return
        waiting = undefined
        spec.start(c)
      })
    },
    close() {
      const w = waiting
      if (w !== undefined) {
        // Closed before it started: it never will, and only we can say so.
        waiting = undefined
        w.hooks.closed()
        return Promise.resolve()
      }
      return con?.close() ?? Promise.resolve()
    },
    get state() {
      return con?.state ?? 'idle'
    },
    sink() {
      const c = con
      if (c === undefined) return undefined
      return {
        get accepting() {
          return c.state === 'connected'
        },
        get backlog() {
          return c.backlog
        },
        write: (data) => c.write(data),
      }
    },
    sendBreak() {
      if (con?.state === 'connected') con.sendBreak()
    },
  }
}

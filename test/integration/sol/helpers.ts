// Helpers for the SOL tests against ipmi_sim (test/lab): a lab client, a
// collector of console output with event-based waits, host-side writing
// paced like a serial line, and `ipmitool sol activate` as the other
// console that holds SOL. Owns the ipmitool processes it starts (stop()).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { EventEmitter, once } from 'node:events'
import { IpmiClient } from '../../../src/session/client.js'
import type { SessionConfig } from '../../../src/session/config.js'
import type { SolConsole, SolConsoleState } from '../../../src/sol/console.js'
import type { SolError } from '../../../src/sol/errors.js'
import { LAB_USERS, type SolBackend } from '../../lab/sim.js'

export function labClient(target: { host: string; port: number }, config: Partial<SessionConfig> = {}): IpmiClient {
  return new IpmiClient({ host: target.host, port: target.port }, {
    username: LAB_USERS.admin.user,
    password: LAB_USERS.admin.password,
    cipherSuite: 3, // ipmi_sim refuses 17
    ...config,
  })
}

/** Rejects after ms unless `p` settles first (a deadline for a wait, not a sleep). */
export async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([p, deadline])
  } finally {
    clearTimeout(timer)
  }
}

/** Everything a console delivers, with waits that wake on 'data'. */
export class Collector {
  private chunks: Buffer[] = []
  private n = 0
  private readonly ev = new EventEmitter()

  constructor(con: SolConsole) {
    con.on('data', (d) => {
      this.chunks.push(d)
      this.n += d.length
      this.ev.emit('data')
    })
  }

  get bytes(): number {
    return this.n
  }

  all(): Buffer {
    return Buffer.concat(this.chunks)
  }

  async waitFor(cond: number | ((all: Buffer) => boolean), timeoutMs = 10_000): Promise<Buffer> {
    const met = (): boolean => (typeof cond === 'number' ? this.n >= cond : cond(this.all()))
    const wait = (async () => {
      while (!met()) await once(this.ev, 'data')
      return this.all()
    })()
    return within(wait, timeoutMs, `console output (${this.n} bytes so far)`)
  }

  /** Resolves at the next delivery. */
  next(): Promise<unknown> {
    return once(this.ev, 'data')
  }
}

/** The next time the console enters one of `states`, with its error. */
export function nextState(con: SolConsole, states: SolConsoleState[]): Promise<{ state: SolConsoleState; error: SolError | undefined; at: number }> {
  return new Promise((resolve) => {
    const on = (s: SolConsoleState, e?: SolError): void => {
      if (!states.includes(s)) return
      con.off('state', on)
      resolve({ state: s, error: e, at: performance.now() })
    }
    con.on('state', on)
  })
}

/**
 * Writes `data` from the host side while at most `window` bytes are on
 * their way. A real UART is paced by its baud rate; this pacing plays that
 * part, for two ipmi_sim quirks (lanserv/sol.c):
 * - QUIRK(ipmi_sim): with `history=` configured (the lab's lan.conf) it keeps
 *   reading the serial backend when its 16 KiB outbound buffer is full and
 *   drops the overflow, so an unpaced 1 MiB write loses data in the simulator.
 * - QUIRK(ipmi_sim): its SOL resend counter is reset only when its outbound
 *   buffer ran empty; while output streams, the 5th resend (over any number
 *   of packets) makes it discard the whole buffer. Under packet loss, use
 *   window = chunk so every chunk drains before the next one is written,
 *   and a `beforeChunk` that waits until our last ACK reached the BMC.
 */
export async function hostWritePaced(
  backend: SolBackend, data: Buffer, delivered: Collector, window = 8192, chunk = 4096,
  /** Called once the window allows the next chunk, and awaited before writing it. */
  beforeChunk?: () => Promise<void>,
): Promise<void> {
  const base = delivered.bytes
  let sent = 0
  while (sent < data.length) {
    const n = Math.min(chunk, data.length - sent)
    const inFlight = (): number => sent - (delivered.bytes - base)
    if (inFlight() + n > window) {
      while (inFlight() + n > window) await delivered.next()
      // Still in the delivery's turn of the event loop: the ACK just sent has
      // not reached any socket yet, so a listener made now sees it.
      await beforeChunk?.()
    }
    await backend.write(data.subarray(sent, sent + n))
    sent += n
  }
}

/** Writes through the console's back-pressure: stops on false, goes on at 'drain'. */
export async function consoleWrite(con: SolConsole, data: Buffer, chunk = 1024): Promise<{ refusals: number }> {
  let refusals = 0
  for (let off = 0; off < data.length; off += chunk) {
    if (!con.write(data.subarray(off, off + chunk))) {
      refusals++
      await once(con, 'drain')
    }
  }
  return { refusals }
}

export interface IpmitoolConsole {
  readonly proc: ChildProcessWithoutNullStreams
  output(): string
  /** Ends it (`~.`, then SIGKILL if it lingers) and waits for the exit. */
  stop(): Promise<void>
}

/** `ipmitool -I lanplus -C 3 sol activate` holding SOL; resolves once it says it is operational. */
export async function ipmitoolSol(sim: { host: string; port: number }, timeoutMs = 10_000): Promise<IpmitoolConsole> {
  // stdbuf: ipmitool's stdout is block-buffered on a pipe and would hide "operational".
  const proc = spawn('stdbuf', ['-o0', 'ipmitool',
    '-I', 'lanplus', '-H', sim.host, '-p', String(sim.port),
    '-U', LAB_USERS.admin.user, '-P', LAB_USERS.admin.password, '-C', '3', 'sol', 'activate',
  ], { stdio: ['pipe', 'pipe', 'pipe'] })
  let out = ''
  const ev = new EventEmitter()
  const add = (d: Buffer): void => {
    out += d.toString('latin1')
    ev.emit('out')
  }
  proc.stdout.on('data', add)
  proc.stderr.on('data', add)
  proc.stdin.on('error', () => undefined)
  let gone = false
  const exited = once(proc, 'exit').then(() => {
    gone = true
  })
  const ready = (async () => {
    while (!out.includes('SOL Session operational')) {
      if (gone) throw new Error(`ipmitool exited: ${out}`)
      await Promise.race([once(ev, 'out'), exited])
    }
  })()
  try {
    await within(ready, timeoutMs, 'ipmitool sol activate')
  } catch (e) {
    proc.kill('SIGKILL')
    throw new Error(`${(e as Error).message}; ipmitool said: ${JSON.stringify(out)}`, { cause: e })
  }
  return {
    proc,
    output: () => out,
    async stop() {
      if (gone) return
      proc.stdin.write('\r~.')
      const t = setTimeout(() => proc.kill('SIGKILL'), 2000)
      await exited
      clearTimeout(t)
    },
  }
}

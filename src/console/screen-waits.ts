/**
 * What a new console client gets first (ClientReplay: the screen, the raw
 * tail or nothing), and the clients waiting for their console's screen
 * snapshot (workers/screen.ts).
 * A client that asked for the screen gets no live bytes until the worker's
 * answer comes: the answer covers every byte that arrived before it on the
 * console port, so the client's first frame is the screen and the bytes after
 * it follow with no gap and no repeat. One answer serves every client waiting
 * then. A worker that does not answer in time (gone, restarted, stuck) gets
 * the client the raw tail instead (`fallback`), so nobody waits forever.
 */
import { assertNever } from '../bridge/messages.js'
import type { ClientSink, ConsoleClock, ReplayKind } from './types.js'

/** How long a client waits for the worker's screen before it gets the raw tail. */
export const SCREEN_WAIT_MS = 3000

export class ScreenWaits {
  private readonly waiting = new Map<number, unknown>()

  constructor(private readonly clock: ConsoleClock, private readonly waitMs = SCREEN_WAIT_MS) {}

  has(id: number): boolean {
    return this.waiting.has(id)
  }

  get size(): number {
    return this.waiting.size
  }

  /** Client `id` waits; `fallback` runs if no answer comes within the wait. */
  wait(id: number, fallback: () => void): void {
    const timer = this.clock.setTimeout(() => {
      if (!this.waiting.delete(id)) return
      fallback()
    }, this.waitMs)
    this.waiting.set(id, timer)
  }

  /** Stops waiting for `id` (detached); true if it was waiting. */
  cancel(id: number): boolean {
    const t = this.waiting.get(id)
    if (t === undefined) return false
    this.clock.clearTimeout(t)
    return this.waiting.delete(id)
  }

  /** Every waiting client, oldest first; none waits any more. */
  takeAll(): number[] {
    const ids = [...this.waiting.keys()]
    for (const id of ids) this.cancel(id)
    return ids
  }
}

/** What ClientReplay needs from its ConsoleSession. */
export interface ReplaySource {
  /** The raw tail (a copy) and the age of its last byte. */
  tail(): { bytes: Uint8Array; ageMs: number | null }
  /** Asks the worker for its screen; false when it cannot be asked (no worker, nothing kept). */
  requestScreen(): boolean
  ageMs(): number | null
  sinkOf(id: number): ClientSink | undefined
}

/** What a new client gets first (ReplayKind), and the clients still waiting for a screen. */
export class ClientReplay {
  private readonly waits: ScreenWaits

  constructor(private readonly src: ReplaySource, clock: ConsoleClock, waitMs?: number) {
    this.waits = new ScreenWaits(clock, waitMs)
  }

  start(id: number, kind: ReplayKind): void {
    switch (kind) {
      case 'none':
        return
      case 'screen':
        if (this.src.requestScreen()) return this.waits.wait(id, () => this.tail(id))
        return this.tail(id)
      case 'tail':
        return this.tail(id)
      default:
        assertNever(kind)
    }
  }

  /** Client `id` waits for a screen: live bytes are not for it yet. */
  waiting(id: number): boolean {
    return this.waits.has(id)
  }

  cancel(id: number): void {
    this.waits.cancel(id)
  }

  /** The worker's answer: every waiting client starts from it. */
  screen(screen: string): void {
    const bytes = Buffer.from(screen)
    for (const id of this.waits.takeAll()) {
      const sink = this.src.sinkOf(id)
      if (sink === undefined) continue
      sink.control({ type: 'replay', kind: 'screen', bytes: bytes.length, ageMs: this.src.ageMs() })
      sink.data(bytes)
    }
  }

  /** The worker went away with its screen: whoever waits gets the tail now. */
  workerGone(): void {
    for (const id of this.waits.takeAll()) this.tail(id)
  }

  private tail(id: number): void {
    const sink = this.src.sinkOf(id)
    if (sink === undefined) return
    const { bytes, ageMs } = this.src.tail()
    sink.control({ type: 'replay', kind: 'tail', bytes: bytes.length, ageMs })
    if (bytes.length > 0) sink.data(bytes)
  }
}

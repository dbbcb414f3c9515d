// Fakes for the console layer: a clock stepped by hand, a supervisor port
// that records what it was told, and a client sink with a settable backlog.
import type { ClientSink, ConsoleClock, ConsolePort, ServerMessage } from '../../../src/console/index.js'
import type { ConsoleToWorker } from '../../../src/bridge/messages.js'

export class FakeClock implements ConsoleClock {
  t = 1_700_000_000_000
  private timers = new Map<number, { at: number; fn: () => void }>()
  private next = 1
  now(): number {
    return this.t
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.next++
    this.timers.set(id, { at: this.t + ms, fn })
    return id
  }
  clearTimeout(h: unknown): void {
    this.timers.delete(h as number)
  }
  /** Moves time on, firing due timers in order. */
  tick(ms: number): void {
    const end = this.t + ms
    for (;;) {
      const due = [...this.timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0]
      if (due === undefined) break
      this.timers.delete(due[0])
      this.t = due[1].at
      due[1].fn()
    }
    this.t = end
  }
}

export class FakePort implements ConsolePort {
  inputs: ConsoleToWorker[] = []
  controls: { node: string; demand?: boolean | undefined; fleetSize?: number | undefined; retryNow?: boolean | undefined }[] = []
  reopens = 0
  consoleInput(_node: string, data: ConsoleToWorker): boolean {
    this.inputs.push(data)
    return true
  }
  consoleControl(node: string, c: { demand?: boolean | undefined; fleetSize?: number | undefined; retryNow?: boolean | undefined }): boolean {
    this.controls.push({ node, ...c })
    return true
  }
  async control(): Promise<unknown> {
    this.reopens++
    return { reopened: true }
  }
}

export class FakeSink implements ClientSink {
  bytes: Uint8Array[] = []
  messages: ServerMessage[] = []
  closedWith: { code: number; reason: string } | undefined
  bufferedBytes = 0
  /** When set, every data() adds to bufferedBytes (a client that stopped reading). */
  stalled = false
  /** Input back-pressure: true between pauseInput() and resumeInput(). */
  paused = false
  pauses = 0
  pauseInput(): void {
    this.paused = true
    this.pauses++
  }
  resumeInput(): void {
    this.paused = false
  }
  data(b: Uint8Array): void {
    this.bytes.push(Uint8Array.prototype.slice.call(b))
    if (this.stalled) this.bufferedBytes += b.length
  }
  control(m: ServerMessage): void {
    this.messages.push(m)
  }
  close(code: number, reason: string): void {
    this.closedWith = { code, reason }
  }
  text(): string {
    return Buffer.concat(this.bytes).toString('latin1')
  }
  last<T extends ServerMessage['type']>(type: T): Extract<ServerMessage, { type: T }> | undefined {
    return this.messages.filter((m) => m.type === type).at(-1) as Extract<ServerMessage, { type: T }> | undefined
  }
}

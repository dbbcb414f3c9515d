/**
 * The console's current screen, kept in the node's worker: a headless
 * terminal (@xterm/headless) fed every console byte, serialized on request
 * (@xterm/addon-serialize) so that a client attaching in the middle of a BIOS
 * menu or a full-screen installer first sees that screen (contents, cursor,
 * attributes, alternate screen), then live bytes with no gap.
 * Why here and not in the main thread: bench/RESULTS-web.md (parsing costs
 * CPU per byte; a worker keeps that off the event loop that serves clients).
 * The no-gap rule: bytes posted to the main thread after a snapshot request
 * and before its answer are held back and posted after it, so on the ordered
 * console port everything before the snapshot is in it and nothing after is.
 */
import headless from '@xterm/headless'
import serialize from '@xterm/addon-serialize'

/** The screen a SOL console draws on (a BMC's serial port has no size of its own). */
export const SCREEN_COLS = 80
export const SCREEN_ROWS = 24
/** Lines above the screen kept in a snapshot: some context for a late client, bounded per console. */
export const SCREEN_SCROLLBACK = 50
/** Starts every snapshot: attributes off, cursor home, screen cleared, so a client's own old screen is gone. */
export const SNAPSHOT_PREFIX = '\x1b[0m\x1b[H\x1b[2J\x1b[3J'

export class ScreenEmulator {
  private readonly term: headless.Terminal
  private readonly ser: serialize.SerializeAddon
  private waiting = 0
  private held: Uint8Array[] = []

  private readonly scrollback: number

  /** `post` sends console bytes on to the main thread; it is called here so that holding back is possible. */
  constructor(private readonly post: (bytes: Uint8Array) => void, o: { scrollback?: number } = {}) {
    this.scrollback = o.scrollback ?? SCREEN_SCROLLBACK
    this.term = new headless.Terminal({ cols: SCREEN_COLS, rows: SCREEN_ROWS, scrollback: this.scrollback, allowProposedApi: true, logLevel: 'off' })
    this.ser = new serialize.SerializeAddon()
    this.term.loadAddon(this.ser)
  }

  /** One chunk of console output: into the screen, then on to the main thread (or held while a snapshot is pending). */
  data(bytes: Uint8Array): void {
    this.term.write(bytes)
    if (this.waiting > 0) this.held.push(bytes)
    else this.post(bytes)
  }

  /** The screen as it is after every byte posted so far; `answer` runs before any later byte is posted. */
  snapshot(answer: (screen: string) => void): void {
    this.waiting++
    // An empty write's callback runs once every earlier write is parsed.
    this.term.write('', () => {
      answer(SNAPSHOT_PREFIX + this.ser.serialize({ scrollback: this.scrollback }))
      if (--this.waiting > 0) return
      const held = this.held
      this.held = []
      for (const b of held) this.post(b)
    })
  }

  dispose(): void {
    this.term.dispose()
  }
}

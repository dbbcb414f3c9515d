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
 * Bytes are copied into a batch and parsed into the screen when it is full
 * (SCREEN_BATCH_BYTES) or a snapshot needs the screen, not packet by packet: each write costs the
 * terminal a parse call and a scheduled task, which for a host printing a few
 * characters per SOL packet was about a fifth of the CPU of a packet
 * (bench/sol-packet.ts). Only snapshots read the screen, so nothing sees the
 * difference.
 */
import { createRequire } from 'node:module'
import type headless from '@xterm/headless'
import type serialize from '@xterm/addon-serialize'

/**
 * The terminal's two packages are loaded when a console first needs a screen
 * (its first batch of bytes, or a snapshot), not when the worker starts: evaluating them
 * costs each fresh thread about 30 ms of CPU on Node 20 (bench/worker-start.ts),
 * and a console that never prints never needs them. Both are CommonJS; a
 * synchronous require keeps data() synchronous.
 */
const require = createRequire(import.meta.url)
let xterm: { Terminal: typeof headless.Terminal; SerializeAddon: typeof serialize.SerializeAddon } | undefined
function loadXterm(): NonNullable<typeof xterm> {
  xterm ??= {
    Terminal: (require('@xterm/headless') as typeof headless).Terminal,
    SerializeAddon: (require('@xterm/addon-serialize') as typeof serialize).SerializeAddon,
  }
  return xterm
}

/** The screen a SOL console draws on (a BMC's serial port has no size of its own). */
export const SCREEN_COLS = 80
export const SCREEN_ROWS = 24
/** Lines above the screen kept in a snapshot: some context for a late client, bounded per console. */
export const SCREEN_SCROLLBACK = 50
/** Console bytes held unparsed at most: past this they are parsed into the screen in one write. */
export const SCREEN_BATCH_BYTES = 16 * 1024
/** Starts every snapshot: attributes off, cursor home, screen cleared, so a client's own old screen is gone. */
export const SNAPSHOT_PREFIX = '\x1b[0m\x1b[H\x1b[2J\x1b[3J'

export class ScreenEmulator {
  /** Made at the first parse (SCREEN_BATCH_BYTES of output, or a snapshot): a screen is the same whenever its bytes are parsed. */
  private screen: { term: headless.Terminal; ser: serialize.SerializeAddon } | undefined
  private waiting = 0
  private held: Uint8Array[] = []
  /**
   * Bytes posted (or held) but not yet parsed into the screen, in order, copied
   * into one batch buffer: a SOL packet of a quiet host carries a few bytes, and
   * keeping each one's own array until the batch filled cost 0.2-0.3 KB of heap
   * per packet, 1 MB for 5,000 packets of 3 bytes (bench/screen-batch.ts,
   * bench/RESULTS-soak.md "Worker heap over time").
   */
  private unparsed: Uint8Array | undefined
  private unparsedBytes = 0

  private readonly scrollback: number

  /** `post` sends console bytes on to the main thread; it is called here so that holding back is possible. */
  constructor(private readonly post: (bytes: Uint8Array) => void, o: { scrollback?: number } = {}) {
    this.scrollback = o.scrollback ?? SCREEN_SCROLLBACK
  }

  private get term(): headless.Terminal {
    if (this.screen === undefined) {
      const { Terminal, SerializeAddon } = loadXterm()
      const term = new Terminal({ cols: SCREEN_COLS, rows: SCREEN_ROWS, scrollback: this.scrollback, allowProposedApi: true, logLevel: 'off' })
      const ser = new SerializeAddon()
      term.loadAddon(ser)
      this.screen = { term, ser }
    }
    return this.screen.term
  }

  /** One chunk of console output: into the screen (batched), then on to the main thread (or held while a snapshot is pending). */
  data(bytes: Uint8Array): void {
    for (let at = 0; at < bytes.length;) {
      this.unparsed ??= new Uint8Array(SCREEN_BATCH_BYTES)
      const n = Math.min(bytes.length - at, SCREEN_BATCH_BYTES - this.unparsedBytes)
      this.unparsed.set(bytes.subarray(at, at + n), this.unparsedBytes)
      this.unparsedBytes += n
      at += n
      if (this.unparsedBytes === SCREEN_BATCH_BYTES) this.parse()
    }
    if (this.waiting > 0) this.held.push(bytes)
    else this.post(bytes)
  }

  /** The screen as it is after every byte posted so far; `answer` runs before any later byte is posted. */
  snapshot(answer: (screen: string) => void): void {
    this.waiting++
    this.parse()
    // An empty write's callback runs once every earlier write is parsed.
    this.term.write('', () => {
      answer(SNAPSHOT_PREFIX + this.screen!.ser.serialize({ scrollback: this.scrollback }))
      if (--this.waiting > 0) return
      const held = this.held
      this.held = []
      for (const b of held) this.post(b)
    })
  }

  /** Hands every unparsed byte to the terminal, in one write (the terminal keeps writes in order). */
  private parse(): void {
    if (this.unparsed === undefined || this.unparsedBytes === 0) return
    // The terminal keeps what it is given until it has parsed it: the batch is its from now on.
    const bytes = this.unparsed.subarray(0, this.unparsedBytes)
    this.unparsed = undefined
    this.unparsedBytes = 0
    this.term.write(bytes)
  }

  dispose(): void {
    this.screen?.term.dispose()
    this.screen = undefined
    this.unparsed = undefined
    this.unparsedBytes = 0
  }
}

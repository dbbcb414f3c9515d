// ScreenEmulator (workers/screen.ts): a snapshot written into a fresh terminal
// gives the same screen (text of every row, cursor, colours, alternate screen)
// as the terminal that watched it being drawn, and the no-gap rule: bytes that
// come after a snapshot request are posted after its answer, never before, and
// none are lost. No sockets, no tools.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import headless from '@xterm/headless'
import { ScreenEmulator, SCREEN_BATCH_BYTES, SCREEN_COLS, SCREEN_ROWS } from '../../../workers/screen.js'
import { renderSetupMenu } from '../../../src/sim/console-host.js'

function terminal(): headless.Terminal {
  return new headless.Terminal({ cols: SCREEN_COLS, rows: SCREEN_ROWS, scrollback: 200, allowProposedApi: true })
}
const write = (t: headless.Terminal, s: string | Uint8Array) => new Promise<void>((r) => t.write(s, r))
const snapshot = (e: ScreenEmulator) => new Promise<string>((r) => e.snapshot(r))

/** What a person sees: the active buffer's kind, every row's text, the cursor, and the colours of a few cells. */
function screenOf(t: headless.Terminal) {
  const b = t.buffer.active
  const rows: string[] = []
  for (let y = 0; y < t.rows; y++) rows.push(b.getLine(b.viewportY + y)?.translateToString(true) ?? '')
  const cell = (x: number, y: number) => {
    const c = b.getLine(b.viewportY + y)!.getCell(x)!
    return { ch: c.getChars(), fg: c.getFgColor(), bg: c.getBgColor(), bold: c.isBold(), inverse: c.isInverse() }
  }
  return { type: b.type, rows, cursor: [b.cursorX, b.cursorY], cells: [cell(0, 0), cell(30, 0), cell(7, 9), cell(3, 2), cell(60, 7)] }
}

/** A full collection, in a test process started without --expose-gc. */
function fullGc(): void {
  setFlagsFromString('--expose-gc')
  ;(runInNewContext('gc') as () => void)()
}

const bootLog = Array.from({ length: 60 }, (_, i) => `[    ${i}.000000] line ${i} of the boot log\r\n`).join('')

describe('ScreenEmulator', () => {
  it('a snapshot of a full-screen menu redraws the same screen in a fresh terminal', async () => {
    const posted: Uint8Array[] = []
    const emu = new ScreenEmulator((b) => posted.push(b))
    const watcher = terminal()
    for (const chunk of [bootLog, 'root@n1:~# setup\r\n', renderSetupMenu('n1')]) {
      const bytes = Buffer.from(chunk, 'latin1')
      emu.data(bytes)
      await write(watcher, bytes)
    }
    const snap = await snapshot(emu)
    const late = terminal()
    await write(late, 'garbage the late client had on its screen\r\n')
    await write(late, snap)
    const want = screenOf(watcher)
    assert.equal(want.type, 'alternate')
    assert.match(want.rows[0]!, /Simulated Firmware Setup Utility/)
    assert.deepEqual(screenOf(late), want)
    assert.equal(Buffer.concat(posted).toString('latin1'), bootLog + 'root@n1:~# setup\r\n' + renderSetupMenu('n1'))
    emu.dispose()
  })

  it('the main screen and its attributes come back too (no alternate screen)', async () => {
    const emu = new ScreenEmulator(() => {})
    const watcher = terminal()
    const text = `${bootLog}\x1b[1;31mred bold\x1b[0m plain \x1b[7minverse\x1b[0m\r\nroot@n1:~# ech`
    emu.data(Buffer.from(text))
    await write(watcher, text)
    const late = terminal()
    await write(late, await snapshot(emu))
    assert.equal(screenOf(watcher).type, 'normal')
    assert.deepEqual(screenOf(late), screenOf(watcher))
  })

  it('bytes after a snapshot request are posted after its answer, in order, none lost', async () => {
    const events: string[] = []
    const emu = new ScreenEmulator((b) => events.push(`data:${Buffer.from(b).toString()}`))
    emu.data(Buffer.from('one '))
    const answered = new Promise<void>((resolve) =>
      emu.snapshot((s) => {
        events.push(`snapshot:${s.includes('one') && !s.includes('two') ? 'has-one-only' : 'wrong'}`)
        resolve()
      }),
    )
    emu.data(Buffer.from('two '))
    emu.data(Buffer.from('three'))
    await answered
    assert.deepEqual(events, ['data:one ', 'snapshot:has-one-only', 'data:two ', 'data:three'])
    emu.data(Buffer.from('four'))
    assert.equal(events.at(-1), 'data:four')
  })

  it('a console that never printed: the snapshot clears the late client\'s screen and leaves it blank, and disposing twice is harmless', async () => {
    const emu = new ScreenEmulator(() => {})
    const late = terminal()
    await write(late, 'garbage the late client had on its screen\r\n')
    await write(late, await snapshot(emu))
    assert.deepEqual(screenOf(late), screenOf(terminal()))
    emu.dispose()
    emu.dispose()
    // Usable again after a dispose: a fresh screen.
    emu.data(Buffer.from('after'))
    assert.match(await snapshot(emu), /after/)
    emu.dispose()
  })

  it('output in many small packets, past the parse batch: the snapshot is the screen all the same', async () => {
    const emu = new ScreenEmulator(() => {})
    const watcher = terminal()
    const text = Buffer.from(`${bootLog.repeat(20)}\x1b[1;32mgreen\x1b[0m root@n1:~# ls -l`, 'latin1')
    assert.ok(text.length > 2 * SCREEN_BATCH_BYTES)
    for (let i = 0; i < text.length; i += 3) emu.data(text.subarray(i, i + 3))
    await write(watcher, text)
    const late = terminal()
    await write(late, await snapshot(emu))
    assert.deepEqual(screenOf(late), screenOf(watcher))
  })

  it('keeps no chunk it was given while it batches them (its own copy, so a quiet console holds one buffer, not an array per packet)', async () => {
    const emu = new ScreenEmulator(() => {})
    const chunks: WeakRef<Uint8Array>[] = []
    for (let i = 0; i < 1000; i++) {
      const bytes = Buffer.from(`${i} `)
      chunks.push(new WeakRef(bytes))
      emu.data(bytes)
    }
    await new Promise((r) => setImmediate(r)) // a WeakRef keeps its target until the job that made it ends
    fullGc()
    // The last chunk may still be in a register or stack slot of this frame.
    assert.equal(chunks.slice(0, -1).filter((c) => c.deref() !== undefined).length, 0)
    assert.match(await snapshot(emu), /998 999/)
    emu.dispose()
  })

  it('two snapshots pending at once: bytes wait for both answers', async () => {
    const events: string[] = []
    const emu = new ScreenEmulator((b) => events.push(Buffer.from(b).toString()))
    const a = new Promise<void>((r) => emu.snapshot(() => (events.push('A'), r())))
    emu.data(Buffer.from('x'))
    const b = new Promise<void>((r) => emu.snapshot(() => (events.push('B'), r())))
    emu.data(Buffer.from('y'))
    await Promise.all([a, b])
    assert.deepEqual(events, ['A', 'B', 'x', 'y'])
  })
})

// The system behind the simulated serial port: output at the configured
// rate (with the carry of fractional bytes), the boot log repeating, and the
// little shell (echo, CR/LF handling, backspace, reboot).
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ConsoleHost, renderBootLog } from '../../../src/sim/console-host.js'

function host(rate: number, bootLog?: string) {
  const out: Buffer[] = []
  let breaks = 0
  const h = new ConsoleHost({ hostname: 'n1', rateBytesPerSecond: rate, ...(bootLog === undefined ? {} : { bootLog }) }, { emit: (b) => out.push(b), breakDetected: () => breaks++ })
  return { h, text: () => Buffer.concat(out).toString('latin1'), get breaks() { return breaks } }
}

describe('ConsoleHost', () => {
  it('prints rate x elapsed bytes, carrying fractions, and starts over after the last byte', () => {
    const t = host(30, 'abcdefghij')
    t.h.tick(0)
    for (let ms = 10; ms <= 1000; ms += 10) t.h.tick(ms) // 0.3 bytes per tick
    assert.equal(t.text(), 'abcdefghij'.repeat(3))
    assert.equal(t.h.boots, 4)
  })

  it('a long stall is made up for at most 2 s; pause() forgets the time base', () => {
    const t = host(100, 'x'.repeat(1000))
    t.h.tick(0)
    t.h.tick(60_000)
    assert.equal(t.text().length, 200)
    t.h.pause()
    t.h.tick(120_000)
    assert.equal(t.text().length, 200, 'the first tick after a pause only sets the base')
  })

  it('rate 0 prints nothing by itself', () => {
    const t = host(0)
    t.h.tick(0)
    t.h.tick(10_000)
    assert.equal(t.text(), '')
  })

  it('echoes typed characters; CR, LF or CRLF run the line once; backspace erases', () => {
    const t = host(0)
    t.h.input(Buffer.from('echo hx\x7fi\r\n'))
    t.h.input(Buffer.from('hostname\n'))
    t.h.input(Buffer.from('nosuch\r'))
    assert.equal(t.text(), 'echo hx\b \bi\r\nhi\r\nroot@n1:~# hostname\r\nn1\r\nroot@n1:~# nosuch\r\n-sh: nosuch: command not found\r\nroot@n1:~# ')
  })

  it('reboot and restart() start the boot log from its first line; serial-break reports a break', () => {
    const t = host(1000)
    t.h.tick(0)
    t.h.tick(100)
    t.h.input(Buffer.from('reboot\r'), 100)
    t.h.tick(150)
    assert.match(t.text(), /reboot: Restarting system\r\n\[ {4}0\.000000\] Linux version/)
    t.h.input(Buffer.from('serial-break\r'))
    assert.equal(t.breaks, 1)
    t.h.serialBreak()
    assert.equal(t.h.breaksReceived, 1)
  })

  it('the generated boot log names the host, uses CRLF and ends with a reboot', () => {
    const log = renderBootLog('node7')
    assert.match(log, /Set hostname to <node7>/)
    assert.ok(log.split('\n').slice(0, -1).every((l) => l.endsWith('\r')))
    assert.match(log, /reboot: Restarting system\r\n\r\n$/)
  })

  it('setup draws a full-screen menu on the alternate screen and stays quiet until q leaves it', () => {
    const t = host(1000, 'L'.repeat(100))
    t.h.tick(0)
    t.h.input(Buffer.from('setup\r'))
    const menu = t.text()
    assert.ok(menu.includes('\x1b[?1049h'), 'alternate screen')
    assert.match(menu, /Simulated Firmware Setup Utility/)
    assert.ok(menu.endsWith('\x1b[10;10H'), 'the cursor parked last')
    const before = t.text().length
    t.h.tick(1000)
    t.h.input(Buffer.from('x\r'))
    assert.equal(t.text().length, before, 'no boot log and no echo in the menu')
    t.h.input(Buffer.from('q'))
    assert.ok(t.text().slice(before).startsWith('\x1b[0m\x1b[?1049l'), 'main screen back')
    assert.match(t.text(), /root@n1:~# $/)
    t.h.tick(1100)
    assert.match(t.text(), /L+$/, 'the boot log goes on')
  })
})

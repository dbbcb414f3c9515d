// The `~` escapes of `bmcvisor ipmi ... sol activate` (as ipmitool's): only at
// the start of a line, and the escape never reaches the BMC.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { EscapeParser, type EscapeAction } from '../../../src/cli/sol-activate.js'

function show(actions: EscapeAction[]): string[] {
  return actions.map((a) => (a.kind === 'data' ? JSON.stringify(a.data.toString('latin1')) : a.kind))
}

test('~. at the start of input or after CR/LF quits; elsewhere it is data', () => {
  assert.deepEqual(show(new EscapeParser().feed(Buffer.from('~.'))), ['quit'])
  assert.deepEqual(show(new EscapeParser().feed(Buffer.from('ab~.cd'))), ['"ab~.cd"'])
  assert.deepEqual(show(new EscapeParser().feed(Buffer.from('ls\r~.rest'))), ['"ls\\r"', 'quit'])
  assert.deepEqual(show(new EscapeParser().feed(Buffer.from('x\n~.'))), ['"x\\n"', 'quit'])
})

test('~B sends a break in stream order, ~~ sends one ~, ~? asks for help, ~x passes both', () => {
  const p = new EscapeParser()
  assert.deepEqual(show(p.feed(Buffer.from('~Bx\r~~\r~?\r~x'))), ['break', '"x\\r~\\r"', 'help', '"\\r~x"'])
})

test('after ~B another escape may follow at once', () => {
  assert.deepEqual(show(new EscapeParser().feed(Buffer.from('~B~.'))), ['break', 'quit'])
})

test('an escape split across reads still works', () => {
  const p = new EscapeParser()
  assert.deepEqual(show(p.feed(Buffer.from('echo\r~'))), ['"echo\\r"'])
  assert.deepEqual(show(p.feed(Buffer.from('.'))), ['quit'])
})

test('binary input passes untouched', () => {
  const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i).filter((b) => b !== 0x7e))
  const out = new EscapeParser().feed(Buffer.concat([Buffer.from('a'), all]))
  assert.deepEqual(Buffer.concat(out.map((a) => (a.kind === 'data' ? a.data : Buffer.alloc(0)))), Buffer.concat([Buffer.from('a'), all]))
})

// The console's inbound session sequence window (src/session/sequence-window.ts):
// duplicates, numbers behind the highest (once each, within the window),
// 32-bit wrap (0 is never valid), and forward jumps (accepted up to
// MAX_AHEAD because packets are authenticated first, resetting the bitmap).
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { SequenceWindow } from '../../../src/session/sequence-window.js'

function feed(w: SequenceWindow, seqs: number[]): boolean[] {
  return seqs.map((s) => w.accept(s))
}

describe('SequenceWindow', () => {
  it('0 is never valid, before or after the first packet', () => {
    const w = new SequenceWindow(8)
    assert.equal(w.accept(0), false)
    assert.equal(w.accept(5), true)
    assert.equal(w.accept(0), false)
  })

  it('accepts the first number whatever it is, then in-order numbers', () => {
    const w = new SequenceWindow(8)
    assert.deepEqual(feed(w, [1000, 1001, 1002, 1003]), [true, true, true, true])
  })

  it('rejects an exact duplicate of the highest and of earlier numbers', () => {
    const w = new SequenceWindow(8)
    assert.deepEqual(feed(w, [1, 2, 3, 3, 2, 1]), [true, true, true, false, false, false])
  })

  it('accepts a late number behind the highest once, if inside the window', () => {
    const w = new SequenceWindow(8)
    assert.deepEqual(feed(w, [10, 12, 11, 11]), [true, true, true, false])
    // 20 moves the window: 12 is 8 behind (inside), 11 is 9 behind (outside).
    const v = new SequenceWindow(8)
    assert.deepEqual(feed(v, [10, 20, 12, 11, 19, 19]), [true, true, true, false, true, false])
  })

  it('remembers what it saw across slides (the old highest becomes a seen bit)', () => {
    const w = new SequenceWindow(8)
    assert.deepEqual(feed(w, [5, 7, 9, 8, 6, 5, 7, 9]), [true, true, true, true, true, false, false, false])
  })

  it('wraps at 2^32: 0xFFFFFFFF is followed by 1, and the numbers before the wrap stay known', () => {
    const w = new SequenceWindow(8)
    assert.deepEqual(feed(w, [0xfffffffd, 0xffffffff, 1, 2]), [true, true, true, true])
    assert.equal(w.accept(0xffffffff), false, 'duplicate across the wrap')
    assert.equal(w.accept(0xfffffffe), true, 'late but new, behind across the wrap')
    assert.equal(w.accept(0xfffffffe), false)
    assert.equal(w.accept(0xfffffff0), false, 'too far behind')
  })

  it('a far-ahead jump is accepted and the old numbers fall out of the window', () => {
    const w = new SequenceWindow(8)
    assert.deepEqual(feed(w, [100, 101]), [true, true])
    assert.equal(w.accept(101 + 5000), true)
    assert.equal(w.accept(101), false)
    assert.equal(w.accept(101 + 4999), true, 'just behind the new highest, never seen')
    assert.equal(w.accept(101 + 5000), false)
  })

  it('a jump beyond MAX_AHEAD (0x10000) is refused: it reads as a number far behind', () => {
    const w = new SequenceWindow(8)
    assert.equal(w.accept(1), true)
    assert.equal(w.accept(1 + 0x10000), true)
    assert.equal(w.accept(1 + 0x10000 + 0x10001), false)
    assert.equal(w.accept(1 + 0x10000 + 1), true, 'the window did not move')
  })

  it('window size 1 keeps exactly one number behind', () => {
    const w = new SequenceWindow(1)
    assert.deepEqual(feed(w, [10, 12, 11, 10, 13, 12]), [true, true, true, false, true, false])
  })

  it('window size 32: a jump of exactly 32 keeps the old highest and forgets the rest', () => {
    const w = new SequenceWindow(32)
    assert.deepEqual(feed(w, [100, 101]), [true, true])
    assert.equal(w.accept(133), true) // 101 is now 32 behind
    assert.equal(w.accept(101), false, '101 was seen')
    assert.equal(w.accept(132), true, '132 was never seen')
    assert.equal(w.accept(102), true, '102 was never seen and is 31 behind')
  })

  it('window size 32: every number of a full window behind is accepted once', () => {
    const w = new SequenceWindow(32)
    assert.equal(w.accept(1000), true)
    assert.equal(w.accept(1033), true)
    for (let s = 1001; s <= 1032; s++) assert.equal(w.accept(s), true, `seq ${s}`)
    for (let s = 1001; s <= 1032; s++) assert.equal(w.accept(s), false, `again ${s}`)
  })

  it('refuses a window size outside 1..32', () => {
    assert.throws(() => new SequenceWindow(0), RangeError)
    assert.throws(() => new SequenceWindow(33), RangeError)
  })
})

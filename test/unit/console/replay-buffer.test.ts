import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { ReplayBuffer } from '../../../src/console/index.js'

describe('ReplayBuffer', () => {
  it('keeps exactly the last capacity bytes, whatever the chunking', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 64 }), fc.array(fc.uint8Array({ maxLength: 100 }), { maxLength: 30 }), (cap, chunks) => {
      const b = new ReplayBuffer(cap)
      chunks.forEach((c, i) => b.append(c, i))
      const all = Buffer.concat(chunks)
      assert.deepEqual(Buffer.from(b.snapshot()), all.subarray(Math.max(0, all.length - cap)))
      assert.equal(b.size, Math.min(cap, all.length))
    }))
  })

  it('remembers when the last byte came, and clears', () => {
    const b = new ReplayBuffer(8)
    assert.equal(b.lastAt, undefined)
    b.append(Buffer.from('abc'), 42)
    assert.equal(b.lastAt, 42)
    b.clear()
    assert.equal(b.size, 0)
    assert.deepEqual(b.snapshot(), new Uint8Array(0))
  })
})

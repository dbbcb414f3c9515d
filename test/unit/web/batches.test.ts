// The fleet page's range actions split a long selection into noderange
// expressions within the API's limit (src/web/batches.ts): every node once,
// in order, no list over the limit, and the server's limit above ours.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { batches, MAX_BATCH_CHARS } from '../../../src/web/batches.js'
import { MAX_EXPR_CHARS } from '../../../src/api/noderange.js'

describe('batches', () => {
  it('keeps every node once, in order, each list within the limit', () => {
    const nodes = Array.from({ length: 1500 }, (_, i) => `rack${Math.floor(i / 40)}-node${i}`)
    const out = batches(nodes)
    assert.ok(out.length > 1)
    assert.ok(out.every((b) => b.length <= MAX_BATCH_CHARS))
    assert.deepEqual(out.join(',').split(','), nodes)
    assert.ok(MAX_BATCH_CHARS <= MAX_EXPR_CHARS)
  })

  it('few nodes are one list; none are none', () => {
    assert.deepEqual(batches(['a', 'b']), ['a,b'])
    assert.deepEqual(batches([]), [])
    assert.deepEqual(batches(['aaa', 'bbb', 'ccc'], 7), ['aaa,bbb', 'ccc'])
  })
})

// Noderange expansion and JSON merge patch: pure functions.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { expandNoderange, naturalCompare } from '../../../src/api/noderange.js'
import { mergePatch } from '../../../src/api/merge-patch.js'

const groups: Record<string, string[]> = { rack1: ['n3', 'n1'], empty: [] }
const expand = (e: string) => expandNoderange(e, (g) => groups[g] ?? [])

describe('noderange', () => {
  it('expands lists, brackets with padding, products and groups, unique and in natural order', () => {
    assert.deepEqual(expand('n1,n2'), ['n1', 'n2'])
    assert.deepEqual(expand('n[01-03]'), ['n01', 'n02', 'n03'])
    assert.deepEqual(expand('n[8-10]'), ['n8', 'n9', 'n10'])
    assert.deepEqual(expand('r[1-2]n[1,3-4]'), ['r1n1', 'r1n3', 'r1n4', 'r2n1', 'r2n3', 'r2n4'])
    assert.deepEqual(expand('@rack1,n2,n1'), ['n1', 'n2', 'n3'])
    assert.equal(expand('n[1-10000]').length, 10_000)
  })

  it('rejects what is malformed or too large', () => {
    for (const bad of ['', 'n[', 'n]', 'n[[1-2]]', 'n[2-1]', 'n[a-b]', 'n,,m', 'bad name', 'n[1-10001]', 'r[1-200]n[1-200]', '@bad name', '-n']) {
      assert.throws(() => expand(bad), { code: 'VALIDATION_FAILED' }, bad)
    }
    assert.throws(() => expand('@empty'), { code: 'NOT_FOUND' })
    assert.throws(() => expand('@unknown'), { code: 'NOT_FOUND' })
  })

  it('orders naturally', () => {
    assert.deepEqual(['n10', 'n2', 'n1', 'm5', 'n02'].sort(naturalCompare), ['m5', 'n1', 'n2', 'n02', 'n10'])
  })
})

describe('merge patch (RFC 7396)', () => {
  it('merges objects, deletes with null, replaces arrays and scalars', () => {
    assert.deepEqual(mergePatch({ a: { b: 1, c: 2 }, l: [1] }, { a: { b: 3, c: null }, l: [2] }), { a: { b: 3 }, l: [2] })
    assert.deepEqual(mergePatch({ a: 1 }, 'x'), 'x')
    assert.deepEqual(mergePatch('x', { a: { b: null } }), { a: {} })
    assert.deepEqual(mergePatch({}, JSON.parse('{"__proto__": {"polluted": 1}}')), {})
    assert.equal(({} as Record<string, unknown>).polluted, undefined)
  })
})

// Rendezvous hashing (src/cluster/rendezvous.ts): deterministic, balanced,
// and a join or a leave moves only its share of the nodes; and which nodes a
// member may start (src/cluster/ownership.ts).
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { Member } from '../../../src/cluster/membership.js'
import { candidates, claims, runnable } from '../../../src/cluster/ownership.js'
import { assign, ownerOf } from '../../../src/cluster/rendezvous.js'

const NODES = Array.from({ length: 3000 }, (_, i) => `node${String(i).padStart(4, '0')}`)
const THREE = ['alpha', 'bravo', 'charlie']

function moved(a: Map<string, string>, b: Map<string, string>): string[] {
  return [...a].filter(([n, o]) => b.get(n) !== o).map(([n]) => n)
}

describe('rendezvous hashing', () => {
  it('gives every node one owner, the same whatever the order of the member list', () => {
    const a = assign(NODES, THREE)
    const b = assign(NODES, [...THREE].reverse())
    assert.equal(a.size, NODES.length)
    assert.deepEqual([...a], [...b])
    assert.equal(ownerOf('x', []), undefined)
    assert.equal(assign(NODES, []).size, 0)
  })

  it('spreads nodes about evenly over the members', () => {
    const counts = new Map<string, number>()
    for (const o of assign(NODES, THREE).values()) counts.set(o, (counts.get(o) ?? 0) + 1)
    for (const m of THREE) {
      const share = (counts.get(m) ?? 0) / NODES.length
      assert.ok(share > 0.28 && share < 0.39, `${m} owns ${share}`)
    }
  })

  it('a fourth member takes about a quarter, and only to itself', () => {
    const before = assign(NODES, THREE)
    const after = assign(NODES, [...THREE, 'delta'])
    const m = moved(before, after)
    assert.ok(m.length / NODES.length > 0.2 && m.length / NODES.length < 0.3, `moved ${m.length}`)
    for (const n of m) assert.equal(after.get(n), 'delta')
  })

  it('a leave moves only the leaver\'s nodes', () => {
    const before = assign(NODES, THREE)
    const after = assign(NODES, ['alpha', 'charlie'])
    const m = moved(before, after)
    assert.deepEqual(m, NODES.filter((n) => before.get(n) === 'bravo'))
    assert.ok(m.length > 0)
  })
})

describe('ownership', () => {
  const member = (id: string, applied: string[], draining = false): Member => ({ id, epoch: 1, address: `http://${id}`, draining, applied, renewedAgoMs: 0, leaseLeftMs: 9000 })

  it('hashes over live members that are not draining', () => {
    assert.deepEqual(candidates([member('b', []), member('a', []), member('c', [], true)]), ['a', 'b'])
  })

  it('a node moving to a joiner starts there only once the old owner has applied the new list', () => {
    const view = [...THREE, 'delta']
    const gained = NODES.filter((n) => ownerOf(n, view) === 'delta')
    // alpha, bravo and charlie still run the three-member assignment: delta may start nothing yet.
    const stale = THREE.map((m) => member(m, THREE))
    assert.equal(runnable(NODES, 'delta', view, stale).size, 0)
    // alpha has stopped what it gave away: delta may start exactly what it took from alpha.
    const alphaDone = [member('alpha', view), member('bravo', THREE), member('charlie', THREE)]
    const fromAlpha = gained.filter((n) => ownerOf(n, THREE) === 'alpha')
    assert.deepEqual([...runnable(NODES, 'delta', view, alphaDone)].sort(), fromAlpha.sort())
    assert.equal(runnable(NODES, 'delta', view, THREE.map((m) => member(m, view))).size, gained.length)
  })

  it('a member that is gone from the live list claims nothing: its nodes start on their new owners', () => {
    const view = ['alpha', 'charlie']
    const taken = NODES.filter((n) => ownerOf(n, THREE) === 'bravo' && ownerOf(n, view) === 'alpha')
    const r = runnable(NODES, 'alpha', view, [member('charlie', THREE)])
    for (const n of taken) assert.ok(r.has(n))
  })

  it('a member whose applied list leaves itself out (drained) claims nothing', () => {
    assert.equal(claims(member('bravo', ['alpha', 'charlie']), NODES[0]!), false)
  })
})

// fanOut: every node called at once, results in completion order, and one deadline for the batch:
// a node whose call never settles gets WORKER_UNAVAILABLE at the deadline while the others have
// their own results, and its late answer is dropped.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ServiceError } from '../../../src/errors.js'
import { fanOut, type NodeResult } from '../../../src/api/fanout.js'

async function collect(g: AsyncGenerator<[string, NodeResult]>): Promise<[string, NodeResult][]> {
  const out: [string, NodeResult][] = []
  for await (const x of g) out.push(x)
  return out
}

describe('fanOut', () => {
  it('a node that never answers gets the batch deadline error; the others keep their results', async () => {
    let lateAnswer: ((v: unknown) => void) | undefined
    const called: string[] = []
    const call = (node: string): Promise<unknown> => {
      called.push(node)
      if (node === 'hung') return new Promise((resolve) => (lateAnswer = resolve))
      if (node === 'bad') return Promise.reject(new ServiceError('BMC_UNREACHABLE', 'bad did not answer', { details: { node } }))
      if (node === 'throws') throw new ServiceError('NODE_NOT_FOUND', 'no node named throws')
      return Promise.resolve({ state: 'on' })
    }
    const results = await collect(fanOut(['a', 'hung', 'bad', 'throws', 'b'], call, 50))
    assert.deepEqual(called, ['a', 'hung', 'bad', 'throws', 'b'], 'every node called at once, in order')
    const byNode = new Map(results)
    assert.equal(results.length, 5)
    assert.deepEqual(byNode.get('a'), { ok: true, value: { state: 'on' } })
    assert.deepEqual(byNode.get('b'), { ok: true, value: { state: 'on' } })
    const code = (node: string) => {
      const r = byNode.get(node)!
      return r.ok ? 'ok' : r.error.code
    }
    assert.equal(code('bad'), 'BMC_UNREACHABLE')
    assert.equal(code('throws'), 'NODE_NOT_FOUND')
    const hung = byNode.get('hung')!
    assert.ok(!hung.ok)
    assert.equal(hung.error.code, 'WORKER_UNAVAILABLE')
    assert.deepEqual(hung.error.details, { node: 'hung' })
    assert.equal(results.at(-1)![0], 'hung', 'the deadline error comes last')
    lateAnswer?.({ state: 'off' }) // dropped: the generator is done
  })

  it('yields nothing for no nodes', async () => {
    assert.deepEqual(await collect(fanOut([], () => Promise.resolve(1), 10_000)), [])
  })
})

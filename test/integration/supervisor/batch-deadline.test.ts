// Calls to many workers at once (src/supervisor/supervisor.ts, one guard per call): a worker
// that never answers still gets its own WORKER_UNAVAILABLE at its deadline, while the others' answers
// (and their command:done reports) come as they arrive. Real threads running a fixture worker.
import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { Supervisor, type CommandDone } from '../../../src/supervisor/supervisor.js'
import { waitUntil } from '../../lab/net.js'
import { bmcConfig } from './fleet.js'

const fixture = new URL('../../fixtures/workers/answers.ts', import.meta.url)
const dummy = bmcConfig({ host: '127.0.0.1', port: 9 }, { console: false })

describe('supervisor: calls to many workers at once', { timeout: 120_000 }, () => {
  const sup = new Supervisor({ workerFile: fixture, callGraceMs: 200, startConcurrency: 4, startTimeoutMs: 60_000 })
  after(() => sup.shutdown(2000))

  it('a worker that never answers fails with its own timeout while the others answer', async () => {
    const nodes = ['n1', 'silent1', 'n2', 'silent2', 'n3']
    for (const n of nodes) sup.add(n, dummy)
    await waitUntil(() => sup.status().every((s) => s.state === 'running'), { timeoutMs: 90_000, what: 'every worker running' })
    const done: [string, CommandDone][] = []
    sup.on('command:done', (n, d) => done.push([n, d]))
    const t0 = performance.now()
    const settled = await Promise.allSettled(nodes.map((n) => sup.run(n, 'power.status', {}, { timeoutMs: 500 }).then((v) => [performance.now() - t0, v] as const)))
    const elapsed = performance.now() - t0
    for (const [i, n] of nodes.entries()) {
      const r = settled[i]!
      if (n.startsWith('silent')) {
        assert.equal(r.status, 'rejected', n)
        assert.equal((r as PromiseRejectedResult).reason.code, 'WORKER_UNAVAILABLE', n)
        assert.match((r as PromiseRejectedResult).reason.message, new RegExp(`worker for ${n} did not answer power.status within 700 ms`))
      } else {
        assert.equal(r.status, 'fulfilled', n)
        assert.deepEqual((r as PromiseFulfilledResult<readonly [number, unknown]>).value[1], { state: 'on' })
      }
    }
    // The silent ones were given their whole time (timeout + grace), not less.
    assert.ok(elapsed >= 700, `settled after ${elapsed.toFixed(0)} ms`)
    assert.deepEqual(done.map(([n, d]) => `${n}:${d.op}:${d.ok}`).sort(), ['n1', 'n2', 'n3'].map((n) => `${n}:power.status:true`))
  })
})

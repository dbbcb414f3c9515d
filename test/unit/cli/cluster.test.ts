// `bmcvisor cluster status|drain` (src/cli/cluster.ts) over a scripted API
// client: the status table (the answering member starred, state from draining
// and drained, lease age and time left), the SQLite answer, --json as the
// server sent it, drain's two answers, and bad arguments as VALIDATION_FAILED.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { PassThrough } from 'node:stream'
import { clusterCommand } from '../../../src/cli/cluster.js'
import type { ApiClient } from '../../../src/cli/client.js'

const VIEW = {
  enabled: true, self: 'b1', epoch: 7, held: true, owners: { n1: 'b1', n2: 'b2', n3: 'b2' },
  members: [
    { id: 'b1', epoch: 7, address: 'http://127.0.0.1:9001', self: true, leaseAgeMs: 1200, leaseLeftMs: 7800, draining: false, drained: false, nodes: 1 },
    { id: 'b2', epoch: 9, address: 'http://127.0.0.1:9002', self: false, leaseAgeMs: 300, leaseLeftMs: 8700, draining: true, drained: false, nodes: 2 },
  ],
}

function run(argv: string[], answer: (method: string, path: string) => unknown) {
  const calls: string[] = []
  const client: ApiClient = {
    request: async <T>(method: string, path: string) => {
      calls.push(`${method} ${path}`)
      return answer(method, path) as T
    },
  } as ApiClient
  const out = new PassThrough()
  const err = new PassThrough()
  let stdout = ''
  let stderr = ''
  out.on('data', (d: Buffer) => (stdout += d.toString()))
  err.on('data', (d: Buffer) => (stderr += d.toString()))
  return clusterCommand(argv, { stdout: out, stderr: err, env: {} }, client).then((code) => ({ code, stdout, stderr, calls }))
}

describe('bmcvisor cluster', () => {
  it('status: one line per member, the answering one starred', async () => {
    const r = await run(['status'], () => VIEW)
    assert.equal(r.code, 0)
    assert.deepEqual(r.calls, ['GET /cluster'])
    const lines = r.stdout.trimEnd().split('\n')
    assert.match(lines[0]!, /MEMBER +EPOCH +STATE +NODES +LEASE AGE +LEASE LEFT +ADDRESS/)
    assert.match(lines[1]!, /^\* +b1 +7 +active +1 +1\.2 s +7\.8 s +http:\/\/127\.0\.0\.1:9001$/)
    assert.match(lines[2]!, /^ +b2 +9 +draining +2 +0\.3 s +8\.7 s +http:\/\/127\.0\.0\.1:9002$/)
    assert.equal(lines[3], '2 members, 3 nodes')
  })

  it('status --json prints the server\'s answer; SQLite says there is no cluster', async () => {
    assert.deepEqual(JSON.parse((await run(['status', '--json'], () => VIEW)).stdout), VIEW)
    const none = await run(['status'], () => ({ enabled: false, self: null, epoch: null, held: true, members: [], owners: {} }))
    assert.match(none.stdout, /^no cluster: /)
  })

  it('drain asks the server and says whether the member is drained yet', async () => {
    const moving = await run(['drain', 'b2'], () => ({ id: 'b2', draining: true, drained: false }))
    assert.deepEqual(moving.calls, ['POST /cluster/members/b2/drain'])
    assert.match(moving.stdout, /^b2: draining/)
    assert.match((await run(['drain', 'b2'], () => ({ id: 'b2', draining: true, drained: true }))).stdout, /^b2: drained/)
  })

  it('bad arguments are VALIDATION_FAILED, exit 2, without a request', async () => {
    for (const argv of [['bogus'], ['drain'], ['drain', 'a', 'b'], ['status', 'x']]) {
      const r = await run(argv, () => assert.fail('no request'))
      assert.equal(r.code, 2, argv.join(' '))
      assert.match(r.stderr, /VALIDATION_FAILED/)
    }
  })
})

// The server-side CLI (`bmcvisor node ...`, `bmcvisor power ...`) against the
// API with a fake supervisor, listening on a free loopback port: node add
// with the password from the environment, set as a merge patch, show, rm;
// power over a large range with the progress bar on a terminal and a table.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { ServiceError } from '../../src/errors.js'
import { nodeCommand, patchFromPairs } from '../../src/cli/node.js'
import { powerCommand } from '../../src/cli/op-command.js'
import { testApi, type TestApi } from './helpers.js'

type Sink = Writable & { text: () => string; isTTY?: boolean; columns?: number }
function sink(tty = false): Sink {
  const parts: string[] = []
  const w = new Writable({
    write(c: Buffer, _e, cb) {
      parts.push(c.toString())
      cb()
    },
  }) as Sink
  w.text = () => parts.join('')
  if (tty) {
    w.isTTY = true
    w.columns = 80
  }
  return w
}

describe('CLI against the server', () => {
  let t: TestApi
  let env: NodeJS.ProcessEnv
  before(async () => {
    t = await testApi()
    await t.app.listen({ host: '127.0.0.1', port: 0 })
    const addr = t.app.server.address() as { port: number }
    env = { BMCVISOR_URL: `http://127.0.0.1:${addr.port}`, BMCVISOR_TOKEN: t.tokens.admin, NODE_PW: 'cli-secret-pw' }
  })
  after(() => t.close())

  it('adds, sets, shows and removes a node', async () => {
    const out = sink()
    const err = sink()
    assert.equal(await nodeCommand(['add', 'k1', '--host', '10.1.1.1', '--user', 'admin', '--password-env', 'NODE_PW', '--group', 'r1,gpu', '--cipher', '17'], { stdout: out, stderr: err, env }), 0, err.text())
    assert.equal((await t.store.nodes.get('k1'))?.bmc.password, 'cli-secret-pw')
    assert.equal(await nodeCommand(['set', 'k1', 'bmc.port=624', 'groups=r2', 'console.logging=memory'], { stdout: out, stderr: err, env }), 0, err.text())
    const show = sink()
    assert.equal(await nodeCommand(['show', 'k1'], { stdout: show, stderr: err, env }), 0)
    assert.match(show.text(), /admin@10\.1\.1\.1:624 \(cipher suite 17, administrator\)/)
    assert.match(show.text(), /groups:\s+r2/)
    assert.ok(!show.text().includes('cli-secret-pw'))
    const bad = sink()
    assert.equal(await nodeCommand(['set', 'k1', 'bmc.port=99999'], { stdout: out, stderr: bad, env }), 2)
    assert.match(bad.text(), /^bmcvisor: VALIDATION_FAILED: body\.bmc\.port /)
    assert.equal(await nodeCommand(['rm', 'k1'], { stdout: out, stderr: err, env }), 0)
    const gone = sink()
    assert.equal(await nodeCommand(['show', 'k1'], { stdout: out, stderr: gone, env }), 1)
    assert.match(gone.text(), /NODE_NOT_FOUND/)
  })

  it('builds merge patches from KEY=VALUE and refuses a password on the command line', () => {
    assert.deepEqual(patchFromPairs(['bmc.port=624', 'bmc.kg=', 'groups=a,b']), { bmc: { port: 624, kg: null }, groups: ['a', 'b'] })
    assert.throws(() => patchFromPairs(['bmc.password=x']), { code: 'VALIDATION_FAILED' })
    assert.throws(() => patchFromPairs(['colour=red']), { code: 'VALIDATION_FAILED' })
  })

  it('powers a large range with a progress bar on a terminal and one line per node', async () => {
    for (let i = 1; i <= 12; i++) {
      await t.store.nodes.create({ name: `p${i}`, bmc: { host: '127.0.0.1', port: 623, username: 'a', password: 'p', cipherSuite: 3, privilege: 'administrator' }, console: { method: 'ipmi', logging: 'full' }, groups: ['big'] })
    }
    await t.sync.idle()
    t.sup.script.set('p7', new ServiceError('BMC_UNREACHABLE', 'no answer from 127.0.0.1:623'))
    const out = sink()
    const err = sink(true)
    assert.equal(await powerCommand(['@big', 'off'], { stdout: out, stderr: err, env }), 1)
    assert.match(err.text(), /\[#{30,}\] 12\/12 \(1 failed\)/)
    const lines = out.text().trim().split('\n')
    assert.equal(lines.length, 12)
    assert.deepEqual(lines.slice(0, 2).map((l) => l.split(/\s+/)), [['p1', 'off'], ['p2', 'off']])
    assert.match(lines[6]!, /^p7\s+BMC_UNREACHABLE: no answer/)
    assert.equal(lines[11]!.split(/\s+/)[0], 'p12')
    const json = sink()
    assert.equal(await powerCommand(['p[1-2]', '--json'], { stdout: json, stderr: sink(true), env }), 0)
    assert.deepEqual(JSON.parse(json.text()).results.p1, { ok: true, value: { state: 'on' } })
  })

  it('says what is wrong without a token or server', async () => {
    const err = sink()
    assert.equal(await powerCommand(['p1'], { stdout: sink(), stderr: err, env: {} }), 1)
    assert.match(err.text(), /^bmcvisor: UNAUTHORIZED: set BMCVISOR_TOKEN/)
    const down = sink()
    assert.equal(await nodeCommand(['list'], { stdout: sink(), stderr: down, env: { BMCVISOR_URL: 'http://127.0.0.1:1', BMCVISOR_TOKEN: 'x' } }), 1)
    assert.match(down.text(), /cannot reach bmcvisor at http:\/\/127\.0\.0\.1:1/)
  })
})

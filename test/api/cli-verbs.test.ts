// Every CLI verb of the op registry over a range with a dead BMC, against the
// API with a fake supervisor on a loopback port: one row per node, the dead
// node's error code on its row, exit status 1; --json and --ndjson parse and
// carry the same per-node outcome.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { ServiceError } from '../../src/errors.js'
import { cliVerbs, opCommand } from '../../src/cli/op-command.js'
import { workerCommand } from '../../src/cli/worker.js'
import { testApi, type TestApi } from './helpers.js'

type Sink = Writable & { text: () => string; isTTY?: boolean; columns?: number; rows?: number }
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
    w.rows = 2
  }
  return w
}

const NODES = ['v1', 'v2', 'v3']
const DEAD = 'v2'
const RANGE = 'v[1-3]'
const ESC = '\x1b'

describe('every CLI verb over a range with a dead BMC', () => {
  let t: TestApi
  let env: NodeJS.ProcessEnv
  before(async () => {
    t = await testApi({ limits: { expensive: { perSecond: 1000, burst: 1000 } } })
    await t.app.listen({ host: '127.0.0.1', port: 0 })
    const addr = t.app.server.address() as { port: number }
    env = { BMCVISOR_URL: `http://127.0.0.1:${addr.port}`, BMCVISOR_TOKEN: t.tokens.admin }
    for (const name of NODES) {
      await t.store.nodes.create({ name, bmc: { host: '127.0.0.1', port: 623, username: 'a', password: 'p', cipherSuite: 3, privilege: 'administrator' }, console: { method: 'ipmi', logging: 'full' }, groups: [] })
    }
    await t.sync.idle()
    t.sup.script.set(DEAD, new ServiceError('BMC_UNREACHABLE', 'no answer from 127.0.0.1:623'))
  })
  after(() => t.close())

  const expected = ['power', 'boot', 'identify', 'bmc', 'users', 'sensors', 'health', 'inventory', 'events']
  it('has the verbs the operator expects', () => {
    assert.deepEqual([...cliVerbs().keys()].sort(), [...expected].sort())
  })

  for (const [verb, ops] of cliVerbs()) {
    for (const op of ops) {
      const word = op.cli.words[0]!
      it(`${verb} ${RANGE} ${word}: a row per node, the dead node's code, exit 1`, async () => {
        const out = sink()
        const err = sink()
        assert.equal(await opCommand(verb, [RANGE, word, ...(op.cli.example ?? [])], { stdout: out, stderr: err, env }), 1, err.text())
        const rows = out.text().trimEnd().split('\n')
        assert.deepEqual(rows.map((r) => r.split(/\s+/)[0]), NODES)
        assert.match(rows[1]!, /^v2\s+BMC_UNREACHABLE: no answer/)
        for (const r of [rows[0]!, rows[2]!]) {
          assert.doesNotMatch(r, /BMC_UNREACHABLE|\?/)
          assert.ok(r.replace(/^v\d\s+/, '').length > 0, `a cell for ${r}`)
        }
        assert.ok(!out.text().includes(ESC), 'no colour off a terminal')
      })
      it(`${verb} ${RANGE} ${word} --json and --ndjson parse`, async () => {
        const json = sink()
        assert.equal(await opCommand(verb, [RANGE, word, ...(op.cli.example ?? []), '--json'], { stdout: json, stderr: sink(true), env }), 1)
        const results = (JSON.parse(json.text()) as { results: Record<string, { ok: boolean; error?: { code: string } }> }).results
        assert.deepEqual(Object.keys(results), NODES)
        assert.equal(results[DEAD]!.error?.code, 'BMC_UNREACHABLE')
        assert.equal(results.v1!.ok, true)
        const nd = sink()
        const err = sink(true)
        assert.equal(await opCommand(verb, [RANGE, word, ...(op.cli.example ?? []), '--ndjson'], { stdout: nd, stderr: err, env }), 1)
        const lines = nd.text().trimEnd().split('\n').map((l) => JSON.parse(l) as { node: string; ok: boolean; error?: { code: string } })
        assert.deepEqual(lines.map((l) => l.node).sort(), NODES)
        assert.equal(lines.find((l) => l.node === DEAD)?.error?.code, 'BMC_UNREACHABLE')
        assert.equal(err.text(), '', 'no progress bar with machine output')
      })
    }
  }

  it('exits 0 when every node succeeded, colours the code on a terminal and not with NO_COLOR', async () => {
    assert.equal(await opCommand('health', ['v1,v3'], { stdout: sink(), stderr: sink(), env }), 0)
    const tty = sink(true)
    const bar = sink(true)
    assert.equal(await opCommand('power', [RANGE], { stdout: tty, stderr: bar, env }), 1)
    assert.ok(tty.text().includes(`${ESC}[31mBMC_UNREACHABLE${ESC}[0m: `), tty.text())
    assert.match(bar.text(), /\] 3\/3 \(1 failed\)/, 'a range longer than the terminal gets a progress bar')
    const plain = sink(true)
    assert.equal(await opCommand('power', [RANGE], { stdout: plain, stderr: sink(true), env: { ...env, NO_COLOR: '1' } }), 1)
    assert.ok(!plain.text().includes(ESC))
  })

  it('refuses an unknown action word and --json with --ndjson as usage errors', async () => {
    const err = sink()
    assert.equal(await opCommand('boot', [RANGE, 'moon'], { stdout: sink(), stderr: err, env }), 2)
    assert.match(err.text(), /^bmcvisor: VALIDATION_FAILED: boot action must be one of status, none, pxe/)
    const both = sink()
    assert.equal(await opCommand('power', [RANGE, '--json', '--ndjson'], { stdout: sink(), stderr: both, env }), 2)
    assert.match(both.text(), /--json and --ndjson exclude each other/)
  })

  it('users set UID: the options become the body, the password comes from the variable --password-env names', async () => {
    const out = sink()
    const err = sink()
    const withPass = { ...env, NEW_BMC_PASS: 's3cret-pass' }
    const before = t.sup.calls.length
    assert.equal(await opCommand('users', ['v1,v3', 'set', '4', '--name', 'ops', '--password-env', 'NEW_BMC_PASS', '--privilege', 'operator', '--disable', '--no-sol'], { stdout: out, stderr: err, env: withPass }), 0, err.text())
    const calls = t.sup.calls.slice(before)
    assert.deepEqual(calls.map((c) => [c.node, c.op, c.args]), ['v1', 'v3'].map((n) => [n, 'users.set', { id: 4, name: 'ops', password: 's3cret-pass', privilege: 'operator', enabled: false, sol: false }]))
    assert.deepEqual(out.text().trimEnd().split('\n'), ['v1    4: name,password,privilege,enabled,sol', 'v3    4: name,password,privilege,enabled,sol'])
    assert.ok(!out.text().includes('s3cret-pass') && !err.text().includes('s3cret-pass'))
  })

  it('users set refuses, as usage errors: no UID, no change, contradicting flags, an unset password variable, an option of another action', async () => {
    const cases: [string[], RegExp][] = [
      [[RANGE, 'set'], /users set takes UID/],
      [[RANGE, 'set', '4'], /users set needs at least one of --name/],
      [[RANGE, 'set', '4', '--enable', '--disable'], /--enable and --disable exclude each other/],
      [[RANGE, 'set', '4', '--password-env', 'NO_SUCH_VARIABLE'], /environment variable NO_SUCH_VARIABLE is not set/],
      [[RANGE, 'set', '4', '--privilege', 'king'], /--privilege must be one of callback, user, operator, administrator, oem, no_access/],
      [[RANGE, 'list', '--name', 'x'], /--name does not go with users list/],
    ]
    const before = t.sup.calls.length
    for (const [args, message] of cases) {
      const err = sink()
      assert.equal(await opCommand('users', args, { stdout: sink(), stderr: err, env }), 2, args.join(' '))
      assert.match(err.text(), message)
    }
    assert.equal(t.sup.calls.length, before, 'nothing reached a BMC')
    const help = sink()
    assert.equal(await opCommand('users', ['--help'], { stdout: help, stderr: sink(), env }), 0)
    assert.match(help.text(), /bmcvisor users RANGE set UID \[--name NAME\] \[--password-env VAR\]/)
  })

  it('worker show and restart over a range: a row per node, a missing node and a running worker fail, exit 1', async () => {
    const out = sink()
    assert.equal(await workerCommand(['show', 'v1,v3,nope'], { stdout: out, stderr: sink(), env }), 1)
    const rows = out.text().trimEnd().split('\n')
    assert.deepEqual(rows.map((r) => r.split(/\s+/)[0]), ['nope', 'v1', 'v3'])
    assert.match(rows[0]!, /^nope\s+NODE_NOT_FOUND/)
    assert.equal(rows[1]!.replace(/^v1\s+/, ''), 'running  restarts 0  last exit -')
    t.sup.states.set('v1', 'parked')
    const nd = sink()
    assert.equal(await workerCommand(['restart', RANGE, '--ndjson'], { stdout: nd, stderr: sink(), env }), 1)
    const lines = nd.text().trimEnd().split('\n').map((l) => JSON.parse(l) as { node: string; ok: boolean; value?: { state: string }; error?: { code: string } })
    assert.deepEqual(lines.map((l) => l.node).sort(), NODES)
    assert.equal(lines.find((l) => l.node === 'v1')?.value?.state, 'restarting')
    assert.equal(lines.find((l) => l.node === 'v3')?.error?.code, 'CONFLICT')
    const json = sink()
    assert.equal(await workerCommand(['show', 'v1', '--json'], { stdout: json, stderr: sink(), env }), 0)
    assert.equal((JSON.parse(json.text()) as { results: { v1: { value: { state: string } } } }).results.v1.value.state, 'restarting')
  })
})

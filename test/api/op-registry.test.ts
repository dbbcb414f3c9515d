// One entry in the op registry is an operation everywhere: a fixture op
// added to a copy of the registry appears in the REST routes (per node and
// per noderange, with its role), the OpenAPI document, the CLI and the
// metrics label set, and the worker checks its arguments and runs it.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { Type } from 'typebox'
import { REGISTRY, OPS, type OpRegistry } from '../../src/ops/registry.js'
import { op } from '../../src/ops/types.js'
import { commandLabels, COMMANDS } from '../../src/metrics/definitions.js'
import { cliVerbs, opCommand } from '../../src/cli/op-command.js'
import type { ApiClient } from '../../src/cli/client.js'
import type { CommandRunner } from '../../src/bmc/runner.js'
import { SdrCache } from '../../src/bmc/sdr.js'
import { runOp, validateOp } from '../../workers/ops.js'
import { CONTROL_NAMES } from '../../src/bridge/messages.js'
import { sink } from '../lab/sink.js'
import { testApi, type TestApi } from './helpers.js'

const FIXTURE = 'fixture.lamp'
const fixtureOp = op({
  summary: 'Fixture: set a lamp', role: 'operator', timeoutMs: 1234, mutating: true,
  args: Type.Object({ level: Type.Integer({ minimum: 0, maximum: 9 }) }, { additionalProperties: false }),
  result: Type.Object({ level: Type.Integer() }),
  run: async (_r, a) => ({ level: a.level }),
  rest: { method: 'PUT', path: 'lamp', action: 'lamp.set', body: Type.Object({ level: Type.Integer({ minimum: 0, maximum: 9 }) }), toArgs: (b) => ({ level: b.level }) },
  cli: { verb: 'lamp', words: ['dim', 'bright'], body: (w) => ({ level: w === 'dim' ? 1 : 9 }), columns: [{ header: 'level', cell: (v) => `level=${(v as { level: number }).level}` }], help: 'fixture lamp' },
})
const registry: OpRegistry = { ...REGISTRY, [FIXTURE]: fixtureOp }

describe('op registry: one entry, everywhere', () => {
  let t: TestApi
  before(async () => {
    t = await testApi({ ops: registry })
    await t.store.nodes.create({ name: 'f1', bmc: { host: '127.0.0.1', port: 7001, username: 'a', password: 'p', cipherSuite: 3, privilege: 'administrator' }, console: { method: 'ipmi', logging: 'full' }, groups: [] })
    await t.sync.idle()
    t.sup.script.set('f1', (args) => ({ level: (args as { level: number }).level }))
  })
  after(() => t.close())

  const req = (method: 'PUT' | 'GET', url: string, role: 'viewer' | 'operator', payload?: object) =>
    t.app.inject({ method, url: `/api/v1${url}`, headers: t.auth(role), ...(payload ? { payload } : {}) })

  it('REST: per node and per range, with its role, arguments and default deadline', async () => {
    t.sup.calls.length = 0
    const one = await req('PUT', '/nodes/f1/lamp', 'operator', { level: 3 })
    assert.equal(one.statusCode, 200, one.body)
    assert.deepEqual(one.json(), { level: 3 })
    assert.deepEqual(t.sup.calls.at(-1), { node: 'f1', op: FIXTURE, args: { level: 3 }, timeoutMs: 1234 })
    const range = await req('PUT', '/noderange/f1/lamp', 'operator', { level: 4 })
    assert.deepEqual(range.json(), { results: { f1: { ok: true, value: { level: 4 } } } })
    assert.equal((await req('PUT', '/nodes/f1/lamp', 'viewer', { level: 3 })).statusCode, 403)
    assert.equal((await req('PUT', '/nodes/f1/lamp', 'operator', { level: 30 })).statusCode, 400)
  })

  it('OpenAPI lists both routes', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, Record<string, { summary?: string }>> }
    assert.match(doc.paths['/api/v1/nodes/{node}/lamp']?.put?.summary ?? '', /Fixture: set a lamp/)
    assert.ok(doc.paths['/api/v1/noderange/{expr}/lamp']?.put)
  })

  it('CLI: the verb exists, its words pick the op and its body, its columns print', async () => {
    assert.deepEqual(cliVerbs(registry).get('lamp')?.map((o) => o.name), [FIXTURE])
    assert.equal(cliVerbs().get('lamp'), undefined)
    const calls: [string, string, unknown][] = []
    const client: ApiClient = {
      request: async <T>(method: string, path: string) => {
        calls.push([method, path, undefined])
        return { nodes: ['f1'], missing: [] } as T
      },
      async *stream(method: string, path: string, body?: unknown) {
        calls.push([method, path, body])
        yield { node: 'f1', ok: true, value: { level: 9 } }
        yield { done: true }
      },
    } as ApiClient
    const out = sink()
    assert.equal(await opCommand('lamp', ['f1', 'bright'], { stdout: out, stderr: sink(), env: {} }, client, registry), 0)
    assert.deepEqual(calls.at(-1), ['PUT', '/noderange/f1/lamp', { level: 9 }])
    assert.match(out.text(), /^f1\s+level=9$/m)
  })

  it('metrics: the command label set is the registry\'s names, without control requests', () => {
    assert.ok(commandLabels(registry).includes(FIXTURE))
    assert.deepEqual([...COMMANDS], [...Object.keys(OPS), 'other'])
    for (const c of CONTROL_NAMES) assert.ok(!(COMMANDS as readonly string[]).includes(c), c)
  })

  it('worker: arguments checked against the op\'s schema, then run', async () => {
    const spec = validateOp(registry, FIXTURE, { level: 2 })
    assert.deepEqual(await runOp(spec, {} as CommandRunner, { level: 2 }, { sdr: new SdrCache() }), { level: 2 })
    assert.throws(() => validateOp(registry, FIXTURE, { level: 'x' }), { code: 'VALIDATION_FAILED', details: { field: 'level' } })
    assert.throws(() => validateOp(registry, FIXTURE, {}), { code: 'VALIDATION_FAILED', details: { field: 'level' } })
    assert.throws(() => validateOp(REGISTRY, FIXTURE, { level: 2 }), { code: 'VALIDATION_FAILED', details: { field: 'op' } })
  })
})

// Exec consoles over REST: refused with EXEC_CONSOLES_DISABLED unless the
// server allows them (serve --allow-exec-consoles); an exec node stored
// before keeps its other fields editable and can move to ipmi; console.env
// names which variables carry which credential, validated, and reaches the
// worker's configuration; nothing is passed when it is absent.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { withDefaults } from '../../src/api/routes/nodes.js'
import type { NodeCreate } from '../../src/api/schemas.js'
import { nodeBody, testApi, type TestApi } from './helpers.js'

const exec = (over: Record<string, unknown> = {}) => ({ console: { method: 'exec', command: 'ssh -tt host', ...over } })

describe('exec consoles over REST', () => {
  let off: TestApi
  let on: TestApi
  before(async () => {
    off = await testApi()
    on = await testApi({ allowExecConsoles: true })
  })
  after(async () => {
    await off.close()
    await on.close()
  })

  const req = (t: TestApi, method: string, url: string, payload?: unknown) =>
    t.app.inject({ method: method as 'GET', url: `/api/v1${url}`, headers: t.auth('admin'), ...(payload !== undefined ? { payload: payload as object } : {}) })

  it('are refused while the server does not allow them, on create and on a patch that makes one', async () => {
    const res = await req(off, 'POST', '/nodes', nodeBody('x1', exec()))
    assert.equal(res.statusCode, 409, res.body)
    assert.equal(res.json().error.code, 'EXEC_CONSOLES_DISABLED')
    assert.match(res.json().error.message, /--allow-exec-consoles/)
    assert.equal(await off.store.nodes.get('x1'), undefined)
    assert.equal((await req(off, 'POST', '/nodes', nodeBody('x2'))).statusCode, 201)
    const patch = await req(off, 'PATCH', '/nodes/x2', exec())
    assert.equal(patch.statusCode, 409, patch.body)
    assert.equal(patch.json().error.code, 'EXEC_CONSOLES_DISABLED')
    assert.equal((await off.store.nodes.get('x2'))?.console.method, 'ipmi')
  })

  it('a stored exec node stays editable (not its command) and may move to ipmi while they are off', async () => {
    await off.store.nodes.create(withDefaults(nodeBody('old1', exec()) as unknown as NodeCreate)) // stored before the server turned them off
    assert.equal((await req(off, 'PATCH', '/nodes/old1', { bmc: { port: 624 } })).statusCode, 200)
    const cmd = await req(off, 'PATCH', '/nodes/old1', { console: { command: 'nc host 23' } })
    assert.equal(cmd.json().error?.code, 'EXEC_CONSOLES_DISABLED', cmd.body)
    const env = await req(off, 'PATCH', '/nodes/old1', { console: { env: { password: 'PW' } } })
    assert.equal(env.json().error?.code, 'EXEC_CONSOLES_DISABLED', env.body)
    const back = await req(off, 'PATCH', '/nodes/old1', { console: { method: 'ipmi', command: null } })
    assert.equal(back.statusCode, 200, back.body)
    assert.deepEqual(back.json().console, { method: 'ipmi', logging: 'full' })
  })

  it('console.env names the variables for the credentials; the worker gets exactly those, none without it', async () => {
    const res = await req(on, 'POST', '/nodes', nodeBody('e1', exec({ env: { password: 'IPMI_PASSWORD', username: 'IPMI_USER' } })))
    assert.equal(res.statusCode, 201, res.body)
    assert.deepEqual(res.json().console.env, { password: 'IPMI_PASSWORD', username: 'IPMI_USER' })
    assert.equal((await req(on, 'POST', '/nodes', nodeBody('e2', exec()))).statusCode, 201)
    await on.sync.idle()
    assert.deepEqual(on.sup.configs.get('e1')?.consoleExec?.credentialEnv, { password: 'IPMI_PASSWORD', username: 'IPMI_USER' })
    assert.equal(on.sup.configs.get('e2')?.consoleExec?.credentialEnv, undefined)
    assert.equal(on.sup.configs.get('e1')?.allowExecConsole, undefined, 'testApi syncs without the serve flag: main.ts sets it')
    // Removing one name with a merge patch.
    const patched = await req(on, 'PATCH', '/nodes/e1', { console: { env: { username: null } } })
    assert.equal(patched.statusCode, 200, patched.body)
    assert.deepEqual(patched.json().console.env, { password: 'IPMI_PASSWORD' })
  })

  it('validates console.env: names, reserved names, one credential per name, exec only', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [exec({ env: { password: '1BAD' } }), 'body.console.env.password'],
      [exec({ env: { password: 'A B' } }), 'body.console.env.password'],
      [exec({ env: { token: 'X' } }), 'body.console.env'],
      [exec({ env: { password: 'PATH' } }), 'body.console.env.password'],
      [exec({ env: { password: 'BMCVISOR_NODE' } }), 'body.console.env.password'],
      [exec({ env: { username: 'SAME', password: 'SAME' } }), 'body.console.env.password'],
      [{ console: { method: 'ipmi', env: { password: 'PW' } } }, 'body.console.env'],
    ]
    for (const [body, field] of cases) {
      const res = await req(on, 'POST', '/nodes', nodeBody('v1', body))
      assert.equal(res.statusCode, 400, `${JSON.stringify(body)}: ${res.body}`)
      assert.equal(res.json().error.code, 'VALIDATION_FAILED')
      assert.ok(String(res.json().error.details?.field).startsWith(field), `${JSON.stringify(body)}: ${res.body}`)
    }
  })
})

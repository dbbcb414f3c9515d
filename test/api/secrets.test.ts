// Passwords, keys and tokens never appear in a response, a log line (all
// captured, at debug level) or the audit log, and the database file holds
// no BMC password in clear text; the secret key file is 0600.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { createLogger } from '../../src/log.js'
import { ADMIN_ENV_TOKEN, nodeBody, testApi, type TestApi } from './helpers.js'

const PASSWORD = 'Pw-0f-node-s1'
const NEW_PASSWORD = 'Pw-changed-s2'
const USER_PASSWORD = 'Pw-human-s3'
const KG = 'a1b2c3d4e5f60718293a'

describe('secrets stay secret', () => {
  let t: TestApi
  const bodies: string[] = []
  let issued = ''
  before(async () => {
    t = await testApi()
    const send = async (method: string, url: string, payload?: unknown, headers: Record<string, string> = t.auth('admin')) => {
      const res = await t.app.inject({ method: method as 'GET', url, headers, ...(payload !== undefined ? { payload: payload as object } : {}) })
      bodies.push(res.body)
      return res
    }
    await send('POST', '/api/v1/nodes', nodeBody('s1', { bmc: { host: '127.0.0.1', username: 'admin', password: PASSWORD, kg: KG } }))
    await send('PATCH', '/api/v1/nodes/s1', { bmc: { password: NEW_PASSWORD } })
    await send('PUT', '/api/v1/nodes/s1/bmc/users/5', { name: 'alice', password: USER_PASSWORD, privilege: 'operator', enabled: true })
    await send('PUT', '/api/v1/noderange/s1/bmc/users/6', { name: 'bob', password: USER_PASSWORD })
    await send('POST', '/api/v1/nodes', { name: 's2', bmc: { host: 'h', username: 'u', password: PASSWORD, port: 'bad' } }) // a 400 with a password in it
    await send('POST', '/api/v1/nodes', `{"name":"s3","bmc":{"password":"${PASSWORD}"`, { ...t.auth('admin'), 'content-type': 'application/json' })
    const tok = await send('POST', '/api/v1/tokens', { role: 'operator', name: 'ci' })
    issued = tok.json().token as string
    await send('GET', '/api/v1/nodes', undefined, { authorization: `Bearer ${issued}` })
    await send('GET', `/api/v1/nodes?access_token=${issued}`, undefined, { upgrade: 'websocket', connection: 'upgrade' })
    await send('GET', '/api/v1/nodes', undefined, { authorization: `Bearer ${ADMIN_ENV_TOKEN}` })
    await send('GET', '/api/v1/nodes', undefined, { authorization: 'Bearer bmv_12345678_notarealtokennotarealtokennotarealtoken12' })
    await send('GET', '/api/v1/audit?limit=1000')
    await send('GET', '/api/v1/tokens')
    await send('GET', '/docs/json', undefined, {})
  })
  after(() => t.close())

  const secrets = () => [PASSWORD, NEW_PASSWORD, USER_PASSWORD, KG, KG.toUpperCase(), ADMIN_ENV_TOKEN, t.tokens.admin, t.tokens.operator, t.tokens.viewer, issued]

  it('no response other than token creation carries a secret', () => {
    for (const body of bodies) {
      for (const s of secrets()) {
        if (s === issued && body.includes('"token"') && body.includes('"info"')) continue // the one reply that hands it out
        assert.ok(!body.includes(s), `a response carries ${s.slice(0, 6)}...: ${body.slice(0, 200)}`)
      }
    }
  })

  it('no log line carries a secret', () => {
    assert.ok(t.logs.length > 10, 'logs were not captured')
    const all = t.logs.join('')
    for (const s of secrets()) assert.ok(!all.includes(s), `a log line carries ${s.slice(0, 6)}...`)
    assert.match(all, /access_token=\[redacted\]/)
  })

  it('the logger censors secret-named fields wherever code puts them', () => {
    const lines: string[] = []
    const log = createLogger({ destination: { write: (s: string) => void lines.push(s) } })
    log.info({ password: PASSWORD, bmc: { kg: KG, credentials: { password: PASSWORD } }, req: { headers: { authorization: `Bearer ${issued}` } }, token: issued }, 'x')
    const line = lines.join('')
    for (const s of [PASSWORD, KG, issued]) assert.ok(!line.includes(s), line)
  })

  it('the database holds no BMC password, key or token in clear text, and secret.key is 0600', async () => {
    await t.sync.idle()
    const files = readdirSync(t.dataDir).filter((f) => f.startsWith('bmcvisor.db'))
    assert.ok(files.length > 0)
    for (const f of files) {
      const bytes = readFileSync(join(t.dataDir, f))
      for (const s of secrets()) {
        assert.equal(bytes.indexOf(Buffer.from(s, 'utf8')), -1, `${f} holds ${s.slice(0, 6)}... in clear`)
        assert.equal(bytes.indexOf(Buffer.from(s, 'utf16le')), -1, `${f} holds ${s.slice(0, 6)}... in UTF-16`)
      }
    }
    assert.equal(statSync(join(t.dataDir, 'secret.key')).mode & 0o777, 0o600)
    // And the credential still opens for the worker.
    assert.equal((await t.store.nodes.get('s1'))?.bmc.password, NEW_PASSWORD)
  })
})

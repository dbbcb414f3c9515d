// What a token may do is enforced on the connections it already holds:
// revoking it closes its console sockets (4010) and refuses its input and
// reopen; lowering its role below operator closes its read-write sockets
// (4012) and leaves read-only viewers be; its expiry passing closes them
// (4011); a revocation by another process (bmcvisor token revoke) is found
// by the recheck. Expired tokens are UNAUTHORIZED on every route.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { TOKEN_CLOSE } from '../../src/api/connections.js'
import { tokenCommand } from '../../src/cli/token.js'
import { waitUntil } from '../lab/net.js'
import { sink } from '../lab/sink.js'
import { closed, openSocket, rawExchange, startSocketLab, upgradeRequest, type SocketLab } from './socket-lab.js'

const RECHECK_MS = 100

describe('revocation, role changes and expiry', () => {
  let lab: SocketLab
  before(async () => (lab = await startSocketLab({ limits: { tokenRecheckMs: RECHECK_MS } })))
  after(() => lab.close())

  const create = async (role: string, extra: Record<string, unknown> = {}) => {
    const res = await lab.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: lab.auth('admin'), payload: { role, name: `t-${role}`, ...extra } })
    assert.equal(res.statusCode, 201, res.body)
    return res.json<{ token: string; info: { id: string; expiresAt: string | null } }>()
  }
  const session = () => lab.consoles.get('n1')

  it('revoking closes every socket of the token at once with 4010; its input, reopen and new sockets are refused', async () => {
    const { token, info } = await create('operator')
    const a = await openSocket(lab.wsUrl(), token)
    const b = await openSocket(lab.wsUrl('mode=ro'), token)
    const other = await openSocket(lab.wsUrl('mode=ro'), lab.tokens.viewer)
    await waitUntil(() => session().clientCount === 3, { what: 'three clients' })
    a.send(Buffer.from('typed before the revoke'))
    await waitUntil(() => lab.consolePort.inputs.length === 1, { what: 'the holder types' })
    const ends = [closed(a), closed(b)]
    // Frames already on their way when the token is revoked reach nothing.
    a.send(Buffer.from('typed as the revoke happens'))
    a.send(JSON.stringify({ type: 'reopen' }))
    await lab.store.tokens.revoke(info.id)
    for (const end of await Promise.all(ends)) assert.deepEqual(end, TOKEN_CLOSE.revoked)
    assert.equal(lab.consolePort.inputs.length, 1)
    assert.equal(lab.consolePort.reopens, 0)
    assert.equal(session().clientCount, 1, 'the other token keeps its socket')
    assert.equal(other.readyState, other.OPEN)
    assert.equal((await lab.app.inject({ method: 'POST', url: '/api/v1/nodes/n1/console/reopen', headers: { authorization: `Bearer ${token}` } })).statusCode, 401)
    assert.equal((await rawExchange(lab.port, upgradeRequest('/api/v1/nodes/n1/console/ws', { authorization: `Bearer ${token}` }))).status, 401)
    assert.equal(lab.app.bmcvisorConnections.count(info.id), 0)
    other.close()
  })

  it('DELETE /tokens/{id} closes the sockets too', async () => {
    const { token, info } = await create('viewer')
    const ws = await openSocket(lab.wsUrl(), token)
    const end = closed(ws)
    assert.equal((await lab.app.inject({ method: 'DELETE', url: `/api/v1/tokens/${info.id}`, headers: lab.auth('admin') })).statusCode, 204)
    assert.deepEqual(await end, TOKEN_CLOSE.revoked)
  })

  it('lowering the role to viewer closes read-write sockets with 4012; raising it changes nothing', async () => {
    const { token, info } = await create('operator')
    const rw = await openSocket(lab.wsUrl(), token)
    const rwEnd = closed(rw)
    const patch = await lab.app.inject({ method: 'PATCH', url: `/api/v1/tokens/${info.id}`, headers: lab.auth('admin'), payload: { role: 'viewer' } })
    assert.equal(patch.statusCode, 200, patch.body)
    assert.equal(patch.json<{ role: string }>().role, 'viewer')
    assert.deepEqual(await rwEnd, TOKEN_CLOSE.downgraded)
    // Reconnecting read-write is refused; read-only works and survives a raise and a same-role change.
    assert.equal((await rawExchange(lab.port, upgradeRequest('/api/v1/nodes/n1/console/ws?mode=rw', { authorization: `Bearer ${token}` }))).status, 403)
    const ro = await openSocket(lab.wsUrl('mode=ro'), token)
    await lab.app.inject({ method: 'PATCH', url: `/api/v1/tokens/${info.id}`, headers: lab.auth('admin'), payload: { role: 'admin' } })
    await lab.app.inject({ method: 'PATCH', url: `/api/v1/tokens/${info.id}`, headers: lab.auth('admin'), payload: { role: 'viewer' } })
    assert.equal(ro.readyState, ro.OPEN)
    assert.equal(lab.app.bmcvisorConnections.count(info.id), 1)
    ro.close()
  })

  it('a revocation by another process (the CLI on the same data directory) is found by the recheck', async () => {
    const { token, info } = await create('viewer')
    const ws = await openSocket(lab.wsUrl(), token)
    const end = closed(ws)
    const code = await tokenCommand(['revoke', info.id, '--data', lab.dataDir], { stdout: sink(), stderr: sink(), env: {} })
    assert.equal(code, 0)
    assert.deepEqual(await end, TOKEN_CLOSE.revoked)
  })

  it('expiry: the socket closes with 4011 when it passes, and the token is UNAUTHORIZED after', async () => {
    const { token, info } = await create('viewer', { expiresAt: new Date(Date.now() + 1500).toISOString() })
    assert.ok(info.expiresAt !== null)
    const ws = await openSocket(lab.wsUrl(), token)
    assert.equal((await lab.app.inject({ method: 'GET', url: '/api/v1/nodes', headers: { authorization: `Bearer ${token}` } })).statusCode, 200)
    assert.deepEqual(await closed(ws), TOKEN_CLOSE.expired)
    const res = await lab.app.inject({ method: 'GET', url: '/api/v1/nodes', headers: { authorization: `Bearer ${token}` } })
    assert.equal(res.statusCode, 401)
    assert.equal(res.json<{ error: { code: string } }>().error.code, 'UNAUTHORIZED')
  })

  it('ttl and expiresAt are checked', async () => {
    const { info } = await create('viewer', { ttl: '30d' })
    const days = (Date.parse(info.expiresAt!) - Date.now()) / 86_400_000
    assert.ok(days > 29.9 && days <= 30, String(days))
    for (const bad of [{ ttl: '30' }, { ttl: '3651d' }, { expiresAt: '2001-01-01T00:00:00Z' }, { expiresAt: 'soon' }, { ttl: '1d', expiresAt: new Date(Date.now() + 60_000).toISOString() }]) {
      const res = await lab.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: lab.auth('admin'), payload: { role: 'viewer', name: 'bad', ...bad } })
      assert.equal(res.statusCode, 400, JSON.stringify(bad))
      assert.equal(res.json<{ error: { code: string } }>().error.code, 'VALIDATION_FAILED')
    }
  })
})

describe('token create --expires, token set', () => {
  it('prints a token that expires, lists the expiry, and changes the role', async () => {
    const lab = await startSocketLab()
    try {
      const out = sink()
      assert.equal(await tokenCommand(['create', '--role', 'viewer', '--expires', '30d', '--data', lab.dataDir], { stdout: out, stderr: sink(), env: {} }), 0)
      const token = out.text().trim()
      const info = await lab.store.tokens.verify(token)
      assert.ok(info?.expiresAt !== null && info?.expiresAt !== undefined)
      assert.ok(Math.abs(Date.parse(info.expiresAt) - Date.now() - 30 * 86_400_000) < 60_000)
      const err = sink()
      assert.notEqual(await tokenCommand(['create', '--role', 'viewer', '--expires', '30x', '--data', lab.dataDir], { stdout: sink(), stderr: err, env: {} }), 0)
      assert.match(err.text(), /VALIDATION_FAILED: expires is a duration such as 30d/)
      const list = sink()
      await tokenCommand(['list', '--data', lab.dataDir], { stdout: list, stderr: sink(), env: {} })
      assert.match(list.text(), new RegExp(`expires ${info.expiresAt.slice(0, 10)}`))
      assert.equal(await tokenCommand(['set', info.id, '--role', 'operator', '--data', lab.dataDir], { stdout: sink(), stderr: sink(), env: {} }), 0)
      assert.equal((await lab.store.tokens.verify(token))?.role, 'operator')
      assert.notEqual(await tokenCommand(['set', 'deadbeef', '--role', 'operator', '--data', lab.dataDir], { stdout: sink(), stderr: sink(), env: {} }), 0)
    } finally {
      await lab.close()
    }
  })
})

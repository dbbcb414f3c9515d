// Bounded per token: 500 console WebSockets from one viewer token are not
// all accepted (TOO_MANY_CONNECTIONS past the limit) and the API keeps
// answering; expensive requests (ranges, sensors, reopen) beyond the
// token's bucket are RATE_LIMITED with Retry-After, other tokens unaffected.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { once } from 'node:events'
import WebSocket from 'ws'
import { DEFAULT_CONNECTIONS_PER_TOKEN } from '../../src/api/connections.js'
import { waitUntil } from '../lab/net.js'
import { attemptWebSocket } from '../lab/ws.js'
import { startSocketLab, type SocketLab } from './socket-lab.js'

const ATTEMPTS = 500


describe('connections per token', () => {
  let lab: SocketLab
  before(async () => (lab = await startSocketLab()))
  after(() => lab.close())

  it(`${ATTEMPTS} WebSockets from one viewer token: ${DEFAULT_CONNECTIONS_PER_TOKEN} accepted, the rest 429, and the API answers`, async () => {
    const results = await Promise.all(Array.from({ length: ATTEMPTS }, () => attemptWebSocket(lab.wsUrl(), lab.tokens.viewer)))
    const open = results.filter((r): r is WebSocket => r instanceof WebSocket)
    const refused = results.filter((r) => !(r instanceof WebSocket))
    assert.equal(open.length, DEFAULT_CONNECTIONS_PER_TOKEN)
    assert.ok(refused.every((s) => s === 429), `refusals: ${[...new Set(refused)].join(', ')}`)
    assert.equal(lab.app.bmcvisorConnections.count((await lab.store.tokens.verify(lab.tokens.viewer))!.id), DEFAULT_CONNECTIONS_PER_TOKEN)
    // Other tokens and plain requests are unaffected.
    assert.equal((await fetch(`${lab.base}/healthz`)).status, 200)
    assert.equal((await fetch(`${lab.base}/api/v1/nodes`, { headers: lab.auth('viewer') })).status, 200)
    const operator = await attemptWebSocket(lab.wsUrl(), lab.tokens.operator)
    assert.ok(operator instanceof WebSocket)
    operator.close()
    // A slot freed is a slot again.
    open[0]!.close()
    await once(open[0]!, 'close')
    await waitUntil(() => lab.consoles.get('n1').clientCount === DEFAULT_CONNECTIONS_PER_TOKEN - 1, { what: 'the closed socket detached' })
    const again = await attemptWebSocket(lab.wsUrl(), lab.tokens.viewer)
    assert.ok(again instanceof WebSocket)
    for (const ws of [...open, again]) ws.close()
  })
})

describe('expensive requests per token', () => {
  let lab: SocketLab
  before(async () => {
    lab = await startSocketLab({ limits: { expensive: { perSecond: 0.01, burst: 3 } } })
    await lab.store.nodes.create({ name: 'n1', bmc: { host: '127.0.0.1', port: 623, username: 'a', password: 'p', cipherSuite: 3, privilege: 'administrator' }, console: { method: 'ipmi', logging: 'memory' }, groups: [] })
  })
  after(() => lab.close())

  it('the burst passes, the next is RATE_LIMITED with Retry-After; cheap routes and other tokens pass', async () => {
    const get = (url: string, role: 'viewer' | 'operator' = 'viewer') => lab.app.inject({ method: 'GET', url, headers: lab.auth(role) })
    for (const url of ['/api/v1/nodes/n1/sensors', '/api/v1/noderange/n1/power', '/api/v1/nodes/n1/inventory']) assert.equal((await get(url)).statusCode, 200, url)
    const limited = await get('/api/v1/nodes/n1/events')
    assert.equal(limited.statusCode, 429)
    assert.equal(limited.json<{ error: { code: string } }>().error.code, 'RATE_LIMITED')
    // One request per 100 s: the wait left is a little under 100 s.
    const retryAfter = Number(limited.headers['retry-after'])
    assert.ok(retryAfter > 90 && retryAfter <= 100, String(retryAfter))
    assert.equal((await get('/api/v1/nodes/n1/power')).statusCode, 200, 'a cheap command is not counted')
    assert.equal((await get('/api/v1/nodes/n1/sensors', 'operator')).statusCode, 200, 'another token has its own bucket')
    const calls = lab.sup.calls.filter((c) => c.op === 'events.list').length
    assert.equal(calls, 0, 'a limited request never reaches the supervisor')
  })

  it('console reopen over REST and over the socket counts too', async () => {
    const post = () => lab.app.inject({ method: 'POST', url: '/api/v1/nodes/n1/console/reopen', headers: lab.auth('operator') })
    let status = 0
    for (let i = 0; i < 5 && status !== 429; i++) status = (await post()).statusCode
    assert.equal(status, 429)
    const ws = new WebSocket(lab.wsUrl('mode=ro'), { headers: lab.auth('operator') })
    await once(ws, 'open')
    const error = new Promise<Record<string, unknown>>((resolve) => ws.on('message', (d, binary) => {
      if (binary) return
      const m = JSON.parse(d.toString()) as Record<string, unknown>
      if (m.type === 'error') resolve(m)
    }))
    ws.send(JSON.stringify({ type: 'reopen' }))
    assert.equal((await error).code, 'RATE_LIMITED')
    assert.equal((await lab.store.audit.list({ limit: 5 })).find((e) => e.action === 'console.reopen')?.outcome, 'denied')
    ws.close()
  })
})

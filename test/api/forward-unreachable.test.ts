// Forwarding when the owner does not answer (src/cluster/forward.ts route): the forwarder asks again until the
// move deadline, then answers 503 MEMBER_UNREACHABLE naming the member; when the owner becomes this member
// meanwhile, the request runs here. A change (POST) whose connection broke after it was sent may have run on
// the owner: it is answered MEMBER_UNREACHABLE at once, never sent twice. The owner is a loopback port nobody listens on; the incoming request is
// fastify's inject, the forward a real fetch.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import Fastify from 'fastify'
import { Forwarder, type ForwardCluster, type ForwardMember } from '../../src/cluster/forward.js'
import { errorHandler } from '../../src/api/error-handler.js'
import { freePort } from '../lab/net.js'

async function app(cluster: ForwardCluster): Promise<ReturnType<typeof Fastify>> {
  const forwarder = new Forwarder({ key: Buffer.alloc(32, 3), cluster: () => cluster, moveDeadlineMs: 800 })
  const a = Fastify()
  a.setErrorHandler(errorHandler)
  a.decorateRequest('principal', null as never)
  a.addHook('onRequest', async (r) => {
    ;(r as unknown as { principal: unknown }).principal = { tokenId: 't', role: 'viewer', name: 'alice', expiresAt: null }
  })
  a.get('/api/v1/nodes/:node/power', {
    preHandler: async (r, reply) => {
      if (await forwarder.route(r, reply, (r.params as { node: string }).node)) return reply
    },
  }, async () => ({ state: 'on', answeredBy: 'here' }))
  a.post('/api/v1/nodes/:node/power', {
    preHandler: async (r, reply) => {
      if (await forwarder.route(r, reply, (r.params as { node: string }).node)) return reply
    },
  }, async () => ({ done: true, answeredBy: 'here' }))
  return a
}

describe('forwarding to an owner that does not answer', () => {
  it('is MEMBER_UNREACHABLE (503) after the move deadline, naming the member', async () => {
    const dead: ForwardMember = { id: 'm2', address: `http://127.0.0.1:${await freePort('tcp')}` }
    let asked = 0
    const a = await app({
      self: () => ({ id: 'm1', epoch: 1 }), members: () => [dead], runsHere: () => false, live: async () => true,
      ownerOf: () => (asked++, dead),
    })
    const r = await a.inject({ method: 'GET', url: '/api/v1/nodes/n1/power' })
    assert.equal(r.statusCode, 503)
    const e = (r.json() as { error: { code: string; details: { member: string } } }).error
    assert.deepEqual([e.code, e.details.member], ['MEMBER_UNREACHABLE', 'm2'])
    assert.ok(asked > 1, 'asked again before giving up')
    await a.close()
  })

  it('runs here once this member owns the node and runs it', async () => {
    const dead: ForwardMember = { id: 'm2', address: `http://127.0.0.1:${await freePort('tcp')}` }
    let tries = 0
    const self: ForwardMember = { id: 'm1', address: 'http://127.0.0.1:1' }
    const a = await app({
      self: () => ({ id: 'm1', epoch: 1 }), members: () => [self, dead], runsHere: () => tries > 1, live: async () => true,
      ownerOf: () => (++tries > 1 ? self : dead),
    })
    const r = await a.inject({ method: 'GET', url: '/api/v1/nodes/n1/power' })
    assert.equal(r.statusCode, 200)
    assert.deepEqual(r.json(), { state: 'on', answeredBy: 'here' })
    await a.close()
  })

  it('a change whose connection broke after it was sent is not sent again: MEMBER_UNREACHABLE at once', async () => {
    let requests = 0
    const srv = createServer((sock) => {
      sock.once('data', () => {
        requests++
        sock.destroy() // read the request, then gone: as an owner killed mid-command
      })
    })
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
    const addr = srv.address() as { port: number }
    const owner: ForwardMember = { id: 'm2', address: `http://127.0.0.1:${addr.port}` }
    const a = await app({ self: () => ({ id: 'm1', epoch: 1 }), members: () => [owner], runsHere: () => false, live: async () => true, ownerOf: () => owner })
    const r = await a.inject({ method: 'POST', url: '/api/v1/nodes/n1/power', payload: { state: 'cycle' } })
    assert.equal(r.statusCode, 503)
    const e = (r.json() as { error: { code: string; message: string } }).error
    assert.equal(e.code, 'MEMBER_UNREACHABLE')
    assert.match(e.message, /not sent again/)
    assert.equal(requests, 1)
    // A read is asked again after the same failure.
    requests = 0
    const g = await a.inject({ method: 'GET', url: '/api/v1/nodes/n1/power' })
    assert.equal(g.statusCode, 503)
    assert.ok(requests > 1, `a GET is asked again (${requests})`)
    await a.close()
    await new Promise((r) => srv.close(r))
  })
})

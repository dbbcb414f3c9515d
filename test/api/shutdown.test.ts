// Shutdown, as a client sees it: an open console WebSocket is closed with
// 1001 and a reason, and a late request on a keep-alive connection gets
// SHUTTING_DOWN in our error envelope instead of fastify's own 503 body.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { SHUTDOWN_CLOSE } from '../../src/api/routes/console.js'
import { LOOPBACK, waitUntil } from '../lab/net.js'
import { closed, openSocket, plainRequest, startSocketLab } from './socket-lab.js'

/** One keep-alive connection; next() resolves with the next complete response. */
function keepAlive(port: number) {
  const s = connect(port, LOOPBACK)
  s.setEncoding('latin1')
  let buf = ''
  let waiter: (() => void) | undefined
  s.on('data', (d: string) => {
    buf += d
    waiter?.()
  })
  const take = (): { status: number; headers: string; body: string } | undefined => {
    const end = buf.indexOf('\r\n\r\n')
    if (end < 0) return undefined
    const headers = buf.slice(0, end)
    const len = Number(/\r\ncontent-length: *(\d+)/i.exec(headers)?.[1] ?? 0)
    if (buf.length < end + 4 + len) return undefined
    const body = buf.slice(end + 4, end + 4 + len)
    buf = buf.slice(end + 4 + len)
    return { status: Number(headers.slice(9, 12)), headers, body }
  }
  return {
    send: (bytes: string) => void s.write(bytes),
    next: () => new Promise<{ status: number; headers: string; body: string }>((resolve) => {
      const check = () => {
        const r = take()
        if (r === undefined) return
        waiter = undefined
        resolve(r)
      }
      waiter = check
      check()
    }),
    destroy: () => s.destroy(),
  }
}

describe('shutdown', () => {
  it('closes WebSockets with 1001 and answers late requests SHUTTING_DOWN in our envelope', async () => {
    const lab = await startSocketLab()
    await lab.store.nodes.create({ name: 'n1', bmc: { host: '127.0.0.1', port: 623, username: 'a', password: 'p', cipherSuite: 3, privilege: 'administrator' }, console: { method: 'ipmi', logging: 'memory' }, groups: [] })
    let release: ((v: unknown) => void) | undefined
    lab.sup.script.set('n1', () => new Promise((resolve) => (release = resolve)))
    const auth = { authorization: `Bearer ${lab.tokens.viewer}` }
    const ws = await openSocket(lab.wsUrl(), lab.tokens.viewer)
    const wsClosed = closed(ws)
    const conn = keepAlive(lab.port)
    // A request in flight keeps the connection busy, so that shutdown does not close it as idle.
    conn.send(plainRequest('GET', '/api/v1/nodes/n1/power', auth))
    await waitUntil(() => release !== undefined, { what: 'the power call reached the supervisor' })

    const closing = lab.app.close()
    assert.deepEqual(await wsClosed, { code: SHUTDOWN_CLOSE.code, reason: SHUTDOWN_CLOSE.reason })
    release!({ state: 'on' })
    assert.equal((await conn.next()).status, 200)
    conn.send(plainRequest('GET', '/api/v1/nodes', auth))
    const late = await conn.next()
    assert.equal(late.status, 503)
    assert.match(late.headers, /\r\nconnection: close/i)
    assert.deepEqual(JSON.parse(late.body), { error: { code: 'SHUTTING_DOWN', message: 'the server is shutting down; retry on another instance or after the restart' } })
    conn.destroy()
    await closing
    await lab.close()
  })
})

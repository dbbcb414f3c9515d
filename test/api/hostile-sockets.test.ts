// Hostile clients on a real loopback socket: thousands of refused upgrades
// (no token, bad token, forbidden role, unknown route, Upgrade on a plain
// route, bad URL), refused and malformed plain requests, aborted requests,
// slowloris headers and stalled bodies cut by the timeouts. The process's
// open descriptors come back to where they were, during the run and after
// shutdown.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { waitUntil } from '../lab/net.js'
import { openFds, openSocket, plainRequest, rawExchange, sendAndDrop, startSocketLab, untilServerCloses, upgradeRequest } from './socket-lab.js'

const ROUNDS = 150
const BATCH = 40
const HEADERS_TIMEOUT_MS = 400
const REQUEST_TIMEOUT_MS = 800

describe('descriptors under hostile clients', () => {
  it('thousands of refused, malformed and aborted requests leave no descriptor behind, nor does shutdown', async () => {
    const before = openFds()
    const lab = await startSocketLab({ timeouts: { headersTimeoutMs: HEADERS_TIMEOUT_MS, requestTimeoutMs: REQUEST_TIMEOUT_MS } })
    const { port, tokens } = lab
    const ws = '/api/v1/nodes/n1/console/ws'
    /**
     * Each: the request, the status it must get (undefined: none, the server just closes), and whether the
     * reply asks to close the connection (every upgrade, every refusal before a handler).
     */
    const cases: [string, string, number | undefined, boolean][] = [
      ['upgrade, no token', upgradeRequest(ws), 401, true],
      ['upgrade, bad token', upgradeRequest(`${ws}?access_token=bmv_00000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`), 401, true],
      ['upgrade, misspelt query token', upgradeRequest(`${ws}?access%5Ftoken=${tokens.viewer}`), 401, true],
      ['upgrade, viewer asks read-write', upgradeRequest(`${ws}?mode=rw`, { authorization: `Bearer ${tokens.viewer}` }), 403, true],
      ['upgrade, unknown node', upgradeRequest('/api/v1/nodes/nope/console/ws', { authorization: `Bearer ${tokens.viewer}` }), 404, true],
      ['upgrade, unknown route', upgradeRequest('/nothing/here'), 401, true],
      ['upgrade on a plain route', upgradeRequest('/healthz'), 200, true],
      ['upgrade on an API route with a token', upgradeRequest('/api/v1/nodes', { authorization: `Bearer ${tokens.viewer}` }), 200, true],
      ['upgrade, bad URL', upgradeRequest('/api/v1/nodes/%zz/console/ws'), 400, true],
      ['plain, no token', plainRequest('GET', '/api/v1/nodes'), 401, true],
      ['plain, bad URL', plainRequest('GET', '/api/v1/nodes/%zz'), 400, true],
      ['plain, malformed', 'GET / HTTP/1.1\r\nHost x\r\n\r\n', 400, false],
      ['plain, unknown node (answered by the handler)', plainRequest('GET', '/api/v1/nodes/nope', { authorization: `Bearer ${tokens.viewer}` }), 404, false],
      ['plain, bad JSON', plainRequest('POST', '/api/v1/nodes', { authorization: `Bearer ${tokens.admin}`, 'content-type': 'application/json', 'content-length': '5' }, '{"a":'), 400, true],
      ['stalled body, no token', plainRequest('POST', '/api/v1/nodes', { 'content-type': 'application/json', 'content-length': '1000' }, '{"name":'), 401, true],
    ]
    // Warm up every path once (lazy module loads, the first log line) before the baseline.
    for (const [, bytes] of cases) await rawExchange(port, bytes)
    const accepted = await openSocket(lab.wsUrl(), tokens.viewer)
    accepted.close()
    await waitUntil(() => lab.consoles.get('n1').clientCount === 0, { what: 'warm-up socket gone' })
    const baseline = openFds()

    let sent = 0
    for (let round = 0; round < ROUNDS; round++) {
      const batch: Promise<void>[] = []
      for (let i = 0; i < BATCH; i++) {
        const [what, bytes, status, closes] = cases[(round * BATCH + i) % cases.length]!
        batch.push(rawExchange(port, bytes).then((r) => {
          if (status === undefined) return
          assert.equal(r.status, status, `${what}: ${r.head}`)
          if (closes) assert.match(r.head, /\r\nconnection: close/i, what)
          else assert.doesNotMatch(r.head, /\r\nconnection: close/i, what)
        }))
      }
      await Promise.all(batch)
      sent += BATCH
    }
    assert.ok(sent >= 5000, `only ${sent} requests`)
    // Clients that abort: mid-headers, mid-body, right after a complete upgrade request.
    const admin = { authorization: `Bearer ${tokens.admin}`, 'content-type': 'application/json', 'content-length': '100' }
    for (let i = 0; i < 10; i++) {
      await Promise.all([
        ...Array.from({ length: 20 }, () => sendAndDrop(port, 'GET /api/v1/nodes HTTP/1.1\r\nHost: x\r\nAuthor')),
        ...Array.from({ length: 20 }, () => sendAndDrop(port, plainRequest('POST', '/api/v1/nodes', admin, '{"name":"half'))),
        ...Array.from({ length: 20 }, () => sendAndDrop(port, upgradeRequest(ws, { authorization: `Bearer ${tokens.viewer}` }))),
      ])
    }
    // Slow clients: headers never finished, a body that stalls, an upgrade that stalls in its headers.
    await Promise.all([
      ...Array.from({ length: 50 }, () => untilServerCloses(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ')),
      ...Array.from({ length: 50 }, () => untilServerCloses(port, plainRequest('POST', '/api/v1/nodes', { authorization: `Bearer ${tokens.admin}`, 'content-type': 'application/json', 'content-length': '100' }, '{"na'))),
      ...Array.from({ length: 50 }, () => untilServerCloses(port, `GET ${ws} HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`)),
    ])
    await waitUntil(() => openFds() <= baseline, { timeoutMs: 20_000, what: `descriptors back to ${baseline} (now ${openFds()})` })
    // The API still answers.
    assert.equal((await fetch(`${lab.base}/healthz`)).status, 200)
    await lab.close()
    await waitUntil(() => openFds() <= before, { timeoutMs: 20_000, what: `descriptors back to ${before} after shutdown (now ${openFds()})` })
  })
})

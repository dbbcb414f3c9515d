// Console watch patterns over REST with a fake supervisor: a node's
// console.watch and a group's override reach the worker's configuration
// (a change alone is a setWatch, never a reconnect), bad patterns are a 400
// naming the field, and the matches routes: a node's recent list (newest
// first, ?limit, 404 for an unknown node) and the fleet stream as NDJSON and
// as SSE over a real socket.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { request as httpRequest, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { ConsoleMatch } from '../../src/bridge/messages.js'
import { DEFAULT_WATCH_PATTERNS } from '../../src/bridge/watch.js'
import { consoleMatchesPlugin } from '../../src/api/routes/console-matches.js'
import { ConsoleMatches } from '../../src/console/index.js'
import { LOOPBACK, waitUntil } from '../lab/net.js'
import { nodeBody, testApi, type TestApi } from './helpers.js'

const names = (p: readonly { name: string }[] | undefined) => (p ?? []).map((x) => x.name)
const DEFAULT_NAMES = names(DEFAULT_WATCH_PATTERNS)
const match = (i: number): ConsoleMatch => ({
  type: 'console-match', bmc: 'w1', pattern: 'panic', severity: 'critical', line: `Kernel panic - not syncing: ${i}`, truncated: false, at: Date.UTC(2026, 0, 1, 0, 0, i), count: 1,
})

describe('console watch over REST', () => {
  let t: TestApi
  const matches = new ConsoleMatches()
  before(async () => {
    t = await testApi({ plugins: [consoleMatchesPlugin({ matches, known: async (n) => (await t.store.nodes.get(n)) !== undefined })] })
  })
  after(() => t.close())

  const req = (method: string, url: string, payload?: unknown, role: 'viewer' | 'operator' | 'admin' = 'admin') =>
    t.app.inject({ method: method as 'GET', url: `/api/v1${url}`, headers: t.auth(role), ...(payload !== undefined ? { payload: payload as object } : {}) })

  it("a node's console.watch is stored, shown, and resolved into the worker's configuration", async () => {
    const watch = { disable: ['oom'], add: [{ name: 'marker', regex: '^BMCVISOR-MARK \\d+$', severity: 'info' }] }
    const res = await req('POST', '/nodes', nodeBody('w1', { console: { watch }, groups: ['gpu'] }))
    assert.equal(res.statusCode, 201, res.body)
    assert.deepEqual(res.json().console.watch, watch)
    await t.sync.idle()
    assert.deepEqual(names(t.sup.configs.get('w1')!.watch), [...DEFAULT_NAMES.filter((n) => n !== 'oom'), 'marker'])
    assert.deepEqual((await req('GET', '/nodes/w1', undefined, 'viewer')).json().console.watch, watch)
  })

  it('a change of console.watch alone is a setWatch, not a reconfiguration (a merge patch: add stays); null removes it', async () => {
    const updates = t.sup.updates.length
    let res = await req('PATCH', '/nodes/w1', { console: { watch: { disable: ['panic'] } } })
    assert.equal(res.statusCode, 200, res.body)
    await t.sync.idle()
    assert.equal(t.sup.updates.length, updates)
    assert.deepEqual(t.sup.watches.at(-1), { node: 'w1', patterns: [...DEFAULT_NAMES.filter((n) => n !== 'panic'), 'marker'] })
    res = await req('PATCH', '/nodes/w1', { console: { watch: null } })
    assert.equal(res.statusCode, 200, res.body)
    assert.equal(res.json().console.watch, undefined)
    await t.sync.idle()
    assert.deepEqual(t.sup.watches.at(-1), { node: 'w1', patterns: DEFAULT_NAMES })
    assert.equal(t.sup.updates.length, updates)
  })

  it('bad patterns are a 400 VALIDATION_FAILED naming the field', async () => {
    const cases: [unknown, string][] = [
      [{ add: [{ name: 'bad', regex: '(', severity: 'info' }] }, 'body.console.watch.add[0].regex'],
      [{ add: [{ name: 'Bad Name', regex: 'x', severity: 'info' }] }, 'body.console.watch.add.0.name'],
      [{ add: [{ name: 'x', regex: 'x', severity: 'loud' }] }, 'body.console.watch.add.0.severity'],
    ]
    for (const [watch, field] of cases) {
      const res = await req('PATCH', '/nodes/w1', { console: { watch } })
      assert.equal(res.statusCode, 400, res.body)
      assert.equal(res.json().error.code, 'VALIDATION_FAILED')
      assert.equal(res.json().error.details.field, field, res.body)
    }
    const many = { add: Array.from({ length: 28 }, (_, i) => ({ name: `p${i}`, regex: `x${i}`, severity: 'info' })) }
    const res = await req('PATCH', '/nodes/w1', { console: { watch: many } })
    assert.equal(res.statusCode, 400, res.body)
    assert.match(res.json().error.message, /node w1 would have more than 32 console watch patterns/)
    assert.equal(res.json().error.details.field, 'body.console.watch')
  })

  it("a group's override reaches every member at once, shows with the defaults, and goes on DELETE (admin only)", async () => {
    assert.deepEqual((await req('GET', '/groups/gpu/console/watch', undefined, 'viewer')).json(), { group: 'gpu', watch: null, defaults: DEFAULT_WATCH_PATTERNS })
    const watch = { add: [{ name: 'xid', regex: 'NVRM: Xid', severity: 'critical' }] }
    assert.equal((await req('PUT', '/groups/gpu/console/watch', watch, 'operator')).statusCode, 403)
    const bad = await req('PUT', '/groups/gpu/console/watch', { add: [{ name: 'x', regex: '[', severity: 'info' }] })
    assert.equal(bad.statusCode, 400)
    assert.equal(bad.json().error.details.field, 'body.add[0].regex')
    const tooMany = await req('PUT', '/groups/gpu/console/watch', { add: Array.from({ length: 28 }, (_, i) => ({ name: `g${i}`, regex: `y${i}`, severity: 'info' })) })
    assert.equal(tooMany.statusCode, 400, tooMany.body)
    assert.deepEqual(tooMany.json().error.details, { field: 'body', node: 'w1' })
    const updates = t.sup.updates.length
    const res = await req('PUT', '/groups/gpu/console/watch', watch)
    assert.equal(res.statusCode, 200, res.body)
    assert.deepEqual(res.json().watch, watch)
    await t.sync.idle()
    assert.deepEqual(t.sup.watches.at(-1), { node: 'w1', patterns: [...DEFAULT_NAMES, 'xid'] })
    assert.equal(t.sup.updates.length, updates)
    // A node added to the group later starts with it.
    assert.equal((await req('POST', '/nodes', nodeBody('w2', { groups: ['gpu'] }))).statusCode, 201)
    await t.sync.idle()
    assert.deepEqual(names(t.sup.configs.get('w2')!.watch), [...DEFAULT_NAMES, 'xid'])
    assert.equal((await req('DELETE', '/groups/gpu/console/watch')).statusCode, 204)
    await t.sync.idle()
    assert.deepEqual(names(t.sup.configs.get('w1')!.watch), DEFAULT_NAMES)
    assert.deepEqual(names(t.sup.configs.get('w2')!.watch), DEFAULT_NAMES)
  })

  it("GET nodes/{node}/console/matches: newest first, ?limit, 404 for an unknown node, 400 for a bad limit", async () => {
    for (let i = 1; i <= 3; i++) matches.record('w1', match(i))
    const res = await req('GET', '/nodes/w1/console/matches', undefined, 'viewer')
    assert.equal(res.statusCode, 200, res.body)
    assert.deepEqual(res.json().matches.map((m: { line: string }) => m.line.slice(-1)), ['3', '2', '1'])
    assert.deepEqual(res.json().matches[0], { node: 'w1', pattern: 'panic', severity: 'critical', line: 'Kernel panic - not syncing: 3', truncated: false, at: '2026-01-01T00:00:03.000Z', count: 1 })
    assert.equal((await req('GET', '/nodes/w1/console/matches?limit=1', undefined, 'viewer')).json().matches.length, 1)
    assert.equal((await req('GET', '/nodes/w2/console/matches', undefined, 'viewer')).json().matches.length, 0)
    assert.equal((await req('GET', '/nodes/nope/console/matches', undefined, 'viewer')).statusCode, 404)
    assert.equal((await req('GET', '/nodes/w1/console/matches?limit=0', undefined, 'viewer')).statusCode, 400)
    assert.equal((await t.app.inject({ method: 'GET', url: '/api/v1/nodes/w1/console/matches' })).statusCode, 401)
  })

  it('GET console/matches/stream: NDJSON by default, SSE with Accept: text/event-stream; each ends its watch on close and on revocation', async () => {
    await t.app.listen({ host: LOOPBACK, port: 0 })
    const port = (t.app.server.address() as AddressInfo).port
    const open = (accept?: string) => new Promise<IncomingMessage>((resolve, reject) => {
      const r = httpRequest({ host: LOOPBACK, port, path: '/api/v1/console/matches/stream', headers: { ...t.auth('viewer'), ...(accept !== undefined ? { accept } : {}) } }, resolve)
      r.on('error', reject)
      r.end()
    })
    const collect = (res: IncomingMessage) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => (body += c))
      return () => body
    }
    const nd = await open()
    const sse = await open('text/event-stream')
    assert.match(String(nd.headers['content-type']), /^application\/x-ndjson/)
    assert.match(String(sse.headers['content-type']), /^text\/event-stream/)
    const ndBody = collect(nd)
    const sseBody = collect(sse)
    await waitUntil(() => matches.watchers === 2, { what: 'two streams watching' })
    matches.record('w2', match(7))
    const line = await waitUntil(() => (ndBody().endsWith('\n') ? ndBody() : undefined), { what: 'an NDJSON line' })
    assert.deepEqual(JSON.parse(line.trim()), { node: 'w2', pattern: 'panic', severity: 'critical', line: 'Kernel panic - not syncing: 7', truncated: false, at: '2026-01-01T00:00:07.000Z', count: 1 })
    const ev = await waitUntil(() => /event: match\ndata: (.*)\n\n/.exec(sseBody())?.[1], { what: 'an SSE match event' })
    assert.equal(JSON.parse(ev).node, 'w2')
    nd.destroy()
    sse.destroy()
    await waitUntil(() => matches.watchers === 0, { what: 'both watches ended' })

    // A revoked token's stream ends (it held one of the token's connections).
    const { token, info } = await t.store.tokens.create({ name: 'stream-viewer', role: 'viewer' })
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const r = httpRequest({ host: LOOPBACK, port, path: '/api/v1/console/matches/stream', headers: { authorization: `Bearer ${token}` } }, resolve)
      r.on('error', reject)
      r.end()
    })
    res.resume()
    const ended = new Promise<void>((resolve) => res.once('close', () => resolve()))
    await waitUntil(() => matches.watchers === 1, { what: 'the stream watching' })
    await t.store.tokens.revoke(info.id)
    await ended
    await waitUntil(() => matches.watchers === 0, { what: 'the revoked stream ended' })
  })
})

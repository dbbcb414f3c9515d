// The permission matrix: every registered route under every role, with no
// token and with a wrong one. The expected table is written out here, so a
// new route cannot appear without someone deciding who may call it.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { InjectOptions } from 'fastify'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { audit } from '../../src/api/app.js'
import type { Role } from '../../src/store/types.js'
import { ADMIN_ENV_TOKEN, nodeBody, testApi, type TestApi } from './helpers.js'

type Expect = Role | 'open:health' | 'open:docs' | 'open:metrics'

const EXPECTED: Record<string, Expect> = {
  'GET /healthz': 'open:health',
  'GET /readyz': 'open:health',
  'GET /api/v1/nodes': 'viewer',
  'POST /api/v1/nodes': 'admin',
  'GET /api/v1/nodes/:node': 'viewer',
  'PATCH /api/v1/nodes/:node': 'admin',
  'DELETE /api/v1/nodes/:node': 'admin',
  'GET /api/v1/groups': 'viewer',
  'GET /api/v1/groups/:group/console/watch': 'viewer',
  'PUT /api/v1/groups/:group/console/watch': 'admin',
  'DELETE /api/v1/groups/:group/console/watch': 'admin',
  'GET /api/v1/noderange/:expr': 'viewer',
  'GET /api/v1/workers': 'viewer',
  'GET /api/v1/nodes/:node/worker': 'viewer',
  'POST /api/v1/nodes/:node/worker/fault': 'admin',
  'POST /api/v1/nodes/:node/worker/restart': 'operator',
  'GET /api/v1/nodes/:node/bmc/profile': 'viewer',
  'DELETE /api/v1/nodes/:node/bmc/profile': 'operator',
  'POST /api/v1/tokens': 'admin',
  'GET /api/v1/tokens': 'admin',
  'PATCH /api/v1/tokens/:id': 'admin',
  'DELETE /api/v1/tokens/:id': 'admin',
  'GET /api/v1/audit': 'admin',
}
for (const prefix of ['/api/v1/nodes/:node', '/api/v1/noderange/:expr']) {
  Object.assign(EXPECTED, {
    [`GET ${prefix}/power`]: 'viewer',
    [`PUT ${prefix}/power`]: 'operator',
    [`GET ${prefix}/boot`]: 'viewer',
    [`PUT ${prefix}/boot`]: 'operator',
    [`PUT ${prefix}/identify`]: 'operator',
    [`GET ${prefix}/bmc`]: 'viewer',
    [`POST ${prefix}/bmc/reset`]: 'operator',
    [`GET ${prefix}/bmc/users`]: 'admin',
    [`PUT ${prefix}/bmc/users/:uid`]: 'admin',
    [`GET ${prefix}/sensors`]: 'viewer',
    [`GET ${prefix}/health`]: 'viewer',
    [`GET ${prefix}/inventory`]: 'viewer',
    [`GET ${prefix}/events`]: 'viewer',
    [`DELETE ${prefix}/events`]: 'operator',
  })
}

const BODIES: [RegExp, unknown][] = [
  [/^POST \/api\/v1\/nodes$/, null], // filled per request (unique names)
  [/^PATCH /, { groups: ['patched'] }],
  [/\/power$/, { state: 'on' }],
  [/\/boot$/, { device: 'pxe' }],
  [/\/identify$/, { state: 'blink' }],
  [/\/bmc\/users\/:uid$/, { name: 'alice' }],
  [/\/worker\/fault$/, { kind: 'crash' }],
  [/^POST \/api\/v1\/tokens$/, { role: 'viewer', name: 'matrix' }],
]

let seq = 0
function request(key: string): InjectOptions {
  const [method, path] = key.split(' ') as [string, string]
  const url = path.replace(':node', 'n1').replace(':expr', 'n1,n2').replace(':uid', '5').replace(':group', 'rack1').replace(':id', 'deadbeef').replace('*', 'index.html')
  const m = method as 'GET'
  if (method === 'GET' || method === 'HEAD' || method === 'DELETE') return { method: m, url }
  const body = BODIES.find(([re]) => re.test(key))?.[1]
  if (key === 'POST /api/v1/nodes') return { method: m, url, payload: nodeBody(`m${seq++}`) }
  return { method: m, url, payload: (body ?? {}) as object }
}

const RANK = { viewer: 0, operator: 1, admin: 2 } as const

describe('permission matrix', () => {
  let t: TestApi
  before(async () => {
    const extra: FastifyPluginAsyncTypebox = async (app) => {
      app.get('/extra/no-role', async () => ({ ok: true })) // declares nothing: admin-only
      app.get('/extra/viewer', { config: { role: 'viewer' } }, async (req) => {
        audit(req, 'extra.read', { target: 'n1', outcome: 'ok', password: 'must-not-be-stored' })
        return { principal: req.principal }
      })
      // Stands for the console WebSocket: the one kind of route that may take ?access_token=.
      app.get('/extra/socket', { config: { role: 'viewer', queryToken: true } }, async (req) => ({ principal: req.principal }))
    }
    const metrics: FastifyPluginAsyncTypebox = async (app) => {
      app.get('/metrics', async () => 'bmcvisor_up 1\n')
    }
    t = await testApi({ plugins: [extra], metrics })
    for (const n of ['n1', 'n2']) await t.store.nodes.create({ name: n, bmc: { host: '127.0.0.1', port: 623, username: 'a', password: 'p', cipherSuite: 3, privilege: 'administrator' }, console: { method: 'ipmi', logging: 'full' }, groups: [] })
  })
  after(() => t.close())

  it('every route is in the expected table and declares its access as expected', () => {
    const seen = new Map<string, Expect>()
    for (const r of t.app.bmcvisorRoutes) {
      if (r.method === 'HEAD') continue
      const key = `${r.method} ${r.url}`
      const expect: Expect = r.open !== undefined ? `open:${r.open}` : r.role ?? 'admin'
      seen.set(key, expect)
    }
    for (const [key, expect] of Object.entries(EXPECTED)) assert.equal(seen.get(key), expect, key)
    const extra = [...seen.keys()].filter((k) => !(k in EXPECTED))
    // Only the docs (swagger-ui) routes, the test's plugins and metrics may be beyond the table.
    for (const k of extra) assert.match(k, /^GET \/(docs|api\/v1\/extra\/|metrics)/, `route ${k} is not in the permission table`)
    assert.equal(seen.get('GET /docs/json'), 'open:docs')
    assert.equal(seen.get('GET /metrics'), 'open:metrics')
    assert.equal(seen.get('GET /api/v1/extra/no-role'), 'admin')
  })

  it('answers every route for every role as the table says (401 without a token, 403 below the role)', async () => {
    const routes = t.app.bmcvisorRoutes.map((r) => ({ key: `${r.method} ${r.url}`, role: r.role, open: r.open }))
    assert.ok(routes.length >= 40, `only ${routes.length} routes`)
    for (const r of routes) {
      const need: Role = r.open !== undefined ? 'viewer' : r.role ?? 'admin'
      const anon = await t.app.inject(request(r.key))
      const bad = await t.app.inject({ ...request(r.key), headers: { authorization: 'Bearer bmv_00000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' } })
      if (r.open !== undefined) {
        assert.ok(![401, 403].includes(anon.statusCode), `${r.key} should be open, got ${anon.statusCode}`)
      } else {
        assert.equal(anon.statusCode, 401, `${r.key} without a token`)
        if (!r.key.startsWith('HEAD')) assert.equal(anon.json().error.code, 'UNAUTHORIZED')
        assert.equal(bad.statusCode, 401, `${r.key} with an unknown token`)
      }
      for (const role of ['viewer', 'operator', 'admin'] as const) {
        const res = await t.app.inject({ ...request(r.key), headers: t.auth(role) })
        if (RANK[role] >= RANK[need] || r.open !== undefined) {
          assert.ok(![401, 403].includes(res.statusCode), `${r.key} as ${role}: ${res.statusCode} ${res.body}`)
          assert.ok(res.statusCode < 500 || [502, 503, 504].includes(res.statusCode), `${r.key} as ${role}: ${res.statusCode} ${res.body}`)
        } else {
          assert.equal(res.statusCode, 403, `${r.key} as ${role}: ${res.body}`)
          if (!r.key.startsWith('HEAD')) assert.equal(res.json().error.code, 'FORBIDDEN')
        }
      }
    }
  })

  it('BMCVISOR_ADMIN_TOKEN is an admin; request.principal and audit() work for plugin routes', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/extra/no-role', headers: { authorization: `Bearer ${ADMIN_ENV_TOKEN}` } })
    assert.equal(res.statusCode, 200)
    const who = await t.app.inject({ method: 'GET', url: '/api/v1/extra/viewer', headers: t.auth('operator') })
    assert.equal(who.json().principal.role, 'operator')
    assert.equal(who.json().principal.name, 'test-operator')
    const [entry] = await t.store.audit.list({ limit: 1 })
    assert.equal(entry?.action, 'extra.read')
    assert.equal(entry?.actor, 'test-operator')
    assert.equal(entry?.detail?.password, '[redacted]')
  })

  it('takes ?access_token= only on an upgrade to a route that declares it, under that exact raw name', async () => {
    const upgrade = { upgrade: 'websocket', connection: 'upgrade' }
    const token = t.tokens.viewer
    const socket = `/api/v1/extra/socket?access_token=${token}`
    const up = await t.app.inject({ method: 'GET', url: socket, headers: upgrade })
    assert.equal(up.statusCode, 200, up.body)
    assert.equal(up.json().principal.name, 'test-viewer')
    // Not without the upgrade, not on another route even with an Upgrade header.
    assert.equal((await t.app.inject({ method: 'GET', url: socket })).statusCode, 401)
    assert.equal((await t.app.inject({ method: 'GET', url: `/api/v1/extra/viewer?access_token=${token}`, headers: upgrade })).statusCode, 401)
    assert.equal((await t.app.inject({ method: 'GET', url: `/api/v1/nodes?access_token=${token}`, headers: upgrade })).statusCode, 401)
    // Other spellings of the name decode to access_token for the query parser, but never authenticate.
    for (const spelling of ['access%5Ftoken', 'access%5ftoken', 'ACCESS_TOKEN', '%61ccess_token']) {
      const res = await t.app.inject({ method: 'GET', url: `/api/v1/extra/socket?${spelling}=${token}`, headers: upgrade })
      assert.equal(res.statusCode, 401, spelling)
    }
    const logs = t.logs.join('')
    assert.ok(!logs.includes(token), 'the token from the URL reached a log line')
    assert.match(logs, /access%5Ftoken=\[redacted\]/)
  })

  it('closes health, metrics and docs when configured', async () => {
    const closed = await testApi({ open: [], metrics: async (app) => void app.get('/metrics', async () => 'x\n') })
    try {
      for (const url of ['/healthz', '/readyz', '/metrics', '/docs/json']) {
        assert.equal((await closed.app.inject({ method: 'GET', url })).statusCode, 401, url)
        assert.equal((await closed.app.inject({ method: 'GET', url, headers: closed.auth('viewer') })).statusCode, 200, url)
      }
    } finally {
      await closed.close()
    }
  })

  it('unknown routes need a token and then answer NOT_FOUND', async () => {
    assert.equal((await t.app.inject({ method: 'GET', url: '/api/v1/nope' })).statusCode, 401)
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/nope', headers: t.auth('viewer') })
    assert.equal(res.statusCode, 404)
    assert.equal(res.json().error.code, 'NOT_FOUND')
  })
})

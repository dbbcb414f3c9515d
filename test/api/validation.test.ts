// Bad input on every route: a property test sends random and malformed
// bodies, params, queries and content types (as an admin, so requests get
// past access control into validation) and never gets a 500; every 4xx is
// the error envelope, and every 400 names a field.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { nodeBody, testApi, type TestApi } from './helpers.js'

const VALID: [RegExp, unknown][] = [
  [/^POST \/api\/v1\/nodes$/, nodeBody('p1', { console: { method: 'ipmi', logging: 'memory' } })],
  [/^PATCH /, { bmc: { port: 624, kg: null }, console: { command: null }, groups: ['a'] }],
  [/\/power$/, { state: 'on' }],
  [/\/boot$/, { device: 'pxe', persistent: true, mode: 'uefi' }],
  [/\/identify$/, { state: 'blink', seconds: 10 }],
  [/\/bmc\/users\/:uid$/, { name: 'alice', password: 'pw', privilege: 'operator', enabled: true, sol: true }],
  [/\/worker\/fault$/, { kind: 'crash' }],
  [/^POST \/api\/v1\/tokens$/, { role: 'viewer', name: 'prop' }],
]

/** A valid body with one leaf replaced, removed, or an unknown key added. */
function mutated(valid: unknown): fc.Arbitrary<unknown> {
  const paths: string[][] = []
  const walk = (v: unknown, p: string[]) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) for (const [k, x] of Object.entries(v)) walk(x, [...p, k])
    paths.push(p)
  }
  walk(valid, [])
  return fc.tuple(fc.constantFrom(...paths), fc.oneof(fc.anything(), fc.constant(undefined), fc.string(), fc.integer(), fc.constant(null)), fc.boolean()).map(([path, value, addUnknown]) => {
    const copy = structuredClone(valid) as Record<string, unknown>
    if (path.length === 0) return value
    let o: Record<string, unknown> = copy
    for (const k of path.slice(0, -1)) o = o[k] as Record<string, unknown>
    const leaf = path[path.length - 1]!
    if (value === undefined) delete o[leaf]
    else o[leaf] = value
    if (addUnknown) o.unexpected = 1
    return copy
  })
}

const segment = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.constantFrom('n1', 'n[1-2]', 'n[01-99999]', '@rack1', '@nope', 'n[2-1]', 'n[', ']', ',,', '%zz', '%00', '..', '0', '64', '-1', 'a'.repeat(5000)),
)

function fill(url: string, values: string[]): string {
  let i = 0
  return url.replace(/:[a-z]+/g, () => {
    const v = values[i++] ?? 'x'
    return v.startsWith('%') ? v : encodeURIComponent(v)
  }).replace('*', 'x')
}

const contentTypes = fc.constantFrom('application/json', 'application/merge-patch+json', 'text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=utf-16', 'garbage', '')

describe('bad input never makes a 500', () => {
  let t: TestApi
  before(async () => {
    t = await testApi()
    await t.store.nodes.create({ name: 'n1', bmc: { host: '127.0.0.1', port: 623, username: 'a', password: 'p', cipherSuite: 3, privilege: 'administrator' }, console: { method: 'ipmi', logging: 'full' }, groups: ['rack1'] })
  })
  after(() => t.close())

  const check = (res: { statusCode: number; body: string; headers: Record<string, unknown> }, what: string) => {
    assert.ok(res.statusCode < 500, `${what} -> ${res.statusCode} ${res.body.slice(0, 300)}`)
    if (res.statusCode >= 400 && res.body !== '') {
      const body = JSON.parse(res.body) as { error: { code: string; message: string; details?: { field?: string } } }
      assert.equal(typeof body.error.code, 'string', what)
      if (res.statusCode === 400) {
        assert.equal(body.error.code, 'VALIDATION_FAILED', `${what}: ${res.body}`)
        assert.ok(typeof body.error.details?.field === 'string' && body.error.details.field !== '', `${what}: no field in ${res.body}`)
      }
    }
  }

  it('random bodies, params, queries and content types on every route', async () => {
    const routes = t.app.bmcvisorRoutes.filter((r) => r.method !== 'HEAD' && !r.url.startsWith('/docs/static'))
    for (const r of routes) {
      const key = `${r.method} ${r.url}`
      const valid = VALID.find(([re]) => re.test(key))?.[1] ?? {}
      const nParams = (r.url.match(/:[a-z]+/g) ?? []).length
      await fc.assert(fc.asyncProperty(
        fc.array(segment, { minLength: nParams, maxLength: nParams }),
        fc.oneof(mutated(valid), fc.jsonValue(), fc.anything()),
        fc.option(fc.string(), { nil: undefined }),
        fc.dictionary(fc.constantFrom('timeoutMs', 'group', 'limit', 'before', 'target', 'x', '__proto__'), fc.oneof(fc.string(), fc.constant('-5'), fc.constant('1e309'), fc.constant('99999999'))),
        contentTypes,
        async (params, body, rawBody, query, contentType) => {
          const url = fill(r.url, params)
          const qs = new URLSearchParams(query as Record<string, string>).toString()
          const hasBody = r.method !== 'GET' && r.method !== 'DELETE'
          const payload = rawBody !== undefined ? rawBody : JSON.stringify(body ?? null)
          const res = await t.app.inject({
            method: r.method as 'GET',
            url: qs === '' ? url : `${url}?${qs}`,
            headers: { ...t.auth('admin'), ...(hasBody && contentType !== '' ? { 'content-type': contentType } : {}) },
            ...(hasBody ? { payload } : {}),
          })
          check(res, `${key} url=${url} body=${payload.slice(0, 200)}`)
        },
      ), { numRuns: 40, seed: 42 })
    }
  })

  it('malformed JSON and oversize bodies are 4xx that do not echo the body', async () => {
    for (const payload of ['{"bmc": {"password": "hunter2"', '{"name": hunter2}', '\u0000', '[', '{"__proto__": {"x": 1}}', '{"constructor": {"prototype": {}}}']) {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/nodes', headers: { ...t.auth('admin'), 'content-type': 'application/json' }, payload })
      check(res, payload)
      assert.ok(!res.body.includes('hunter2'), res.body)
    }
    const big = await t.app.inject({ method: 'POST', url: '/api/v1/nodes', headers: { ...t.auth('admin'), 'content-type': 'application/json' }, payload: JSON.stringify({ name: 'x'.repeat(2 << 20) }) })
    assert.equal(big.statusCode, 413)
    assert.equal(big.json().error.code, 'PAYLOAD_TOO_LARGE')
    const media = await t.app.inject({ method: 'PUT', url: '/api/v1/nodes/n1/power', headers: { ...t.auth('admin'), 'content-type': 'application/xml' }, payload: '<on/>' })
    assert.equal(media.statusCode, 415)
  })

  it('names the field of a schema failure', async () => {
    const cases: [string, string, unknown, string][] = [
      ['POST', '/api/v1/nodes', nodeBody('v1', { bmc: { host: '127.0.0.1', port: 70000, username: 'a', password: 'p' } }), 'body.bmc.port'],
      ['POST', '/api/v1/nodes', { name: 'v1', bmc: { host: 'h', username: 'a' } }, 'body.bmc.password'],
      ['POST', '/api/v1/nodes', nodeBody('v1', { colour: 'red' }), 'body.colour'],
      ['POST', '/api/v1/nodes', nodeBody('bad name'), 'body.name'],
      ['POST', '/api/v1/nodes', nodeBody('v1', { console: { method: 'exec' } }), 'body.console.command'],
      ['POST', '/api/v1/nodes', nodeBody('v1', { console: { method: 'exec', command: 'x', connectedPattern: '(' } }), 'body.console.connectedPattern'],
      ['POST', '/api/v1/nodes', nodeBody('v1', { bmc: { host: 'h', username: 'a', password: 'é'.repeat(11) } }), 'body.bmc.password'],
      ['PATCH', '/api/v1/nodes/n1', { bmc: { host: null } }, 'body.bmc.host'],
      ['PATCH', '/api/v1/nodes/n1', { name: 'other' }, 'body.name'],
      ['PUT', '/api/v1/nodes/n1/power', { state: 'sideways' }, 'body.state'],
      ['PUT', '/api/v1/nodes/n1/bmc/users/64', { name: 'x' }, 'params.uid'],
      ['PUT', '/api/v1/nodes/n1/bmc/users/5', {}, 'body'],
      ['GET', '/api/v1/nodes/n1/power?timeoutMs=5', undefined, 'query.timeoutMs'],
      ['GET', '/api/v1/noderange/n%5B2-1%5D/power', undefined, 'expr'],
      ['GET', '/api/v1/noderange/n%5B1-99999%5D/power', undefined, 'expr'],
    ]
    for (const [method, url, payload, field] of cases) {
      const res = await t.app.inject({ method: method as 'GET', url, headers: t.auth('admin'), ...(payload !== undefined ? { payload: payload as object } : {}) })
      assert.equal(res.statusCode, 400, `${method} ${url}: ${res.body}`)
      assert.equal(res.json().error.details.field, field, `${method} ${url}: ${res.body}`)
    }
  })
})

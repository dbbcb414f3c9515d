// The browser's way in (src/api/web-sessions.ts, routes/web.ts): the page is
// public and sent with a Content-Security-Policy of its own scripts only; a
// token or a one-time code becomes an HttpOnly SameSite=Strict cookie that is
// not the token; with the cookie, a change needs the CSRF token and a console
// WebSocket needs the server's own Origin; a code works once and not after its
// time; signing out or revoking the token ends the cookie's use.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import WebSocket from 'ws'
import { ConsoleManager } from '../../src/console/index.js'
import { consolePlugin } from '../../src/api/routes/console.js'
import { WEB_CSP, webPlugin } from '../../src/api/routes/web.js'
import { FleetFeed } from '../../src/api/fleet.js'
import { CSRF_HEADER, SESSION_COOKIE, SIGN_IN_CODE_TTL_MS, WebSessions } from '../../src/api/web-sessions.js'
import type { ApiPlugin } from '../../src/api/app.js'
import { FakePort } from '../unit/console/fakes.js'
import { testApi, type TestApi } from './helpers.js'

describe('browser sessions', () => {
  let t: TestApi
  let consoles: ConsoleManager
  let base = ''
  let now = Date.now()
  const web = new WebSessions(() => now)
  const webRoot = mkdtempSync(join(tmpdir(), 'bmcvisor-webroot-'))

  before(async () => {
    writeFileSync(join(webRoot, 'index.html'), '<!doctype html><title>bmcvisor</title>')
    writeFileSync(join(webRoot, 'app.js'), 'console.log(1)')
    writeFileSync(join(webRoot, 'app.css'), 'body{}')
    consoles = new ConsoleManager(new FakePort())
    consoles.add('n1', { logging: 'memory' })
    consoles.handleState('n1', { state: 'connected' })
    const fleet = new FleetFeed({ nodes: async () => [], worker: () => undefined, console: () => undefined, power: () => null, watch: () => () => undefined })
    t = await testApi({ web, plugins: [consolePlugin(consoles) as ApiPlugin], ui: webPlugin({ consoles, fleet, webRoot, secure: false }) })
    base = await t.app.listen({ host: '127.0.0.1', port: 0 })
  })
  after(async () => {
    await t.close()
    await consoles.close()
    rmSync(webRoot, { recursive: true, force: true })
  })

  const signIn = async (payload: Record<string, string>) => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/session', payload })
    const setCookie = String(res.headers['set-cookie'] ?? '')
    const cookie = setCookie.split(';')[0]!
    return { res, setCookie, cookie, body: res.json<{ role?: string; csrf?: string; error?: { code: string } }>() }
  }

  it('the page needs no token and carries a CSP that allows only its own scripts', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/' })
    assert.equal(res.statusCode, 200)
    assert.match(String(res.headers['content-type']), /^text\/html/)
    assert.equal(res.headers['content-security-policy'], WEB_CSP)
    assert.match(WEB_CSP, /script-src 'self'(;|$)/)
    assert.match(WEB_CSP, /connect-src 'self'/)
    assert.equal(res.headers['x-content-type-options'], 'nosniff')
    const js = await t.app.inject({ method: 'GET', url: '/ui/app.js' })
    assert.match(String(js.headers['content-type']), /^text\/javascript/)
    // The API itself is not public.
    assert.equal((await t.app.inject({ method: 'GET', url: '/api/v1/fleet' })).statusCode, 401)
  })

  it('a token becomes an HttpOnly SameSite=Strict cookie that is not the token; the answer carries the CSRF token', async () => {
    const { res, setCookie, cookie, body } = await signIn({ token: t.tokens.operator })
    assert.equal(res.statusCode, 200)
    assert.match(setCookie, new RegExp(`^${SESSION_COOKIE}=[A-Za-z0-9_-]{20,};`))
    for (const flag of ['HttpOnly', 'SameSite=Strict', 'Path=/']) assert.ok(setCookie.includes(flag), flag)
    assert.ok(!setCookie.includes('Secure'), 'not Secure over plain HTTP')
    assert.ok(!setCookie.includes(t.tokens.operator))
    assert.equal(body.role, 'operator')
    const me = await t.app.inject({ method: 'GET', url: '/api/v1/session', headers: { cookie } })
    assert.equal(me.json<{ csrf: string }>().csrf, body.csrf)
    const wrong = await signIn({ token: 'bmv_not-a-token' })
    assert.equal(wrong.res.statusCode, 401)
    assert.equal(wrong.setCookie, '')
  })

  it('with the cookie, a change needs the CSRF header; reads do not', async () => {
    const { cookie, body } = await signIn({ token: t.tokens.operator })
    assert.equal((await t.app.inject({ method: 'GET', url: '/api/v1/nodes/n1/console', headers: { cookie } })).statusCode, 200)
    const bare = await t.app.inject({ method: 'POST', url: '/api/v1/nodes/n1/console/reopen', headers: { cookie } })
    assert.equal(bare.statusCode, 403)
    assert.equal(bare.json<{ error: { code: string } }>().error.code, 'CSRF_REJECTED')
    const forged = await t.app.inject({ method: 'POST', url: '/api/v1/nodes/n1/console/reopen', headers: { cookie, [CSRF_HEADER]: 'x'.repeat(body.csrf!.length) } })
    assert.equal(forged.statusCode, 403)
    const ok = await t.app.inject({ method: 'POST', url: '/api/v1/nodes/n1/console/reopen', headers: { cookie, [CSRF_HEADER]: body.csrf! } })
    assert.equal(ok.statusCode, 202, ok.body)
    // A bearer token needs no CSRF token (no browser sends it on its own).
    assert.equal((await t.app.inject({ method: 'POST', url: '/api/v1/nodes/n1/console/reopen', headers: t.auth('operator') })).statusCode, 202)
  })

  it('a console WebSocket with the cookie opens from this origin only', async () => {
    const { cookie } = await signIn({ token: t.tokens.viewer })
    const url = `${base.replace(/^http/, 'ws')}/api/v1/nodes/n1/console/ws?mode=ro`
    const attempt = (origin: string | undefined) => new Promise<number>((resolve) => {
      const ws = new WebSocket(url, { headers: { cookie }, ...(origin !== undefined ? { origin } : {}) })
      ws.once('open', () => {
        ws.close()
        resolve(101)
      })
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
      ws.once('error', () => undefined)
    })
    assert.equal(await attempt(base), 101)
    assert.equal(await attempt('http://evil.example'), 403)
    assert.equal(await attempt(undefined), 403)
  })

  it('a sign-in code works once and only within its time', async () => {
    const code = web.issueCode(t.tokens.viewer)
    assert.equal((await signIn({ code })).res.statusCode, 200)
    assert.equal((await signIn({ code })).res.statusCode, 401)
    const late = web.issueCode(t.tokens.viewer)
    now += SIGN_IN_CODE_TTL_MS + 1
    assert.equal((await signIn({ code: late })).res.statusCode, 401)
    assert.equal((await signIn({ code: 'x', token: t.tokens.viewer })).res.statusCode, 400)
  })

  it('signing out, or revoking the token, ends the cookie', async () => {
    const a = await signIn({ token: t.tokens.viewer })
    const out = await t.app.inject({ method: 'DELETE', url: '/api/v1/session', headers: { cookie: a.cookie, [CSRF_HEADER]: a.body.csrf! } })
    assert.equal(out.statusCode, 204)
    assert.deepEqual((await t.app.inject({ method: 'GET', url: '/api/v1/session', headers: { cookie: a.cookie } })).json(), { signedIn: false })
    const created = await t.store.tokens.create({ name: 'short-lived', role: 'viewer' })
    const b = await signIn({ token: created.token })
    assert.equal((await t.app.inject({ method: 'GET', url: '/api/v1/nodes/n1/console', headers: { cookie: b.cookie } })).statusCode, 200)
    await t.store.tokens.revoke(created.info.id)
    assert.equal((await t.app.inject({ method: 'GET', url: '/api/v1/nodes/n1/console', headers: { cookie: b.cookie } })).statusCode, 401)
    assert.deepEqual((await t.app.inject({ method: 'GET', url: '/api/v1/session', headers: { cookie: b.cookie } })).json(), { signedIn: false })
  })
})

// `bmcvisor serve` and `bmcvisor token`: embedded defaults, the first admin
// token printed once, BMCVISOR_ADMIN_TOKEN, loopback by default, TLS, and
// token create working on the data directory with and without a server.
import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { request as httpsRequest } from 'node:https'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLogger } from '../../src/log.js'
import { parseListen, startServer } from '../../src/main.js'
import { serveCommand } from '../../src/cli/serve.js'
import { tokenCommand } from '../../src/cli/token.js'
import { sink } from '../lab/sink.js'

const dirs: string[] = []
function dir(): string {
  const d = mkdtempSync(join(tmpdir(), 'bmcvisor-serve-'))
  dirs.push(d)
  return d
}
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))

const quiet = () => createLogger({ destination: sink() })

describe('serve', () => {
  it('parses --listen, defaulting to loopback', () => {
    assert.deepEqual(parseListen('127.0.0.1:8623'), { host: '127.0.0.1', port: 8623 })
    assert.deepEqual(parseListen(':9000'), { host: '127.0.0.1', port: 9000 })
    assert.deepEqual(parseListen('[::1]:8623'), { host: '::1', port: 8623 })
    assert.deepEqual(parseListen('0.0.0.0:1'), { host: '0.0.0.0', port: 1 })
    for (const bad of ['8623', 'host', 'h:99999', '[::1]', 'a:b']) assert.throws(() => parseListen(bad), { code: 'VALIDATION_FAILED' }, bad)
  })

  it('prints a fresh admin token on the first start only, and it works', async () => {
    const data = dir()
    const printed: string[] = []
    const s1 = await startServer({ listen: '127.0.0.1:0', dataDir: data, logger: quiet(), onInitialToken: (t) => printed.push(t) })
    try {
      assert.match(s1.url, /^http:\/\/127\.0\.0\.1:\d+$/)
      assert.equal(printed.length, 1)
      const res = await fetch(`${s1.url}/api/v1/tokens`, { headers: { authorization: `Bearer ${printed[0]}` } })
      assert.equal(res.status, 200)
    } finally {
      await s1.close()
    }
    const s2 = await startServer({ listen: '127.0.0.1:0', dataDir: data, logger: quiet(), onInitialToken: (t) => printed.push(t) })
    await s2.close()
    assert.equal(printed.length, 1)
  })

  it('prints no token when BMCVISOR_ADMIN_TOKEN is set, and refuses a short one', async () => {
    const printed: string[] = []
    const s = await startServer({ listen: '127.0.0.1:0', dataDir: dir(), logger: quiet(), adminToken: 'a-long-enough-admin-token', onInitialToken: (t) => printed.push(t) })
    await s.close()
    assert.deepEqual(printed, [])
    await assert.rejects(startServer({ listen: '127.0.0.1:0', dataDir: dir(), logger: quiet(), adminToken: 'short' }), { code: 'VALIDATION_FAILED' })
  })

  it('token create prints a token alone on stdout, offline and next to a running server', async () => {
    const data = dir()
    const out = sink()
    const err = sink()
    assert.equal(await tokenCommand(['create', '--role', 'viewer', '--data', data], { stdout: out, stderr: err, env: {} }), 0, err.text())
    const offline = out.text().trim()
    assert.match(out.text(), /^bmv_[0-9a-f]{8}_[A-Za-z0-9_-]{43}\n$/)
    const printed: string[] = []
    const s = await startServer({ listen: '127.0.0.1:0', dataDir: data, logger: quiet(), onInitialToken: (t) => printed.push(t) })
    try {
      assert.deepEqual(printed, [], 'a token made with token create counts as the first')
      const live = sink()
      assert.equal(await tokenCommand(['create', '--role', 'operator', '--data', data], { stdout: live, stderr: err, env: {} }), 0, err.text())
      for (const [tok, role] of [[offline, 'viewer'], [live.text().trim(), 'operator']]) {
        const res = await fetch(`${s.url}/api/v1/nodes`, { headers: { authorization: `Bearer ${tok}` } })
        assert.equal(res.status, 200, role)
      }
      assert.equal(await tokenCommand(['create', '--role', 'root', '--data', data], { stdout: sink(), stderr: err, env: {} }), 2)
      assert.match(err.text(), /bmcvisor: VALIDATION_FAILED: --role must be one of viewer, operator, admin/)
    } finally {
      await s.close()
    }
  })

  it('serves HTTPS with --tls-cert/--tls-key and stops on its signal', async (t) => {
    const data = dir()
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
        '-keyout', join(data, 'key.pem'), '-out', join(data, 'cert.pem')], { stdio: 'ignore' })
    } catch {
      t.skip('openssl not available')
      return
    }
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port
        srv.close(() => resolve(p))
      })
    })
    let stop: () => void = () => undefined
    const stderr = sink()
    const done = serveCommand(['--listen', `127.0.0.1:${port}`, '--data', data, '--tls-cert', join(data, 'cert.pem'), '--tls-key', join(data, 'key.pem')], {
      stdout: sink(), stderr, env: { BMCVISOR_ADMIN_TOKEN: 'tls-admin-token-0123456789' }, stopSignal: new Promise((r) => (stop = () => r('test'))),
    })
    const deadline = Date.now() + 10_000
    while (!stderr.text().includes('serving on')) {
      if (Date.now() > deadline) throw new Error(`serve did not start: ${stderr.text()}`)
      await new Promise((r) => setTimeout(r, 20))
    }
    assert.match(stderr.text(), new RegExp(`serving on https://127\\.0\\.0\\.1:${port}`))
    const status = await new Promise<number>((resolve, reject) => {
      httpsRequest({ host: '127.0.0.1', port, path: '/healthz', rejectUnauthorized: false }, (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      }).on('error', reject).end()
    })
    assert.equal(status, 200)
    stop()
    assert.equal(await done, 0)
  })
})

// The serve options for limits and timeouts: parsed and bounded on the
// command line (VALIDATION_FAILED naming the option), and carried through
// startServer to the HTTP server and the API.
import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CONNECTION_TIMEOUT_MARGIN_MS } from '../../src/api/http-guard.js'
import { serveCommand, serverOptions, serveValues } from '../../src/cli/serve.js'
import { createLogger } from '../../src/log.js'
import { startServer } from '../../src/main.js'
import { sink } from '../lab/sink.js'

const dir = mkdtempSync(join(tmpdir(), 'bmcvisor-limits-'))
after(() => rmSync(dir, { recursive: true, force: true }))

describe('serve limit options', () => {
  it('parses each option into ServeOptions', () => {
    const v = serveValues(['--ws-per-token', '4', '--rate-per-token', '2.5', '--rate-burst', '7', '--headers-timeout', '1.5', '--request-timeout', '20', '--token-recheck', '0'], {})
    assert.ok(v !== undefined)
    const o = serverOptions(v, {})
    assert.deepEqual(o.limits, { connectionsPerToken: 4, expensive: { perSecond: 2.5, burst: 7 }, tokenRecheckMs: 0 })
    assert.deepEqual(o.timeouts, { headersTimeoutMs: 1500, requestTimeoutMs: 20_000 })
  })

  it('refuses values out of bounds, naming the option', async () => {
    for (const [name, value] of [['ws-per-token', '0'], ['ws-per-token', '1.5'], ['rate-per-token', 'fast'], ['rate-burst', ''], ['headers-timeout', '-1']] as const) {
      const err = sink()
      const code = await serveCommand([`--${name}=${value}`, '--data', join(dir, 'never')], { stdout: sink(), stderr: err, env: {}, stopSignal: Promise.resolve() })
      assert.notEqual(code, 0, `${name}=${value}`)
      assert.match(err.text(), new RegExp(`VALIDATION_FAILED: --${name} must be`), err.text())
    }
  })

  it('startServer hands the timeouts to the HTTP server, the idle timeout derived from the longest command', async () => {
    const s = await startServer({ listen: '127.0.0.1:0', dataDir: join(dir, 'data'), logger: createLogger({ destination: sink() }), timeouts: { headersTimeoutMs: 1500, requestTimeoutMs: 20_000 }, limits: { connectionsPerToken: 4 } })
    try {
      assert.equal(s.app.server.headersTimeout, 1500)
      assert.equal(s.app.server.requestTimeout, 20_000)
      // A silent socket lives as long as the longest command may take (120 s) plus the margin.
      assert.equal(s.app.server.timeout, 120_000 + CONNECTION_TIMEOUT_MARGIN_MS)
    } finally {
      await s.close()
    }
    await assert.rejects(startServer({ listen: '127.0.0.1:0', dataDir: join(dir, 'data'), logger: createLogger({ destination: sink() }), timeouts: { headersTimeoutMs: 5000, requestTimeoutMs: 1000 } }), { code: 'VALIDATION_FAILED' })
  })
})

// Supervisor escalation (STYLE.md §9, OTP): one node's worker crashing is
// that node's problem and serve keeps running; when a large share of all
// workers crash within the restart period (here 2 of 4, twice each) serve
// closes every session and exits with EXIT_ESCALATED, so systemd's
// Restart=on-failure starts a fresh process. Real serve, demo BMCs, real
// worker threads, crashes injected through the fault drill route.
import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { EXIT_ESCALATED, serveCommand } from '../../src/cli/serve.js'
import { waitUntil } from '../lab/net.js'
import { sink } from '../lab/sink.js'

const TOKEN = 'escalation-admin-token-0123456789'
const data = mkdtempSync(join(tmpdir(), 'bmcvisor-escalation-'))
after(() => rmSync(data, { recursive: true, force: true }))

describe('escalation', { timeout: 180_000 }, () => {
  it('one crashing worker leaves serve up; half the workers crashing makes it exit non-zero', async () => {
    const stderr = sink()
    let exit: number | undefined
    const done = serveCommand(['--demo', '--demo-size', '4', '--data', data, '--listen', '127.0.0.1:0', '--enable-fault-injection', '--log-level', 'fatal'], {
      stdout: sink(), stderr, env: { BMCVISOR_ADMIN_TOKEN: TOKEN }, stopSignal: new Promise(() => undefined),
    }).then((code) => (exit = code))
    const url = await waitUntil(() => /serving on (http:\/\/\S+)/.exec(stderr.text())?.[1], { timeoutMs: 60_000, what: 'serve to listen' })
    const api = (method: string, path: string, body?: unknown) => fetch(`${url}/api/v1${path}`, {
      method, headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}),
    })
    const worker = async (node: string) => (await (await api('GET', `/nodes/${node}/worker`)).json()) as { state: string; restarts: number }
    const running = (node: string) => waitUntil(async () => exit === undefined && (await worker(node)).state === 'running', { timeoutMs: 60_000, what: `${node} running` })
    const crashTwice = async (node: string) => {
      for (let i = 0; i < 2; i++) {
        await running(node)
        assert.equal((await api('POST', `/nodes/${node}/worker/fault`, { kind: 'crash' })).status, 202)
        // Restarted (or serve is going away): the crash was counted.
        await waitUntil(async () => exit !== undefined || (await worker(node)).restarts > i, { timeoutMs: 30_000, what: `${node} restarted` })
      }
    }

    // One node of four crashing: its own restarts, serve stays up.
    await crashTwice('demo01')
    await running('demo01')
    assert.equal(exit, undefined, 'serve exited on one crashing worker')

    // A second node crashing twice within the period: 2 of 4 is the escalation share.
    await crashTwice('demo02').catch(() => undefined) // the server may already be going away
    await done
    assert.equal(exit, EXIT_ESCALATED)
    await assert.rejects(fetch(`${url}/healthz`), 'the API is closed')
  })
})

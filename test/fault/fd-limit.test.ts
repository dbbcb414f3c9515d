// Issue 20's finding under the descriptor limit it was found with: serve
// running with `ulimit -n 200` (a real process), one viewer token opening
// 500 console WebSockets at once. Before the per-token bound, 170 of them
// left the API unreachable; now the token gets its share, the rest are 429,
// /healthz and the API answer, another token still attaches, and SIGTERM
// ends the service promptly.
import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import WebSocket from 'ws'
import { DEFAULT_CONNECTIONS_PER_TOKEN } from '../../src/api/connections.js'
import { waitUntil } from '../lab/net.js'
import { attemptWebSocket } from '../lab/ws.js'
import { sink } from '../lab/sink.js'

const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url))
const FD_LIMIT = 200
const ATTEMPTS = 500
const ADMIN = 'fd-limit-admin-token-0123456789'
/** How long SIGTERM may take (the default stop deadline is a few seconds). */
const STOP_DEADLINE_MS = 20_000

const data = mkdtempSync(join(tmpdir(), 'bmcvisor-fd-limit-'))
after(() => rmSync(data, { recursive: true, force: true }))


describe(`serve under ulimit -n ${FD_LIMIT}`, { timeout: 180_000 }, () => {
  it(`${ATTEMPTS} WebSockets from one viewer token leave the API reachable, and SIGTERM still ends it`, async (t) => {
    const stderr = sink()
    const child = spawn('bash', ['-c', `ulimit -n ${FD_LIMIT} && exec "$0" --import tsx "$1" serve --listen 127.0.0.1:0 --data "$2" --log-level warn`, process.execPath, CLI, data], {
      env: { ...process.env, BMCVISOR_ADMIN_TOKEN: ADMIN }, stdio: ['ignore', 'ignore', 'pipe'],
    })
    child.stderr.pipe(stderr)
    try {
      const url = await waitUntil(() => /serving on (http:\/\/\S+)/.exec(stderr.text())?.[1], { timeoutMs: 90_000, what: 'serve to listen' })
      const api = async (method: string, path: string, token: string, body?: unknown): Promise<Response> => fetch(`${url}/api/v1${path}`, {
        method, headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      })
      const token = async (role: string): Promise<string> => ((await (await api('POST', '/tokens', ADMIN, { role, name: `fd-${role}` })).json()) as { token: string }).token
      const viewer = await token('viewer')
      const operator = await token('operator')
      // A node whose BMC does not answer: its console exists and clients may attach.
      assert.equal((await api('POST', '/nodes', ADMIN, { name: 'n1', bmc: { host: '127.0.0.1', port: 9, username: 'a', password: 'fd-limit-pw' } })).status, 201)
      const wsUrl = `${url.replace(/^http/, 'ws')}/api/v1/nodes/n1/console/ws`

      const results = await Promise.all(Array.from({ length: ATTEMPTS }, () => attemptWebSocket(wsUrl, viewer)))
      const open = results.filter((r): r is WebSocket => r instanceof WebSocket)
      const refused = results.filter((r) => !(r instanceof WebSocket))
      assert.equal(open.length, DEFAULT_CONNECTIONS_PER_TOKEN)
      // Refused with 429, or reset: 500 connections at once are more than 200
      // descriptors hold, and a connection the process cannot accept then is
      // reset (libuv's EMFILE handling) rather than left hanging.
      assert.deepEqual([...new Set(refused)].filter((r) => r !== 429 && r !== 'ECONNRESET'), [])
      t.diagnostic(`${refused.filter((r) => r === 429).length} refused with 429, ${refused.filter((r) => r === 'ECONNRESET').length} reset`)
      // The process is far below its 200 descriptors: everything else still answers.
      assert.equal((await fetch(`${url}/healthz`)).status, 200)
      assert.equal((await api('GET', '/nodes', viewer)).status, 200)
      const other = await attemptWebSocket(wsUrl, operator)
      assert.ok(other instanceof WebSocket, `operator's console: ${String(other)}`)
      other.close()
      for (const ws of open) ws.close()

      const t0 = performance.now()
      child.kill('SIGTERM')
      const [code] = (await once(child, 'exit')) as [number | null]
      assert.equal(code, 0, stderr.text())
      assert.ok(performance.now() - t0 < STOP_DEADLINE_MS, `stopped after ${Math.round(performance.now() - t0)} ms`)
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL')
    }
  })
})

// `bmcvisor console` after the server went away (src/cli/console.ts RECONNECT_CLOSE_CODES): a close with 1001
// is followed by a status line and a new attach to the same URL with the same token, whose output reaches the
// terminal; a close the server chose for this client (4010 token revoked) ends the command with exit 2.
// The server here is a bare WebSocket server on loopback speaking the console protocol's frames.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { PassThrough, Writable } from 'node:stream'
import type { AddressInfo } from 'node:net'
import { WebSocketServer } from 'ws'
import { consoleCommand, ConsoleExitCode } from '../../../src/cli/console.js'
import { waitUntil } from '../../lab/net.js'

class Sink extends Writable {
  text = ''
  override _write(c: Buffer, _e: BufferEncoding, cb: () => void): void {
    this.text += c.toString('latin1')
    cb()
  }
}

describe('bmcvisor console reconnects', () => {
  it('after 1001 it attaches again to the same URL; after 4010 it exits 2', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()))
    const seen: { url: string | undefined; auth: string | undefined }[] = []
    wss.on('connection', (ws, req) => {
      seen.push({ url: req.url, auth: req.headers.authorization })
      const n = seen.length
      ws.send(JSON.stringify({ type: 'hello', node: 'r1', client: n, mode: 'rw', canWrite: true }))
      ws.send(Buffer.from(`output of attach ${n}\r\n`), { binary: true })
      // The first server "shuts down"; the second ends this client on purpose.
      setTimeout(() => (n === 1 ? ws.close(1001, 'server shutting down') : ws.close(4010, 'token revoked')), 100)
    })
    try {
      const stdin = new PassThrough()
      const stdout = new Sink()
      const stderr = new Sink()
      const base = `http://127.0.0.1:${(wss.address() as AddressInfo).port}`
      const code = await consoleCommand(['r1'], { stdin, stdout, stderr, env: { BMCVISOR_URL: base, BMCVISOR_TOKEN: 'tok-0123456789abcdef' } })
      assert.equal(code, ConsoleExitCode.Lost)
      assert.match(stdout.text, /output of attach 1\r\n[\s\S]*output of attach 2\r\n/)
      assert.match(stderr.text, /\[connection to bmcvisor lost: server shutting down; reconnecting\]/)
      assert.match(stderr.text, /\[connection to bmcvisor closed: token revoked\]/)
      await waitUntil(() => seen.length === 2, { timeoutMs: 1000, what: 'two attaches' })
      assert.equal(seen[1]!.url, seen[0]!.url)
      assert.equal(seen[1]!.auth, 'Bearer tok-0123456789abcdef')
    } finally {
      for (const c of wss.clients) c.terminate()
      await new Promise<void>((resolve) => wss.close(() => resolve()))
    }
  })
})

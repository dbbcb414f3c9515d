// An SSH console against a hung server: a loopback TCP listener that
// accepts and then says nothing (no banner, never closes), like a BMC whose
// SSH daemon hangs. The attempt is `unreachable` once its ready timeout
// passes, and closing an attempt that is still connecting ends it within
// the close grace, so a teardown never waits on the BMC.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer, type Socket } from 'node:net'
import { LOOPBACK } from '../../lab/net.js'
import { CLOSE_GRACE_MS, SshConsole, type SshConsoleState } from '../../../workers/ssh-console.js'
import type { ServiceError } from '../../../src/errors.js'

const READY_TIMEOUT_MS = 400

async function hungServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const held = new Set<Socket>()
  const srv = createServer((s) => {
    held.add(s)
    s.on('error', () => undefined)
    s.on('close', () => held.delete(s))
  })
  // A half-closed connection is kept open by us: the client's FIN is never answered.
  srv.on('connection', (s) => s.on('end', () => undefined))
  srv.listen(0, LOOPBACK)
  await once(srv, 'listening')
  const addr = srv.address()
  return {
    port: typeof addr === 'object' && addr !== null ? addr.port : 0,
    close: async () => {
      for (const s of held) s.destroy()
      srv.close()
      await once(srv, 'close')
    },
  }
}

function consoleTo(port: number): SshConsole {
  return new SshConsole({ host: LOOPBACK, port }, { username: 'u', password: 'p' }, { livenessMs: 10_000, readyTimeoutMs: READY_TIMEOUT_MS, breakMs: 250 })
}

describe('ssh console, hung server', () => {
  it('is unreachable once the ready timeout passes', async () => {
    const srv = await hungServer()
    try {
      const c = consoleTo(srv.port)
      const states: SshConsoleState[] = []
      const failed = new Promise<ServiceError | undefined>((resolve) => c.on('state', (s, e) => {
        states.push(s)
        if (s === 'error') resolve(e)
      }))
      c.open()
      const err = await failed
      assert.equal(err?.code, 'BMC_UNREACHABLE')
      assert.equal(err?.details.reason, 'unreachable')
      assert.deepEqual(states, ['connecting', 'error'])
      const t0 = performance.now()
      await c.close()
      assert.ok(performance.now() - t0 < CLOSE_GRACE_MS + 1000)
    } finally {
      await srv.close()
    }
  })

  it('closing while connecting ends the attempt within the close grace', async () => {
    const srv = await hungServer()
    try {
      const c = consoleTo(srv.port)
      const states: SshConsoleState[] = []
      c.on('state', (s) => states.push(s))
      c.open()
      const t0 = performance.now()
      await c.close()
      assert.ok(performance.now() - t0 < CLOSE_GRACE_MS + 1000, `closed after ${Math.round(performance.now() - t0)} ms`)
      assert.deepEqual(states, ['connecting', 'closed'])
    } finally {
      await srv.close()
    }
  })
})

// A property: any sequence of console connects, refused upgrades, aborted
// handshakes, abrupt disconnects, clean closes and token revocations leaves
// the process's descriptors, timers, the server's connections, the token
// connection registry and the console's clients back at their baseline.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import type WebSocket from 'ws'
import { TOKEN_CLOSE } from '../../src/api/connections.js'
import { waitUntil } from '../lab/net.js'
import { activeTimers, closed, openFds, openSocket, rawExchange, sendAndDrop, startSocketLab, upgradeRequest, type SocketLab } from './socket-lab.js'

const PER_TOKEN = 3
const TOKENS = 3
const RUNS = 20

type Action =
  | { kind: 'connect'; token: number; mode: 'rw' | 'ro' }
  | { kind: 'refused'; variant: number }
  | { kind: 'abortHandshake'; token: number; complete: boolean }
  | { kind: 'drop'; socket: number }
  | { kind: 'close'; socket: number }
  | { kind: 'revoke'; token: number }

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('connect' as const), token: fc.nat(TOKENS - 1), mode: fc.constantFrom('rw' as const, 'ro' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('refused' as const), variant: fc.nat(3) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('abortHandshake' as const), token: fc.nat(TOKENS - 1), complete: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('drop' as const), socket: fc.nat(20) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('close' as const), socket: fc.nat(20) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('revoke' as const), token: fc.nat(TOKENS - 1) }) },
)

interface Held { ws: WebSocket; token: number; end: Promise<{ code: number; reason: string }> }

describe('hostile sequences (property)', () => {
  let lab: SocketLab
  before(async () => (lab = await startSocketLab({ limits: { connectionsPerToken: PER_TOKEN } })))
  after(() => lab.close())

  const serverConnections = () => new Promise<number>((resolve, reject) => lab.app.server.getConnections((e, n) => (e ? reject(e) : resolve(n))))

  it('leaves descriptors, timers and connections at their baseline', async () => {
    // Warm up every path once before the baseline (lazy loads, first log lines).
    const warm = await openSocket(lab.wsUrl(), lab.tokens.operator)
    warm.close()
    await rawExchange(lab.port, upgradeRequest('/api/v1/nodes/n1/console/ws'))
    await waitUntil(async () => lab.consoles.get('n1').clientCount === 0 && (await serverConnections()) === 0, { what: 'warm-up gone' })
    const baseFds = openFds()
    const baseTimers = activeTimers()

    await fc.assert(fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 25 }), async (actions) => {
      const tokens = await Promise.all(Array.from({ length: TOKENS }, (_, i) => lab.store.tokens.create({ name: `p${i}`, role: i === 1 ? 'viewer' : 'operator' })))
      const revoked = new Set<number>()
      let held: Held[] = []
      const refusals = [
        () => upgradeRequest('/api/v1/nodes/n1/console/ws'),
        () => upgradeRequest('/api/v1/nodes/n1/console/ws?mode=rw', { authorization: `Bearer ${tokens[1]!.token}` }),
        () => upgradeRequest('/healthz'),
        () => upgradeRequest(`/api/v1/nodes/n1/console/ws?access%5Ftoken=${tokens[0]!.token}`),
      ]
      for (const a of actions) {
        switch (a.kind) {
          case 'connect': {
            const mine = held.filter((h) => h.token === a.token).length
            const mode = a.token === 1 ? 'ro' : a.mode
            const ws = await openSocket(lab.wsUrl(`mode=${mode}`), tokens[a.token]!.token).catch((e: Error) => e)
            if (ws instanceof Error) {
              const expected = revoked.has(a.token) ? '401' : mine >= PER_TOKEN ? '429' : 'accepted'
              assert.match(ws.message, new RegExp(expected), `connect refused: ${ws.message}`)
            } else {
              assert.ok(!revoked.has(a.token) && mine < PER_TOKEN, 'accepted past a revocation or the limit')
              held.push({ ws, token: a.token, end: closed(ws) })
            }
            break
          }
          case 'refused': {
            const r = await rawExchange(lab.port, refusals[a.variant]!())
            assert.ok(r.status !== undefined && r.status !== 101, `refusal answered ${r.status}`)
            break
          }
          case 'abortHandshake': {
            const full = upgradeRequest('/api/v1/nodes/n1/console/ws?mode=ro', { authorization: `Bearer ${tokens[a.token]!.token}` })
            await sendAndDrop(lab.port, a.complete ? full : full.slice(0, full.length - 20))
            break
          }
          case 'drop':
          case 'close': {
            const h = held[a.socket % Math.max(1, held.length)]
            if (h === undefined) break
            held = held.filter((x) => x !== h)
            if (a.kind === 'drop') h.ws.terminate()
            else h.ws.close()
            await h.end
            break
          }
          case 'revoke': {
            if (revoked.has(a.token)) break
            revoked.add(a.token)
            const theirs = held.filter((h) => h.token === a.token)
            held = held.filter((h) => h.token !== a.token)
            await lab.store.tokens.revoke(tokens[a.token]!.info.id)
            for (const end of await Promise.all(theirs.map((h) => h.end))) assert.deepEqual(end, TOKEN_CLOSE.revoked)
            break
          }
        }
      }
      for (const h of held) h.ws.close()
      await Promise.all(held.map((h) => h.end))
      await waitUntil(async () => lab.app.bmcvisorConnections.size === 0 && lab.consoles.get('n1').clientCount === 0 && (await serverConnections()) === 0, {
        timeoutMs: 20_000, what: `connections gone (registry ${lab.app.bmcvisorConnections.size}, clients ${lab.consoles.get('n1').clientCount})`,
      })
      await waitUntil(() => openFds() <= baseFds && activeTimers() <= baseTimers, { timeoutMs: 20_000, what: `fds ${openFds()}/${baseFds}, timers ${activeTimers()}/${baseTimers}` })
    }), { numRuns: RUNS })
  })
})

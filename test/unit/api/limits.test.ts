// The per-token bucket (a stepped clock) and the connection registry (a
// fake token repo): limits, what each token event ends, and that timers and
// subscriptions go with the last connection and with close().
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import type { Principal } from '../../../src/api/auth.js'
import { ConnectionRegistry, type EndReason } from '../../../src/api/connections.js'
import { TokenBuckets } from '../../../src/api/rate-limit.js'
import type { Role, TokenInfo, TokenRepo, TokenState, TokenStoreEvents } from '../../../src/store/types.js'
import { waitUntil } from '../../lab/net.js'

class FakeTokens extends EventEmitter<TokenStoreEvents> {
  readonly states = new Map<string, TokenState>()
  async state(id: string): Promise<TokenState> {
    return this.states.get(id) ?? { state: 'unknown' }
  }
}

const info = (id: string, role: Role): TokenInfo => ({ id, name: id, role, createdAt: '', lastUsedAt: null, expiresAt: null })
const principal = (id: string, role: Role, expiresAt: string | null = null): Principal => ({ tokenId: id, role, name: id, expiresAt })

describe('TokenBuckets', () => {
  it('lets a burst through, then one per refill interval, with the wait in whole seconds', () => {
    let t = 0
    const b = new TokenBuckets({ perSecond: 2, burst: 3 }, () => t)
    for (let i = 0; i < 3; i++) b.take('a')
    assert.throws(() => b.take('a'), (e: { code: string; details: { retryAfterSeconds: number } }) => e.code === 'RATE_LIMITED' && e.details.retryAfterSeconds === 1)
    b.take('b') // another key has its own bucket
    t = 499
    assert.throws(() => b.take('a'), { code: 'RATE_LIMITED' })
    t = 500
    b.take('a')
    t = 100_000
    for (let i = 0; i < 3; i++) b.take('a') // refilled to the burst, not beyond
    assert.throws(() => b.take('a'), { code: 'RATE_LIMITED' })
  })

  it('refuses nonsense limits', () => {
    assert.throws(() => new TokenBuckets({ perSecond: 0, burst: 1 }), { code: 'VALIDATION_FAILED' })
    assert.throws(() => new TokenBuckets({ perSecond: 1, burst: 0.5 }), { code: 'VALIDATION_FAILED' })
  })
})

describe('ConnectionRegistry', () => {
  const setup = (o: { max?: number; recheckMs?: number } = {}) => {
    const tokens = new FakeTokens()
    const reg = new ConnectionRegistry({ tokens: tokens as unknown as TokenRepo, maxPerToken: o.max ?? 2, recheckMs: o.recheckMs ?? 0 })
    const ended: [string, EndReason][] = []
    const open = (p: Principal, needs: Role, label: string) => reg.open(p, needs, (why) => ended.push([label, why]))
    return { tokens, reg, ended, open }
  }

  it('caps connections per token and frees a slot on release', () => {
    const { reg, open } = setup()
    const a = open(principal('t1', 'viewer'), 'viewer', 'a')
    open(principal('t1', 'viewer'), 'viewer', 'b')
    assert.throws(() => open(principal('t1', 'viewer'), 'viewer', 'c'), { code: 'TOO_MANY_CONNECTIONS' })
    open(principal('t2', 'viewer'), 'viewer', 'other token')
    a.release()
    a.release()
    assert.equal(reg.count('t1'), 1)
    open(principal('t1', 'viewer'), 'viewer', 'c')
    assert.equal(reg.size, 3)
    reg.close()
  })

  it('revocation ends all of the token, a lower role only what needs more, a raise nothing', () => {
    const { tokens, reg, ended, open } = setup({ max: 5 })
    const rw = open(principal('t1', 'operator'), 'operator', 'rw')
    const ro = open(principal('t1', 'operator'), 'viewer', 'ro')
    open(principal('t2', 'operator'), 'operator', 'other')
    tokens.emit('token:updated', info('t1', 'admin'))
    assert.deepEqual(ended, [])
    tokens.emit('token:updated', info('t1', 'viewer'))
    assert.deepEqual(ended, [['rw', 'downgraded']])
    assert.equal(rw.live, false)
    assert.equal(ro.live, true)
    tokens.emit('token:revoked', 't1')
    assert.deepEqual(ended, [['rw', 'downgraded'], ['ro', 'revoked']])
    assert.equal(reg.count('t1'), 0)
    assert.equal(reg.count('t2'), 1)
    reg.close()
    tokens.emit('token:revoked', 't2')
    assert.equal(ended.length, 2, 'no events after close()')
    assert.equal(tokens.listenerCount('token:revoked'), 0)
  })

  it('ends connections of an already expired token at once, and a later expiry when it passes', async () => {
    const { reg, ended, open } = setup()
    open(principal('old', 'viewer', new Date(Date.now() - 1).toISOString()), 'viewer', 'old')
    assert.deepEqual(ended, [['old', 'expired']])
    open(principal('soon', 'viewer', new Date(Date.now() + 200).toISOString()), 'viewer', 'soon')
    await waitUntil(() => ended.length === 2, { what: 'the expiry timer' })
    assert.deepEqual(ended[1], ['soon', 'expired'])
    assert.equal(reg.size, 0)
    reg.close()
  })

  it('the recheck finds what another process did, and the env token is left alone', async () => {
    const { tokens, reg, ended, open } = setup({ max: 5, recheckMs: 20 })
    tokens.states.set('gone', { state: 'revoked' })
    tokens.states.set('late', { state: 'expired' })
    tokens.states.set('lower', { state: 'valid', info: info('lower', 'viewer') })
    open(principal('gone', 'viewer'), 'viewer', 'gone')
    open(principal('late', 'viewer'), 'viewer', 'late')
    open(principal('lower', 'operator'), 'operator', 'lower')
    open(principal('env', 'admin'), 'operator', 'env')
    await waitUntil(() => ended.length === 3, { what: 'the recheck' })
    assert.deepEqual(new Map(ended), new Map([['gone', 'revoked'], ['late', 'expired'], ['lower', 'downgraded']]))
    assert.equal(reg.count('env'), 1)
    reg.close()
  })
})

/**
 * The store's contract, once, for every implementation: the SQLite store
 * runs it as a unit test (test/unit/store/store.test.ts), the PostgreSQL
 * store as an integration test against a server the test starts
 * (test/integration/store/postgres.test.ts). What only one of them has (a
 * key file's mode, SQLite's user_version, LISTEN/NOTIFY) is tested beside
 * its harness, not here.
 */
import { it } from 'node:test'
import assert from 'node:assert/strict'
import type { NodeDoc, OpenedStore } from '../../src/store/types.js'

export interface StoreHarness {
  /** Where a new, empty store can be opened (a directory, a database URL). */
  fresh(): Promise<string>
  open(where: string, secretKey: string): Promise<OpenedStore>
  /** Everything the store has written at `where` that could hold a secret, as bytes (after close). */
  raw(where: string): Promise<Buffer>
}

export const KEY_A = 'ab'.repeat(32)
export const KEY_B = 'cd'.repeat(32)

export const nodeDoc = (name: string, groups: string[] = []): NodeDoc => ({
  name, bmc: { host: '10.0.0.1', port: 623, username: 'admin', password: `pw-${name}`, cipherSuite: 3, privilege: 'administrator' },
  console: { method: 'ipmi', logging: 'full' }, groups,
})

export function storeContract(h: StoreHarness): void {
  const withStore = async (fn: (s: OpenedStore, where: string) => Promise<void>) => {
    const where = await h.fresh()
    const s = await h.open(where, KEY_A)
    try {
      await fn(s, where)
    } finally {
      await s.close()
    }
  }

  it('keeps sealed credentials across a reopen with the same key, and never in clear', async () => {
    const where = await h.fresh()
    const kg = 'a1b2c3d4e5f60718293a'
    const s = await h.open(where, KEY_A)
    await s.nodes.create({ ...nodeDoc('n1', ['g']), bmc: { ...nodeDoc('n1').bmc, kg } })
    await s.close()
    const again = await h.open(where, KEY_A)
    const n1 = await again.nodes.get('n1')
    await again.close()
    assert.equal(n1?.bmc.password, 'pw-n1')
    assert.equal(n1?.bmc.kg, kg)
    const raw = await h.raw(where)
    assert.equal(raw.indexOf('pw-n1'), -1)
    assert.equal(raw.indexOf(kg), -1)
  })

  it('refuses a key other than the one the store was sealed with', async () => {
    const where = await h.fresh()
    await (await h.open(where, KEY_A)).close()
    await assert.rejects(h.open(where, KEY_B), { code: 'STORE_KEY_MISMATCH' })
  })

  it('keeps groups, emits events after commit, enforces revisions', () => withStore(async (s) => {
    const events: string[] = []
    s.nodes.on('node:added', (n) => events.push(`added ${n.name}`))
    s.nodes.on('node:updated', (n, prev) => events.push(`updated ${n.name} ${prev.revision}->${n.revision}`))
    s.nodes.on('node:removed', (n) => events.push(`removed ${n.name}`))
    await s.nodes.create(nodeDoc('n2', ['b', 'a']))
    await s.nodes.create(nodeDoc('n1', ['a', 'a']))
    assert.deepEqual(await s.nodes.groups(), [{ name: 'a', nodes: ['n1', 'n2'] }, { name: 'b', nodes: ['n2'] }])
    assert.deepEqual((await s.nodes.list()).map((n) => [n.name, n.groups, n.revision]), [['n1', ['a'], 1], ['n2', ['a', 'b'], 1]])
    assert.deepEqual(await s.nodes.names(), ['n1', 'n2'])
    await assert.rejects(s.nodes.create(nodeDoc('n1')), { code: 'CONFLICT' })
    const replaced = await s.nodes.replace({ ...nodeDoc('n1'), groups: ['c'] }, 1)
    assert.equal(replaced.revision, 2)
    await assert.rejects(s.nodes.replace(nodeDoc('n1'), 1), { code: 'CONFLICT' })
    await assert.rejects(s.nodes.replace(nodeDoc('nope')), { code: 'NODE_NOT_FOUND' })
    assert.deepEqual(await s.nodes.inGroup('a'), ['n2'])
    assert.equal((await s.nodes.remove('n2')).name, 'n2')
    assert.deepEqual(await s.nodes.inGroup('b'), [])
    assert.equal(await s.nodes.get('n2'), undefined)
    await assert.rejects(s.nodes.remove('n2'), { code: 'NODE_NOT_FOUND' })
    assert.deepEqual(events, ['added n2', 'added n1', 'updated n1 1->2', 'removed n2'])
  }))

  it('orders names bytewise, as SQLite does', () => withStore(async (s) => {
    for (const name of ['b1', 'B2', 'a-1', 'a_1', 'A0']) await s.nodes.create(nodeDoc(name, ['g']))
    const bytewise = ['A0', 'B2', 'a-1', 'a_1', 'b1']
    assert.deepEqual(await s.nodes.names(), bytewise)
    assert.deepEqual(await s.nodes.inGroup('g'), bytewise)
  }))

  it("keeps a group's console watch override across a reopen, with or without members, and says when it changes", async () => {
    const where = await h.fresh()
    const s = await h.open(where, KEY_A)
    const changed: string[] = []
    s.nodes.on('group:updated', (g) => changed.push(g))
    const watch = { add: [{ name: 'xid', regex: 'NVRM: Xid', severity: 'critical' }], disable: ['oom'] }
    await s.nodes.setGroupWatch('gpu', watch)
    await s.nodes.setGroupWatch('empty', { disable: ['panic'] })
    await s.nodes.create(nodeDoc('n1', ['gpu']))
    assert.deepEqual(await s.nodes.groupWatch('gpu'), watch)
    assert.equal(await s.nodes.groupWatch('none'), undefined)
    await s.close()
    const again = await h.open(where, KEY_A)
    try {
      assert.deepEqual(await again.nodes.groupWatches(), [{ group: 'empty', watch: { disable: ['panic'] } }, { group: 'gpu', watch }])
      again.nodes.on('group:updated', (g) => changed.push(g))
      await again.nodes.setGroupWatch('gpu', undefined)
      assert.equal(await again.nodes.groupWatch('gpu'), undefined)
      assert.deepEqual(changed, ['gpu', 'empty', 'gpu'])
    } finally {
      await again.close()
    }
  })

  it('stores tokens only as hashes; verifies, lists, changes and revokes them', async () => {
    const where = await h.fresh()
    const s = await h.open(where, KEY_A)
    let token: string
    try {
      const created = await s.tokens.create({ name: 'ops', role: 'operator' })
      token = created.token
      const { info } = created
      const revoked: string[] = []
      s.tokens.on('token:revoked', (id) => revoked.push(id))
      assert.match(token, /^bmv_[0-9a-f]{8}_[A-Za-z0-9_-]{43}$/)
      assert.equal((await s.tokens.verify(token))?.role, 'operator')
      assert.notEqual((await s.tokens.list())[0]?.lastUsedAt, null, 'verify records the use')
      assert.equal(await s.tokens.verify(token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A')), undefined)
      assert.equal(await s.tokens.verify('nonsense'), undefined)
      assert.deepEqual((await s.tokens.list()).map((t) => t.id), [info.id])
      assert.equal(await s.tokens.count(), 1)
      assert.equal((await s.tokens.setRole(info.id, 'viewer')).role, 'viewer')
      assert.deepEqual(await s.tokens.state(info.id), { state: 'valid', info: { ...(await s.tokens.list())[0]!, role: 'viewer' } })
      await s.tokens.revoke(info.id)
      assert.deepEqual(revoked, [info.id])
      assert.equal(await s.tokens.verify(token), undefined)
      assert.deepEqual(await s.tokens.state(info.id), { state: 'revoked' })
      assert.deepEqual(await s.tokens.state('00000000'), { state: 'unknown' })
      await assert.rejects(s.tokens.revoke(info.id), { code: 'NOT_FOUND' })
      await assert.rejects(s.tokens.setRole(info.id, 'admin'), { code: 'NOT_FOUND' })
      assert.equal(await s.tokens.count(), 0)
    } finally {
      await s.close()
    }
    assert.equal((await h.raw(where)).indexOf(token), -1)
  })

  it('refuses a token past its expiry and says it expired', () => withStore(async (s) => {
    const soon = new Date(Date.now() + 60_000).toISOString()
    const { token, info } = await s.tokens.create({ name: 'short', role: 'viewer', expiresAt: soon })
    assert.equal((await s.tokens.verify(token))?.expiresAt, soon)
    const { token: old, info: oldInfo } = await s.tokens.create({ name: 'old', role: 'viewer', expiresAt: new Date(Date.now() - 1000).toISOString() })
    assert.equal(await s.tokens.verify(old), undefined)
    assert.deepEqual(await s.tokens.state(oldInfo.id), { state: 'expired' })
    assert.equal((await s.tokens.state(info.id)).state, 'valid')
  }))

  it('scrubs secret-named keys from audit details; lists newest first, by target and page; prunes by time', () => withStore(async (s) => {
    const first = await s.audit.append({ actor: 'x', tokenId: null, action: 'a', target: 't', detail: { args: { password: 'p', nested: [{ kg: 'k', token: 't' }] }, ok: 1 }, outcome: 'ok', at: '2020-01-01T00:00:00.000Z' })
    assert.deepEqual((await s.audit.list())[0]?.detail, { args: { password: '[redacted]', nested: [{ kg: '[redacted]', token: '[redacted]' }] }, ok: 1 })
    const second = await s.audit.append({ actor: 'y', tokenId: 'abcd0123', action: 'b', target: 'u', detail: null, outcome: null })
    const third = await s.audit.append({ actor: 'z', tokenId: null, action: 'c', target: 't', detail: { long: 'x'.repeat(5000) }, outcome: 'ok' })
    assert.ok(first < second && second < third)
    assert.deepEqual((await s.audit.list()).map((e) => e.id), [third, second, first])
    assert.deepEqual((await s.audit.list({ target: 't' })).map((e) => e.action), ['c', 'a'])
    assert.deepEqual((await s.audit.list({ beforeId: third, limit: 1 })).map((e) => e.id), [second])
    assert.deepEqual((await s.audit.list({ limit: 1 }))[0]?.detail, { truncated: true, size: JSON.stringify({ long: 'x'.repeat(5000) }).length })
    const [b] = await s.audit.list({ target: 'u' })
    assert.deepEqual({ actor: b?.actor, tokenId: b?.tokenId, detail: b?.detail, outcome: b?.outcome }, { actor: 'y', tokenId: 'abcd0123', detail: null, outcome: null })
    assert.equal(await s.audit.prune('2021-01-01T00:00:00.000Z'), 1)
    assert.deepEqual((await s.audit.list()).map((e) => e.id), [third, second])
  }))

  it('keeps meta values; a claim is won once', () => withStore(async (s) => {
    assert.equal(await s.getMeta('k'), undefined)
    assert.equal(await s.claimMeta('k', 'first'), true)
    assert.equal(await s.claimMeta('k', 'second'), false)
    assert.equal(await s.getMeta('k'), 'first')
    await s.setMeta('k', 'third')
    assert.equal(await s.getMeta('k'), 'third')
    assert.equal(await s.ping(), true)
  }))
}

// The SQLite store: migrations, sealed credentials (and a wrong key refused
// at open), the key file's mode, hashed tokens, groups, events, audit scrub.
import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { MIGRATIONS } from '../../../src/store/migrations.js'
import { openStore } from '../../../src/store/sqlite.js'
import { SecretBox } from '../../../src/store/secret-box.js'
import type { NodeDoc } from '../../../src/store/types.js'

const dirs: string[] = []
function dir(): string {
  const d = mkdtempSync(join(tmpdir(), 'bmcvisor-store-'))
  dirs.push(d)
  return d
}
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))

const doc = (name: string, groups: string[] = []): NodeDoc => ({
  name, bmc: { host: '10.0.0.1', port: 623, username: 'admin', password: `pw-${name}`, cipherSuite: 3, privilege: 'administrator' },
  console: { method: 'ipmi', logging: 'full' }, groups,
})

describe('store', () => {
  it('creates secret.key 0600, migrates, and reopens with the same key', () => {
    const d = dir()
    const s = openStore({ dataDir: d })
    assert.equal(s.keySource, 'created')
    assert.equal(statSync(join(d, 'secret.key')).mode & 0o777, 0o600)
    s.nodes.create(doc('n1', ['g']))
    s.close()
    const again = openStore({ dataDir: d })
    assert.equal(again.keySource, 'file')
    assert.equal(again.nodes.get('n1')?.bmc.password, 'pw-n1')
    again.close()
    const db = new Database(join(d, 'bmcvisor.db'), { readonly: true })
    assert.equal(db.pragma('user_version', { simple: true }), MIGRATIONS.length)
    const row = db.prepare('SELECT spec, sealed FROM nodes').get() as { spec: string; sealed: Buffer }
    db.close()
    assert.ok(!row.spec.includes('pw-n1') && row.sealed.indexOf('pw-n1') === -1)
  })

  it('refuses a different key, and warns about a readable key file', () => {
    const d = dir()
    openStore({ dataDir: d }).close()
    assert.throws(() => openStore({ dataDir: d, secretKey: 'ab'.repeat(32) }), { code: 'STORE_KEY_MISMATCH' })
    assert.throws(() => openStore({ dataDir: dir(), secretKey: 'short' }), { code: 'VALIDATION_FAILED' })
    const e = dir()
    writeFileSync(join(e, 'secret.key'), Buffer.alloc(32, 7).toString('base64'), { mode: 0o644 })
    const s = openStore({ dataDir: e })
    assert.match(s.keyWarning ?? '', /readable by others/)
    s.close()
  })

  it('binds a sealed value to its owner', () => {
    const box = new SecretBox(Buffer.alloc(32, 1))
    const sealed = box.seal('secret', 'node:a')
    assert.equal(box.open(sealed, 'node:a').toString(), 'secret')
    assert.throws(() => box.open(sealed, 'node:b'), { code: 'STORE_KEY_MISMATCH' })
    assert.throws(() => new SecretBox(Buffer.alloc(32, 2)).open(sealed, 'node:a'), { code: 'STORE_KEY_MISMATCH' })
  })

  it('keeps groups, emits events after commit, enforces revisions', () => {
    const s = openStore({ dataDir: dir() })
    const events: string[] = []
    s.nodes.on('node:added', (n) => events.push(`added ${n.name}`))
    s.nodes.on('node:updated', (n, prev) => events.push(`updated ${n.name} ${prev.revision}->${n.revision}`))
    s.nodes.on('node:removed', (n) => events.push(`removed ${n.name}`))
    s.nodes.create(doc('n2', ['b', 'a']))
    s.nodes.create(doc('n1', ['a']))
    assert.deepEqual(s.nodes.groups(), [{ name: 'a', nodes: ['n1', 'n2'] }, { name: 'b', nodes: ['n2'] }])
    assert.throws(() => s.nodes.create(doc('n1')), { code: 'CONFLICT' })
    s.nodes.replace({ ...doc('n1'), groups: ['c'] }, 1)
    assert.throws(() => s.nodes.replace(doc('n1'), 1), { code: 'CONFLICT' })
    assert.deepEqual(s.nodes.inGroup('a'), ['n2'])
    s.nodes.remove('n2')
    assert.deepEqual(s.nodes.inGroup('b'), [])
    assert.throws(() => s.nodes.remove('n2'), { code: 'NODE_NOT_FOUND' })
    assert.deepEqual(events, ['added n2', 'added n1', 'updated n1 1->2', 'removed n2'])
    s.close()
  })

  it("keeps a group's console watch override across a reopen, with or without members, and says when it changes", () => {
    const d = dir()
    const s = openStore({ dataDir: d })
    const changed: string[] = []
    s.nodes.on('group:updated', (g) => changed.push(g))
    const watch = { add: [{ name: 'xid', regex: 'NVRM: Xid', severity: 'critical' }], disable: ['oom'] }
    s.nodes.setGroupWatch('gpu', watch)
    s.nodes.setGroupWatch('empty', { disable: ['panic'] })
    s.nodes.create(doc('n1', ['gpu']))
    assert.deepEqual(s.nodes.groupWatch('gpu'), watch)
    assert.equal(s.nodes.groupWatch('none'), undefined)
    s.close()
    const again = openStore({ dataDir: d })
    assert.deepEqual(again.nodes.groupWatches(), [{ group: 'empty', watch: { disable: ['panic'] } }, { group: 'gpu', watch }])
    again.nodes.on('group:updated', (g) => changed.push(g))
    again.nodes.setGroupWatch('gpu', undefined)
    assert.equal(again.nodes.groupWatch('gpu'), undefined)
    assert.deepEqual(changed, ['gpu', 'empty', 'gpu'])
    again.close()
  })

  it('stores tokens only as hashes; verifies, lists and revokes them', () => {
    const d = dir()
    const s = openStore({ dataDir: d })
    const { token, info } = s.tokens.create({ name: 'ops', role: 'operator' })
    assert.match(token, /^bmv_[0-9a-f]{8}_[A-Za-z0-9_-]{43}$/)
    assert.equal(s.tokens.verify(token)?.role, 'operator')
    assert.equal(s.tokens.verify(token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A')), undefined)
    assert.equal(s.tokens.verify('nonsense'), undefined)
    assert.deepEqual(s.tokens.list().map((t) => t.id), [info.id])
    s.tokens.revoke(info.id)
    assert.equal(s.tokens.verify(token), undefined)
    assert.throws(() => s.tokens.revoke(info.id), { code: 'NOT_FOUND' })
    s.close()
    assert.equal(readFileSync(join(d, 'bmcvisor.db')).indexOf(token), -1)
  })

  it('scrubs secret-named keys from audit details', () => {
    const s = openStore({ dataDir: dir() })
    s.audit.append({ actor: 'x', tokenId: null, action: 'a', target: 't', detail: { args: { password: 'p', nested: [{ kg: 'k', token: 't' }] }, ok: 1 }, outcome: 'ok' })
    assert.deepEqual(s.audit.list()[0]?.detail, { args: { password: '[redacted]', nested: [{ kg: '[redacted]', token: '[redacted]' }] }, ok: 1 })
    s.close()
  })
})

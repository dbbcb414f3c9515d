// The SQLite store: the store contract (test/lab/store-contract.ts, shared
// with the PostgreSQL store), and what only SQLite has: secret.key created
// 0600 and a readable one warned about, the schema in user_version, a
// sealed value bound to its owner.
import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { MIGRATIONS } from '../../../src/store/migrations.js'
import { DB_FILE, openStore } from '../../../src/store/sqlite.js'
import { SecretBox } from '../../../src/store/secret-box.js'
import { nodeDoc, storeContract } from '../../lab/store-contract.js'

const dirs: string[] = []
function dir(): string {
  const d = mkdtempSync(join(tmpdir(), 'bmcvisor-store-'))
  dirs.push(d)
  return d
}
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))

describe('store contract on SQLite', () => {
  storeContract({
    fresh: async () => dir(),
    open: async (d, secretKey) => openStore({ dataDir: d, secretKey }),
    raw: async (d) => readFileSync(join(d, DB_FILE)),
  })
})

describe('SQLite store', () => {
  it('creates secret.key 0600, migrates to user_version, and reopens with the same key', async () => {
    const d = dir()
    const s = openStore({ dataDir: d })
    assert.equal(s.keySource, 'created')
    assert.equal(s.kind, 'sqlite')
    assert.equal(statSync(join(d, 'secret.key')).mode & 0o777, 0o600)
    await s.nodes.create(nodeDoc('n1', ['g']))
    await s.close()
    const again = openStore({ dataDir: d })
    assert.equal(again.keySource, 'file')
    assert.equal((await again.nodes.get('n1'))?.bmc.password, 'pw-n1')
    await again.close()
    const db = new Database(join(d, DB_FILE), { readonly: true })
    assert.equal(db.pragma('user_version', { simple: true }), MIGRATIONS.length)
    db.close()
  })

  it('refuses a different key file, a short key, a newer schema; warns about a readable key file', async () => {
    const d = dir()
    await openStore({ dataDir: d }).close()
    assert.throws(() => openStore({ dataDir: d, secretKey: 'ab'.repeat(32) }), { code: 'STORE_KEY_MISMATCH' })
    assert.throws(() => openStore({ dataDir: dir(), secretKey: 'short' }), { code: 'VALIDATION_FAILED' })
    const db = new Database(join(d, DB_FILE))
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`)
    db.close()
    assert.throws(() => openStore({ dataDir: d }), { code: 'STORE_SCHEMA_NEWER' })
    const e = dir()
    writeFileSync(join(e, 'secret.key'), Buffer.alloc(32, 7).toString('base64'), { mode: 0o644 })
    const s = openStore({ dataDir: e })
    assert.match(s.keyWarning ?? '', /readable by others/)
    await s.close()
  })

  it('binds a sealed value to its owner', () => {
    const box = new SecretBox(Buffer.alloc(32, 1))
    const sealed = box.seal('secret', 'node:a')
    assert.equal(box.open(sealed, 'node:a').toString(), 'secret')
    assert.throws(() => box.open(sealed, 'node:b'), { code: 'STORE_KEY_MISMATCH' })
    assert.throws(() => new SecretBox(Buffer.alloc(32, 2)).open(sealed, 'node:a'), { code: 'STORE_KEY_MISMATCH' })
  })
})

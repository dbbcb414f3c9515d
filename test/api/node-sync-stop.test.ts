// NodeSync.stopUnowned (src/api/node-sync.ts): what a cluster member does
// when its lease is lost, with the database possibly unreachable. It stops
// every running node `runs` no longer accepts without reading the store
// (here: a store whose reads never answer), and resolves only once the
// supervisor has removed them; nodes still accepted keep running.
import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { syncNodes } from '../../src/api/node-sync.js'
import { createLogger } from '../../src/log.js'
import { openStore } from '../../src/store/sqlite.js'
import { FakeSupervisor } from './helpers.js'

describe('node sync: stopping unowned nodes without the store', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'bmcvisor-sync-stop-'))
  const store = openStore({ dataDir })
  after(async () => {
    await store.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('stops what runs() no longer accepts, with every store read hanging, and resolves once removed', async () => {
    for (const name of ['keep', 'lose1', 'lose2']) {
      await store.nodes.create({ name, bmc: { host: '127.0.0.1', port: 623, username: 'a', password: 'p', cipherSuite: 3, privilege: 'administrator' }, console: { method: 'ipmi', logging: 'full' }, groups: [] })
    }
    const owned = new Set(['keep', 'lose1', 'lose2'])
    const sup = new FakeSupervisor()
    const sync = await syncNodes(store.nodes, sup, createLogger({ level: 'silent' }), {}, () => undefined, { runs: (n) => owned.has(n) })
    try {
      assert.deepEqual([...sup.configs.keys()].sort(), ['keep', 'lose1', 'lose2'])
      // The database is gone: every read hangs from now on.
      const never = () => new Promise<never>(() => undefined)
      Object.assign(store.nodes, { list: never, get: never, inGroup: never })
      owned.delete('lose1')
      owned.delete('lose2')
      await sync.stopUnowned(100)
      assert.deepEqual([...sup.configs.keys()], ['keep'])
    } finally {
      sync.stop()
    }
  })
})

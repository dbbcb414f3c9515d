// The console log search as `serve` wires it (src/main.ts): the route, the
// pool and the console log directory of the data directory, with a log a
// ConsoleLog wrote and rotated; the pool closes with the server.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConsoleLog, CONSOLE_LOG_DIR } from '../../src/console/index.js'
import { createLogger } from '../../src/log.js'
import { startServer } from '../../src/main.js'
import { sink } from '../lab/sink.js'
import { nodeBody } from './helpers.js'

const ADMIN = 'search-serve-admin-token-0123456789'

describe('console log search in serve', () => {
  it('finds lines in the current and the rotated, gzipped log of a node', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'bmcvisor-search-serve-'))
    t.after(() => rmSync(dir, { recursive: true, force: true }))
    const log = new ConsoleLog({ dir: join(dir, CONSOLE_LOG_DIR), node: 'r1', maxBytes: 32 })
    log.append(Buffer.from('first boot, a longer line: oops SEARCH-ME one\n'))
    await log.flush()
    log.append(Buffer.from('second boot: SEARCH-ME two\n'))
    await log.close()
    const s = await startServer({ listen: '127.0.0.1:0', dataDir: dir, logger: createLogger({ destination: sink() }), adminToken: ADMIN })
    try {
      await s.store.nodes.create(nodeBody('r1') as never)
      const res = await fetch(`${s.url}/api/v1/noderange/r1/console/log?grep=SEARCH-ME`, { headers: { authorization: `Bearer ${ADMIN}` } })
      assert.equal(res.status, 200)
      const lines = (await res.text()).trim().split('\n').map((l) => JSON.parse(l) as { type: string; file?: string; text?: string; matches?: number })
      assert.deepEqual(lines.map((l) => [l.type, l.text]), [['match', 'first boot, a longer line: oops SEARCH-ME one'], ['match', 'second boot: SEARCH-ME two'], ['summary', undefined]])
      assert.match(lines[0]!.file!, /^r1\.log\.\d{8}T\d{6}\.\d{3}Z\.gz$/)
      assert.equal(lines[1]!.file, 'r1.log')
    } finally {
      await s.close()
    }
    assert.equal(s.search.active, 0)
    await assert.rejects(s.search.scan({ log: 'x', journal: null, pattern: 'x', flags: '', sinceMs: null, untilMs: null, context: 0, limit: 1 }), { code: 'SHUTTING_DOWN' })
  })
})

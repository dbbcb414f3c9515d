// File modes under the data directory (src/store/file-modes.ts): a directory
// that existed with loose modes (0755 directories, 0644 files: the database,
// its WAL files, secret.key, console logs and rotated logs) is tightened to
// 0700/0600 when the store opens, and nothing else in it is touched; what
// the service creates later is private too, under a permissive umask.
import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { openStore } from '../../../src/store/sqlite.js'
import { CONSOLE_LOG_DIR, ConsoleLog } from '../../../src/console/index.js'

const dirs: string[] = []
function dir(): string {
  const d = mkdtempSync(join(tmpdir(), 'bmcvisor-modes-'))
  dirs.push(d)
  return d
}
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))

const modeOf = (p: string) => statSync(p).mode & 0o777

/** Runs fn with a umask that lets anyone read what is created. */
async function withLooseUmask<T>(fn: () => Promise<T> | T): Promise<T> {
  const old = process.umask(0o022)
  try {
    return await fn()
  } finally {
    process.umask(old)
  }
}

describe('data directory file modes', () => {
  it('tightens a pre-existing directory: database, WAL files, secret.key, consoles/, logs and rotated logs', async () => {
    const d = dir()
    // A database made by someone else, left in WAL mode with its -wal/-shm files present.
    const db = new Database(join(d, 'bmcvisor.db'))
    db.pragma('journal_mode = WAL')
    db.exec('CREATE TABLE leftover (x)')
    db.close()
    // Closing removed them; an interrupted run leaves them behind.
    writeFileSync(join(d, 'bmcvisor.db-wal'), '')
    writeFileSync(join(d, 'bmcvisor.db-shm'), '')
    writeFileSync(join(d, 'secret.key'), Buffer.alloc(32, 7).toString('base64'))
    mkdirSync(join(d, 'consoles', 'old'), { recursive: true })
    for (const f of ['consoles/n1.log', 'consoles/n1.jnl', 'consoles/n1.log.20260101T000000Z', 'consoles/old/n2.log']) writeFileSync(join(d, f), 'output\n')
    const looseDirs = ['', 'consoles', 'consoles/old']
    const looseFiles = ['bmcvisor.db', 'bmcvisor.db-wal', 'bmcvisor.db-shm', 'secret.key', 'consoles/n1.log', 'consoles/n1.jnl', 'consoles/n1.log.20260101T000000Z', 'consoles/old/n2.log']
    for (const f of looseDirs) chmodSync(join(d, f), 0o755)
    for (const f of looseFiles) chmodSync(join(d, f), 0o644)
    // Not the service's: a data directory pointed at a shared place must not chmod the user's files.
    mkdirSync(join(d, 'notes'))
    writeFileSync(join(d, 'notes', 'todo.txt'), 'mine')
    writeFileSync(join(d, 'README.txt'), 'mine')
    chmodSync(join(d, 'notes'), 0o755)
    chmodSync(join(d, 'notes', 'todo.txt'), 0o644)
    chmodSync(join(d, 'README.txt'), 0o644)
    const outside = join(dir(), 'elsewhere.txt')
    writeFileSync(outside, 'not ours')
    chmodSync(outside, 0o644)
    symlinkSync(outside, join(d, 'link'))
    assert.equal(modeOf(join(d, 'consoles')), 0o755)
    assert.equal(modeOf(join(d, 'bmcvisor.db')), 0o644)

    const s = openStore({ dataDir: d, privateTrees: [CONSOLE_LOG_DIR] })
    try {
      assert.deepEqual(s.modeWarnings, [])
      for (const f of looseDirs) assert.equal(modeOf(join(d, f)).toString(8), '700', `${f || '.'}`)
      for (const f of looseFiles) assert.equal(modeOf(join(d, f)).toString(8), '600', f)
      assert.equal(modeOf(outside), 0o644, 'a symbolic link is not followed')
      for (const f of ['notes', 'notes/todo.txt', 'README.txt']) assert.equal(modeOf(join(d, f)).toString(8), f === 'notes' ? '755' : '644', `${f} is not the service's`)
    } finally {
      await s.close()
    }
  })

  it('creates the database, its WAL files, consoles/ and logs private under a umask of 022', async () => {
    const d = join(dir(), 'fresh')
    await withLooseUmask(async () => {
      const s = openStore({ dataDir: d })
      try {
        assert.equal(modeOf(d), 0o700)
        for (const f of ['bmcvisor.db', 'bmcvisor.db-wal', 'bmcvisor.db-shm', 'secret.key']) assert.equal(modeOf(join(d, f)).toString(8), '600', f)
        const log = new ConsoleLog({ dir: join(d, 'consoles'), node: 'n1', flushMs: 10 })
        log.append(Buffer.from('boot\n'))
        await log.flush()
        await log.close()
        assert.equal(modeOf(join(d, 'consoles')).toString(8), '700')
        assert.equal(modeOf(join(d, 'consoles', 'n1.log')).toString(8), '600')
        assert.equal(modeOf(join(d, 'consoles', 'n1.jnl')).toString(8), '600')
      } finally {
        await s.close()
      }
    })
  })
})

/**
 * The SQLite store under the data directory: `bmcvisor.db` (WAL, foreign
 * keys on, busy timeout so `bmcvisor token create` can write while a server
 * runs) and `secret.key`. Opening migrates the schema and checks that the
 * key is the one the database was sealed with (STORE_KEY_MISMATCH if not).
 */
import Database from 'better-sqlite3'
import { closeSync, mkdirSync, openSync } from 'node:fs'
import { join } from 'node:path'
import { ServiceError } from '../errors.js'
import { SqliteAuditRepo } from './audit.js'
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, tightenDataDir } from './file-modes.js'
import { migrate } from './migrations.js'
import { SqliteNodeRepo } from './nodes.js'
import { SqliteProfileRepo } from './profiles.js'
import { KEY_FILE, loadKey, SecretBox } from './secret-box.js'
import { SqliteTokenRepo } from './tokens.js'
import type { OpenedStore } from './types.js'

export const DB_FILE = 'bmcvisor.db'

export interface OpenStoreOptions {
  dataDir: string
  /** BMCVISOR_SECRET_KEY (64 hex digits or base64); default: `<dataDir>/secret.key`. */
  secretKey?: string | undefined
  /** Directories under dataDir that hold the service's files (console logs): made private with everything in them. */
  privateTrees?: readonly string[] | undefined
}

export type { OpenedStore } from './types.js'

export function openStore(opts: OpenStoreOptions): OpenedStore {
  mkdirSync(opts.dataDir, { recursive: true, mode: PRIVATE_DIR_MODE })
  const loaded = loadKey(opts.dataDir, opts.secretKey)
  const box = new SecretBox(loaded.key)
  // Created private before SQLite sees it: its -wal and -shm files take the database file's mode.
  closeSync(openSync(join(opts.dataDir, DB_FILE), 'a', PRIVATE_FILE_MODE))
  const db = new Database(join(opts.dataDir, DB_FILE))
  try {
    db.pragma('journal_mode = WAL')
    // After the WAL files exist; whatever was there before (a loose umask, an old version) is tightened too.
    const modeWarnings = tightenDataDir(opts.dataDir, { files: [DB_FILE, `${DB_FILE}-wal`, `${DB_FILE}-shm`, KEY_FILE], trees: opts.privateTrees ?? [] })
    db.pragma('synchronous = NORMAL') // WAL: a commit survives a crash of the process; only a power loss may drop the last ones
    db.pragma('foreign_keys = ON')
    db.pragma('busy_timeout = 5000')
    db.pragma('secure_delete = ON') // overwritten credentials do not linger in free pages
    migrate(db)
    const getMeta = db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?')
    const setMeta = db.prepare<[string, string]>('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value')
    const claimMeta = db.prepare<[string, string]>('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING')
    const check = box.checkValue()
    db.transaction(() => {
      const stored = getMeta.get('key_check')?.value
      if (stored === undefined) setMeta.run('key_check', check)
      else if (stored !== check) {
        throw new ServiceError('STORE_KEY_MISMATCH', `the secret key (${loaded.source === 'env' ? 'BMCVISOR_SECRET_KEY' : join(opts.dataDir, 'secret.key')}) is not the one this database was created with`)
      }
    }).immediate()
    const nodes = new SqliteNodeRepo(db, box)
    const tokens = new SqliteTokenRepo(db)
    const audit = new SqliteAuditRepo(db)
    const ping = db.prepare('SELECT 1 AS ok')
    return {
      kind: 'sqlite',
      dataDir: opts.dataDir,
      location: join(opts.dataDir, DB_FILE),
      keySource: loaded.source,
      keyWarning: loaded.warning,
      modeWarnings,
      nodes,
      profiles: new SqliteProfileRepo(db),
      tokens,
      audit,
      getMeta: async (key) => getMeta.get(key)?.value,
      setMeta: async (key, value) => void setMeta.run(key, value),
      claimMeta: async (key, value) => claimMeta.run(key, value).changes === 1,
      ping: async () => {
        try {
          return db.open && ping.get() !== undefined
        } catch {
          return false
        }
      },
      close: async () => {
        if (db.open) db.close()
      },
    }
  } catch (e) {
    db.close()
    throw e
  }
}

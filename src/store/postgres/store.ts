/**
 * The store on PostgreSQL, for several instances that share one database
 * (serve --store postgres://..., BMCVISOR_STORE). Opening connects, migrates
 * (migrations.ts: once, whoever starts first) and checks the secret key
 * against the one the database was sealed with, exactly as the SQLite store
 * does: every instance needs the same key (BMCVISOR_SECRET_KEY, or the same
 * secret.key in its data directory), else STORE_KEY_MISMATCH. The data
 * directory still holds the console logs and, without BMCVISOR_SECRET_KEY,
 * the key file.
 *
 * subscribe() listens on NODE_CHANNEL on a connection of its own: each
 * committed node change, whichever instance made it, reaches every
 * subscriber. A subscriber whose connection is lost is told once (onLost)
 * and must subscribe again and re-read what it keeps: notifications sent
 * while nobody listened are not kept by PostgreSQL.
 */
import { randomBytes } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { ServiceError } from '../../errors.js'
import { PRIVATE_DIR_MODE, tightenDataDir } from '../file-modes.js'
import { KEY_FILE, loadKey, SecretBox } from '../secret-box.js'
import type { OpenedStore } from '../types.js'
import { PgAuditRepo } from './audit.js'
import { PgDb, parseStoreUrl } from './db.js'
import { migrate } from './migrations.js'
import { PgProfileRepo } from './profiles.js'
import { PgNodeRepo } from './nodes.js'
import { NODE_CHANNEL, parseChange, type NodeChange } from './notify.js'
import { PgTokenRepo } from './tokens.js'

export interface OpenPostgresOptions {
  /** postgres://USER@HOST:PORT/DATABASE (the password best in PGPASSWORD or ~/.pgpass). */
  url: string
  /** Where the console logs (and secret.key, without secretKey) are. */
  dataDir: string
  secretKey?: string | undefined
  privateTrees?: readonly string[] | undefined
  /** A pooled connection broke while idle (already STORE_UNAVAILABLE); the next query opens a new one. */
  onConnectionError?: (err: Error) => void
}

export interface Subscription {
  /** Stops listening and closes the subscription's connection. */
  close(): Promise<void>
}

export interface PostgresStore extends OpenedStore {
  readonly kind: 'postgres'
  /** This instance's id in the notifications it causes (NodeChange.origin). */
  readonly instanceId: string
  /** The schema versions this open applied (empty when the database was already current). */
  readonly migrated: readonly number[]
  /** The connection pool (src/cluster keeps its membership row through it). */
  readonly db: PgDb
  /** A key derived from the sealing key for another purpose (SecretBox.derive; the cluster's forwarding channel). */
  deriveKey(info: string): Buffer
  /** Every committed node change from now on, from any instance; `onLost` once if the connection goes. */
  subscribe(onChange: (c: NodeChange) => void, onLost?: (err: Error) => void): Promise<Subscription>
}

/** Bytes of randomness in an instance id. */
const INSTANCE_ID_BYTES = 8

export async function openPostgresStore(opts: OpenPostgresOptions): Promise<PostgresStore> {
  const url = parseStoreUrl(opts.url, 'store')
  mkdirSync(opts.dataDir, { recursive: true, mode: PRIVATE_DIR_MODE })
  const loaded = loadKey(opts.dataDir, opts.secretKey)
  const modeWarnings = tightenDataDir(opts.dataDir, { files: [KEY_FILE], trees: opts.privateTrees ?? [] })
  const box = new SecretBox(loaded.key)
  const db = new PgDb(url, (err) => opts.onConnectionError?.(err))
  let migrated: number[]
  try {
    const c = await db.connect()
    try {
      migrated = await migrate(c)
    } catch (e) {
      throw db.wrap(e)
    } finally {
      c.release()
    }
    const check = box.checkValue()
    await db.tx(async (t) => {
      await t.query("INSERT INTO meta (key, value) VALUES ('key_check', $1) ON CONFLICT (key) DO NOTHING", [check])
      const stored = (await t.query<{ value: string }>("SELECT value FROM meta WHERE key = 'key_check'")).rows[0]!.value
      if (stored !== check) {
        throw new ServiceError('STORE_KEY_MISMATCH', `the secret key (${loaded.source === 'env' ? 'BMCVISOR_SECRET_KEY' : join(opts.dataDir, KEY_FILE)}) is not the one the database ${db.location} was created with`)
      }
    })
  } catch (e) {
    await db.close()
    throw e
  }
  const instanceId = randomBytes(INSTANCE_ID_BYTES).toString('hex')
  const subscriptions = new Set<Subscription>()
  return {
    kind: 'postgres',
    dataDir: opts.dataDir,
    location: db.location,
    keySource: loaded.source,
    keyWarning: loaded.warning,
    modeWarnings,
    instanceId,
    migrated,
    db,
    deriveKey: (info) => box.derive(info),
    nodes: new PgNodeRepo(db, box, instanceId),
    profiles: new PgProfileRepo(db),
    tokens: new PgTokenRepo(db),
    audit: new PgAuditRepo(db),
    getMeta: async (key) => (await db.query<{ value: string }>('SELECT value FROM meta WHERE key = $1', [key])).rows[0]?.value,
    setMeta: async (key, value) => void (await db.query('INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, value])),
    claimMeta: async (key, value) => ((await db.query('INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [key, value])).rowCount ?? 0) === 1,
    ping: async () => {
      try {
        return (await db.query('SELECT 1')).rowCount === 1
      } catch {
        return false
      }
    },
    async subscribe(onChange, onLost) {
      const client = await db.client()
      let open = true
      const lost = (err: unknown) => {
        if (!open) return
        open = false
        subscriptions.delete(sub)
        client.end().catch(() => undefined)
        onLost?.(db.unavailable(err))
      }
      const sub: Subscription = {
        async close() {
          if (!open) return
          open = false
          subscriptions.delete(sub)
          await client.end().catch(() => undefined)
        },
      }
      client.on('notification', (m) => {
        if (m.channel !== NODE_CHANNEL) return
        const change = parseChange(m.payload)
        if (change !== undefined) onChange(change)
      })
      client.on('error', lost)
      client.on('end', () => lost(new Error('Connection terminated')))
      try {
        await client.query(`LISTEN ${NODE_CHANNEL}`)
      } catch (e) {
        open = false
        await client.end().catch(() => undefined)
        throw db.wrap(e)
      }
      subscriptions.add(sub)
      return sub
    },
    close: async () => {
      await Promise.all([...subscriptions].map((s) => s.close()))
      await db.close()
    },
  }
}

export function isPostgresStore(s: OpenedStore): s is PostgresStore {
  return s.kind === 'postgres'
}

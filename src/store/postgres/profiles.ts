/** Each node's learned BMC profile in PostgreSQL: the SQLite repository's semantics (../profiles.ts), one row per node, deleted with it. */
import type { ProfileDoc, ProfileRepo, StoredProfile } from '../types.js'
import type { PgDb } from './db.js'

interface Row {
  node: string
  profile: string
  updated_at: string
}

const stored = (r: Row): StoredProfile => ({ profile: JSON.parse(r.profile) as ProfileDoc, updatedAt: r.updated_at })

export class PgProfileRepo implements ProfileRepo {
  constructor(private readonly db: PgDb) {}

  async get(node: string): Promise<StoredProfile | undefined> {
    const r = (await this.db.query<Row>('SELECT node, profile, updated_at FROM bmc_profiles WHERE node = $1', [node])).rows[0]
    return r === undefined ? undefined : stored(r)
  }

  async list(): Promise<(StoredProfile & { node: string })[]> {
    return (await this.db.query<Row>('SELECT node, profile, updated_at FROM bmc_profiles ORDER BY node')).rows.map((r) => ({ node: r.node, ...stored(r) }))
  }

  async put(node: string, profile: ProfileDoc): Promise<void> {
    // A profile for a node that is gone (removed while its worker reported) is not kept.
    await this.db.query(
      'INSERT INTO bmc_profiles (node, profile, updated_at) SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM nodes WHERE name = $1) ON CONFLICT (node) DO UPDATE SET profile = excluded.profile, updated_at = excluded.updated_at',
      [node, JSON.stringify(profile), new Date().toISOString()],
    )
  }

  async reset(node: string): Promise<boolean> {
    return ((await this.db.query('DELETE FROM bmc_profiles WHERE node = $1', [node])).rowCount ?? 0) > 0
  }
}

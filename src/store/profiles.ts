/**
 * What each node's client learned about its BMC (its profile: the entries of
 * src/session/profile.ts, as JSON), one row per node, deleted with the node.
 * The store keeps the document as given; the supervisor's reports and the
 * API's view validate it (reviveProfile drops what it does not know).
 */
import type { Database, Statement } from 'better-sqlite3'
import type { ProfileDoc, ProfileRepo, StoredProfile } from './types.js'

export class SqliteProfileRepo implements ProfileRepo {
  private readonly q: {
    get: Statement<[string], { profile: string; updated_at: string }>
    all: Statement<[], { node: string; profile: string; updated_at: string }>
    put: Statement<[{ node: string; profile: string; at: string }]>
    remove: Statement<[string]>
  }

  constructor(db: Database) {
    this.q = {
      get: db.prepare('SELECT profile, updated_at FROM bmc_profiles WHERE node = ?'),
      all: db.prepare('SELECT node, profile, updated_at FROM bmc_profiles ORDER BY node'),
      // A profile for a node that is gone (removed while its worker reported) is not kept: the foreign key refuses it.
      put: db.prepare('INSERT INTO bmc_profiles (node, profile, updated_at) SELECT @node, @profile, @at WHERE EXISTS (SELECT 1 FROM nodes WHERE name = @node) ON CONFLICT (node) DO UPDATE SET profile = excluded.profile, updated_at = excluded.updated_at'),
      remove: db.prepare('DELETE FROM bmc_profiles WHERE node = ?'),
    }
  }

  async get(node: string): Promise<StoredProfile | undefined> {
    const r = this.q.get.get(node)
    return r === undefined ? undefined : { profile: JSON.parse(r.profile) as ProfileDoc, updatedAt: r.updated_at }
  }

  async list(): Promise<(StoredProfile & { node: string })[]> {
    return this.q.all.all().map((r) => ({ node: r.node, profile: JSON.parse(r.profile) as ProfileDoc, updatedAt: r.updated_at }))
  }

  async put(node: string, profile: ProfileDoc): Promise<void> {
    this.q.put.run({ node, profile: JSON.stringify(profile), at: new Date().toISOString() })
  }

  async reset(node: string): Promise<boolean> {
    return this.q.remove.run(node).changes > 0
  }
}

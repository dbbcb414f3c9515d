/**
 * The PostgreSQL schema, in versions applied in order; the applied versions
 * are rows of `schema_version`. Append only: never edit a migration that has
 * shipped, add the next one. The columns mean what the SQLite schema's mean
 * (../migrations.ts): times are ISO text as the store writes them, `spec` is
 * the node without its secrets (JSON), `sealed` is AES-256-GCM of {password,
 * kg} under the secret key every instance shares. Names sort and compare
 * bytewise (COLLATE "C"), as SQLite's do, whatever the database's locale.
 *
 * migrate() runs every pending version in one transaction that first takes
 * a transaction-level advisory lock: instances that start at once queue on
 * the lock, the first migrates, the others then find nothing to do.
 */
import type { ClientBase } from 'pg'
import { schemaNewer } from '../migrations.js'

/** The first key of every advisory lock bmcvisor takes ('bmcv' in ASCII); the second names the lock. */
export const ADVISORY_LOCK_CLASS = 0x626d6376
/** Second key: schema migrations. */
export const MIGRATION_LOCK = 1

export const PG_MIGRATIONS: readonly string[] = [
  // 1: nodes, groups, group settings, tokens (with expiry), audit log, meta: SQLite's migrations 1 to 3 in one
  `
  CREATE TABLE meta (key text COLLATE "C" PRIMARY KEY, value text NOT NULL);
  CREATE TABLE nodes (
    name text COLLATE "C" PRIMARY KEY,
    spec text NOT NULL,
    sealed bytea NOT NULL,
    revision integer NOT NULL,
    created_at text NOT NULL,
    updated_at text NOT NULL
  );
  CREATE TABLE node_groups (
    node text COLLATE "C" NOT NULL REFERENCES nodes(name) ON DELETE CASCADE,
    grp text COLLATE "C" NOT NULL,
    PRIMARY KEY (node, grp)
  );
  CREATE INDEX node_groups_grp ON node_groups (grp, node);
  CREATE TABLE group_settings (
    grp text COLLATE "C" PRIMARY KEY,
    watch text NOT NULL
  );
  CREATE TABLE tokens (
    id text COLLATE "C" PRIMARY KEY,
    name text NOT NULL,
    role text NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
    hash bytea NOT NULL UNIQUE,
    created_at text COLLATE "C" NOT NULL,
    last_used_at text,
    revoked_at text,
    expires_at text
  );
  CREATE TABLE audit (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at text COLLATE "C" NOT NULL,
    actor text NOT NULL,
    token_id text,
    action text NOT NULL,
    target text,
    detail text,
    outcome text
  );
  CREATE INDEX audit_target ON audit (target, id);
  CREATE INDEX audit_at ON audit (at);
  `,
  // 2: what each node's client learned about its BMC (SQLite's migration 4)
  `
  CREATE TABLE bmc_profiles (
    node text COLLATE "C" PRIMARY KEY REFERENCES nodes(name) ON DELETE CASCADE,
    profile text NOT NULL,
    updated_at text NOT NULL
  );
  `,
  // 3: cluster membership (src/cluster/membership.ts): one row per live instance, its lease judged by the database's clock
  `
  CREATE SEQUENCE member_epoch;
  CREATE TABLE members (
    id text COLLATE "C" PRIMARY KEY,
    epoch bigint NOT NULL,
    address text NOT NULL,
    joined_at timestamptz NOT NULL,
    renewed_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    draining boolean NOT NULL DEFAULT false,
    applied text[] COLLATE "C" NOT NULL DEFAULT '{}'
  );
  `,
]

/** Brings the database to the newest schema; returns the versions this call applied (none when another instance did). */
export async function migrate(c: ClientBase): Promise<number[]> {
  await c.query('BEGIN')
  try {
    await c.query('SELECT pg_advisory_xact_lock($1, $2)', [ADVISORY_LOCK_CLASS, MIGRATION_LOCK])
    await c.query('CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY KEY, applied_at text NOT NULL)')
    const current = (await c.query<{ v: number }>('SELECT coalesce(max(version), 0)::integer AS v FROM schema_version')).rows[0]!.v
    if (current > PG_MIGRATIONS.length) throw schemaNewer(current, PG_MIGRATIONS.length)
    const applied: number[] = []
    for (let v = current + 1; v <= PG_MIGRATIONS.length; v++) {
      await c.query(PG_MIGRATIONS[v - 1]!)
      await c.query('INSERT INTO schema_version (version, applied_at) VALUES ($1, $2)', [v, new Date().toISOString()])
      applied.push(v)
    }
    await c.query('COMMIT')
    return applied
  } catch (e) {
    await c.query('ROLLBACK').catch(() => undefined)
    throw e
  }
}

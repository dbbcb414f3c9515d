/**
 * Schema migrations, applied in order inside one transaction each; the
 * applied version is SQLite's `user_version`. Append only: never edit a
 * migration that has shipped, add the next one.
 *
 * Credentials never sit in a plain column: `nodes.spec` is the node without
 * its secrets (JSON), `nodes.sealed` is AES-256-GCM of {password, kg}.
 * Tokens are stored as SHA-256 of the token (tokens are 256-bit random, so
 * a fast hash is enough; no password stretching needed).
 */
import type { Database } from 'better-sqlite3'
import { ServiceError } from '../errors.js'

/** STORE_SCHEMA_NEWER: the database's schema `current` is past the `known` newest of this build. */
export function schemaNewer(current: number, known: number): ServiceError {
  return new ServiceError('STORE_SCHEMA_NEWER', `database schema version ${current} is newer than this bmcvisor knows (${known}); upgrade bmcvisor`, { details: { schema: current, known } })
}

export const MIGRATIONS: readonly string[] = [
  // 1: nodes, groups, tokens, audit log, meta
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
  CREATE TABLE nodes (
    name TEXT PRIMARY KEY,
    spec TEXT NOT NULL,
    sealed BLOB NOT NULL,
    revision INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  ) STRICT;
  CREATE TABLE node_groups (
    node TEXT NOT NULL REFERENCES nodes(name) ON DELETE CASCADE,
    grp TEXT NOT NULL,
    PRIMARY KEY (node, grp)
  ) STRICT;
  CREATE INDEX node_groups_grp ON node_groups (grp, node);
  CREATE TABLE tokens (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
    hash BLOB NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT
  ) STRICT;
  CREATE TABLE audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    token_id TEXT,
    action TEXT NOT NULL,
    target TEXT,
    detail TEXT,
    outcome TEXT
  ) STRICT;
  CREATE INDEX audit_target ON audit (target, id);
  `,
  // 2: token expiry (NULL: never); audit retention prunes by time
  `
  ALTER TABLE tokens ADD COLUMN expires_at TEXT;
  CREATE INDEX audit_at ON audit (at);
  `,
  // 3: per-group settings: a group's console watch override (JSON); a group itself is still its members
  `
  CREATE TABLE group_settings (
    grp TEXT PRIMARY KEY,
    watch TEXT NOT NULL
  ) STRICT;
  `,
  // 4: what each node's client learned about its BMC (src/session/profile.ts LearnedProfile as JSON)
  `
  CREATE TABLE bmc_profiles (
    node TEXT PRIMARY KEY REFERENCES nodes(name) ON DELETE CASCADE,
    profile TEXT NOT NULL,
    updated_at TEXT NOT NULL
  ) STRICT;
  `,
]

/** Brings the database to the newest schema; returns the versions applied. */
export function migrate(db: Database): number[] {
  const current = db.pragma('user_version', { simple: true }) as number
  if (current > MIGRATIONS.length) {
    throw schemaNewer(current, MIGRATIONS.length)
  }
  const applied: number[] = []
  for (let v = current + 1; v <= MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v - 1]!)
      db.pragma(`user_version = ${v}`)
    }).immediate()
    applied.push(v)
  }
  return applied
}

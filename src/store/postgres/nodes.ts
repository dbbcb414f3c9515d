/**
 * Nodes and their groups in PostgreSQL: the SQLite repository's semantics
 * (../nodes.ts) with row locks instead of SQLite's one writer. Every change
 * commits together with a notification on NODE_CHANNEL, so other instances
 * learn of it (store.ts subscribe); this process's own listeners get the
 * `node:*` events after the commit, as with SQLite.
 */
import { EventEmitter } from 'node:events'
import type { ClientBase, QueryResult, QueryResultRow } from 'pg'
import { decodeNode, encodeNode, nodeExists, nodeNotFound, staleRevision, type NodeRow } from '../nodes.js'
import type { SecretBox } from '../secret-box.js'
import type { NodeDoc, NodeRecord, NodeRepo, NodeStoreEvents, WatchOverrideDoc } from '../types.js'
import type { PgDb } from './db.js'
import { changePayload, NODE_CHANNEL, type NodeChange, type NodeChangeBody } from './notify.js'

/** A connection in a transaction, or the pool's one-query path (PgDb.query). */
type Queryable = { query<R extends QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>> }
type RowWithGroups = NodeRow & { groups: string[] }

const SELECT_NODES = `
  SELECT n.name, n.spec, n.sealed, n.revision, n.created_at, n.updated_at,
         coalesce(array_agg(g.grp ORDER BY g.grp) FILTER (WHERE g.grp IS NOT NULL), '{}') AS groups
  FROM nodes n LEFT JOIN node_groups g ON g.node = n.name`

export class PgNodeRepo extends EventEmitter<NodeStoreEvents> implements NodeRepo {
  constructor(private readonly db: PgDb, private readonly box: SecretBox, private readonly origin: string) {
    super()
  }

  async get(name: string): Promise<NodeRecord | undefined> {
    return this.read(this.db, name)
  }

  async list(): Promise<NodeRecord[]> {
    const r = await this.db.query<RowWithGroups>(`${SELECT_NODES} GROUP BY n.name ORDER BY n.name`)
    return r.rows.map((row) => decodeNode(this.box, row, row.groups))
  }

  async names(): Promise<string[]> {
    return (await this.db.query<{ name: string }>('SELECT name FROM nodes ORDER BY name')).rows.map((r) => r.name)
  }

  async inGroup(group: string): Promise<string[]> {
    return (await this.db.query<{ node: string }>('SELECT node FROM node_groups WHERE grp = $1 ORDER BY node', [group])).rows.map((r) => r.node)
  }

  async groups(): Promise<{ name: string; nodes: string[] }[]> {
    const r = await this.db.query<{ name: string; nodes: string[] }>('SELECT grp AS name, array_agg(node ORDER BY node) AS nodes FROM node_groups GROUP BY grp ORDER BY grp')
    return r.rows.map((g) => ({ name: g.name, nodes: g.nodes }))
  }

  async create(doc: NodeDoc): Promise<NodeRecord> {
    const now = new Date().toISOString()
    const { spec, sealed } = encodeNode(this.box, doc)
    const rec = await this.db.tx(async (c) => {
      const ins = await c.query('INSERT INTO nodes (name, spec, sealed, revision, created_at, updated_at) VALUES ($1, $2, $3, 1, $4, $4) ON CONFLICT (name) DO NOTHING', [doc.name, spec, sealed, now])
      if (ins.rowCount === 0) throw nodeExists(doc.name)
      await setGroups(c, doc.name, doc.groups)
      const created = (await this.read(c, doc.name))!
      await this.notify(c, { op: 'added', name: doc.name, revision: created.revision })
      return created
    })
    this.emit('node:added', rec)
    return rec
  }

  async replace(doc: NodeDoc, expectedRevision?: number): Promise<NodeRecord> {
    const now = new Date().toISOString()
    const { spec, sealed } = encodeNode(this.box, doc)
    const { rec, previous } = await this.db.tx(async (c) => {
      const previous = await this.lockAndRead(c, doc.name)
      if (expectedRevision !== undefined && previous.revision !== expectedRevision) throw staleRevision(doc.name, previous.revision, expectedRevision)
      await c.query('UPDATE nodes SET spec = $1, sealed = $2, revision = $3, updated_at = $4 WHERE name = $5', [spec, sealed, previous.revision + 1, now, doc.name])
      await c.query('DELETE FROM node_groups WHERE node = $1', [doc.name])
      await setGroups(c, doc.name, doc.groups)
      const rec = (await this.read(c, doc.name))!
      await this.notify(c, { op: 'updated', name: doc.name, revision: rec.revision })
      return { rec, previous }
    })
    this.emit('node:updated', rec, previous)
    return rec
  }

  async remove(name: string): Promise<NodeRecord> {
    const previous = await this.db.tx(async (c) => {
      const previous = await this.lockAndRead(c, name)
      await c.query('DELETE FROM nodes WHERE name = $1', [name])
      await this.notify(c, { op: 'removed', name, revision: previous.revision })
      return previous
    })
    this.emit('node:removed', previous)
    return previous
  }

  async groupWatch(group: string): Promise<WatchOverrideDoc | undefined> {
    const row = (await this.db.query<{ watch: string }>('SELECT watch FROM group_settings WHERE grp = $1', [group])).rows[0]
    return row === undefined ? undefined : (JSON.parse(row.watch) as WatchOverrideDoc)
  }

  async groupWatches(): Promise<{ group: string; watch: WatchOverrideDoc }[]> {
    const r = await this.db.query<{ grp: string; watch: string }>('SELECT grp, watch FROM group_settings ORDER BY grp')
    return r.rows.map((row) => ({ group: row.grp, watch: JSON.parse(row.watch) as WatchOverrideDoc }))
  }

  async setGroupWatch(group: string, watch: WatchOverrideDoc | undefined): Promise<void> {
    await this.db.tx(async (c) => {
      if (watch === undefined) await c.query('DELETE FROM group_settings WHERE grp = $1', [group])
      else await c.query('INSERT INTO group_settings (grp, watch) VALUES ($1, $2) ON CONFLICT (grp) DO UPDATE SET watch = excluded.watch', [group, JSON.stringify(watch)])
      await this.notify(c, { op: 'group', name: group })
    })
    this.emit('group:updated', group)
  }

  private async read(q: Queryable, name: string): Promise<NodeRecord | undefined> {
    const row = (await q.query<RowWithGroups>(`${SELECT_NODES} WHERE n.name = $1 GROUP BY n.name`, [name])).rows[0]
    return row === undefined ? undefined : decodeNode(this.box, row, row.groups)
  }

  /** The node as it is, its row locked until the transaction ends; NODE_NOT_FOUND when absent. */
  private async lockAndRead(c: ClientBase, name: string): Promise<NodeRecord> {
    const locked = await c.query('SELECT 1 FROM nodes WHERE name = $1 FOR UPDATE', [name])
    if (locked.rowCount === 0) throw nodeNotFound(name)
    return (await this.read(c, name))!
  }

  /** Queued in the transaction: PostgreSQL delivers it to the listeners when (and only if) it commits. */
  private async notify(c: ClientBase, change: NodeChangeBody): Promise<void> {
    await c.query('SELECT pg_notify($1, $2)', [NODE_CHANNEL, changePayload({ ...change, origin: this.origin } as NodeChange)])
  }
}

async function setGroups(c: ClientBase, node: string, groups: readonly string[]): Promise<void> {
  if (groups.length === 0) return
  await c.query('INSERT INTO node_groups (node, grp) SELECT $1, g FROM unnest($2::text[]) AS g ON CONFLICT DO NOTHING', [node, [...new Set(groups)]])
}

/**
 * Nodes and their groups in SQLite, BMC password and K_G sealed with the
 * SecretBox. Emits `node:added|updated|removed` after each commit: the
 * composition root turns those into Supervisor.add/update/remove, so a node
 * change reaches its one watcher (DESIGN lesson 2). Validation of the node
 * document is the API's job; this layer keeps rows and groups consistent.
 */
import { EventEmitter } from 'node:events'
import type { Database, Statement } from 'better-sqlite3'
import { ServiceError } from '../errors.js'
import type { SecretBox } from './secret-box.js'
import type { NodeDoc, NodeRecord, NodeRepo, NodeStoreEvents, WatchOverrideDoc } from './types.js'

/** A nodes row, as both stores keep it: the node without secrets (JSON) and the sealed secrets. */
export interface NodeRow {
  name: string
  spec: string
  sealed: Buffer
  revision: number
  created_at: string
  updated_at: string
}

interface Secrets {
  password: string
  kg?: string | undefined
}

const aad = (name: string) => `node:${name}`

/** The columns of a node: its document without secrets, and its password and K_G sealed to its name. */
export function encodeNode(box: SecretBox, doc: NodeDoc): { spec: string; sealed: Buffer } {
  const { password, kg, ...bmc } = doc.bmc
  const secrets: Secrets = kg === undefined ? { password } : { password, kg }
  const spec = JSON.stringify({ bmc, console: doc.console })
  return { spec, sealed: box.seal(JSON.stringify(secrets), aad(doc.name)) }
}

export function decodeNode(box: SecretBox, row: NodeRow, groups: string[]): NodeRecord {
  const spec = JSON.parse(row.spec) as { bmc: Omit<NodeDoc['bmc'], 'password' | 'kg'>; console: NodeDoc['console'] }
  const secrets = JSON.parse(box.open(row.sealed, aad(row.name)).toString('utf8')) as Secrets
  return {
    name: row.name,
    bmc: { ...spec.bmc, password: secrets.password, ...(secrets.kg !== undefined ? { kg: secrets.kg } : {}) },
    console: spec.console,
    groups,
    revision: row.revision,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

export const nodeNotFound = (name: string): ServiceError => new ServiceError('NODE_NOT_FOUND', `no node named ${name}`, { details: { node: name } })
export const nodeExists = (name: string): ServiceError => new ServiceError('CONFLICT', `node ${name} already exists`, { details: { node: name } })
export const staleRevision = (name: string, revision: number, expected: number): ServiceError =>
  new ServiceError('CONFLICT', `node ${name} changed meanwhile (revision ${revision}, expected ${expected})`, { details: { node: name, revision } })

export class SqliteNodeRepo extends EventEmitter<NodeStoreEvents> implements NodeRepo {
  private readonly q: {
    get: Statement<[string], NodeRow>
    list: Statement<[], NodeRow>
    groupsOf: Statement<[string], { grp: string }>
    allGroups: Statement<[], { grp: string; node: string }>
    inGroup: Statement<[string], { node: string }>
    insert: Statement<[string, string, Buffer, number, string, string]>
    update: Statement<[string, Buffer, number, string, string]>
    remove: Statement<[string]>
    clearGroups: Statement<[string]>
    addGroup: Statement<[string, string]>
    groupWatch: Statement<[string], { watch: string }>
    groupWatches: Statement<[], { grp: string; watch: string }>
    setGroupWatch: Statement<[string, string]>
    clearGroupWatch: Statement<[string]>
  }

  constructor(private readonly db: Database, private readonly box: SecretBox) {
    super()
    this.q = {
      get: db.prepare('SELECT * FROM nodes WHERE name = ?'),
      list: db.prepare('SELECT * FROM nodes ORDER BY name'),
      groupsOf: db.prepare('SELECT grp FROM node_groups WHERE node = ? ORDER BY grp'),
      allGroups: db.prepare('SELECT grp, node FROM node_groups ORDER BY grp, node'),
      inGroup: db.prepare('SELECT node FROM node_groups WHERE grp = ? ORDER BY node'),
      insert: db.prepare('INSERT INTO nodes (name, spec, sealed, revision, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)'),
      update: db.prepare('UPDATE nodes SET spec = ?, sealed = ?, revision = ?, updated_at = ? WHERE name = ?'),
      remove: db.prepare('DELETE FROM nodes WHERE name = ?'),
      clearGroups: db.prepare('DELETE FROM node_groups WHERE node = ?'),
      addGroup: db.prepare('INSERT OR IGNORE INTO node_groups (node, grp) VALUES (?, ?)'),
      groupWatch: db.prepare('SELECT watch FROM group_settings WHERE grp = ?'),
      groupWatches: db.prepare('SELECT grp, watch FROM group_settings ORDER BY grp'),
      setGroupWatch: db.prepare('INSERT INTO group_settings (grp, watch) VALUES (?, ?) ON CONFLICT (grp) DO UPDATE SET watch = excluded.watch'),
      clearGroupWatch: db.prepare('DELETE FROM group_settings WHERE grp = ?'),
    }
  }

  async get(name: string): Promise<NodeRecord | undefined> {
    return this.read(name)
  }

  private read(name: string): NodeRecord | undefined {
    const row = this.q.get.get(name)
    return row === undefined ? undefined : this.decode(row, this.q.groupsOf.all(name).map((g) => g.grp))
  }

  async list(): Promise<NodeRecord[]> {
    const groups = new Map<string, string[]>()
    for (const { grp, node } of this.q.allGroups.all()) {
      const list = groups.get(node)
      if (list === undefined) groups.set(node, [grp])
      else list.push(grp)
    }
    return this.q.list.all().map((row) => this.decode(row, groups.get(row.name) ?? []))
  }

  async names(): Promise<string[]> {
    return this.q.list.all().map((r) => r.name)
  }

  async inGroup(group: string): Promise<string[]> {
    return this.q.inGroup.all(group).map((r) => r.node)
  }

  async groups(): Promise<{ name: string; nodes: string[] }[]> {
    const out = new Map<string, string[]>()
    for (const { grp, node } of this.q.allGroups.all()) {
      const list = out.get(grp)
      if (list === undefined) out.set(grp, [node])
      else list.push(node)
    }
    return [...out].map(([name, nodes]) => ({ name, nodes }))
  }

  async create(doc: NodeDoc): Promise<NodeRecord> {
    const now = new Date().toISOString()
    const { spec, sealed } = this.encode(doc)
    this.db.transaction(() => {
      if (this.q.get.get(doc.name) !== undefined) throw nodeExists(doc.name)
      this.q.insert.run(doc.name, spec, sealed, 1, now, now)
      for (const g of new Set(doc.groups)) this.q.addGroup.run(doc.name, g)
    }).immediate()
    const rec = this.read(doc.name)!
    this.emit('node:added', rec)
    return rec
  }

  async replace(doc: NodeDoc, expectedRevision?: number): Promise<NodeRecord> {
    const now = new Date().toISOString()
    const { spec, sealed } = this.encode(doc)
    let previous: NodeRecord | undefined
    this.db.transaction(() => {
      previous = this.read(doc.name)
      if (previous === undefined) throw nodeNotFound(doc.name)
      if (expectedRevision !== undefined && previous.revision !== expectedRevision) throw staleRevision(doc.name, previous.revision, expectedRevision)
      this.q.update.run(spec, sealed, previous.revision + 1, now, doc.name)
      this.q.clearGroups.run(doc.name)
      for (const g of new Set(doc.groups)) this.q.addGroup.run(doc.name, g)
    }).immediate()
    const rec = this.read(doc.name)!
    this.emit('node:updated', rec, previous!)
    return rec
  }

  async remove(name: string): Promise<NodeRecord> {
    let previous: NodeRecord | undefined
    this.db.transaction(() => {
      previous = this.read(name)
      if (previous === undefined) throw nodeNotFound(name)
      this.q.remove.run(name)
    }).immediate()
    this.emit('node:removed', previous!)
    return previous!
  }

  async groupWatch(group: string): Promise<WatchOverrideDoc | undefined> {
    const row = this.q.groupWatch.get(group)
    return row === undefined ? undefined : (JSON.parse(row.watch) as WatchOverrideDoc)
  }

  async groupWatches(): Promise<{ group: string; watch: WatchOverrideDoc }[]> {
    return this.q.groupWatches.all().map((r) => ({ group: r.grp, watch: JSON.parse(r.watch) as WatchOverrideDoc }))
  }

  async setGroupWatch(group: string, watch: WatchOverrideDoc | undefined): Promise<void> {
    if (watch === undefined) this.q.clearGroupWatch.run(group)
    else this.q.setGroupWatch.run(group, JSON.stringify(watch))
    this.emit('group:updated', group)
  }

  private encode(doc: NodeDoc): { spec: string; sealed: Buffer } {
    return encodeNode(this.box, doc)
  }

  private decode(row: NodeRow, groups: string[]): NodeRecord {
    return decodeNode(this.box, row, groups)
  }
}

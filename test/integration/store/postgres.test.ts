// The PostgreSQL store against a real server (test/lab/postgres.ts: initdb
// and pg_ctl as a non-root user, 127.0.0.1, a free port, a database per
// store): the store contract (test/lab/store-contract.ts, shared with
// SQLite), then what only PostgreSQL has: instances that start at once
// migrate once, a node change reaches another instance's subscription
// (LISTEN/NOTIFY), one claim wins among instances, and a database that
// cannot be reached or refuses the password is STORE_UNAVAILABLE with no
// password in the message.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import type { ServiceError } from '../../../src/errors.js'
import { openConfiguredStore } from '../../../src/store/open.js'
import { PG_MIGRATIONS } from '../../../src/store/postgres/migrations.js'
import type { NodeChange } from '../../../src/store/postgres/notify.js'
import { openPostgresStore, type PostgresStore } from '../../../src/store/postgres/store.js'
import { freePort, waitUntil } from '../../lab/net.js'
import { postgresSkip, startPostgres, type PostgresLab } from '../../lab/postgres.js'
import { KEY_A, nodeDoc, storeContract } from '../../lab/store-contract.js'
import { startServer } from '../../../src/main.js'
import { tokenCommand } from '../../../src/cli/token.js'
import { sink } from '../../lab/sink.js'
import { createLogger } from '../../../src/log.js'

/** Instances that start at once on one fresh database. */
const CONCURRENT_STARTS = 6

describe('PostgreSQL store', { skip: postgresSkip() }, () => {
  let lab: PostgresLab
  const dirs: string[] = []
  const dataDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'bmcvisor-pgstore-'))
    dirs.push(d)
    return d
  }
  const open = (url: string, secretKey = KEY_A) => openPostgresStore({ url, dataDir: dataDir(), secretKey })

  before(async () => {
    lab = await startPostgres()
  })
  after(async () => {
    await lab?.stop()
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  })

  describe('store contract on PostgreSQL', () => {
    storeContract({
      fresh: () => lab.database(),
      open: (url, secretKey) => open(url, secretKey),
      raw: async (url) => {
        const c = new pg.Client({ connectionString: url })
        await c.connect()
        try {
          const tables = ['meta', 'nodes', 'node_groups', 'group_settings', 'tokens', 'audit']
          const parts = await Promise.all(tables.map(async (t) => (await c.query<{ row: string }>(`SELECT row_to_json(x)::text AS row FROM ${t} x`)).rows.map((r) => r.row).join('\n')))
          const sealed = (await c.query<{ sealed: Buffer }>('SELECT sealed FROM nodes')).rows.map((r) => r.sealed)
          return Buffer.concat([Buffer.from(parts.join('\n')), ...sealed])
        } finally {
          await c.end()
        }
      },
    })
  })

  it('instances that start at once on a fresh database migrate it once', async () => {
    const url = await lab.database()
    const opened = await Promise.allSettled(Array.from({ length: CONCURRENT_STARTS }, () => open(url)))
    const stores = opened.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []))
    try {
      assert.deepEqual(opened.filter((o) => o.status === 'rejected'), [], 'every instance opened')
      const applied = stores.map((s) => s.migrated)
      assert.deepEqual(applied.filter((a) => a.length > 0), [PG_MIGRATIONS.map((_, i) => i + 1)], 'exactly one instance applied the migrations')
      const c = new pg.Client({ connectionString: url })
      await c.connect()
      const versions = (await c.query<{ version: number }>('SELECT version FROM schema_version ORDER BY version')).rows.map((r) => r.version)
      await c.end()
      assert.deepEqual(versions, PG_MIGRATIONS.map((_, i) => i + 1))
      // One key check for all: every instance opened with the same key.
      assert.ok(stores.every((s) => s.kind === 'postgres'))
    } finally {
      await Promise.all(stores.map((s) => s.close()))
    }
  })

  it('a node change made by one instance reaches the subscription of another, in commit order', async () => {
    const url = await lab.database()
    const a = await open(url)
    const b = await open(url)
    const got: NodeChange[] = []
    const sub = await b.subscribe((c) => got.push(c))
    try {
      await a.nodes.create(nodeDoc('n1', ['rack1']))
      await a.nodes.replace({ ...nodeDoc('n1'), groups: [] }, 1)
      await a.nodes.setGroupWatch('rack1', { disable: ['oom'] })
      await assert.rejects(a.nodes.create(nodeDoc('n1')), { code: 'CONFLICT' }) // rolled back: no notification
      await a.nodes.remove('n1')
      await waitUntil(() => got.length >= 4, { what: 'four notifications' })
      assert.deepEqual(got.map((c) => ({ ...c })), [
        { op: 'added', name: 'n1', revision: 1, origin: a.instanceId },
        { op: 'updated', name: 'n1', revision: 2, origin: a.instanceId },
        { op: 'group', name: 'rack1', origin: a.instanceId },
        { op: 'removed', name: 'n1', revision: 2, origin: a.instanceId },
      ])
      // What b reads after the notification is what a committed.
      assert.equal(await b.nodes.get('n1'), undefined)
      assert.deepEqual(await b.nodes.groupWatch('rack1'), { disable: ['oom'] })
    } finally {
      await sub.close()
      await a.close()
      await b.close()
    }
  })

  it('a subscription whose connection is lost is told once', async () => {
    const url = await lab.database()
    const s = await open(url)
    const lost: Error[] = []
    await s.subscribe(() => undefined, (e) => lost.push(e))
    const c = new pg.Client({ connectionString: url })
    await c.connect()
    try {
      await c.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN %' AND datname = current_database()")
      await waitUntil(() => lost.length > 0, { what: 'the subscription told of the lost connection' })
      assert.equal(lost.length, 1)
      assert.equal((lost[0] as ServiceError).code, 'STORE_UNAVAILABLE')
    } finally {
      await c.end()
      await s.close()
    }
  })

  it('shares tokens and the audit log between instances; one initial claim wins', async () => {
    const url = await lab.database()
    const [a, b] = [await open(url), await open(url)]
    try {
      const { token, info } = await a.tokens.create({ name: 'ops', role: 'operator' })
      assert.equal((await b.tokens.verify(token))?.id, info.id)
      await b.tokens.revoke(info.id)
      assert.deepEqual(await a.tokens.state(info.id), { state: 'revoked' })
      const id = await a.audit.append({ actor: 'a', tokenId: null, action: 'x.y', target: 'n1', detail: null, outcome: 'ok' })
      assert.equal((await b.audit.list({ target: 'n1' }))[0]?.id, id)
      const claims = await Promise.all([a, b, a, b].map((s) => s.claimMeta('initial_token_issued', 'now')))
      assert.deepEqual(claims.filter(Boolean), [true])
    } finally {
      await a.close()
      await b.close()
    }
  })

  it('is chosen by a postgres:// URL; refuses a store sealed with another key', async () => {
    const url = await lab.database()
    const s = await openConfiguredStore({ url, dataDir: dataDir(), secretKey: KEY_A })
    assert.equal(s.kind, 'postgres')
    assert.equal(s.location, `postgres://postgres@127.0.0.1:${lab.port}${new URL(url).pathname}`)
    assert.ok(!s.location.includes(lab.password))
    await s.close()
    await assert.rejects(openConfiguredStore({ url, dataDir: dataDir(), secretKey: 'ef'.repeat(32) }), { code: 'STORE_KEY_MISMATCH' })
  })

  it('an unreachable database, a wrong password or a missing database is STORE_UNAVAILABLE, never showing the password', async () => {
    const closed = await freePort('tcp')
    const cases = [
      { what: 'nothing listens', url: `postgres://postgres:${lab.password}@127.0.0.1:${closed}/x`, secret: lab.password },
      { what: 'wrong password', url: lab.url('postgres').replace(lab.password, 'not-the-password-42'), secret: 'not-the-password-42' },
      { what: 'no such database', url: lab.url('no_such_db'), secret: lab.password },
    ]
    for (const c of cases) {
      const err = await openPostgresStore({ url: c.url, dataDir: dataDir(), secretKey: KEY_A }).then(() => assert.fail(`${c.what}: opened`), (e: unknown) => e as ServiceError)
      assert.equal(err.code, 'STORE_UNAVAILABLE', `${c.what}: ${err.message}`)
      assert.ok(!JSON.stringify({ message: err.message, details: err.details, stack: err.stack }).includes(c.secret), `${c.what}: the password is not shown`)
      assert.match(err.message, /the PostgreSQL store postgres:\/\/postgres@127\.0\.0\.1:\d+\/\w+ is unavailable/)
    }
    await assert.rejects(openPostgresStore({ url: 'mysql://u:secret-pw@h/db', dataDir: dataDir() }), (e: ServiceError) => e.code === 'VALIDATION_FAILED' && !e.message.includes('secret-pw'))
  })

  it('a query while the server is gone is STORE_UNAVAILABLE; ping says false; the store works again when it is back', async () => {
    const url = await lab.database()
    const s: PostgresStore = await open(url)
    try {
      await s.nodes.create(nodeDoc('n1'))
      const admin = new pg.Client({ connectionString: lab.url('postgres') })
      await admin.connect()
      // Every connection of this database ends, as when the server restarts.
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [new URL(url).pathname.slice(1)])
      await admin.query(`ALTER DATABASE ${new URL(url).pathname.slice(1)} WITH ALLOW_CONNECTIONS false`)
      try {
        await waitUntil(async () => (await s.ping()) === false, { what: 'ping false' })
        await assert.rejects(s.nodes.get('n1'), { code: 'STORE_UNAVAILABLE' })
      } finally {
        await admin.query(`ALTER DATABASE ${new URL(url).pathname.slice(1)} WITH ALLOW_CONNECTIONS true`)
        await admin.end()
      }
      await waitUntil(async () => (await s.ping()) === true, { what: 'ping true again' })
      assert.equal((await s.nodes.get('n1'))?.bmc.password, 'pw-n1')
    } finally {
      await s.close()
    }
  })

  it('serve --store: the service keeps its nodes, tokens and audit log in PostgreSQL, where another instance reads them', async () => {
    const url = await lab.database()
    const admin = 'a'.repeat(40)
    const server = await startServer({ listen: '127.0.0.1:0', dataDir: dataDir(), store: url, secretKey: KEY_A, adminToken: admin, logger: createLogger({ level: 'silent' }) })
    const other = await open(url)
    try {
      assert.equal(server.store.kind, 'postgres')
      const api = (method: string, path: string, body?: unknown, token = admin) => fetch(`${server.url}/api/v1${path}`, {
        method, headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      })
      const created = await api('POST', '/nodes', { name: 'p1', groups: ['rack1'], bmc: { host: '127.0.0.1', port: 623, username: 'u', password: 'pg-node-pw' }, console: { logging: 'memory' } })
      assert.equal(created.status, 201, await created.clone().text())
      assert.equal((await other.nodes.get('p1'))?.bmc.password, 'pg-node-pw')
      assert.deepEqual(await (await api('GET', '/noderange/@rack1')).json(), { nodes: ['p1'], missing: [] })
      const issued = (await (await api('POST', '/tokens', { name: 'viewer', role: 'viewer' })).json()) as { token: string }
      assert.equal((await other.tokens.verify(issued.token))?.role, 'viewer')
      assert.equal((await api('GET', '/nodes', undefined, issued.token)).status, 200)
      await waitUntil(async () => (await other.audit.list({ target: 'p1' })).some((e) => e.action === 'node.create'), { what: 'the node.create audit row' })
      assert.equal((await fetch(`${server.url}/readyz`)).status, 200)
    } finally {
      await other.close()
      await server.close()
    }
  })

  it('bmcvisor token --store works on the shared database; the password may come from PGPASSWORD instead of the URL', async () => {
    const url = await lab.database()
    const bare = url.replace(`:${lab.password}@`, '@')
    const saved = process.env.PGPASSWORD
    process.env.PGPASSWORD = lab.password
    try {
      const out = sink()
      const err = sink()
      assert.equal(await tokenCommand(['create', '--role', 'viewer', '--store', bare, '--data', dataDir()], { stdout: out, stderr: err, env: { BMCVISOR_SECRET_KEY: KEY_A } }), 0, err.text())
      const s = await open(bare)
      try {
        assert.equal((await s.tokens.verify(out.text().trim()))?.role, 'viewer')
        assert.equal((await s.audit.list())[0]?.action, 'token.create')
      } finally {
        await s.close()
      }
    } finally {
      if (saved === undefined) delete process.env.PGPASSWORD
      else process.env.PGPASSWORD = saved
    }
  })
})


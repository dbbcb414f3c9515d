#!/usr/bin/env node
// better-sqlite3 against Node's built-in node:sqlite, on the store's own
// settings (WAL, synchronous=NORMAL) and access pattern: one row per node,
// written one statement at a time (each REST change is its own commit), read
// by name and listed whole. Plain JavaScript so that it runs on any Node.js
// without tsx: `node bench/sqlite-drivers.mjs [ROWS]`. A driver that cannot be
// loaded (node:sqlite before 22.5, better-sqlite3 built for another ABI) is
// reported and skipped. Results: bench/RESULTS-sqlite.md.
import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const ROWS = Number(process.argv[2] ?? 2000)
const LOOKUPS = 20_000
const LISTS = 200
const SCHEMA = 'CREATE TABLE nodes (name TEXT PRIMARY KEY, config TEXT NOT NULL, revision INTEGER NOT NULL)'
const config = (i) => JSON.stringify({ bmc: { host: `10.0.${i >> 8}.${i & 255}`, port: 623, username: 'admin' }, groups: ['rack1'], n: i })

const require = createRequire(import.meta.url)

/** Each driver as open(file) -> { exec, prepare(sql) -> { run, get, all } , close }. */
const DRIVERS = {
  'better-sqlite3': () => {
    const Database = require('better-sqlite3')
    return (file) => {
      const db = new Database(file)
      return { exec: (s) => db.exec(s), prepare: (s) => db.prepare(s), close: () => db.close() }
    }
  },
  'node:sqlite': () => {
    const { DatabaseSync } = process.getBuiltinModule?.('node:sqlite') ?? require('node:sqlite')
    return (file) => {
      const db = new DatabaseSync(file)
      return { exec: (s) => db.exec(s), prepare: (s) => db.prepare(s), close: () => db.close() }
    }
  },
}

function timed(fn) {
  const t0 = process.hrtime.bigint()
  fn()
  return Number(process.hrtime.bigint() - t0) / 1e6
}

function bench(open) {
  const dir = mkdtempSync(join(tmpdir(), 'bmcvisor-sqlite-bench-'))
  try {
    const db = open(join(dir, 'bench.db'))
    db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;')
    db.exec(SCHEMA)
    const insert = db.prepare('INSERT INTO nodes (name, config, revision) VALUES (?, ?, 1)')
    const update = db.prepare('UPDATE nodes SET config = ?, revision = revision + 1 WHERE name = ?')
    const byName = db.prepare('SELECT config, revision FROM nodes WHERE name = ?')
    const all = db.prepare('SELECT name, config, revision FROM nodes ORDER BY name')
    const r = {}
    r.insertMs = timed(() => { for (let i = 0; i < ROWS; i++) insert.run(`n${i}`, config(i)) })
    r.updateMs = timed(() => { for (let i = 0; i < ROWS; i++) update.run(config(i + 1), `n${i}`) })
    r.lookupMs = timed(() => { for (let i = 0; i < LOOKUPS; i++) byName.get(`n${i % ROWS}`) })
    r.listMs = timed(() => { for (let i = 0; i < LISTS; i++) all.all() })
    db.close()
    return r
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

console.log(`node ${process.version}, ${ROWS} rows, ${LOOKUPS} lookups, ${LISTS} full lists`)
for (const [name, load] of Object.entries(DRIVERS)) {
  let open
  try {
    open = load()
  } catch (e) {
    console.log(`${name}: not available (${e.code ?? e.message})`)
    continue
  }
  bench(open) // warm-up: JIT and page cache
  const r = bench(open)
  const us = (ms, n) => ((ms * 1000) / n).toFixed(1)
  console.log(`${name}: insert ${us(r.insertMs, ROWS)} us/row, update ${us(r.updateMs, ROWS)} us/row, ` +
    `lookup ${us(r.lookupMs, LOOKUPS)} us, list of ${ROWS} ${(r.listMs / LISTS).toFixed(2)} ms`)
}

/**
 * A PostgreSQL server for one test file: `initdb` into a temporary
 * directory and `pg_ctl start` on 127.0.0.1 and a free port, as a non-root
 * user when the tests run as root (PostgreSQL refuses root: the `postgres`
 * user of Debian's package, else `nobody`). Local connections are trusted;
 * TCP ones need the password (SCRAM), which url() carries, so a test can
 * also show what a wrong one does. Each database() is a fresh database.
 *
 * The server never outlives the test process: postgres/watch.sh holds a
 * pipe from us and stops the server and removes its directory when the
 * pipe closes: at stop() (call it in t.after) or when the process exits or
 * is killed.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { appendFileSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { freePort, LOOPBACK } from './net.js'
import { inCi } from './tools.js'
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres/store.js'

const PG_LIB = '/usr/lib/postgresql'
const WATCH = join(dirname(fileURLToPath(import.meta.url)), 'postgres', 'watch.sh')
/** The superuser initdb creates. */
export const PG_SUPERUSER = 'postgres'
/** Users to run the server as when we are root, first one that exists. */
const RUN_AS_CANDIDATES = ['postgres', 'nobody'] as const
const START_TIMEOUT_S = 60
/** Made-up for every cluster; tests that leak it into a message fail (test/integration/store/*). */
const PASSWORD_BYTES = 12

export interface PostgresLab {
  port: number
  /** The superuser's password (TCP connections need it). */
  password: string
  /** A URL for `database` with the password in it. */
  url(database: string): string
  /** Creates a fresh database and returns its URL. */
  database(): Promise<string>
  /** Stops the server and removes its files; idempotent. */
  stop(): Promise<void>
}

/** The newest installed server's bin directory, or undefined. */
export function postgresBin(): string | undefined {
  if (!existsSync(PG_LIB)) return undefined
  const versions = readdirSync(PG_LIB).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a))
  for (const v of versions) {
    const bin = join(PG_LIB, v, 'bin')
    if (existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'pg_ctl'))) return bin
  }
  return undefined
}

/**
 * For `describe(..., { skip: postgresSkip() })`: false when PostgreSQL can
 * run, else the reason to skip; under CI it throws instead (a missing server
 * is a failure there, not a skip).
 */
export function postgresSkip(): string | false {
  if (postgresBin() !== undefined) return false
  const msg = `PostgreSQL server binaries not found under ${PG_LIB} (apt-get install postgresql)`
  if (inCi()) throw new Error(`${msg}; CI is set, so this is a failure, not a skip`)
  return msg
}

function userIds(name: string): { uid: number; gid: number } | undefined {
  const r = spawnSync('id', ['-u', name], { encoding: 'utf8' })
  const g = spawnSync('id', ['-g', name], { encoding: 'utf8' })
  if (r.status !== 0 || g.status !== 0) return undefined
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) }
}

export interface StartPostgresOptions {
  /**
   * More addresses to listen on besides loopback, each with the network allowed to connect from it
   * (SCRAM, like loopback): the host side of a veth pair into a network namespace a test made.
   */
  also?: readonly { address: string; network: string }[]
}

export async function startPostgres(o: StartPostgresOptions = {}): Promise<PostgresLab> {
  const bin = postgresBin()
  if (bin === undefined) throw new Error(`no PostgreSQL server under ${PG_LIB}`)
  const root = process.getuid?.() === 0
  const runAs = root ? RUN_AS_CANDIDATES.find((u) => userIds(u) !== undefined) : undefined
  if (root && runAs === undefined) throw new Error(`running as root and none of ${RUN_AS_CANDIDATES.join(', ')} exists to run PostgreSQL as`)
  const ids = runAs === undefined ? undefined : userIds(runAs)!
  const top = mkdtempSync(join(tmpdir(), 'bmcvisor-pg-'))
  const data = join(top, 'data')
  mkdirSync(data, { mode: 0o700 })
  const password = randomBytes(PASSWORD_BYTES).toString('hex')
  const pwfile = join(top, 'pwfile')
  writeFileSync(pwfile, password + '\n', { mode: 0o600 })
  if (ids !== undefined) for (const p of [top, data, pwfile]) chownSync(p, ids.uid, ids.gid)
  const as = (cmd: string, args: string[]) => (runAs === undefined ? [cmd, args] as const : ['runuser', ['-u', runAs, '--', cmd, ...args]] as const)
  const run = (cmd: string, args: string[]) => {
    const [c, a] = as(cmd, args)
    const r = spawnSync(c, a, { encoding: 'utf8', cwd: top })
    if (r.status !== 0) throw new Error(`${cmd} failed (${r.status}): ${r.stderr || r.stdout}`)
  }
  try {
    run(join(bin, 'initdb'), ['-D', data, '-U', PG_SUPERUSER, `--pwfile=${pwfile}`, '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--no-sync'])
  } catch (e) {
    rmSync(top, { recursive: true, force: true })
    throw e
  }
  rmSync(pwfile)
  for (const a of o.also ?? []) appendFileSync(join(data, 'pg_hba.conf'), `host all all ${a.network} scram-sha-256\n`)
  const port = await freePort('tcp')
  // The watcher first: from here on, whatever happens to us, the server goes when we do.
  const watcher: ChildProcess = spawn('sh', [WATCH, join(bin, 'pg_ctl'), data, top, ...(runAs !== undefined ? [runAs] : [])], { stdio: ['pipe', 'pipe', 'inherit'], detached: true })
  watcher.unref()
  ;(watcher.stdout as unknown as { unref?: () => void }).unref?.()
  ;(watcher.stdin as unknown as { unref?: () => void }).unref?.()
  const stopped = new Promise<void>((resolve) => watcher.once('exit', () => resolve()))
  let stopping: Promise<void> | undefined
  const stop = () => (stopping ??= (async () => {
    watcher.ref() // held until the server is down, so the process waits for it
    watcher.stdin?.end()
    await stopped
  })())
  try {
    run(join(bin, 'pg_ctl'), ['-D', data, '-l', join(top, 'server.log'), '-w', '-t', String(START_TIMEOUT_S), '-o',
      `-p ${port} -k ${top} -c listen_addresses=${[LOOPBACK, ...(o.also ?? []).map((a) => a.address)].join(',')} -c fsync=off -c synchronous_commit=off -c full_page_writes=off`, 'start'])
  } catch (e) {
    await stop()
    throw e
  }
  const url = (database: string) => `postgres://${PG_SUPERUSER}:${password}@${LOOPBACK}:${port}/${database}`
  let n = 0
  return {
    port, password, url, stop,
    async database() {
      const name = `t${process.pid}_${++n}`
      const c = new pg.Client({ connectionString: url('postgres') })
      await c.connect()
      try {
        await c.query(`CREATE DATABASE ${name}`)
      } finally {
        await c.end()
      }
      return url(name)
    },
  }
}

/**
 * PostgreSQL stores a test file opens on the lab's server, each with a data
 * directory of its own (`prefix` names them); closeAll() closes every store
 * and removes the directories.
 */
export function labStores(prefix: string, secretKey: string): { open(url: string): Promise<PostgresStore>; closeAll(): Promise<void> } {
  const dirs: string[] = []
  const stores: PostgresStore[] = []
  return {
    async open(url) {
      const d = mkdtempSync(join(tmpdir(), prefix))
      dirs.push(d)
      const s = await openPostgresStore({ url, dataDir: d, secretKey })
      stores.push(s)
      return s
    },
    async closeAll() {
      for (const s of stores.splice(0)) await s.close().catch(() => undefined)
      for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
    },
  }
}

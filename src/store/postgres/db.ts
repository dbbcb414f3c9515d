/**
 * The connection side of the PostgreSQL store: one pool, queries and
 * transactions through it, and every failure to reach the database turned
 * into STORE_UNAVAILABLE naming the store without its password. A store URL
 * is `postgres://USER@HOST:PORT/DATABASE` (postgresql:// too); its password
 * is best given as PGPASSWORD or in ~/.pgpass, which the client reads, so it
 * is not on a command line.
 */
import pg from 'pg'
import type { PoolClient, QueryResultRow } from 'pg'
import { ServiceError } from '../../errors.js'

export const STORE_URL_SCHEMES: readonly string[] = ['postgres:', 'postgresql:']
/** How long opening a connection may take before the store reports STORE_UNAVAILABLE. */
export const CONNECT_TIMEOUT_MS = 10_000
/** Connections one instance holds at most (requests, node changes; LISTEN has its own). */
export const POOL_SIZE = 10
/** How the instance shows in pg_stat_activity. */
export const APPLICATION_NAME = 'bmcvisor'

/**
 * SQLSTATE classes and codes that mean "the database cannot serve this
 * connection" rather than "this statement is wrong": connection exception
 * (08), invalid authorization (28), no such database (3D000), too many
 * connections (53300), shutting down or starting (57P01-57P03).
 */
const UNAVAILABLE_CLASSES: readonly string[] = ['08', '28']
const UNAVAILABLE_CODES: readonly string[] = ['3D000', '53300', '57P01', '57P02', '57P03']
/** Socket errors of the operating system on the way to the server. */
const SOCKET_CODES: readonly string[] = ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'ENOENT']
/** node-postgres reports a dropped or timed-out connection with these messages and no code. */
const CLIENT_CONNECTION_MESSAGES: readonly RegExp[] = [/^Connection terminated/, /^timeout exceeded when trying to connect/, /^Client has encountered a connection error/, /^Cannot use a pool after calling end/]

/** Checks a store URL: VALIDATION_FAILED on `field` when it is not a postgres:// URL (the text is not repeated: it may hold a password). */
export function parseStoreUrl(url: string, field: string): URL {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    throw new ServiceError('VALIDATION_FAILED', `${field} is not a URL (postgres://USER@HOST:PORT/DATABASE)`, { details: { field } })
  }
  if (!STORE_URL_SCHEMES.includes(u.protocol)) throw new ServiceError('VALIDATION_FAILED', `${field} must be a postgres:// URL, not ${u.protocol}//`, { details: { field } })
  if (u.pathname.length <= 1) throw new ServiceError('VALIDATION_FAILED', `${field} names no database (postgres://USER@HOST:PORT/DATABASE)`, { details: { field } })
  return u
}

/** The store's URL for messages and logs: scheme, user, host, port and database; never the password or the query. */
export function describeStoreUrl(u: URL): string {
  const user = u.username === '' ? '' : `${decodeURIComponent(u.username)}@`
  return `${u.protocol}//${user}${u.host}${u.pathname}`
}

/** True when `e` says the database could not be reached or would not serve the connection. */
export function isUnavailable(e: unknown): boolean {
  if (e === null || typeof e !== 'object') return false
  const code = (e as { code?: unknown }).code
  if (typeof code === 'string') {
    if (SOCKET_CODES.includes(code) || UNAVAILABLE_CODES.includes(code)) return true
    if (code.length === 5 && UNAVAILABLE_CLASSES.includes(code.slice(0, 2))) return true
  }
  const message = (e as { message?: unknown }).message
  return typeof message === 'string' && CLIENT_CONNECTION_MESSAGES.some((re) => re.test(message))
}

/** Clients that carry ignoreCheckedOutError already. */
const guarded = new WeakSet<PoolClient>()
function ignoreCheckedOutError(): void {
  // see PgDb.connect
}

export class PgDb {
  readonly pool: pg.Pool
  readonly location: string
  readonly #config: pg.ClientConfig

  constructor(url: URL, onIdleError: (err: Error) => void) {
    this.location = describeStoreUrl(url)
    this.#config = { connectionString: url.href, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, application_name: APPLICATION_NAME }
    this.pool = new pg.Pool({ ...this.#config, max: POOL_SIZE })
    // A pooled connection that breaks while idle: without a listener the process would crash.
    this.pool.on('error', (err) => onIdleError(this.unavailable(err)))
  }

  /** A connection of its own, outside the pool (LISTEN holds one for as long as it listens). */
  async client(): Promise<pg.Client> {
    const c = new pg.Client(this.#config)
    try {
      await c.connect()
    } catch (e) {
      await c.end().catch(() => undefined)
      throw this.unavailable(e)
    }
    return c
  }

  async query<R extends QueryResultRow>(text: string, values: unknown[] = []): Promise<pg.QueryResult<R>> {
    const c = await this.connect()
    let broken: Error | undefined
    try {
      return await c.query<R>(text, values)
    } catch (e) {
      if (isUnavailable(e)) broken = e as Error
      throw this.wrap(e)
    } finally {
      c.release(broken) // a broken connection is closed, not handed to the next caller
    }
  }

  /** Runs `fn` in one transaction on one connection: committed when it resolves, rolled back when it throws. */
  async tx<T>(fn: (c: PoolClient) => Promise<T>): Promise<T> {
    const c = await this.connect()
    let broken: Error | undefined
    try {
      await c.query('BEGIN')
      const out = await fn(c)
      await c.query('COMMIT')
      return out
    } catch (e) {
      if (isUnavailable(e)) broken = e as Error
      else await c.query('ROLLBACK').catch((r: unknown) => (broken = r as Error))
      throw this.wrap(e)
    } finally {
      c.release(broken)
    }
  }

  /** A pooled connection; any failure to get one (refused, timed out, not accepting connections, auth) is STORE_UNAVAILABLE. */
  async connect(): Promise<PoolClient> {
    let c: PoolClient
    try {
      c = await this.pool.connect()
    } catch (e) {
      throw this.unavailable(e)
    }
    // The pool listens for errors only on idle clients: a connection that breaks while checked out would
    // emit an unhandled 'error' (a crash). The query in flight rejects with it, which is where it is handled.
    if (!guarded.has(c)) {
      guarded.add(c)
      c.on('error', ignoreCheckedOutError)
    }
    return c
  }

  /** STORE_UNAVAILABLE for a connection failure, the error itself otherwise. */
  wrap(e: unknown): unknown {
    return isUnavailable(e) ? this.unavailable(e) : e
  }

  unavailable(e: unknown): ServiceError {
    if (e instanceof ServiceError) return e
    const reason = e instanceof Error ? e.message : String(e)
    const code = (e as { code?: unknown } | null)?.code
    return new ServiceError('STORE_UNAVAILABLE', `the PostgreSQL store ${this.location} is unavailable: ${reason}`, {
      details: { store: this.location, reason, ...(typeof code === 'string' ? { code } : {}) },
      cause: e,
    })
  }

  async close(): Promise<void> {
    if (!this.pool.ended) await this.pool.end()
  }
}

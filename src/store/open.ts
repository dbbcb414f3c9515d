/**
 * Opens the store the service is configured with: the SQLite file in the
 * data directory (the default), or PostgreSQL when a postgres:// URL is
 * given (serve --store, BMCVISOR_STORE).
 */
import { openPostgresStore } from './postgres/store.js'
import { openStore as openSqliteStore, type OpenStoreOptions } from './sqlite.js'
import type { OpenedStore } from './types.js'

export interface ConfiguredStoreOptions extends OpenStoreOptions {
  /** A postgres:// URL; undefined or empty: SQLite in the data directory. */
  url?: string | undefined
  /** A pooled PostgreSQL connection broke while idle. */
  onConnectionError?: (err: Error) => void
}

export async function openConfiguredStore(o: ConfiguredStoreOptions): Promise<OpenedStore> {
  if (o.url === undefined || o.url === '') return openSqliteStore(o)
  return openPostgresStore({ url: o.url, dataDir: o.dataDir, secretKey: o.secretKey, privateTrees: o.privateTrees, ...(o.onConnectionError !== undefined ? { onConnectionError: o.onConnectionError } : {}) })
}

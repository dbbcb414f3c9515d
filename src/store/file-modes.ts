/**
 * File modes under the data directory: everything in it is private to the
 * service user (the database holds sealed credentials and token hashes,
 * secret.key unseals them, console logs hold whatever the hosts printed).
 * Files are 0600 and directories 0700 whatever existed before: openStore()
 * tightens the service's own entries at every start (the database and its
 * WAL files, secret.key, and the trees it is told about: the console logs),
 * and what the service creates later is created with these modes (the
 * SQLite WAL and shared-memory files take the database file's mode, console
 * logs are opened with 0600). Symbolic links are left alone and not followed.
 */
import { chmodSync, lstatSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

export const PRIVATE_FILE_MODE = 0o600
export const PRIVATE_DIR_MODE = 0o700
const PERMISSION_BITS = 0o7777

/** What under the data directory is the service's: these files, and these directories with all they hold. */
export interface PrivateEntries {
  files: readonly string[]
  trees: readonly string[]
}

/**
 * Sets the data directory to 0700, its named files to 0600 and its named
 * trees to 0700/0600 throughout. Nothing else in it is touched: a data
 * directory pointed at a shared place (`--data .`) must not chmod the
 * user's other files. Returns one message per entry it could not change
 * (not ours, gone meanwhile): the caller logs them; nothing is thrown.
 */
export function tightenDataDir(dataDir: string, entries: PrivateEntries): string[] {
  const problems: string[] = []
  tighten(dataDir, false, problems)
  for (const f of entries.files) tighten(join(dataDir, f), false, problems)
  for (const d of entries.trees) tighten(join(dataDir, d), true, problems)
  return problems
}

function tighten(path: string, recurse: boolean, problems: string[]): void {
  let st
  try {
    st = lstatSync(path)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') problems.push(`${path}: ${(e as Error).message}`)
    return
  }
  const want = st.isDirectory() ? PRIVATE_DIR_MODE : st.isFile() ? PRIVATE_FILE_MODE : undefined
  if (want === undefined) return
  if ((st.mode & PERMISSION_BITS) !== want) {
    try {
      chmodSync(path, want)
    } catch (e) {
      problems.push(`${path} stays mode ${(st.mode & PERMISSION_BITS).toString(8)}: ${(e as Error).message}`)
    }
  }
  if (!recurse || !st.isDirectory()) return
  let names: string[] = []
  try {
    names = readdirSync(path)
  } catch (e) {
    problems.push(`${path}: ${(e as Error).message}`)
  }
  for (const n of names) tighten(join(path, n), true, problems)
}

/**
 * File modes under the data directory: everything in it is private to the
 * service user (the database holds sealed credentials and token hashes,
 * secret.key unseals them, console logs hold whatever the hosts printed).
 * Files are 0600 and directories 0700 whatever existed before: openStore()
 * tightens the whole tree at every start, and what the service creates
 * later is created with these modes (the SQLite WAL and shared-memory files
 * take the database file's mode, console logs are opened with 0600).
 * Symbolic links are left alone and not followed.
 */
import { chmodSync, lstatSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

export const PRIVATE_FILE_MODE = 0o600
export const PRIVATE_DIR_MODE = 0o700
const PERMISSION_BITS = 0o7777

/**
 * Sets `dir` and every directory below it to 0700 and every regular file to
 * 0600. Returns one message per entry it could not change (not ours, gone
 * meanwhile): the caller logs them; nothing is thrown for a single file.
 */
export function tightenTree(dir: string): string[] {
  const problems: string[] = []
  const visit = (path: string): void => {
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
    if (!st.isDirectory()) return
    let names: string[] = []
    try {
      names = readdirSync(path)
    } catch (e) {
      problems.push(`${path}: ${(e as Error).message}`)
    }
    for (const n of names) visit(join(path, n))
  }
  visit(dir)
  return problems
}

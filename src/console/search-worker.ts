/**
 * The search pool's task (search-pool.ts runs it in a piscina thread): scan
 * one console log file. Errors come back as values in their wire form
 * (`{ ok: false, error }`), since a thrown error loses its code crossing the
 * thread; a file that cannot be read is CONSOLE_LOG_UNREADABLE with the
 * system's reason (ENOENT, EACCES, a broken gzip stream), never its contents.
 */
import { ServiceError, toWire, type WireError } from '../errors.js'
import { scanFile, type ScanResult, type ScanTask } from './log-scan.js'

export type ScanReply = { ok: true; result: ScanResult } | { ok: false; error: WireError }

export default async function scan(task: ScanTask): Promise<ScanReply> {
  try {
    return { ok: true, result: await scanFile(task) }
  } catch (e) {
    if (e instanceof ServiceError) return { ok: false, error: toWire(e) }
    const reason = (e as NodeJS.ErrnoException).code ?? (e as Error).name
    return { ok: false, error: toWire(new ServiceError('CONSOLE_LOG_UNREADABLE', `cannot read the console log (${reason})`, { details: { reason } })) }
  }
}

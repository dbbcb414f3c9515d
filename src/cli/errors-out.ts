/**
 * How every server-side CLI command reports a failure: one line
 * `bmcvisor: CODE: message` on stderr; exit 2 for usage errors, 1 otherwise.
 */
import { toWire } from '../errors.js'

export function reportError(e: unknown, stderr: NodeJS.WritableStream): number {
  const w = toWire(e)
  const parseArgs = e instanceof Error && 'code' in e && typeof e.code === 'string' && e.code.startsWith('ERR_PARSE_ARGS')
  const code = parseArgs ? 'VALIDATION_FAILED' : w.code
  const message = parseArgs || w.code === 'INTERNAL' ? (e instanceof Error ? e.message : String(e)) : w.message
  stderr.write(`bmcvisor: ${code}: ${message}\n`)
  return code === 'VALIDATION_FAILED' ? 2 : 1
}

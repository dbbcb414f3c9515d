/**
 * The standard RMCP port on loopback, for the tests whose tool follows or
 * needs it (ipmiconsole has no port option for SOL, and follows an alternate
 * SOL port only from 623). Several such tests run at once, so a bind waits
 * for the port to be free; under CI (root) a port that stays taken fails the
 * test, elsewhere (no root) it skips it.
 */
import type { TestContext } from 'node:test'
import { waitUntil } from './net.js'
import { inCi } from './tools.js'

export const RMCP_PORT = 623
/** How long a test waits for another test to give the port back. */
const WAIT_MS = 60_000
const RETRY_MS = 250

/** Runs `bind(623)` until it does not fail with EADDRINUSE; undefined (test skipped) when it cannot outside CI. */
export async function onPort623<T>(t: TestContext, bind: (port: number) => Promise<T>, why: string): Promise<T | undefined> {
  let lastError = ''
  try {
    return await waitUntil(async () => {
      try {
        return await bind(RMCP_PORT)
      } catch (e) {
        lastError = (e as { code?: string }).code ?? String(e)
        if (lastError !== 'EADDRINUSE') throw e
        return undefined
      }
    }, { timeoutMs: WAIT_MS, intervalMs: RETRY_MS, what: `127.0.0.1:${RMCP_PORT} to be free` })
  } catch (e) {
    const msg = `cannot bind 127.0.0.1:${RMCP_PORT} (${lastError || (e as Error).message}); ${why}`
    if (inCi()) throw new Error(`${msg}; CI runs as root, so this is a failure, not a skip`)
    t.skip(msg)
    return undefined
  }
}

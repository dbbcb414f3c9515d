// test/lab/postgres.ts does not leave a server behind: a test process
// killed with SIGKILL takes its PostgreSQL (and its directory) with it.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { connect } from 'node:net'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { LOOPBACK, waitUntil } from '../../lab/net.js'
import { postgresSkip } from '../../lab/postgres.js'

const HOLDER = fileURLToPath(new URL('./fixtures/postgres-holder.ts', import.meta.url))
/** pg_ctl stop -m immediate and the directory removal, on a loaded machine. */
const GONE_WITHIN_MS = 30_000

const accepts = (port: number) => new Promise<boolean>((resolve) => {
  const s = connect(port, LOOPBACK)
  s.once('connect', () => (s.destroy(), resolve(true)))
  s.once('error', () => resolve(false))
})

describe('the PostgreSQL lab', { skip: postgresSkip() }, () => {
  it('stops the server when the test process is killed with SIGKILL', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', HOLDER], { stdio: ['ignore', 'pipe', 'inherit'] })
    try {
      const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string]
      const { port } = JSON.parse(line) as { port: number }
      assert.equal(await accepts(port), true, 'the server listens')
      child.kill('SIGKILL')
      await once(child, 'exit')
      await waitUntil(async () => !(await accepts(port)), { timeoutMs: GONE_WITHIN_MS, what: 'the server gone after its test process was killed' })
    } finally {
      child.kill('SIGKILL')
    }
  })
})

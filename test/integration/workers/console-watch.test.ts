// The worker's console watch through BmcAgent on a live exec console (a
// shell loop that echoes its input): a panic line typed to the host comes
// back as a console-match, a 'watch' message changes the patterns without a
// new console (no second `connected`), and output of the console keeps
// flowing to the port. The node's BMC is a loopback port nobody answers on.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { MessageChannel } from 'node:worker_threads'
import type { BmcConfig, ConsoleMatch, FromWorker } from '../../../src/bridge/messages.js'
import { resolveWatch } from '../../../src/bridge/watch.js'
import { BmcAgent } from '../../../workers/bmc-agent.js'
import { freePort, LOOPBACK, waitUntil } from '../../lab/net.js'

describe('console watch in the worker agent', { timeout: 60_000 }, () => {
  it('matches live console output, and takes new patterns without reopening the console', async () => {
    const posted: FromWorker[] = []
    const { port1, port2 } = new MessageChannel()
    let out = ''
    port1.on('message', (m: unknown) => {
      if (m instanceof Uint8Array) out += Buffer.from(m).toString()
    })
    const agent = new BmcAgent('w1', (m) => posted.push(m))
    const config: BmcConfig = {
      host: LOOPBACK, port: await freePort('udp'), credentials: { username: 'u', password: 'p' }, console: true,
      consoleMethod: 'exec', consoleExec: { command: 'while IFS= read -r l; do printf "%s\\n" "$l"; done' }, allowExecConsole: true,
      reconnect: { initialMs: 10, maxMs: 20 }, timing: { retransmitMs: 50, backoffMs: 20, retries: 1, connectTimeoutMs: 200 },
      watch: resolveWatch([]),
    }
    agent.handle({ type: 'configure', bmc: 'w1', generation: 1, config, consolePort: port2 })
    const matches = () => posted.filter((m): m is ConsoleMatch => m.type === 'console-match')
    const connected = () => posted.filter((m) => m.type === 'console' && m.state === 'connected').length
    try {
      await waitUntil(() => connected() === 1, { timeoutMs: 20_000, what: 'exec console connected' })
      const type = (s: string) => port1.postMessage(new TextEncoder().encode(s))
      type('[ 1.0] Kernel panic - not syncing: test\n')
      const [m] = await waitUntil(() => (matches().length > 0 ? matches() : undefined), { timeoutMs: 10_000, what: 'a console-match' })
      assert.equal(m!.bmc, 'w1')
      assert.equal(m!.pattern, 'panic')
      assert.equal(m!.severity, 'critical')
      assert.equal(m!.line, '[ 1.0] Kernel panic - not syncing: test')
      assert.ok(Math.abs(m!.at - Date.now()) < 10_000)

      agent.handle({ type: 'watch', bmc: 'w1', patterns: resolveWatch([{ disable: ['panic'], add: [{ name: 'marker', regex: '^MARK-\\d+$', severity: 'info' }] }]) })
      type('Kernel panic - not syncing: again\nMARK-7\n')
      await waitUntil(() => matches().some((x) => x.pattern === 'marker'), { timeoutMs: 10_000, what: 'the new pattern matched' })
      await waitUntil(() => out.includes('MARK-7'), { timeoutMs: 10_000, what: 'the output on the console port' })
      assert.deepEqual(matches().map((x) => x.pattern), ['panic', 'marker'], 'the disabled panic pattern no longer matches')
      assert.equal(connected(), 1, 'the console was not reopened')
    } finally {
      await agent.stop(5000)
      port1.close()
    }
  })
})

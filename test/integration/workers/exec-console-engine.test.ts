// An exec console driven by the connection engine through the worker's
// agent (what ExecKeeper's own loop did before): a command that ends is
// started again, one run at a time, and stop ends it; on demand nothing runs
// until wanted, and a demand drop ends the command. The node's BMC is a
// loopback port nobody answers on: the session fails beside the console.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { MessageChannel } from 'node:worker_threads'
import type { BmcConfig, FromWorker } from '../../../src/bridge/messages.js'
import { BmcAgent } from '../../../workers/bmc-agent.js'
import { freePort, LOOPBACK, waitUntil } from '../../lab/net.js'

async function harness(exec: BmcConfig['consoleExec'], onDemand = false) {
  const posted: FromWorker[] = []
  const { port1, port2 } = new MessageChannel()
  let out = ''
  port1.on('message', (m: unknown) => {
    if (m instanceof Uint8Array) out += Buffer.from(m).toString()
  })
  const agent = new BmcAgent('x1', (m) => posted.push(m))
  const config: BmcConfig = {
    host: LOOPBACK, port: await freePort('udp'), credentials: { username: 'u', password: 'p' }, console: true,
    consoleMethod: 'exec', consoleExec: exec, allowExecConsole: true, consoleOnDemand: onDemand,
    reconnect: { initialMs: 10, maxMs: 20 }, timing: { retransmitMs: 50, backoffMs: 20, retries: 1, connectTimeoutMs: 200 },
  }
  agent.handle({ type: 'configure', bmc: 'x1', generation: 1, config, consolePort: port2 })
  const states = () => posted.flatMap((m) => (m.type === 'console' ? [m.reason !== undefined ? `${m.state}:${m.reason}` : m.state] : []))
  const stop = async () => {
    await agent.stop(5000)
    port1.close()
  }
  return { agent, posted, states, out: () => out, stop }
}

describe('exec console under the engine', { timeout: 60_000 }, () => {
  it('restarts a command that ends, runs one at a time, and stops on stop', async () => {
    const h = await harness({ command: 'echo run; exit 1' })
    await waitUntil(() => h.states().filter((s) => s === 'connected').length >= 3, { timeoutMs: 20_000, what: 'three runs' })
    await h.stop()
    assert.match(h.out(), /^(run\n)+$/)
    const states = h.states()
    // connecting -> connected -> error, repeated: never two runs interleaved (the last one may be closed by stop)
    for (let i = 0; i + 2 < states.length; i += 3) {
      assert.deepEqual(states.slice(i, i + 2), ['connecting', 'connected'], states.join(','))
      assert.equal(states[i + 2], 'error:exited', states.join(','))
    }
  })

  it('on demand: nothing runs until wanted, and a demand drop ends the command', async () => {
    const h = await harness({ command: 'exec sleep 30' }, true)
    // The session failing shows the engine has run its first round: no console came with it.
    await waitUntil(() => h.posted.some((m) => m.type === 'session' && m.state === 'error'), { timeoutMs: 20_000, what: 'session error' })
    assert.deepEqual(h.states(), [])
    h.agent.handle({ type: 'console-control', bmc: 'x1', demand: true })
    await waitUntil(() => h.states().includes('connected'), { timeoutMs: 20_000, what: 'connected' })
    h.agent.handle({ type: 'console-control', bmc: 'x1', demand: false })
    await waitUntil(() => h.states().includes('disconnected'), { timeoutMs: 20_000, what: 'disconnected' })
    await h.stop()
    assert.deepEqual(h.states(), ['connecting', 'connected', 'disconnected'])
  })
})

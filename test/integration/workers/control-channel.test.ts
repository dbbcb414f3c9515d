// The worker's control channel is apart from BMC operations: console reopen,
// session info and worker resources are answered as results but never
// reported as commands (their results carry no `command`, so they are not in
// bmcvisor_commands_total);
// a BMC op is validated against its registry schema, answered and reported.
// The worker's agent in this process against one simulated BMC on loopback.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { MessageChannel } from 'node:worker_threads'
import { CONTROL_NAMES, type FromWorker } from '../../../src/bridge/messages.js'
import { startSimFleet, type SimFleetHandle } from '../../../src/sim/fleet.js'
import { BmcAgent } from '../../../workers/bmc-agent.js'
import { waitUntil } from '../../lab/net.js'

describe('worker control channel', { timeout: 60_000 }, () => {
  let fleet: SimFleetHandle
  const posted: FromWorker[] = []
  const { port1, port2 } = new MessageChannel()
  let agent: BmcAgent
  before(async () => {
    fleet = await startSimFleet({ count: 1, consoleRate: 0 })
    const b = fleet.bmcs[0]!
    agent = new BmcAgent('c1', (m) => posted.push(m))
    agent.handle({
      type: 'configure', bmc: 'c1', generation: 1, consolePort: port2,
      config: { host: b.host, port: b.port, credentials: { username: b.username, password: b.password }, cipherSuite: 17, console: true, reconnect: { initialMs: 100, maxMs: 500 } },
    })
    await waitUntil(() => posted.some((m) => m.type === 'console' && m.state === 'connected'), { timeoutMs: 20_000, what: 'console connected' })
  })
  after(async () => {
    await agent.stop(2000)
    port1.close()
    await fleet.close()
  })

  type Result = Extract<FromWorker, { type: 'result' }>
  const result = (id: number) => waitUntil(() => posted.find((m): m is Result => m.type === 'result' && m.id === id), { what: `result ${id}` })
  const commands = () => posted.filter((m): m is Result => m.type === 'result' && m.command !== undefined)

  it('control requests are answered and never counted as commands', async () => {
    let id = 100
    for (const control of CONTROL_NAMES) agent.handle({ type: 'control', bmc: 'c1', id: ++id, control, timeoutMs: 5000 })
    const [reopen, info, resources] = await Promise.all([result(101), result(102), result(103)])
    assert.deepEqual(reopen.ok && reopen.value, { reopened: true })
    assert.equal(info.ok && (info.value as { generation: number }).generation, 1)
    assert.equal(resources.ok && (resources.value as { watchers: number }).watchers, 1)
    assert.deepEqual(commands(), [])
  })

  it('a BMC op is checked against its schema, answered and reported', async () => {
    agent.handle({ type: 'command', bmc: 'c1', id: 1, op: 'power.status', args: {}, timeoutMs: 5000 })
    agent.handle({ type: 'command', bmc: 'c1', id: 2, op: 'power.set', args: { action: 'sideways' }, timeoutMs: 5000 })
    const [ok, bad] = await Promise.all([result(1), result(2)])
    assert.deepEqual(ok.ok && ok.value, { state: 'on' })
    assert.equal(!bad.ok && bad.error.code, 'VALIDATION_FAILED')
    assert.deepEqual(!bad.ok && bad.error.details, { field: 'action' })
    assert.deepEqual(commands().map((m) => `${m.command?.op}:${m.ok}`).sort(), ['power.set:false', 'power.status:true'])
    assert.ok(commands().every((m) => m.command !== undefined && m.command.durationMs >= 0))
  })
})

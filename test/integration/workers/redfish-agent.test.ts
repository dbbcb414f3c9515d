// A Redfish node's worker agent (workers/bmc-agent.ts with workers/engine/redfish-plugin.ts)
// against DMTF's mockup on loopback HTTPS: it logs in (session connected), learns the
// certificate on first use and says so (trust-learned), runs the registry's ops in their Redfish
// form with the IPMI shapes, answers an op without a Redfish form with BMC_NOT_SUPPORTED,
// reports a BMC that stops answering its keepalive as lost and heals, and logs out on stop.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { BmcConfig, FromWorker, OpName } from '../../../src/bridge/messages.js'
import { BmcAgent } from '../../../workers/bmc-agent.js'
import { LOOPBACK, waitUntil } from '../../lab/net.js'
import { MOCKUP_DIR, RedfishMockup, requireMockup } from '../../lab/redfish-mockup.js'

const have = existsSync(join(MOCKUP_DIR, 'index.json'))
type Result = Extract<FromWorker, { type: 'result' }>

describe('a Redfish node\'s worker agent against the DMTF mockup', { timeout: 60_000 }, () => {
  let bmc: RedfishMockup
  let agent: BmcAgent
  const posted: FromWorker[] = []
  let id = 0
  const run = async (op: OpName, args: unknown = {}): Promise<Result> => {
    const n = ++id
    agent.handle({ type: 'command', bmc: 'r1', id: n, op, args, timeoutMs: 5000 })
    return waitUntil(() => posted.find((m): m is Result => m.type === 'result' && m.id === n), { what: `result of ${op}` })
  }
  const sessionStates = () => posted.filter((m) => m.type === 'session').map((m) => m.type === 'session' && `${m.state}${m.reason ? `:${m.reason}` : ''}`)

  before(async () => {
    if (!have) return
    bmc = await new RedfishMockup().start()
    agent = new BmcAgent('r1', (m) => posted.push(m))
    const config: BmcConfig = {
      host: LOOPBACK, port: bmc.port, protocol: 'redfish', tls: { mode: 'pin' }, credentials: { username: bmc.username, password: bmc.password },
      console: false, reconnect: { initialMs: 50, maxMs: 200 }, timing: { keepaliveMs: 200, keepaliveTimeoutMs: 300, requestTimeoutMs: 300, retries: 0 },
    }
    agent.handle({ type: 'configure', bmc: 'r1', generation: 1, config })
  })
  after(async () => {
    await agent?.stop(2000)
    await bmc?.stop()
  })

  it('logs in, and reports the certificate it trusted on first use', async (t) => {
    if (!requireMockup(t)) return
    await waitUntil(() => posted.some((m) => m.type === 'session' && m.state === 'connected'), { what: 'session connected' })
    assert.equal(bmc.openSessions, 1)
    const learned = posted.filter((m) => m.type === 'trust-learned')
    assert.deepEqual(learned, [{ type: 'trust-learned', bmc: 'r1', generation: 1, what: 'tls-certificate', fingerprint: bmc.certificate.fingerprint }])
  })

  it('runs the registry ops in their Redfish form, with the IPMI shapes', async (t) => {
    if (!requireMockup(t)) return
    const power = await run('power.status')
    assert.deepEqual(power.ok && power.value, { state: 'on', powerState: 'On' })
    const boot = await run('boot.set', { device: 'pxe', persistent: true, uefi: true })
    assert.deepEqual(boot.ok && boot.value, { device: 'pxe', persistent: true, uefi: true, valid: true })
    const sensors = await run('sensors.list', { type: 'temperature' })
    assert.ok(sensors.ok)
    const temps = (sensors.value as { sensors: { sensorType: string }[] }).sensors
    assert.ok(temps.length > 0 && temps.every((s) => s.sensorType === 'Temperature'))
    const events = await run('events.list')
    assert.equal(events.ok && (events.value as { info: { entries: number } }).info.entries, 2)
    const guid = await run('mc.guid')
    assert.equal(guid.ok && (guid.value as { guid: string }).guid, '38947555-7742-3448-3784-823347823834')
    const cycle = await run('power.set', { action: 'cycle' })
    assert.equal(!cycle.ok && cycle.error.code, 'BMC_NOT_SUPPORTED')
    const chassis = await run('chassis.status')
    assert.equal(!chassis.ok && chassis.error.code, 'BMC_NOT_SUPPORTED')
    assert.equal(!chassis.ok && chassis.error.details?.op, 'chassis.status')
    const info = posted.filter((m) => m.type === 'result' && m.command !== undefined).map((m) => m.type === 'result' && `${m.command?.op}:${m.ok}`)
    assert.ok(info.includes('power.status:true') && info.includes('chassis.status:false'))
  })

  it('a BMC that stops answering its keepalive is reported lost, and the session heals when it answers again', async (t) => {
    if (!requireMockup(t)) return
    const before = sessionStates().length
    bmc.fail({ path: /\/SessionService\/Sessions\/[0-9A-F]+$/, method: 'GET', status: 0, hang: true, times: 3 })
    await waitUntil(() => sessionStates().slice(before).some((s) => s === 'disconnected:unreachable'), { timeoutMs: 10_000, what: 'session lost' })
    bmc.dropConnections()
    await waitUntil(() => sessionStates().slice(before).includes('connected'), { timeoutMs: 10_000, what: 'session healed' })
    assert.equal((await run('power.status')).ok, true)
    // The healed worker reused or replaced its session; never more than one is open.
    assert.equal(bmc.openSessions, 1)
  })

  it('stop logs out: no session is left open', async (t) => {
    if (!requireMockup(t)) return
    await agent.stop(2000)
    assert.equal(bmc.openSessions, 0)
  })
})

// Redfish writes against DMTF's mockup: boot override PATCH kept (with If-Match), power actions
// with the reset types the BMC allows (and a refusal for one it does not), identify, a BMC reset
// that runs as a task, the event log clear, accounts created and changed (then logging in with
// the new one), and BMC errors mapped to our codes with ExtendedInfo kept and secrets blanked.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { RedfishClient, type RedfishConfig } from '../../../src/redfish/client.js'
import { RedfishService } from '../../../src/redfish/service.js'
import * as rf from '../../../src/redfish/ops.js'
import { LOOPBACK } from '../../lab/net.js'
import { MOCKUP_DIR, RedfishMockup, requireMockup } from '../../lab/redfish-mockup.js'

type Doc = Record<string, unknown>
const SYSTEM = '/redfish/v1/Systems/437XR1138R2'
const have = existsSync(join(MOCKUP_DIR, 'index.json'))

describe('Redfish writes against the DMTF mockup', () => {
  let bmc: RedfishMockup
  const clients: RedfishClient[] = []
  const connect = (over: Partial<RedfishConfig> = {}): RedfishService => {
    const c = new RedfishClient({ host: LOOPBACK, port: bmc.port, username: bmc.username, password: bmc.password, tls: { mode: 'pin', fingerprint: bmc.certificate.fingerprint }, ...over })
    clients.push(c)
    return new RedfishService(c)
  }

  before(async () => {
    if (have) bmc = await new RedfishMockup({ requireIfMatch: true }).start()
  })
  after(async () => {
    for (const c of clients) await c.close()
    await bmc?.stop()
  })

  it('boot override PATCH is kept: persistent disk in legacy mode, then back to none', async (t) => {
    if (!requireMockup(t)) return
    const s = connect()
    assert.deepEqual(await rf.setBootDevice(s, 'disk', { persistent: true, uefi: false }), { device: 'disk', persistent: true, uefi: false, valid: true })
    const boot = bmc.docs.get(SYSTEM)!.Boot as Doc
    assert.deepEqual([boot.BootSourceOverrideTarget, boot.BootSourceOverrideEnabled, boot.BootSourceOverrideMode], ['Hdd', 'Continuous', 'Legacy'])
    // The mockup refuses a PATCH without If-Match (428): it went with the ETag of the GET.
    assert.ok(bmc.requests.some((r) => r.method === 'PATCH' && r.path === SYSTEM && r.ifMatch))
    const back = await rf.getBootDevice(s)
    assert.deepEqual([back.device, back.persistent, back.uefi], ['disk', true, false])
    await rf.setBootDevice(s, 'none', {})
    assert.equal((await rf.getBootDevice(s)).device, 'none')
  })

  it('a boot target the BMC does not list is refused before any PATCH', async (t) => {
    if (!requireMockup(t)) return
    const s = connect()
    const before = bmc.requests.filter((r) => r.method === 'PATCH').length
    await assert.rejects(rf.setBootDevice(s, 'floppy', {}), (e: { code: string; details: Doc }) => e.code === 'BMC_NOT_SUPPORTED' && String(e.details.allowed).includes('Pxe'))
    assert.equal(bmc.requests.filter((r) => r.method === 'PATCH').length, before)
  })

  it('power actions post the allowed ResetType; cycle, which this BMC does not list, is refused with what it allows', async (t) => {
    if (!requireMockup(t)) return
    const s = connect()
    const n = bmc.actions.length
    assert.deepEqual(await rf.powerControl(s, 'on'), { action: 'on', resetType: 'On' })
    assert.deepEqual(await rf.powerControl(s, 'soft'), { action: 'soft', resetType: 'GracefulShutdown' })
    assert.deepEqual(bmc.actions.slice(n), [
      { path: `${SYSTEM}/Actions/ComputerSystem.Reset`, body: { ResetType: 'On' } },
      { path: `${SYSTEM}/Actions/ComputerSystem.Reset`, body: { ResetType: 'GracefulShutdown' } },
    ])
    await assert.rejects(rf.powerControl(s, 'cycle'), (e: { code: string; details: Doc }) => e.code === 'BMC_NOT_SUPPORTED' && e.details.wanted === 'PowerCycle' && String(e.details.allowed).includes('ForceRestart'))
    assert.equal(bmc.actions.length, n + 2)
  })

  it('identify drives the system IndicatorLED: blink, on, off', async (t) => {
    if (!requireMockup(t)) return
    const s = connect()
    const led = (): unknown => bmc.docs.get(SYSTEM)!.IndicatorLED
    assert.deepEqual(await rf.identify(s, { seconds: 15 }), { seconds: 15, force: false, property: 'IndicatorLED' })
    assert.equal(led(), 'Blinking')
    await rf.identify(s, { seconds: 15, force: true })
    assert.equal(led(), 'Lit')
    await rf.identify(s, { seconds: 0 })
    assert.equal(led(), 'Off')
  })

  it('a BMC reset that answers 202 is polled through its task monitor to the end', async (t) => {
    if (!requireMockup(t)) return
    const s = connect({ timing: { taskPollMs: 10 } })
    bmc.runAsTask('Manager.Reset', 2)
    const v = await rf.resetBmc(s, { deadline: Date.now() + 5000 })
    assert.deepEqual(v, { reset: true, answered: true, resetType: 'GracefulRestart' })
    const polls = bmc.requests.filter((r) => r.path.startsWith('/redfish/v1/TaskService/TaskMonitors/'))
    assert.equal(polls.length, 3, 'two 202 answers, then 204')
  })

  it('a task still running at the deadline is BMC_TASK_TIMEOUT naming its monitor', async (t) => {
    if (!requireMockup(t)) return
    const s = connect({ timing: { taskPollMs: 20 } })
    bmc.runAsTask('LogService.ClearLog', 1000)
    const t0 = Date.now()
    await assert.rejects(rf.clearEvents(s, { deadline: Date.now() + 400 }), (e: { code: string; details: Doc }) => e.code === 'BMC_TASK_TIMEOUT' && String(e.details.taskMonitor).startsWith('/redfish/v1/TaskService/TaskMonitors/'))
    assert.ok(Date.now() - t0 < 1500)
  })

  it('event log clear posts ClearLog to the system event log and reports the entries before', async (t) => {
    if (!requireMockup(t)) return
    const bmc2 = await new RedfishMockup({ certificate: bmc.certificate }).start()
    try {
      const c = new RedfishClient({ host: LOOPBACK, port: bmc2.port, username: bmc2.username, password: bmc2.password, tls: { mode: 'pin', fingerprint: bmc2.certificate.fingerprint } })
      clients.push(c)
      assert.deepEqual(await rf.clearEvents(new RedfishService(c)), { cleared: true, entriesBefore: 2 })
      assert.deepEqual(bmc2.actions, [{ path: `${SYSTEM}/LogServices/Log1/Actions/LogService.ClearLog`, body: {} }])
      await c.close()
    } finally {
      await bmc2.stop()
    }
  })

  it('accounts: a new one is created with a POST and can log in; an existing one is changed with a PATCH', async (t) => {
    if (!requireMockup(t)) return
    const s = connect()
    const made = await rf.setUser(s, 3, { name: 'ops', password: 'ops-pass-1234', privilege: 'operator' })
    assert.deepEqual(made.changed, ['name', 'password', 'privilege'])
    const users = await rf.listUsers(s)
    const ops = users.find((u) => u.name === 'ops')!
    assert.deepEqual([ops.id, ops.privilege, ops.roleId, ops.enabled], [made.id, 'operator', 'Operator', true])
    const asOps = connect({ username: 'ops', password: 'ops-pass-1234' })
    assert.equal((await rf.powerStatus(asOps)).state, 'on')
    assert.equal(asOps.client.authKind, 'session')
    assert.deepEqual((await rf.setUser(s, made.id, { privilege: 'user', enabled: false })).changed, ['privilege', 'enabled'])
    const changed = (await rf.listUsers(s)).find((u) => u.id === made.id)!
    assert.deepEqual([changed.privilege, changed.enabled], ['user', false])
    await assert.rejects(rf.setUser(s, 1, { sol: true }), { code: 'BMC_NOT_SUPPORTED' })
    await assert.rejects(rf.setUser(s, 40, { name: 'x' }), { code: 'VALIDATION_FAILED' })
  })

  it('a BMC error keeps its ExtendedInfo in details, maps to our code, and never carries a password it echoes', async (t) => {
    if (!requireMockup(t)) return
    const s = connect()
    const secret = 'n3w-S3cret!'
    bmc.fail({
      method: 'PATCH', path: /\/AccountService\/Accounts\/1$/, status: 400,
      body: { error: { code: 'Base.1.5.0.GeneralError', message: 'A general error has occurred.', '@Message.ExtendedInfo': [
        { MessageId: 'Base.1.5.0.PropertyValueFormatError', Message: `The value ${secret} for the property Password is of a different format than the property can accept.`, MessageArgs: [secret, 'Password'], Severity: 'Warning', Resolution: 'Correct the value.' },
      ] } },
    })
    const err = await rf.setUser(s, 1, { password: secret }).then(() => assert.fail('accepted'), (e: unknown) => e as { code: string; message: string; details: Doc })
    assert.equal(err.code, 'BMC_COMMAND_FAILED')
    assert.equal(err.details.httpStatus, 400)
    assert.equal(err.details.messageId, 'Base.1.5.0.PropertyValueFormatError')
    const info = JSON.parse(String(err.details.extendedInfo)) as Doc[]
    assert.equal(info[0]!.Resolution, 'Correct the value.')
    assert.deepEqual(info[0]!.MessageArgs, ['***', 'Password'])
    const everything = JSON.stringify({ m: err.message, d: err.details })
    assert.ok(!everything.includes(secret), everything)
    assert.ok(!everything.includes(bmc.password))

    bmc.fail({ method: 'GET', path: /\/Systems\/437XR1138R2$/, status: 503, times: 10 })
    await assert.rejects(rf.powerStatus(connect({ timing: { retries: 1, backoffMs: 5 } })), { code: 'BMC_BUSY' })
  })
})

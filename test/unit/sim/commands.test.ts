// SimBmc command behaviour, driven through IpmiClient and the command codecs
// of src/ipmi/commands over the in-memory link: chassis power and identify,
// boot options (parameters 0, 3, 4, 5, the 60 s valid-bit clearing), user
// management (name, password incl. test, access, enable) followed by a login
// as the new user, privilege checks, length checks and unknown commands.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import {
  BootOptionParameter, bootFlagsFor, bootFlagsRequest, bootOverrideFrom, ChassisControl, ChassisIdentify, GetChannelAuthCapabilities,
  GetChassisStatus, GetDeviceId, GetSystemBootOptions, GetSystemGuid, GetUserAccess, GetUserName, PasswordOperation, SetSessionPrivilegeLevel,
  SetSystemBootOptions, SetUserAccess, SetUserName, SetUserPassword, setInProgressRequest, validBitClearingRequest,
} from '../../../src/ipmi/commands/index.js'
import { clientRig, drive, driveToError, watchUnhandled } from '../session/harness.js'

watchUnhandled()

describe('chassis', () => {
  it('power off, on, cycle and the 0xD5 answer for cycle/reset while off', async () => {
    const { clock, bmc, client } = clientRig()
    const run = <Q, R>(c: Parameters<typeof client.run<Q, R>>[0], q: Q) => drive(clock, client.run(c, q))
    assert.equal((await run(GetChassisStatus, undefined)).power.powerOn, true)
    await run(ChassisControl, { action: 0 })
    assert.equal((await run(GetChassisStatus, undefined)).power.powerOn, false)
    const err = await driveToError(clock, client.run(ChassisControl, { action: 2 }))
    assert.equal(err.details.completionCode, 0xd5)
    await run(ChassisControl, { action: 1 })
    const st = await run(GetChassisStatus, undefined)
    assert.equal(st.power.powerOn, true)
    assert.equal(st.lastPowerEvent.powerOnByCommand, true)
    await run(ChassisControl, { action: 2 })
    assert.deepEqual(bmc.chassis.actions, { powerDown: 1, powerUp: 1, powerCycle: 1, hardReset: 0, diagnosticInterrupt: 0, softShutdown: 0 })
    await drive(clock, client.close())
  })

  it('identify: timed, expired, forced on, off', async () => {
    const { clock, client } = clientRig()
    const identify = async () => (await drive(clock, client.run(GetChassisStatus, undefined))).misc
    assert.deepEqual(await identify(), { intrusion: false, frontPanelLockout: false, driveFault: false, coolingFault: false, identifyState: 0, identifySupported: true })
    await drive(clock, client.run(ChassisIdentify, { intervalSeconds: 5 }))
    assert.equal((await identify()).identifyState, 1)
    clock.advance(5000)
    assert.equal((await identify()).identifyState, 0)
    await drive(clock, client.run(ChassisIdentify, { forceOn: true }))
    assert.equal((await identify()).identifyState, 2)
    await drive(clock, client.run(ChassisIdentify, { intervalSeconds: 0 }))
    assert.equal((await identify()).identifyState, 0)
    await drive(clock, client.close())
  })
})

describe('boot options', () => {
  // The clock jumps past the BMC's idle timeout here, so give it a long one.
  const patient = { bmc: { idleTimeoutMs: 600_000 } }

  it("ipmitool's bootdev sequence, then read back; the valid bit clears after 60 s", async () => {
    const { clock, client } = clientRig(patient)
    const set = (q: Parameters<typeof SetSystemBootOptions.encode>[0]) => drive(clock, client.run(SetSystemBootOptions, q))
    await set(setInProgressRequest(1))
    assert.equal((await driveToError(clock, client.run(SetSystemBootOptions, setInProgressRequest(1)))).details.completionCode, 0x81)
    await set({ parameter: BootOptionParameter.BootInfoAcknowledge, data: Buffer.from([0x01, 0x01]) })
    await set(bootFlagsRequest(bootFlagsFor('pxe', { persistent: true })))
    await set(setInProgressRequest(2))
    await set(setInProgressRequest(0))
    const read = () => drive(clock, client.run(GetSystemBootOptions, { parameter: 5 }))
    const flags = bootOverrideFrom(await read())
    assert.equal(flags?.device, 1)
    assert.equal(flags?.persistent, true)
    clock.advance(60_000)
    assert.equal(bootOverrideFrom(await read()), undefined, 'valid bit cleared by the 60 s timeout')
    await drive(clock, client.close())
  })

  it('parameter 3 b3 keeps the valid bit; unsupported parameters answer 0x80; bad lengths 0xC7', async () => {
    const { clock, client } = clientRig(patient)
    await drive(clock, client.run(SetSystemBootOptions, validBitClearingRequest({
      dontClearOnPefReset: false, dontClearOnTimeout: true, dontClearOnWatchdogReset: false, dontClearOnPushbuttonReset: false, dontClearOnPowerUp: false,
    })))
    await drive(clock, client.run(SetSystemBootOptions, bootFlagsRequest(bootFlagsFor('disk'))))
    clock.advance(120_000)
    assert.equal(bootOverrideFrom(await drive(clock, client.run(GetSystemBootOptions, { parameter: 5 })))?.device, 2)
    assert.equal((await driveToError(clock, client.run(GetSystemBootOptions, { parameter: 7 }))).details.completionCode, 0x80)
    assert.equal((await driveToError(clock, client.run(SetSystemBootOptions, { parameter: 5, data: Buffer.alloc(4) }))).details.completionCode, 0xc7)
    const marked = await drive(clock, client.run(SetSystemBootOptions, { parameter: 5, markInvalid: true, data: Buffer.alloc(5) }).then(() => client.run(GetSystemBootOptions, { parameter: 5 })))
    assert.equal(marked.invalidOrLocked, true)
    await drive(clock, client.close())
  })
})

describe('users', () => {
  it('create a user by commands, then log in as that user at operator', async () => {
    const { clock, bmc, client } = clientRig()
    const run = <Q>(c: Parameters<typeof client.run<Q, void>>[0], q: Q) => drive(clock, client.run(c, q))
    await run(SetUserName, { userId: 5, name: 'bob' })
    await run(SetUserPassword, { userId: 5, operation: PasswordOperation.SetPassword, password: 'a-20-byte-password!!' })
    await run(SetUserAccess, { channel: 0x0e, userId: 5, privilegeLimit: 3, ipmiMessaging: true })
    await run(SetUserPassword, { userId: 5, operation: PasswordOperation.EnableUser })
    assert.equal((await drive(clock, client.run(GetUserName, { userId: 5 }))).name, 'bob')
    const access = await drive(clock, client.run(GetUserAccess, { channel: 0x0e, userId: 5 }))
    assert.deepEqual([access.maxUserIds, access.enableStatus, access.enabledUserIds, access.ipmiMessagingEnabled, access.privilegeLimit], [10, 1, 2, true, 3])
    // Test password: right, wrong, and the right one in the wrong (16-byte) form.
    await run(SetUserPassword, { userId: 5, operation: PasswordOperation.TestPassword, password: 'a-20-byte-password!!' })
    assert.equal((await driveToError(clock, client.run(SetUserPassword, { userId: 5, operation: PasswordOperation.TestPassword, password: 'a-20-byte-password!?' }))).details.completionCode, 0x80)
    assert.equal((await driveToError(clock, client.run(SetUserPassword, { userId: 5, operation: PasswordOperation.TestPassword, password: 'short', size: 16 }))).details.completionCode, 0x81)
    await drive(clock, client.close())

    const bob = clientRig({ on: { bmc, clock }, session: { username: 'bob', password: 'a-20-byte-password!!' } })
    assert.equal((await drive(bob.clock, bob.client.connect())).info?.privilege, 'operator')
    await drive(bob.clock, bob.client.run(ChassisControl, { action: 1 }))
    await drive(bob.clock, bob.client.close())
  })

  it('user 1 keeps its fixed null name; IDs outside 1..maxUsers are refused', async () => {
    const { clock, client } = clientRig()
    assert.equal((await driveToError(clock, client.run(SetUserName, { userId: 1, name: 'x' }))).details.completionCode, 0xcc)
    assert.equal((await driveToError(clock, client.run(GetUserName, { userId: 11 }))).details.completionCode, 0xcc)
    assert.equal((await drive(clock, client.run(GetUserName, { userId: 1 }))).name, '')
    await drive(clock, client.close())
  })

  it('a disabled user is refused at the next login', async () => {
    const { clock, bmc, client } = clientRig({ bmc: { users: [{ id: 2, name: 'admin', password: 'password' }, { id: 3, name: 'eve', password: 'evepass' }] } })
    const eve = () => clientRig({ on: { bmc, clock }, session: { username: 'eve', password: 'evepass' } }).client
    const first = eve()
    await drive(clock, first.connect())
    await drive(clock, first.close())
    await drive(clock, client.run(SetUserPassword, { userId: 3, operation: PasswordOperation.DisableUser }))
    assert.equal(bmc.users[3]?.enabled, false)
    assert.equal((await driveToError(clock, eve().connect())).code, 'BMC_AUTH_FAILED')
    await drive(clock, client.run(SetUserPassword, { userId: 3, operation: PasswordOperation.EnableUser }))
    await drive(clock, eve().connect())
    await drive(clock, client.close())
  })
})

describe('privileges, lengths and unknown commands', () => {
  it('a user-level session gets 0xD4 for operator and administrator commands', async () => {
    const { clock, client } = clientRig({ bmc: { users: [{ id: 2, name: 'viewer', password: 'pw', privilege: 2 }] }, session: { username: 'viewer', password: 'pw', privilege: 'user' } })
    assert.equal((await drive(clock, client.run(GetDeviceId, undefined))).ipmiVersion, '2.0')
    assert.equal((await driveToError(clock, client.run(ChassisControl, { action: 0 }))).details.completionCode, 0xd4)
    assert.equal((await driveToError(clock, client.run(SetUserName, { userId: 4, name: 'x' }))).details.completionCode, 0xd4)
    // Asking for more than the limit: 0x81.
    assert.equal((await driveToError(clock, client.run(SetSessionPrivilegeLevel, { privilege: 3 }))).details.completionCode, 0x81)
    assert.equal((await drive(clock, client.run(SetSessionPrivilegeLevel, { privilege: 0 }))).privilege, 2)
    await drive(clock, client.close())
  })

  it('unknown commands answer 0xC1, wrong lengths 0xC7; GUID and auth caps inside a session', async () => {
    const { clock, bmc, client } = clientRig({ bmc: { guid: Buffer.from('00112233445566778899aabbccddeeff', 'hex'), kg: Buffer.alloc(20, 1) }, session: { kg: Buffer.alloc(20, 1) } })
    assert.equal((await drive(clock, client.raw(0x30, 0x01, Buffer.alloc(0)))).cc, 0xc1)
    assert.equal((await drive(clock, client.raw(0x06, 0x01, Buffer.from([1])))).cc, 0xc7)
    assert.equal((await drive(clock, client.raw(0x00, 0x02, Buffer.from([9])))).cc, 0xcc)
    assert.equal((await drive(clock, client.run(GetSystemGuid, undefined))).raw.toString('hex'), '00112233445566778899aabbccddeeff')
    const caps = await drive(clock, client.run(GetChannelAuthCapabilities, { maxPrivilege: 4 }))
    assert.deepEqual([caps.channel, caps.kgNonZero, caps.supportsIpmiV20, caps.nonNullUsernames, caps.anonymousLogin], [1, true, true, true, false])
    assert.equal(bmc.stats.commands.unknown, 1)
    await drive(clock, client.close())
  })
})

// The simulated BMC's Redfish side without sockets: RedfishService.handle()
// called directly on a SimBmc with hardware and a ManualClock. What it shows:
// every resource reachable from the service root carries the OData envelope;
// Redfish and IPMI share one state (power with delayed transitions, boot
// flags, identify, users, sensors, SEL); authentication, sessions, ETags
// and errors answer as DSP0266 asks; the Redfish faults answer as set.
// The IPMI side is driven through SimBmc.runCommand, the same handlers an
// RMCP+ request reaches (test/integration/sim/redfish.test.ts does it with
// ipmitool over UDP).
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { decodeBootFlags, encodeBootFlags, bootFlagsFor } from '../../../src/ipmi/commands/boot-option-parameters.js'
import { ManualClock } from '../../../src/session/clock.js'
import { attachHardware } from '../../../src/sim/hardware-commands.js'
import { attachRedfish, type SimRedfish } from '../../../src/sim/redfish/attach.js'
import type { RedfishResponse } from '../../../src/sim/redfish/service.js'
import { Writable } from 'node:stream'
import { simCommand } from '../../../src/cli/sim.js'
import { parseFaultSpec } from '../../../src/sim/fleet.js'
import { SimBmc } from '../../../src/sim/sim-bmc.js'
import { Priv } from '../../../src/sim/state.js'

const CHASSIS = 0x00
const CMD = { status: 0x01, control: 0x02, identify: 0x04, setBoot: 0x08, getBoot: 0x09 } as const
const WALL = Date.UTC(2026, 0, 2, 3, 4, 5)
const USERS = { admin: 'admin:password', operator: 'op:oppass', readOnly: 'ro:ropass' } as const
const SYSTEM = '/redfish/v1/Systems/system'
const RESET = `${SYSTEM}/Actions/ComputerSystem.Reset`

// Redfish documents are read field by field below; a loose type keeps the assertions readable.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>

interface Rig {
  clock: ManualClock
  bmc: SimBmc
  rf: SimRedfish
  call(method: string, path: string, o?: { auth?: string | null; token?: string; body?: unknown; headers?: Record<string, string> }): RedfishResponse & { json: Json }
}

function rig(opts: { maxSessions?: number; powerOn?: boolean } = {}): Rig {
  const clock = new ManualClock()
  const bmc = new SimBmc({
    powerOn: opts.powerOn ?? true,
    users: [
      { id: 2, name: 'admin', password: 'password' },
      { id: 3, name: 'op', password: 'oppass', privilege: Priv.Operator },
      { id: 4, name: 'ro', password: 'ropass', privilege: Priv.User },
    ],
  }, { clock })
  const hw = attachHardware(bmc, { wallClock: () => WALL })
  const rf = attachRedfish(bmc, hw, { clock, power: { onMs: 2000, offMs: 1000 }, maxSessions: opts.maxSessions ?? 8, wallClock: () => WALL })
  return {
    clock, bmc, rf,
    call(method, path, o = {}) {
      const headers: Record<string, string> = { ...o.headers }
      if (o.token !== undefined) headers['x-auth-token'] = o.token
      else if (o.auth !== null) headers.authorization = `Basic ${Buffer.from(o.auth ?? USERS.admin).toString('base64')}`
      const body = o.body === undefined ? Buffer.alloc(0) : Buffer.from(typeof o.body === 'string' ? o.body : JSON.stringify(o.body))
      if (o.body !== undefined) headers['content-type'] = 'application/json'
      const r = rf.service.handle({ method, path, headers, body })
      assert.equal(rf.service.lastInternalError, undefined)
      return { ...r, json: (r.body ?? {}) as Json }
    },
  }
}

function ipmiPowerOn(bmc: SimBmc): boolean {
  const r = bmc.runCommand(CHASSIS, CMD.status, Buffer.alloc(0))
  assert.equal(r.cc, 0)
  return (r.data![0]! & 0x01) !== 0
}

function assertError(r: { status: number; json: Json }, status: number, messageId: string): void {
  assert.equal(r.status, status, JSON.stringify(r.json))
  assert.equal(r.json.error.code, `Base.1.5.0.${messageId}`)
  const info = r.json.error['@Message.ExtendedInfo']
  assert.equal(info.length, 1)
  assert.equal(info[0].MessageId, `Base.1.5.0.${messageId}`)
  assert.equal(typeof info[0].Message, 'string')
  assert.ok(['OK', 'Warning', 'Critical'].includes(info[0].Severity))
}

describe('simulated Redfish: resources', () => {
  it('every resource linked from the service root has @odata.id (its own path), @odata.type, @odata.context and an ETag; collections count their members', () => {
    const r = rig()
    const seen = new Set<string>()
    const queue = ['/redfish/v1/']
    const links = (v: unknown, out: string[]) => {
      if (Array.isArray(v)) for (const x of v) links(x, out)
      else if (v !== null && typeof v === 'object') {
        for (const [k, x] of Object.entries(v)) {
          if (k === '@odata.id' && typeof x === 'string' && !x.includes('#')) out.push(x)
          else links(x, out)
        }
      }
    }
    while (queue.length > 0) {
      const path = queue.shift()!
      if (seen.has(path)) continue
      seen.add(path)
      const res = r.call('GET', path)
      assert.equal(res.status, 200, `${path}: ${JSON.stringify(res.json)}`)
      assert.equal(res.json['@odata.id'], path)
      assert.match(res.json['@odata.type'], /^#[A-Za-z]+\.(v\d+_\d+_\d+\.)?[A-Za-z]+$/)
      assert.match(res.json['@odata.context'], /^\/redfish\/v1\/\$metadata#/)
      assert.equal(res.headers.ETag, res.json['@odata.etag'])
      if ('Members' in res.json) assert.equal(res.json['Members@odata.count'], res.json.Members.length, path)
      const out: string[] = []
      links(res.json, out)
      for (const l of out) if (l !== path) queue.push(l)
    }
    for (const p of [SYSTEM, `${SYSTEM}/Processors/cpu1`, `${SYSTEM}/Memory/dimm3`, '/redfish/v1/Chassis/chassis/Sensors/CPU_Temp',
      '/redfish/v1/Chassis/chassis/Thermal', '/redfish/v1/Managers/bmc', '/redfish/v1/AccountService/Accounts/4',
      `${SYSTEM}/LogServices/SEL/Entries/1`, '/redfish/v1/Managers/bmc/LogServices/SEL/Entries/1', '/redfish/v1/AccountService/Roles/Operator']) {
      assert.ok(seen.has(p), `${p} is reachable from the service root`)
    }
  })

  it('the system reports the FRU, the inventory summaries, Boot with its AllowableValues and the reset types', () => {
    const s = rig().call('GET', SYSTEM).json
    assert.equal(s.SerialNumber, 'SIM00000')
    assert.equal(s.Manufacturer, 'bmcvisor')
    assert.deepEqual([s.ProcessorSummary.Count, s.ProcessorSummary.CoreCount, s.MemorySummary.TotalSystemMemoryGiB], [2, 32, 128])
    assert.deepEqual(s.Boot['BootSourceOverrideEnabled@Redfish.AllowableValues'], ['Disabled', 'Once', 'Continuous'])
    assert.ok(s.Boot['BootSourceOverrideTarget@Redfish.AllowableValues'].includes('Pxe'))
    assert.deepEqual(s.Boot['BootSourceOverrideMode@Redfish.AllowableValues'], ['Legacy', 'UEFI'])
    assert.ok(s.Actions['#ComputerSystem.Reset']['ResetType@Redfish.AllowableValues'].includes('GracefulShutdown'))
    assert.equal(s.Actions['#ComputerSystem.Reset'].target, RESET)
  })

  it('sensors are the SDRs converted: units, readings, thresholds; unavailable readings are null, not zero', () => {
    const r = rig({ powerOn: false })
    const cpu = r.call('GET', '/redfish/v1/Chassis/chassis/Sensors/CPU_Temp').json
    assert.deepEqual([cpu.ReadingType, cpu.ReadingUnits, cpu.Reading], ['Temperature', 'Cel', 27]) // 27 °C with the host off
    assert.deepEqual(cpu.Thresholds, { UpperCaution: { Reading: 85 }, UpperCritical: { Reading: 95 }, UpperFatal: { Reading: 105 } })
    const volts = r.call('GET', '/redfish/v1/Chassis/chassis/Sensors/12V').json
    // 0.06 V per count: thresholds 180, 188, 212, 220 counts.
    assert.deepEqual(volts.Thresholds, { LowerCaution: { Reading: 11.28 }, LowerCritical: { Reading: 10.8 }, UpperCaution: { Reading: 12.72 }, UpperCritical: { Reading: 13.2 } })
    assert.equal(volts.Reading, null)
    assert.equal(volts.Status.State, 'UnavailableOffline')
    assert.equal(r.call('GET', '/redfish/v1/Chassis/chassis/Thermal').json.Fans[0].Reading, null)
    r.bmc.runCommand(CHASSIS, CMD.control, Buffer.from([1]))
    const on = r.call('GET', '/redfish/v1/Chassis/chassis/Sensors/12V').json
    assert.ok(on.Reading >= 11.9 && on.Reading <= 12.1, `12V reads ${on.Reading}`)
    const fan = r.call('GET', '/redfish/v1/Chassis/chassis/Thermal').json.Fans[0]
    assert.equal(fan.ReadingUnits, 'RPM')
    assert.ok(fan.Reading >= 5520 && fan.Reading <= 6480, `fan reads ${fan.Reading}`) // 60 RPM per count, 100 +- 8 counts
    assert.equal(r.call('GET', '/redfish/v1/Chassis/chassis/Power').json.PowerSupplies[0].Status.State, 'Enabled')
  })
})

describe('simulated Redfish: one BMC, two interfaces', () => {
  it('ForceOff reads PoweringOff for the configured time, then Off, and IPMI sees the change only then; the SEL records it', () => {
    const r = rig()
    const selBefore = r.call('GET', `${SYSTEM}/LogServices/SEL/Entries`).json['Members@odata.count']
    assert.equal(r.call('POST', RESET, { body: { ResetType: 'ForceOff' } }).status, 204)
    assert.equal(r.call('GET', SYSTEM).json.PowerState, 'PoweringOff')
    assert.equal(ipmiPowerOn(r.bmc), true)
    assertError(r.call('POST', RESET, { body: { ResetType: 'On' } }), 409, 'ResourceInUse')
    r.clock.advance(999)
    assert.equal(r.call('GET', SYSTEM).json.PowerState, 'PoweringOff')
    r.clock.advance(1)
    assert.equal(r.call('GET', SYSTEM).json.PowerState, 'Off')
    assert.equal(ipmiPowerOn(r.bmc), false)
    assert.equal(r.bmc.chassis.actions.powerDown, 1)
    const sel = r.call('GET', `${SYSTEM}/LogServices/SEL/Entries`).json
    assert.equal(sel['Members@odata.count'], selBefore + 1)
    assert.match(sel.Members.at(-1).Message, /^Power Unit Power Unit \| Power off\/down \| Asserted$/) // named as `ipmitool sel elist` names it
  })

  it('PowerCycle goes PoweringOff then PoweringOn; an IPMI power command meanwhile abandons the transition', () => {
    const r = rig()
    r.call('POST', RESET, { body: { ResetType: 'PowerCycle' } })
    r.clock.advance(1000)
    assert.equal(r.call('GET', SYSTEM).json.PowerState, 'PoweringOn')
    assert.equal(ipmiPowerOn(r.bmc), false)
    r.clock.advance(2000)
    assert.equal(r.call('GET', SYSTEM).json.PowerState, 'On')
    assert.equal(ipmiPowerOn(r.bmc), true)
    r.call('POST', RESET, { body: { ResetType: 'GracefulShutdown' } })
    assert.equal(r.bmc.runCommand(CHASSIS, CMD.control, Buffer.from([3])).cc, 0) // IPMI hard reset while we wait
    assert.equal(r.call('GET', SYSTEM).json.PowerState, 'On')
    r.clock.advance(5000)
    assert.equal(ipmiPowerOn(r.bmc), true, 'the abandoned shutdown never ran')
    assert.equal(r.bmc.chassis.actions.softShutdown, 0)
    assert.equal(r.bmc.runCommand(CHASSIS, CMD.control, Buffer.from([0])).cc, 0) // IPMI power off
    assert.equal(r.call('GET', SYSTEM).json.PowerState, 'Off')
    assertError(r.call('POST', RESET, { body: { ResetType: 'ForceRestart' } }), 409, 'ResourceInStandby')
  })

  it('reset checks its parameter and the caller privilege', () => {
    const r = rig()
    assertError(r.call('POST', RESET, { body: { ResetType: 'Explode' } }), 400, 'PropertyValueNotInList')
    assertError(r.call('POST', RESET, { body: {} }), 400, 'ActionParameterMissing')
    assertError(r.call('POST', RESET, { body: { ResetType: 'On', Force: true } }), 400, 'ActionParameterUnknown')
    assertError(r.call('POST', RESET, { auth: USERS.readOnly, body: { ResetType: 'ForceOff' } }), 403, 'InsufficientPrivilege')
    assert.equal(r.call('POST', RESET, { auth: USERS.operator, body: { ResetType: 'ForceOff' } }).status, 204)
  })

  it('a boot override set over Redfish is the IPMI boot flags, and the reverse', () => {
    const r = rig()
    const patch = r.call('PATCH', SYSTEM, { body: { Boot: { BootSourceOverrideTarget: 'Pxe', BootSourceOverrideEnabled: 'Continuous', BootSourceOverrideMode: 'UEFI' } } })
    assert.equal(patch.status, 200)
    assert.deepEqual([patch.json.Boot.BootSourceOverrideTarget, patch.json.Boot.BootSourceOverrideEnabled, patch.json.Boot.BootSourceOverrideMode], ['Pxe', 'Continuous', 'UEFI'])
    const got = r.bmc.runCommand(CHASSIS, CMD.getBoot, Buffer.from([5, 0, 0]))
    const flags = decodeBootFlags(got.data!.subarray(2))
    assert.deepEqual([flags.valid, flags.persistent, flags.uefi, flags.device], [true, true, true, 1])
    r.clock.advance(120_000) // a Redfish override does not lapse after IPMI's 60 s
    assert.equal(r.call('GET', SYSTEM).json.Boot.BootSourceOverrideTarget, 'Pxe')
    const disk = encodeBootFlags(bootFlagsFor('disk', { persistent: false, uefi: false }))
    assert.equal(r.bmc.runCommand(CHASSIS, CMD.setBoot, Buffer.concat([Buffer.from([5]), disk])).cc, 0)
    const boot = r.call('GET', SYSTEM).json.Boot
    assert.deepEqual([boot.BootSourceOverrideTarget, boot.BootSourceOverrideEnabled, boot.BootSourceOverrideMode], ['Hdd', 'Once', 'Legacy'])
    assert.equal(r.call('PATCH', SYSTEM, { body: { Boot: { BootSourceOverrideEnabled: 'Disabled' } } }).json.Boot.BootSourceOverrideTarget, 'None')
    const cd = r.call('PATCH', SYSTEM, { body: { Boot: { BootSourceOverrideTarget: 'Cd' } } }).json.Boot
    assert.deepEqual([cd.BootSourceOverrideTarget, cd.BootSourceOverrideEnabled], ['Cd', 'Once'], 'a target alone while Disabled boots it once')
    assertError(r.call('PATCH', SYSTEM, { body: { Boot: { BootSourceOverrideTarget: 'Tape' } } }), 400, 'PropertyValueNotInList')
    assertError(r.call('PATCH', SYSTEM, { body: { PowerState: 'Off' } }), 400, 'PropertyNotWritable')
    assertError(r.call('PATCH', SYSTEM, { body: { Colour: 'red' } }), 400, 'PropertyUnknown')
    assertError(r.call('PATCH', SYSTEM, { body: {} }), 400, 'EmptyJSON')
    assertError(r.call('PATCH', SYSTEM, { body: '{"Boot":' }), 400, 'MalformedJSON')
  })

  it('identify is Chassis Identify: LocationIndicatorActive and IndicatorLED write it and read it back from IPMI changes', () => {
    const r = rig()
    assert.equal(r.call('PATCH', SYSTEM, { body: { LocationIndicatorActive: true } }).json.IndicatorLED, 'Blinking')
    const st = r.bmc.runCommand(CHASSIS, CMD.status, Buffer.alloc(0)).data!
    assert.equal((st[2]! >> 4) & 0x03, 2, 'IPMI: identify on until turned off')
    assert.equal(r.bmc.runCommand(CHASSIS, CMD.identify, Buffer.from([0])).cc, 0)
    assert.equal(r.call('GET', '/redfish/v1/Chassis/chassis').json.LocationIndicatorActive, false)
    assert.equal(r.call('PATCH', '/redfish/v1/Chassis/chassis', { body: { IndicatorLED: 'Lit' } }).json.LocationIndicatorActive, true)
  })

  it('accounts are the IPMI user table: created, re-passworded and disabled over Redfish, seen by both sides', () => {
    const r = rig()
    const made = r.call('POST', '/redfish/v1/AccountService/Accounts', { body: { UserName: 'alice', Password: 'wonderland', RoleId: 'Operator' } })
    assert.equal(made.status, 201)
    assert.equal(made.headers.Location, '/redfish/v1/AccountService/Accounts/5')
    const u = r.bmc.users[5]!
    assert.deepEqual([u.name.toString(), u.password.toString(), u.privilege, u.enabled], ['alice', 'wonderland', Priv.Operator, true])
    assert.equal(r.call('GET', SYSTEM, { auth: 'alice:wonderland' }).status, 200)
    assertError(r.call('POST', '/redfish/v1/AccountService/Accounts', { body: { UserName: 'alice', Password: 'x' } }), 409, 'ResourceAlreadyExists')
    assertError(r.call('POST', '/redfish/v1/AccountService/Accounts', { body: { UserName: 'bob', Password: 'x'.repeat(21) } }), 400, 'StringValueTooLong')
    assertError(r.call('POST', '/redfish/v1/AccountService/Accounts', { body: { UserName: 'bob' } }), 400, 'PropertyMissing')
    // A user may change only its own password without ConfigureUsers.
    assert.equal(r.call('PATCH', '/redfish/v1/AccountService/Accounts/5', { auth: 'alice:wonderland', body: { Password: 'looking-glass' } }).status, 200)
    assert.equal(r.bmc.users[5]!.password.toString(), 'looking-glass')
    assertError(r.call('GET', SYSTEM, { auth: 'alice:wonderland' }), 401, 'NoValidSession')
    assertError(r.call('PATCH', '/redfish/v1/AccountService/Accounts/5', { auth: 'alice:looking-glass', body: { RoleId: 'Administrator' } }), 403, 'InsufficientPrivilege')
    assertError(r.call('PATCH', '/redfish/v1/AccountService/Accounts/2', { auth: 'alice:looking-glass', body: { Password: 'mine' } }), 403, 'InsufficientPrivilege')
    assert.equal(r.call('PATCH', '/redfish/v1/AccountService/Accounts/5', { body: { Enabled: false } }).status, 200)
    assertError(r.call('GET', SYSTEM, { auth: 'alice:looking-glass' }), 401, 'NoValidSession')
    assert.equal(r.call('DELETE', '/redfish/v1/AccountService/Accounts/5').status, 204)
    assertError(r.call('GET', '/redfish/v1/AccountService/Accounts/5'), 404, 'ResourceMissingAtURI')
  })

  it('PATCH honours If-Match: the current ETag passes, a stale one answers 412 and changes nothing', () => {
    const r = rig()
    const first = r.call('GET', '/redfish/v1/AccountService/Accounts/4')
    assert.equal(r.call('PATCH', '/redfish/v1/AccountService/Accounts/4', { headers: { 'if-match': first.headers.ETag! }, body: { RoleId: 'Operator' } }).status, 200)
    assertError(r.call('PATCH', '/redfish/v1/AccountService/Accounts/4', { headers: { 'if-match': first.headers.ETag! }, body: { RoleId: 'Administrator' } }), 412, 'GeneralError')
    assert.equal(r.bmc.users[4]!.privilege, Priv.Operator)
    const now = r.call('GET', '/redfish/v1/AccountService/Accounts/4').headers.ETag!
    assert.equal(r.call('PATCH', '/redfish/v1/AccountService/Accounts/4', { headers: { 'if-match': `W/${now}` }, body: { RoleId: 'ReadOnly' } }).status, 200)
  })
})

describe('simulated Redfish: authentication and sessions', () => {
  it('only /redfish, the service root and login are open; others answer 401 with WWW-Authenticate', () => {
    const r = rig()
    assert.deepEqual(r.call('GET', '/redfish', { auth: null }).json, { v1: '/redfish/v1/' })
    assert.equal(r.call('GET', '/redfish/v1', { auth: null }).status, 200)
    const denied = r.call('GET', SYSTEM, { auth: null })
    assertError(denied, 401, 'NoValidSession')
    assert.match(denied.headers['WWW-Authenticate']!, /^Basic realm=/)
    assertError(r.call('GET', SYSTEM, { auth: 'admin:wrong' }), 401, 'NoValidSession')
    assertError(r.call('GET', SYSTEM, { token: 'not-a-token' }), 401, 'NoValidSession')
  })

  it('login answers X-Auth-Token and Location; the token works until DELETE logs out, and the count returns to zero', () => {
    const r = rig()
    const login = r.call('POST', '/redfish/v1/SessionService/Sessions', { auth: null, body: { UserName: 'op', Password: 'oppass' } })
    assert.equal(login.status, 201)
    const token = login.headers['X-Auth-Token']!
    assert.match(token, /^[0-9a-f]{32}$/)
    assert.equal(JSON.stringify(login.json).includes(token), false, 'the token is not in the body')
    assert.equal(r.rf.service.openSessions, 1)
    assert.equal(r.call('GET', SYSTEM, { token }).status, 200)
    assert.equal(r.call('GET', login.headers.Location!, { token }).json.UserName, 'op')
    assert.equal(r.call('DELETE', login.headers.Location!, { token }).status, 204)
    assert.equal(r.rf.service.openSessions, 0)
    assertError(r.call('GET', SYSTEM, { token }), 401, 'NoValidSession')
    assertError(r.call('POST', '/redfish/v1/SessionService/Sessions', { auth: null, body: { UserName: 'op', Password: 'nope' } }), 401, 'NoValidSession')
  })

  it('a session unused for SessionTimeout seconds ends; use restarts its clock', () => {
    const r = rig()
    assert.equal(r.call('GET', '/redfish/v1/SessionService').json.SessionTimeout, 1800)
    const token = r.call('POST', '/redfish/v1/SessionService/Sessions', { auth: null, body: { UserName: 'admin', Password: 'password' } }).headers['X-Auth-Token']!
    r.clock.advance(1_000_000)
    assert.equal(r.call('GET', SYSTEM, { token }).status, 200)
    r.clock.advance(1_000_000)
    assert.equal(r.call('GET', SYSTEM, { token }).status, 200, 'the GET 1000 s ago restarted the idle clock')
    r.clock.advance(1_800_001)
    assertError(r.call('GET', SYSTEM, { token }), 401, 'NoValidSession')
    assert.equal(r.rf.service.openSessions, 0)
  })

  it('the session limit refuses the next login with SessionLimitExceeded until one logs out', () => {
    const r = rig({ maxSessions: 2 })
    const login = () => r.call('POST', '/redfish/v1/SessionService/Sessions', { auth: null, body: { UserName: 'admin', Password: 'password' } })
    const a = login()
    login()
    assertError(login(), 503, 'SessionLimitExceeded')
    r.call('DELETE', a.headers.Location!, { token: a.headers['X-Auth-Token']! })
    assert.equal(login().status, 201)
  })

  it('Manager.Reset answers first, then the BMC reboots: every Redfish session ends', () => {
    const r = rig()
    const token = r.call('POST', '/redfish/v1/SessionService/Sessions', { auth: null, body: { UserName: 'admin', Password: 'password' } }).headers['X-Auth-Token']!
    const reset = r.call('POST', '/redfish/v1/Managers/bmc/Actions/Manager.Reset', { token, body: { ResetType: 'GracefulRestart' } })
    assert.equal(reset.status, 204)
    assert.equal(r.bmc.isRebooting, false)
    reset.after!()
    assert.equal(r.bmc.isRebooting, true)
    assert.equal(r.rf.service.openSessions, 0)
    assertError(r.call('POST', '/redfish/v1/Managers/bmc/Actions/Manager.Reset', { auth: USERS.operator, body: { ResetType: 'ForceRestart' } }), 403, 'InsufficientPrivilege')
  })
})

describe('simulated Redfish: errors and faults', () => {
  it('unknown URIs answer 404, wrong methods 405 with Allow', () => {
    const r = rig()
    assertError(r.call('GET', '/redfish/v1/Nowhere'), 404, 'ResourceMissingAtURI')
    const wrong = r.call('DELETE', SYSTEM)
    assertError(wrong, 405, 'GeneralError')
    assert.equal(wrong.headers.Allow, 'GET, PATCH')
  })

  it('unavailable answers 503 with Retry-After; session-limit refuses logins; wrong-credentials refuses Basic and login', () => {
    const r = rig()
    r.bmc.setFaults({ unavailableRetryAfterS: 7 })
    const busy = r.call('GET', SYSTEM)
    assertError(busy, 503, 'ServiceTemporarilyUnavailable')
    assert.equal(busy.headers['Retry-After'], '7')
    r.bmc.setFaults({ unavailableRetryAfterS: 0, sessionLimitReached: true })
    assertError(r.call('POST', '/redfish/v1/SessionService/Sessions', { auth: null, body: { UserName: 'admin', Password: 'password' } }), 503, 'SessionLimitExceeded')
    r.bmc.setFaults({ sessionLimitReached: false, wrongCredentials: true })
    assertError(r.call('GET', SYSTEM), 401, 'NoValidSession')
    assertError(r.call('POST', '/redfish/v1/SessionService/Sessions', { auth: null, body: { UserName: 'admin', Password: 'password' } }), 401, 'NoValidSession')
    r.bmc.setFaults({ wrongCredentials: false })
    assert.equal(r.call('GET', SYSTEM).status, 200)
  })
})

describe('simulated Redfish: options', () => {
  it('--fault takes unavailable=SECONDS and session-limit; bad --redfish options exit 2 with VALIDATION_FAILED before anything starts', async () => {
    assert.deepEqual(parseFaultSpec('0-1:unavailable=3', 2).map((f) => f.fault), [{ kind: 'unavailable', value: 3 }, { kind: 'unavailable', value: 3 }])
    assert.deepEqual(parseFaultSpec('0:session-limit', 1), [{ index: 0, fault: { kind: 'session-limit' } }])
    let text = ''
    const err = new Writable({ write(c: Buffer, _e, cb) { text += c.toString(); cb() } })
    const out = new Writable({ write(_c, _e, cb) { cb() } })
    assert.equal(await simCommand(['--count', '2', '--redfish', '--redfish-base-port', '65535'], { stdout: out, stderr: err }), 2)
    assert.match(text, /VALIDATION_FAILED: --redfish-base-port must leave room for --count ports/)
    assert.equal(await simCommand(['--redfish', '--redfish-transition-ms', 'slow'], { stdout: out, stderr: err }), 2)
    assert.match(text, /VALIDATION_FAILED: --redfish-transition-ms must be an integer from 0 to 60000/)
  })
})

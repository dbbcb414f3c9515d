// The real server (startServer, one worker thread per BMC) with Redfish nodes on the simulator's
// Redfish side (startSimFleet with `redfish`, loopback HTTPS pinned to the fleet's certificate),
// asserting through REST: power with the simulator's delayed transitions (PoweringOn/PoweringOff
// reported while they run), boot set and read back (and read by our IPMI client on the same BMC's
// IPMI side), identify, a BMC user created over REST then logging in as a second node, faults
// answered with our error codes within the node's deadline and healed once cleared, and every
// Redfish session logged out when the server closes.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLogger } from '../../../src/log.js'
import { RedfishClient, type RedfishConfig } from '../../../src/redfish/client.js'
import { startServer, type RunningServer } from '../../../src/main.js'
import { startSimFleet, type SimFault, type SimFleetHandle } from '../../../src/sim/fleet.js'
import { waitUntil } from '../../lab/net.js'
import { ipmitool, requireTools } from '../../lab/tools.js'
import { sink } from '../../lab/sink.js'
import { restClient } from '../../lab/rest.js'

const ADMIN = 'int-redfish-sim-admin-token-0123456789'
/** The simulator's power transitions: long enough to be seen running, short enough for a test. */
const POWER = { onMs: 1500, offMs: 1000 }
/** The per-request deadline the fault cases ask for (`?timeoutMs=`). */
const DEADLINE_MS = 3000
/** What the answer may take beyond the deadline (REST and worker hops). */
const DEADLINE_SLACK_MS = 1000
type Json = Record<string, unknown>

describe('Redfish nodes on the simulator\'s Redfish side, through REST', { timeout: 120_000 }, () => {
  let server: RunningServer
  let fleet: SimFleetHandle
  let dataDir: string
  let closed = false

  const api = restClient(() => server.url, ADMIN)
  const redfishNode = (name: string, index: number, creds?: { username: string; password: string }): Json => {
    const b = fleet.bmcs[index]!
    return {
      name,
      bmc: {
        protocol: 'redfish', host: b.host, port: b.redfish!.port, username: creds?.username ?? b.username, password: creds?.password ?? b.password,
        tls: { mode: 'pin', fingerprint: fleet.redfishFingerprint },
      },
    }
  }
  const ipmiNode = (name: string, index: number): Json => {
    const b = fleet.bmcs[index]!
    return { name, bmc: { host: b.host, port: b.port, username: b.username, password: b.password }, console: { method: 'none' } }
  }
  const connected = (names: string[]) => waitUntil(async () => {
    const ws = (await api('GET', '/workers')).json.workers as { node: string; session: { state: string } | null }[]
    return names.every((n) => ws.some((w) => w.node === n && w.session?.state === 'connected'))
  }, { timeoutMs: 30_000, intervalMs: 100, what: `${names.join(',')} connected` })
  const sessionsOf = (index: number): number => fleet.members[index]!.redfish!.sim.service.openSessions
  const power = async (node: string): Promise<Json> => {
    const r = await api('GET', `/nodes/${node}/power`)
    assert.equal(r.status, 200, JSON.stringify(r.json))
    return r.json
  }

  before(async () => {
    fleet = await startSimFleet({ count: 3, consoleRate: 0, redfish: { power: POWER } })
    dataDir = mkdtempSync(join(tmpdir(), 'bmcvisor-int-rfsim-'))
    server = await startServer({
      listen: '127.0.0.1:0', dataDir, adminToken: ADMIN, logger: createLogger({ level: 'warn', destination: sink() }),
      supervisor: { heartbeatMs: 250, heartbeatTimeoutMs: 3000, startConcurrency: 2 },
      bmcDefaults: {
        reconnect: { initialMs: 100, maxMs: 500 },
        // Redfish tries of 1 s, one retry: a fault is answered well inside DEADLINE_MS; a quick keepalive notices a dead BMC.
        timing: { requestTimeoutMs: 1000, retries: 1, backoffMs: 100, keepaliveMs: 500, keepaliveTimeoutMs: 1000 },
      },
    })
    for (const body of [redfishNode('r0', 0), redfishNode('r1', 1), ipmiNode('i0', 0)]) {
      const made = await api('POST', '/nodes', body)
      assert.equal(made.status, 201, JSON.stringify(made.json))
    }
    await connected(['r0', 'r1', 'i0'])
  })
  after(async () => {
    if (!closed) await server?.close()
    await fleet?.close()
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true })
  })

  it('power off, on and cycle: the transitions are reported while they run and after, and the IPMI side agrees', async (t) => {
    if (!requireTools(t, ['ipmitool'], 'apt-get install ipmitool')) return
    const b = fleet.bmcs[0]!
    const ipmiPower = async () => (await ipmitool(b, ['power', 'status'], { user: b.username, password: b.password })).trim()
    assert.deepEqual(await power('r0'), { state: 'on', powerState: 'On' })

    const off = await api('PUT', '/nodes/r0/power', { state: 'off' })
    assert.equal(off.status, 200, JSON.stringify(off.json))
    assert.equal(off.json.action, 'off')
    // The machine is still on while it powers off: `state` says what it is, `powerState` the BMC's word.
    assert.deepEqual(await power('r0'), { state: 'on', powerState: 'PoweringOff' })
    assert.equal(await ipmiPower(), 'Chassis Power is on')
    await waitUntil(async () => (await power('r0')).powerState === 'Off', { timeoutMs: 10_000, intervalMs: 100, what: 'r0 off' })
    assert.deepEqual(await power('r0'), { state: 'off', powerState: 'Off' })
    assert.equal(await ipmiPower(), 'Chassis Power is off')

    assert.equal((await api('PUT', '/nodes/r0/power', { state: 'on' })).json.action, 'on')
    assert.deepEqual(await power('r0'), { state: 'off', powerState: 'PoweringOn' })
    // A second change while one runs is the BMC's 409 ResourceInUse, answered with our code.
    const busy = await api('PUT', '/nodes/r0/power', { state: 'off' })
    assert.equal(busy.status >= 400, true)
    assert.equal((busy.json.error as Json).code, 'BMC_COMMAND_FAILED', JSON.stringify(busy.json))
    assert.equal((busy.json.error as { details: Json }).details.httpStatus, 409)
    await waitUntil(async () => (await power('r0')).powerState === 'On', { timeoutMs: 10_000, intervalMs: 100, what: 'r0 on' })
    assert.equal(await ipmiPower(), 'Chassis Power is on')

    const cycle = await api('PUT', '/nodes/r0/power', { state: 'cycle' })
    assert.equal(cycle.json.action, 'cycle')
    const seen = new Set<string>()
    await waitUntil(async () => {
      seen.add(String((await power('r0')).powerState))
      return seen.has('PoweringOn') && (await power('r0')).powerState === 'On'
    }, { timeoutMs: 10_000, intervalMs: 50, what: 'r0 cycled' })
    assert.ok(seen.has('PoweringOff'), [...seen].join(','))
    // The IPMI node on the same BMC reads the same power.
    assert.deepEqual((await api('GET', '/nodes/i0/power')).json, { state: 'on' })
  })

  it('boot device set over Redfish reads back over Redfish and over the BMC\'s IPMI side', async () => {
    const set = await api('PUT', '/nodes/r0/boot', { device: 'pxe', persistent: true, mode: 'uefi' })
    assert.equal(set.status, 200, JSON.stringify(set.json))
    const back = await api('GET', '/nodes/r0/boot')
    assert.deepEqual([back.json.device, back.json.persistent, back.json.mode], ['pxe', true, 'uefi'])
    const ipmi = await api('GET', '/nodes/i0/boot')
    assert.deepEqual([ipmi.json.device, ipmi.json.persistent, ipmi.json.mode], ['pxe', true, 'uefi'])
    await api('PUT', '/nodes/r0/boot', { device: 'disk' })
    const once = await api('GET', '/nodes/i0/boot')
    assert.deepEqual([once.json.device, once.json.persistent, once.json.mode], ['disk', false, 'bios'])
  })

  it('identify turns the BMC\'s identify on and off (seen by its chassis state)', async () => {
    const chassis = fleet.members[0]!.bmc.chassis
    assert.equal((await api('PUT', '/nodes/r0/identify', { state: 'on' })).status, 200)
    // Redfish has no timed identify: on stays on until turned off.
    assert.equal(chassis.identifyUntilMs, 'forever')
    assert.equal((await api('PUT', '/nodes/r0/identify', { state: 'off' })).status, 200)
    assert.equal(chassis.identifyUntilMs, undefined)
  })

  it('a BMC user created over REST logs in to the Redfish service as a second node', async () => {
    const made = await api('PUT', '/nodes/r0/bmc/users/5', { name: 'rfops', password: 'rf-ops-pass-42', privilege: 'operator' })
    assert.equal(made.status, 200, JSON.stringify(made.json))
    const users = (await api('GET', '/nodes/r0/bmc/users')).json as unknown as { name: string; privilege: string; enabled: boolean }[]
    assert.ok(users.some((u) => u.name === 'rfops' && u.privilege === 'operator' && u.enabled), JSON.stringify(users))
    assert.equal((await api('POST', '/nodes', redfishNode('r0ops', 0, { username: 'rfops', password: 'rf-ops-pass-42' }))).status, 201)
    await connected(['r0ops'])
    assert.deepEqual(await power('r0ops'), { state: 'on', powerState: 'On' })
    // An operator may change the boot device; the admin's node reads it back.
    assert.equal((await api('PUT', '/nodes/r0ops/boot', { device: 'cdrom' })).status, 200)
    assert.equal((await api('GET', '/nodes/r0/boot')).json.device, 'cdrom')
  })

  const faultCases: { fault: SimFault; code: string }[] = [
    { fault: { kind: 'delay', value: DEADLINE_MS + 2000 }, code: 'BMC_UNREACHABLE' },
    { fault: { kind: 'unavailable', value: 1 }, code: 'BMC_BUSY' },
    { fault: { kind: 'die' }, code: 'BMC_UNREACHABLE' },
    // Every connection dropped (--fault 1:drop=1): each try is cut off, none answers.
    { fault: { kind: 'drop', value: 1 }, code: 'BMC_UNREACHABLE' },
  ]
  for (const { fault, code } of faultCases) {
    it(`fault ${fault.kind}: ${code} within the deadline, healed once cleared`, async () => {
      await connected(['r1'])
      await fleet.setFault(1, fault)
      try {
        const t0 = Date.now()
        const r = await api('GET', `/nodes/r1/power?timeoutMs=${DEADLINE_MS}`)
        const took = Date.now() - t0
        assert.equal((r.json.error as Json | undefined)?.code, code, JSON.stringify(r.json))
        assert.ok(took <= DEADLINE_MS + DEADLINE_SLACK_MS, `answered after ${took} ms`)
      } finally {
        await fleet.setFault(1, { kind: 'none' })
      }
      await waitUntil(async () => (await api('GET', `/nodes/r1/power?timeoutMs=${DEADLINE_MS}`)).status === 200, { timeoutMs: 20_000, intervalMs: 200, what: 'r1 healed' })
      assert.deepEqual(await power('r1'), { state: 'on', powerState: 'On' })
    })
  }

  it('fault session-limit: a node that must log in is told BMC_BUSY within the deadline, and logs in once it clears', async () => {
    await fleet.setFault(1, { kind: 'session-limit' })
    try {
      assert.equal((await api('POST', '/nodes', redfishNode('r1b', 1))).status, 201)
      const t0 = Date.now()
      const r = await api('GET', `/nodes/r1b/power?timeoutMs=${DEADLINE_MS}`)
      const took = Date.now() - t0
      assert.equal((r.json.error as Json | undefined)?.code, 'BMC_BUSY', JSON.stringify(r.json))
      assert.ok(took <= DEADLINE_MS + DEADLINE_SLACK_MS, `answered after ${took} ms`)
      // The node already logged in keeps its session.
      assert.equal((await power('r1')).state, 'on')
    } finally {
      await fleet.setFault(1, { kind: 'none' })
    }
    await connected(['r1b'])
    assert.equal((await power('r1b')).state, 'on')
  })

  it('closing the server logs every Redfish session out', async () => {
    // One session per node, however many faults it lived through: none leaked by a retry or a re-login.
    assert.deepEqual([sessionsOf(0), sessionsOf(1)], [2, 2], 'r0 and r0ops on BMC 0, r1 and r1b on BMC 1')
    closed = true
    await server.close()
    assert.deepEqual([sessionsOf(0), sessionsOf(1)], [0, 0])
  })
})

describe('the Redfish client against a slow simulated BMC: logins given up on leave no session', { timeout: 60_000 }, () => {
  let fleet: SimFleetHandle
  const clients: RedfishClient[] = []
  const connect = (timing: Partial<RedfishConfig['timing']> = {}): RedfishClient => {
    const b = fleet.bmcs[0]!
    const c = new RedfishClient({
      host: b.host, port: b.redfish!.port, username: b.username, password: b.password,
      tls: { mode: 'pin', fingerprint: fleet.redfishFingerprint }, timing: { requestTimeoutMs: 300, retries: 0, ...timing },
    })
    clients.push(c)
    return c
  }
  const sessions = (): number => fleet.members[0]!.redfish!.sim.service.openSessions
  before(async () => {
    fleet = await startSimFleet({ count: 1, consoleRate: 0, redfish: {} })
  })
  after(async () => {
    for (const c of clients) await c.close()
    await fleet?.close()
  })

  it('each login that timed out is logged out when its late answer comes, so the BMC\'s session slots do not fill', async () => {
    const c = connect()
    await c.serviceRoot()
    await fleet.setFault(0, { kind: 'delay', value: 800 })
    try {
      // More tries than the BMC has session slots (8): each one the BMC took made a session.
      for (let i = 0; i < 10; i++) await assert.rejects(c.open({ deadline: Date.now() + 500 }), { code: 'BMC_UNREACHABLE' })
      await waitUntil(() => c.stats.lateSessionsDeleted > 0 && sessions() === 0, { timeoutMs: 10_000, intervalMs: 20, what: 'the late sessions logged out' })
    } finally {
      await fleet.setFault(0, { kind: 'none' })
    }
    // Without the late logout the BMC's eight slots stay full (SessionLimitExceeded) for its 30-minute SessionTimeout.
    await c.open()
    assert.equal(sessions(), 1)
    await c.close()
    assert.equal(sessions(), 0)
  })

  it('close() waits for a login still answering late and logs its session out', async () => {
    const c = connect({ closeTimeoutMs: 3000 })
    await c.serviceRoot()
    await fleet.setFault(0, { kind: 'delay', value: 800 })
    try {
      await assert.rejects(c.open({ deadline: Date.now() + 500 }), { code: 'BMC_UNREACHABLE' })
      await c.close()
    } finally {
      await fleet.setFault(0, { kind: 'none' })
    }
    assert.deepEqual([sessions(), c.stats.lateSessionsDeleted], [0, 1])
  })
})

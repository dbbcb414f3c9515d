// The simulator's Redfish side against clients we did not write: Debian's
// redfishtool (Basic and session auth) and python3-sushy (sessions, the
// certificate verified as its own CA), with ipmitool on the same BMC's IPMI
// port. Shows: both clients read the values the IPMI side reports (power,
// serial, firmware, temperatures, identify), their actions are accepted and seen by
// ipmitool (and the reverse), accounts made over Redfish log in over IPMI,
// sessions are always logged out (the count returns to zero), the
// certificate is the one whose fingerprint the fleet printed, and each
// fault answers as configured. Runs `bmcvisor sim --redfish` once as a user
// does. Needs redfishtool, python3-sushy (/usr/bin/python3), ipmitool, openssl.
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFile, spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { request, type RequestOptions } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { TestContext } from 'node:test'
import type { TLSSocket } from 'node:tls'
import { identifyState } from '../../../src/sim/chassis-commands.js'
import { startSimFleet, type SimFleetHandle } from '../../../src/sim/fleet.js'
import { waitUntil } from '../../lab/net.js'
import { inCi, ipmitool, requireTools } from '../../lab/tools.js'

const run = promisify(execFile)
const TOOLS = ['redfishtool', 'ipmitool', 'openssl']
const INSTALL = 'apt-get install redfishtool python3-sushy ipmitool openssl'
const SUSHY_PROBE = fileURLToPath(new URL('../../fixtures/redfish/sushy-probe.py', import.meta.url))
const CLI = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url))
const TRANSITION_MS = 1500
const SYSTEM = '/redfish/v1/Systems/system'

/** Debian's python3 with sushy (the `python3` on PATH may be another one without it). */
const SUSHY_PYTHON = '/usr/bin/python3'
const sushyInstalled = spawnSync(SUSHY_PYTHON, ['-c', 'import sushy'], { stdio: 'ignore' }).status === 0

function need(t: TestContext): boolean {
  if (!requireTools(t, TOOLS, INSTALL)) return false
  if (sushyInstalled) return true
  const msg = `${SUSHY_PYTHON} cannot import sushy (${INSTALL})`
  if (inCi()) throw new Error(`${msg}; CI is set, so this is a failure, not a skip`)
  t.skip(msg)
  return false
}

let fleet: SimFleetHandle
let dir: string
let caFile: string

before(async () => {
  fleet = await startSimFleet({ count: 1, consoleRate: 0, redfish: { power: { onMs: TRANSITION_MS, offMs: TRANSITION_MS }, maxSessions: 4 } })
  dir = await mkdtemp(join(tmpdir(), 'bmcvisor-rfsim-'))
  caFile = join(dir, 'ca.pem')
  await writeFile(caFile, fleet.redfishCertificatePem!)
})

after(async () => {
  await fleet.close()
  await rm(dir, { recursive: true, force: true })
})

function endpoint(): { host: string; port: number } {
  const b = fleet.bmcs[0]!
  return { host: b.host, port: b.redfish!.port }
}

function service() {
  return fleet.members[0]!.redfish!.sim.service
}

async function redfishtool(args: string[]): Promise<string> {
  const { host, port } = endpoint()
  const { stdout } = await run('redfishtool', ['-r', `${host}:${port}`, '-u', 'admin', '-p', 'password', '-S', 'Always', ...args], { timeout: 30_000 })
  return stdout
}

async function sushy(steps: string[], user = 'admin', password = 'password'): Promise<Record<string, unknown>[]> {
  // requests lets REQUESTS_CA_BUNDLE override sushy's own verify=CA_FILE; drop it so the fleet's certificate is the trust anchor.
  const env = { ...process.env }
  delete env.REQUESTS_CA_BUNDLE
  delete env.CURL_CA_BUNDLE
  const { stdout } = await run(SUSHY_PYTHON, [SUSHY_PROBE, fleet.bmcs[0]!.redfish!.url, caFile, user, password, ...steps], { timeout: 60_000, env })
  return stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
}

async function ipmiPower(): Promise<'on' | 'off'> {
  const out = await ipmitool(fleet.bmcs[0]!, ['power', 'status'])
  return /is on/.test(out) ? 'on' : 'off'
}

interface HttpResult { status: number; headers: Record<string, string | string[] | undefined>; json: Record<string, unknown>; fingerprint: string; ms: number }

/** One HTTPS request verified against the fleet's certificate (Node's client, pinned by CA). */
function https(method: string, path: string, o: { body?: unknown; timeoutMs?: number; auth?: boolean } = {}): Promise<HttpResult> {
  const { host, port } = endpoint()
  const body = o.body === undefined ? undefined : JSON.stringify(o.body)
  const opts: RequestOptions = {
    host, port, method, path, ca: fleet.redfishCertificatePem, timeout: o.timeoutMs ?? 10_000, agent: false,
    headers: { ...(o.auth === false ? {} : { authorization: `Basic ${Buffer.from('admin:password').toString('base64')}` }), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
  }
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const req = request(opts, (res) => {
      const fingerprint = (res.socket as TLSSocket).getPeerCertificate().fingerprint256
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        resolve({ status: res.statusCode ?? 0, headers: res.headers, json: text === '' ? {} : JSON.parse(text) as Record<string, unknown>, fingerprint, ms: performance.now() - started })
      })
    })
    req.on('timeout', () => req.destroy(Object.assign(new Error('client timeout'), { code: 'CLIENT_TIMEOUT' })))
    req.on('error', reject)
    req.end(body)
  })
}

async function powerState(): Promise<string> {
  return (await https('GET', SYSTEM)).json.PowerState as string
}

describe('simulated Redfish against redfishtool, sushy and ipmitool', () => {
  it('the certificate is the one whose SHA-256 fingerprint the fleet reports', async (t) => {
    if (!need(t)) return
    const r = await https('GET', '/redfish/v1/', { auth: false })
    assert.equal(r.status, 200)
    assert.equal(r.fingerprint, fleet.redfishFingerprint)
  })

  it('redfishtool reads the system, the manager and the chassis as IPMI reports them', async (t) => {
    if (!need(t)) return
    const sys = JSON.parse(await redfishtool(['Systems', '-1', 'get'])) as Record<string, unknown>
    assert.equal(sys.PowerState, (await ipmiPower()) === 'on' ? 'On' : 'Off')
    const fru = await ipmitool(fleet.bmcs[0]!, ['fru', 'print', '0'])
    assert.match(fru, new RegExp(`Product Serial\\s*:\\s*${String(sys.SerialNumber)}`))
    const mgr = JSON.parse(await redfishtool(['raw', 'GET', '/redfish/v1/Managers/bmc'])) as Record<string, unknown>
    const mc = await ipmitool(fleet.bmcs[0]!, ['mc', 'info'])
    assert.match(mc, new RegExp(`Firmware Revision\\s*:\\s*${String(mgr.FirmwareVersion).replace('.', '\\.')}`))
    const thermal = JSON.parse(await redfishtool(['Chassis', '-1', 'Thermal'])) as { Temperatures: { Name: string; ReadingCelsius: number; UpperThresholdCritical: number }[] }
    const sdr = await ipmitool(fleet.bmcs[0]!, ['sensor', 'get', 'Inlet Temp'])
    const inlet = thermal.Temperatures.find((x) => x.Name === 'Inlet Temp')!
    assert.match(sdr, new RegExp(`Upper Critical\\s*:\\s*${inlet.UpperThresholdCritical}\\.000`))
    const ipmiReading = Number(/Sensor Reading\s*:\s*(\d+)/.exec(sdr)![1])
    assert.ok(Math.abs(ipmiReading - inlet.ReadingCelsius) <= 1, `inlet ${inlet.ReadingCelsius} (Redfish) vs ${ipmiReading} (IPMI)`) // a slow wave; read a moment apart
  })

  it('redfishtool reset ForceOff: ipmitool sees off after the transition; ipmitool power on is seen over Redfish', async (t) => {
    if (!need(t)) return
    if ((await ipmiPower()) === 'off') await ipmitool(fleet.bmcs[0]!, ['power', 'on'])
    const downs = fleet.members[0]!.bmc.chassis.actions.powerDown
    await redfishtool(['Systems', '-1', 'reset', 'ForceOff'])
    await waitUntil(async () => (await ipmiPower()) === 'off', { timeoutMs: TRANSITION_MS + 5000, what: 'ipmitool power status off' })
    assert.equal(await powerState(), 'Off')
    assert.equal(fleet.members[0]!.bmc.chassis.actions.powerDown, downs + 1, 'one Chassis Control power down ran')
    await ipmitool(fleet.bmcs[0]!, ['power', 'on'])
    assert.equal(JSON.parse(await redfishtool(['Systems', '-1', 'get', '-P', 'PowerState'])).PowerState, 'On')
    assert.equal(service().openSessions, 0)
  })

  it('a reset reports PoweringOn while the transition runs (seen by a client between the two states)', async (t) => {
    if (!need(t)) return
    await ipmitool(fleet.bmcs[0]!, ['power', 'off'])
    assert.equal((await https('POST', `${SYSTEM}/Actions/ComputerSystem.Reset`, { body: { ResetType: 'On' } })).status, 204)
    assert.equal(await powerState(), 'PoweringOn')
    assert.equal(await ipmiPower(), 'off')
    await waitUntil(async () => (await powerState()) === 'On', { timeoutMs: TRANSITION_MS + 5000, what: 'PowerState On' })
    assert.equal(await ipmiPower(), 'on')
  })

  it('redfishtool with session auth logs in and out: the session count returns to zero', async (t) => {
    if (!need(t)) return
    const out = JSON.parse(await redfishtool(['-A', 'Session', 'Systems', '-1', 'get', '-P', 'PowerState'])) as Record<string, unknown>
    assert.ok(['On', 'Off', 'PoweringOn', 'PoweringOff'].includes(String(out.PowerState)))
    await waitUntil(() => service().openSessions === 0, { what: 'redfishtool to delete its session' })
  })

  it('sushy reads the same values, sets boot override and resets; its session is logged out', async (t) => {
    if (!need(t)) return
    const [read, boot, reset, again, closed] = await sushy(['read', 'boot:Pxe:Continuous:UEFI', 'reset:ForceRestart', 'read'])
    const direct = (await https('GET', SYSTEM)).json
    assert.equal(read!.serial_number, direct.SerialNumber)
    assert.deepEqual(read!.reset_types, [...(direct.Actions as Record<string, Record<string, string[]>>)['#ComputerSystem.Reset']!['ResetType@Redfish.AllowableValues']!].sort())
    // sushy counts logical CPUs by walking the Processors members.
    assert.equal(read!.processor_count, (direct.ProcessorSummary as Record<string, number>).LogicalProcessorCount)
    assert.equal(read!.memory_gib, 128)
    assert.deepEqual(read!.manager_reset_types, ['ForceRestart', 'GracefulRestart'])
    const thermal = (await https('GET', '/redfish/v1/Chassis/chassis/Thermal')).json as { Temperatures: { Name: string; UpperThresholdCritical: number }[] }
    assert.deepEqual((read!.temperatures as { name: string; upper_critical: number }[]).map((x) => [x.name, x.upper_critical]), thermal.Temperatures.map((x) => [x.Name, x.UpperThresholdCritical]))
    assert.deepEqual([boot, reset], [{ boot: 'Pxe:Continuous:UEFI' }, { reset: 'ForceRestart' }])
    assert.deepEqual(again!.boot, { target: 'Pxe', enabled: 'Continuous', mode: 'UEFI' })
    // ipmitool reads the same override from the boot flags.
    const param = await ipmitool(fleet.bmcs[0]!, ['chassis', 'bootparam', 'get', '5'])
    assert.match(param, /Options apply to all future boots/)
    assert.match(param, /BIOS EFI boot/)
    assert.match(param, /Force PXE/)
    assert.deepEqual(closed, { closed: true })
    assert.equal(service().openSessions, 0)
  })

  it('sushy turns identify on and off: the BMC\'s identify state follows, and sushy reads it back', async (t) => {
    if (!need(t)) return
    const bmc = fleet.members[0]!.bmc
    const [on, lit, off, dark, closed] = await sushy(['identify:Blinking', 'read', 'identify:Off', 'read'])
    assert.deepEqual([on, off], [{ identify: 'Blinking' }, { identify: 'Off' }])
    assert.deepEqual([lit!.indicator_led, dark!.indicator_led], ['Blinking', 'Off'])
    assert.equal(identifyState(bmc), 0, 'off again on the BMC')
    assert.deepEqual(closed, { closed: true })
    assert.equal(service().openSessions, 0)
  })

  it('an account made with redfishtool logs in over IPMI; a password set with ipmitool works for sushy', async (t) => {
    if (!need(t)) return
    await redfishtool(['AccountService', 'adduser', 'carol', 'redfish-pw', 'Operator'])
    const carol = fleet.members[0]!.bmc.users.find((u) => u.name.toString() === 'carol')!
    assert.match(await ipmitool(fleet.bmcs[0]!, ['power', 'status'], { user: 'carol', password: 'redfish-pw', privilege: 'OPERATOR' }), /Chassis Power is/)
    await ipmitool(fleet.bmcs[0]!, ['user', 'set', 'password', String(carol.id), 'ipmi-pw'])
    const [read] = await sushy(['read'], 'carol', 'ipmi-pw')
    assert.equal(String(read!.power_state).toLowerCase(), await ipmiPower())
    await redfishtool(['AccountService', 'deleteuser', 'carol'])
    await assert.rejects(ipmitool(fleet.bmcs[0]!, ['power', 'status'], { user: 'carol', password: 'ipmi-pw', timeoutMs: 10_000 }))
    assert.equal(service().openSessions, 0)
  })
})

describe('simulated Redfish faults over HTTPS', () => {
  it('delay answers late, unavailable answers 503 with Retry-After, session-limit refuses logins', async (t) => {
    if (!need(t)) return
    await fleet.setFault(0, { kind: 'delay', value: 400 })
    const slow = await https('GET', SYSTEM)
    assert.equal(slow.status, 200)
    assert.ok(slow.ms >= 400, `answered after ${slow.ms} ms`)
    await fleet.setFault(0, { kind: 'none' })
    await fleet.setFault(0, { kind: 'unavailable', value: 3 })
    const busy = await https('GET', SYSTEM)
    assert.equal(busy.status, 503)
    assert.equal(busy.headers['retry-after'], '3')
    assert.equal(((busy.json.error as Record<string, unknown>)['@Message.ExtendedInfo'] as { MessageId: string }[])[0]!.MessageId, 'Base.1.5.0.ServiceTemporarilyUnavailable')
    await fleet.setFault(0, { kind: 'none' })
    await fleet.setFault(0, { kind: 'session-limit' })
    const refused = await https('POST', '/redfish/v1/SessionService/Sessions', { auth: false, body: { UserName: 'admin', Password: 'password' } })
    assert.equal(refused.status, 503)
    assert.equal((refused.json.error as Record<string, unknown>).code, 'Base.1.5.0.SessionLimitExceeded')
    await assert.rejects(run('redfishtool', ['-r', `${endpoint().host}:${endpoint().port}`, '-u', 'admin', '-p', 'password', '-S', 'Always', '-A', 'Session', 'Systems'], { timeout: 30_000 }))
    await fleet.setFault(0, { kind: 'none' })
    assert.equal((await https('GET', SYSTEM)).status, 200)
  })

  it('drop=1 and die drop every connection, hang holds the request, none heals', async (t) => {
    if (!need(t)) return
    await fleet.setFault(0, { kind: 'drop', value: 1 })
    await assert.rejects(https('GET', SYSTEM), (e: NodeJS.ErrnoException) => e.code === 'ECONNRESET')
    await fleet.setFault(0, { kind: 'none' })
    await fleet.setFault(0, { kind: 'hang' })
    await assert.rejects(https('GET', SYSTEM, { timeoutMs: 500 }), (e: NodeJS.ErrnoException) => e.code === 'CLIENT_TIMEOUT')
    await fleet.setFault(0, { kind: 'none' })
    await fleet.setFault(0, { kind: 'die' })
    await assert.rejects(https('GET', SYSTEM), (e: NodeJS.ErrnoException) => e.code === 'ECONNRESET')
    await fleet.setFault(0, { kind: 'none' })
    assert.equal((await https('GET', SYSTEM)).status, 200)
  })
})

describe('bmcvisor sim --redfish', () => {
  it('prints each BMC\'s Redfish URL and the fingerprint; redfishtool reaches it', async (t) => {
    if (!need(t)) return
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'sim', '--count', '2', '--base-port', '0', '--redfish', '--redfish-base-port', '0', '--console-rate', '0', '--json'], { stdio: ['ignore', 'pipe', 'inherit'] })
    try {
      const [line] = await once(createInterface({ input: child.stdout }), 'line') as [string]
      const out = JSON.parse(line) as { bmcs: { port: number; redfish: { port: number; url: string } }[]; redfishFingerprint: string }
      assert.equal(out.bmcs.length, 2)
      assert.match(out.redfishFingerprint, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/)
      for (const b of out.bmcs) assert.equal(b.redfish.url, `https://127.0.0.1:${b.redfish.port}`)
      const { stdout } = await run('redfishtool', ['-r', `127.0.0.1:${out.bmcs[1]!.redfish.port}`, '-u', 'admin', '-p', 'password', '-S', 'Always', 'Managers', '-1', 'get'], { timeout: 30_000 })
      assert.equal((JSON.parse(stdout) as Record<string, unknown>).ManagerType, 'BMC')
    } finally {
      child.kill('SIGTERM')
      await once(child, 'exit')
    }
  })
})

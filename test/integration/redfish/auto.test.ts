// bmc.protocol auto in the real server (one worker thread per BMC): a simulated BMC that serves
// Redfish beside IPMI is probed and managed over Redfish (a Redfish session on it, power over
// REST); ipmi_sim, whose bmc.port (where the Redfish probe goes) is a TCP listener that hangs up
// (no Redfish service there), is probed and managed over IPMI at bmc.ipmiPort. The answers show in
// GET /api/v1/nodes/{node} (learnedProtocol) and in bmcvisor_node_protocol, are kept in the node's
// profile, and a server restarted on the same store does not probe again (the listener sees no new
// connection); a profile reset probes again. Then console.method ipmi on a Redfish node: SOL over
// the same simulated BMC's IPMI side while Redfish manages it (shared state: a power change over
// Redfish is what the IPMI side reports).
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLogger } from '../../../src/log.js'
import { startServer, type RunningServer } from '../../../src/main.js'
import { startSimFleet, type SimFleetHandle } from '../../../src/sim/fleet.js'
import { waitUntil } from '../../lab/net.js'
import { LAB_USERS, ipmiSimAvailable, requireIpmiSim, startIpmiSim, type IpmiSim } from '../../lab/sim.js'
import { sink } from '../../lab/sink.js'
import { restClient } from '../../lab/rest.js'

const ADMIN = 'int-redfish-auto-admin-token-0123456789'
type Json = Record<string, unknown>

describe('bmc.protocol auto: probe the Redfish service root, else IPMI, remembered across a restart', { timeout: 120_000 }, () => {
  let server: RunningServer | undefined
  let fleet: SimFleetHandle
  let ipmiSim: IpmiSim | undefined
  let dataDir: string
  // Where ipmi_sim's node probes for Redfish (its bmc.port): a TCP port that takes connections and hangs up at once.
  let noRedfish: Server
  const hangups: Socket[] = []

  const api = restClient(() => server!.url, ADMIN)
  const start = async () => {
    server = await startServer({
      listen: '127.0.0.1:0', dataDir, adminToken: ADMIN, logger: createLogger({ level: 'warn', destination: sink() }),
      supervisor: { heartbeatMs: 250, heartbeatTimeoutMs: 3000, startConcurrency: 2 },
      bmcDefaults: { reconnect: { initialMs: 100, maxMs: 500 }, timing: { requestTimeoutMs: 1000, retries: 1, backoffMs: 100 } },
    })
  }
  const connected = (names: string[]) => waitUntil(async () => {
    const ws = (await api('GET', '/workers')).json.workers as { node: string; session: { state: string } | null }[]
    return names.every((n) => ws.some((w) => w.node === n && w.session?.state === 'connected'))
  }, { timeoutMs: 30_000, intervalMs: 100, what: `${names.join(',')} connected` })
  const learned = async (node: string): Promise<unknown> => ((await api('GET', `/nodes/${node}`)).json.bmc as Json).learnedProtocol
  const protocolSeries = async (): Promise<string> => {
    const res = await fetch(`${server!.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN}` } })
    return (await res.text()).split('\n').filter((l) => l.startsWith('bmcvisor_node_protocol{')).sort().join('\n')
  }
  const redfishSessions = (): number => fleet.members[0]!.redfish!.sim.service.openSessions

  before(async () => {
    fleet = await startSimFleet({ count: 1, consoleRate: 0, redfish: {} })
    if (ipmiSimAvailable() || process.env.CI) ipmiSim = await startIpmiSim({ powerOn: true })
    noRedfish = createServer((s) => {
      hangups.push(s)
      s.destroy()
    })
    await new Promise<void>((resolve) => noRedfish.listen(0, '127.0.0.1', resolve))
    dataDir = mkdtempSync(join(tmpdir(), 'bmcvisor-int-rfauto-'))
    await start()
  })
  after(async () => {
    await server?.close()
    await fleet?.close()
    await ipmiSim?.stop()
    noRedfish?.close()
    if (dataDir) rmSync(dataDir, { recursive: true, force: true })
  })

  it('refuses ipmiPort on an IPMI node (its port is bmc.port), and IPMI\'s password limit on an auto node', async () => {
    const b = fleet.bmcs[0]!
    const bmc = { host: b.host, port: b.port, username: b.username, password: b.password }
    const onIpmi = await api('POST', '/nodes', { name: 'bad1', bmc: { ...bmc, ipmiPort: 6230 } })
    assert.equal(onIpmi.status, 400)
    assert.deepEqual([(onIpmi.json.error as Json).code, ((onIpmi.json.error as Json).details as Json).field], ['VALIDATION_FAILED', 'body.bmc.ipmiPort'])
    const long = await api('POST', '/nodes', { name: 'bad2', bmc: { ...bmc, protocol: 'auto', password: 'x'.repeat(21) } })
    assert.equal(long.status, 400)
    assert.equal(((long.json.error as Json).details as Json).field, 'body.bmc.password')
  })

  it('a simulated BMC serving Redfish is managed over Redfish', async () => {
    const b = fleet.bmcs[0]!
    const made = await api('POST', '/nodes', {
      name: 'auto-rf',
      bmc: { protocol: 'auto', host: b.host, port: b.redfish!.port, ipmiPort: b.port, username: b.username, password: b.password, tls: { mode: 'pin', fingerprint: fleet.redfishFingerprint } },
    })
    assert.equal(made.status, 201, JSON.stringify(made.json))
    assert.deepEqual([(made.json.bmc as Json).protocol, (made.json.bmc as Json).learnedProtocol, (made.json.console as Json).method], ['auto', undefined, 'none'])
    await connected(['auto-rf'])
    await waitUntil(async () => (await learned('auto-rf')) === 'redfish', { timeoutMs: 10_000, intervalMs: 50, what: 'auto-rf learned redfish' })
    assert.equal(redfishSessions(), 1, 'the worker logged in over Redfish')
    const power = await api('GET', '/nodes/auto-rf/power')
    assert.equal(power.status, 200, JSON.stringify(power.json))
    assert.equal(power.json.state, fleet.members[0]!.bmc.chassis.powerOn ? 'on' : 'off')
  })

  it('ipmi_sim, with no Redfish service at its bmc.port, is managed over IPMI at its ipmiPort', async (t) => {
    if (!requireIpmiSim(t)) return
    const port = (noRedfish.address() as { port: number }).port
    const made = await api('POST', '/nodes', {
      name: 'auto-ipmi',
      bmc: { protocol: 'auto', host: ipmiSim!.host, port, ipmiPort: ipmiSim!.port, username: LAB_USERS.admin.user, password: LAB_USERS.admin.password, tls: { mode: 'insecure' } },
    })
    assert.equal(made.status, 201, JSON.stringify(made.json))
    await connected(['auto-ipmi'])
    await waitUntil(async () => (await learned('auto-ipmi')) === 'ipmi', { timeoutMs: 10_000, intervalMs: 50, what: 'auto-ipmi learned ipmi' })
    assert.ok(hangups.length >= 1, 'the probe knocked at the Redfish port')
    const power = await api('GET', '/nodes/auto-ipmi/power')
    assert.equal(power.status, 200, JSON.stringify(power.json))
    assert.equal(power.json.state, 'on')
    await waitUntil(async () => (await protocolSeries()).includes('node="auto-ipmi",protocol="ipmi"') && (await protocolSeries()).includes('node="auto-rf",protocol="redfish"'),
      { timeoutMs: 10_000, intervalMs: 100, what: 'bmcvisor_node_protocol with the probed protocols' })
  })

  it('a restarted server starts from the stored answers and does not probe again; a profile reset does', async (t) => {
    if (!requireIpmiSim(t)) return
    await server!.close()
    assert.equal(redfishSessions(), 0, 'the Redfish session was logged out on close')
    const knocks = hangups.length
    await start()
    await connected(['auto-rf', 'auto-ipmi'])
    assert.deepEqual([await learned('auto-rf'), await learned('auto-ipmi')], ['redfish', 'ipmi'])
    assert.equal(hangups.length, knocks, 'no probe after the restart')
    assert.equal(redfishSessions(), 1)

    const reset = await api('DELETE', '/nodes/auto-ipmi/bmc/profile')
    assert.ok(reset.status === 200 || reset.status === 204, JSON.stringify(reset.json))
    await waitUntil(() => hangups.length > knocks, { timeoutMs: 10_000, intervalMs: 50, what: 'a new probe after the profile reset' })
    await connected(['auto-ipmi'])
    await waitUntil(async () => (await learned('auto-ipmi')) === 'ipmi', { timeoutMs: 10_000, intervalMs: 50, what: 'auto-ipmi learned ipmi again' })
  })
})

describe('console.method ipmi on a Redfish node: SOL over the BMC\'s IPMI side, management over Redfish', { timeout: 60_000 }, () => {
  let server: RunningServer | undefined
  let fleet: SimFleetHandle
  let dataDir: string
  const api = restClient(() => server!.url, ADMIN)

  before(async () => {
    fleet = await startSimFleet({ count: 2, consoleRate: 2000, redfish: { power: { onMs: 0, offMs: 0 } } })
    dataDir = mkdtempSync(join(tmpdir(), 'bmcvisor-int-rfsol-'))
    server = await startServer({
      listen: '127.0.0.1:0', dataDir, adminToken: ADMIN, logger: createLogger({ level: 'warn', destination: sink() }),
      supervisor: { heartbeatMs: 250, heartbeatTimeoutMs: 3000 },
      bmcDefaults: { reconnect: { initialMs: 100, maxMs: 500 } },
    })
  })
  after(async () => {
    await server?.close()
    await fleet?.close()
    if (dataDir) rmSync(dataDir, { recursive: true, force: true })
  })

  it('the console connects and carries the host\'s output (a Redfish node, an auto one); the Redfish sessions and the IPMI ones all end on close', async () => {
    // One SOL console per BMC: each node on a BMC of its own.
    const solNode = async (name: string, protocol: 'redfish' | 'auto', i: number) => {
      const b = fleet.bmcs[i]!
      const made = await api('POST', '/nodes', {
        name,
        bmc: { protocol, host: b.host, port: b.redfish!.port, ipmiPort: b.port, username: b.username, password: b.password, tls: { mode: 'pin', fingerprint: fleet.redfishFingerprint } },
        console: { method: 'ipmi' },
      })
      assert.equal(made.status, 201, JSON.stringify(made.json))
      assert.deepEqual([(made.json.bmc as Json).ipmiPort, (made.json.console as Json).method], [b.port, 'ipmi'])
      await waitUntil(async () => {
        const c = (await api('GET', `/nodes/${name}/console`)).json
        return c.state === 'connected' && (c.bytesIn as number) > 200
      }, { timeoutMs: 20_000, intervalMs: 100, what: `${name} console connected with output` })
      const m = fleet.members[i]!
      assert.equal(m.redfish!.sim.service.openSessions, 1, 'managed over Redfish')
      assert.equal(m.bmc.sessions.size, 1, 'one IPMI session, the console\'s')
      return m
    }
    const m = await solNode('rf-sol', 'redfish', 0)
    // The same on an auto node: its console opens once the probe picked Redfish.
    const m1 = await solNode('auto-sol', 'auto', 1)
    assert.equal(((await api('GET', '/nodes/auto-sol')).json.bmc as Json).learnedProtocol, 'redfish')

    // One BMC, shared state: power off over Redfish is what the IPMI side reports.
    const off = await api('PUT', '/nodes/rf-sol/power', { state: 'off' })
    assert.ok(off.status === 200 || off.status === 202, JSON.stringify(off.json))
    await waitUntil(() => !m.bmc.chassis.powerOn, { timeoutMs: 10_000, intervalMs: 50, what: 'the simulated chassis off' })

    await server!.close()
    server = undefined
    assert.deepEqual([m.redfish!.sim.service.openSessions, m1.redfish!.sim.service.openSessions], [0, 0], 'Redfish sessions logged out')
    await waitUntil(() => m.bmc.sessions.size === 0 && m1.bmc.sessions.size === 0, { timeoutMs: 5000, intervalMs: 50, what: 'the IPMI sessions closed' })
  })
})

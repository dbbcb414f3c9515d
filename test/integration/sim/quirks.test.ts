// Faithfulness of the quirk simulator (src/sim/quirks.ts): for every quirk
// FreeIPMI has a -W flag for, the FreeIPMI tool that meets it on real BMCs
// (ipmipower for login quirks, ipmiconsole for SOL ones) fails against the
// quirky simulated BMC without the flag and works with it; ipmitool's result
// is asserted beside it (docs/quirks.md records both). solport and
// solport-endian need the BMC on 127.0.0.1:623, because FreeIPMI follows or
// ignores an alternate SOL port only when the session is on 623; the test
// waits for the port to be free (another test file may hold it) and fails
// under CI if it never is. ipmiconsole and `ipmitool sol activate` need a
// terminal, so they run under script(1). First, `bmcvisor sim --quirk` as a
// user runs it: the CLI wires quirks to the BMCs it names and no others.
import { describe, it, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { TestContext } from 'node:test'
import { startSimFleet, type SimFleetHandle } from '../../../src/sim/fleet.js'
import type { QuirkName } from '../../../src/sim/quirks.js'
import { interactive } from '../../lab/interactive.js'
import { waitUntil } from '../../lab/net.js'
import { RMCP_PORT, onPort623 } from '../../lab/port623.js'
import { requireTools } from '../../lab/tools.js'

const run = promisify(execFile)
const FREEIPMI = 'apt-get install freeipmi-tools ipmitool'

/** Runs a tool; resolves with stdout+stderr and the exit code whether it succeeded or not. */
async function tool(cmd: string, args: string[]): Promise<{ code: number; out: string }> {
  try {
    const r = await run(cmd, args, { timeout: 60_000 })
    return { code: 0, out: r.stdout + r.stderr }
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string }
    return { code: typeof x.code === 'number' ? x.code : -1, out: (x.stdout ?? '') + (x.stderr ?? '') }
  }
}

async function quirkyBmc(quirks: QuirkName[], basePort = 0, consoleRate = 2000): Promise<SimFleetHandle> {
  const fleet = await startSimFleet({ count: 1, basePort, consoleRate, quirks: new Map([[0, quirks]]) })
  after(() => fleet.close())
  return fleet
}

/** ipmiconsole reads HOST:PORT into a signed 16-bit port ("hostname invalid" above 32767): the kernel's picks are too high. */
const LOW_PORTS = { first: 20_000, span: 12_000 }

async function quirkyBmcLowPort(quirks: QuirkName[], consoleRate?: number): Promise<SimFleetHandle> {
  return waitUntil(async () => {
    try {
      return await quirkyBmc(quirks, LOW_PORTS.first + Math.floor(Math.random() * LOW_PORTS.span), consoleRate)
    } catch (e) {
      if ((e as { code?: string }).code !== 'EADDRINUSE') throw e
      return undefined
    }
  }, { timeoutMs: 10_000, what: 'a free UDP port below 32768' })
}

/** A quirky BMC on 127.0.0.1:623, once the port is free; undefined (test skipped) when it cannot be had outside CI. */
function quirkyBmcOn623(t: TestContext, quirks: QuirkName[]): Promise<SimFleetHandle | undefined> {
  return onPort623(t, (port) => quirkyBmc(quirks, port), 'ipmiconsole follows SOL ports only from 623')
}

const ipmipower = (port: number, extra: string[]) => tool('ipmipower', [
  '-D', 'LAN_2_0', '-u', 'admin', '-p', 'password', '-h', `127.0.0.1:${port}`, '--session-timeout', '5000', ...extra, '--stat',
])
const ipmitoolPower = (port: number) => tool('ipmitool', ['-I', 'lanplus', '-H', '127.0.0.1', '-p', String(port), '-U', 'admin', '-P', 'password', '-C', '17', 'power', 'status'])

/** ipmipower (with `extra`) fails as `without` says unless given `-W flag`, and then reports power on. */
async function failsWithoutFlagWorksWith(port: number, flag: string, without: RegExp, extra: string[] = []): Promise<void> {
  const bare = await ipmipower(port, extra)
  assert.notEqual(bare.code, 0)
  assert.match(bare.out, without)
  const withFlag = await ipmipower(port, [...extra, '-W', flag])
  assert.equal(withFlag.code, 0, withFlag.out)
  assert.match(withFlag.out, /127\.0\.0\.1: on/)
}


/** `ipmiconsole` under script(1); the host is HOST:PORT unless the BMC is on 623. */
function ipmiconsole(t: TestContext, port: number, extra: string) {
  const host = port === RMCP_PORT ? '127.0.0.1' : `127.0.0.1:${port}`
  return interactive(t, 'script', ['-qfec', `ipmiconsole -h ${host} -u admin -p password -I 17 ${extra}`, '/dev/null'])
}

function ipmitoolSol(t: TestContext, port: number) {
  return interactive(t, 'script', ['-qfec', `ipmitool -I lanplus -H 127.0.0.1 -p ${port} -U admin -P password -C 17 sol activate`, '/dev/null'])
}

/** Ends a console started under script(1) with its escape and waits until it has deactivated SOL. */
async function endSol(fleet: SimFleetHandle, p: { type(s: string): void; exited: Promise<number | null> }, escape: string): Promise<void> {
  p.type(escape)
  await p.exited
  const sol = fleet.members[0]!.sol
  await waitUntil(() => !sol.active, { timeoutMs: 10_000, what: 'the console to deactivate SOL' })
}

describe('bmcvisor sim --quirk', () => {
  it('gives the named BMCs their quirks (listed in --json) and leaves the others compliant', async (t) => {
    if (!requireTools(t, ['ipmipower'], FREEIPMI)) return
    const cli = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url))
    const child = spawn(process.execPath, ['--import', 'tsx', cli, 'sim', '--count', '3', '--base-port', '0', '--console-rate', '0', '--quirk', '1:authcap', '--quirk', '2:suite3-only', '--json'], { stdio: ['ignore', 'pipe', 'inherit'] })
    t.after(() => void child.kill('SIGKILL'))
    const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string]
    const { bmcs } = JSON.parse(line) as { bmcs: { port: number; quirks?: string[]; cipherSuites?: number[] }[] }
    assert.deepEqual(bmcs.map((b) => [b.quirks, b.cipherSuites]), [[undefined, undefined], [['authcap'], [17, 3]], [['suite3-only'], [3]]])
    const plain = await ipmipower(bmcs[0]!.port, [])
    assert.match(plain.out, /127\.0\.0\.1: on/)
    assert.match((await ipmipower(bmcs[1]!.port, [])).out, /127\.0\.0\.1: username invalid/)
    assert.match((await ipmipower(bmcs[2]!.port, ['-I', '17'])).out, /127\.0\.0\.1: BMC error/)
    assert.match((await ipmipower(bmcs[2]!.port, ['-I', '3'])).out, /127\.0\.0\.1: on/)
    child.kill('SIGTERM')
    const [code] = (await once(child, 'exit')) as [number]
    assert.equal(code, 0)
  })
})

describe('login quirks: ipmipower fails without -W and works with it', () => {
  it('opensesspriv: "password invalid" without the flag; "on" with -W opensesspriv; ipmitool fails', async (t) => {
    if (!requireTools(t, ['ipmipower', 'ipmitool'], FREEIPMI)) return
    const fleet = await quirkyBmc(['opensesspriv'])
    const port = fleet.bmcs[0]!.port
    await failsWithoutFlagWorksWith(port, 'opensesspriv', /127\.0\.0\.1: password invalid/)
    const it = await ipmitoolPower(port)
    assert.notEqual(it.code, 0)
    assert.match(it.out, /Unable to establish IPMI v2 \/ RMCP\+ session/)
    assert.equal(fleet.members[0]!.bmc.lastInternalError, undefined)
  })

  it('authcap: "username invalid" without the flag; "on" with -W authcap; ipmitool works', async (t) => {
    if (!requireTools(t, ['ipmipower', 'ipmitool'], FREEIPMI)) return
    const fleet = await quirkyBmc(['authcap'])
    const port = fleet.bmcs[0]!.port
    await failsWithoutFlagWorksWith(port, 'authcap', /127\.0\.0\.1: username invalid/)
    const it = await ipmitoolPower(port)
    assert.equal(it.code, 0, it.out)
    assert.match(it.out, /Chassis Power is on/)
  })
})

describe('nochecksumcheck: ipmipower fails without -W and works with it', () => {
  it('"session timeout" without the flag; "on" with -W nochecksumcheck; ipmitool works', async (t) => {
    if (!requireTools(t, ['ipmipower', 'ipmitool'], FREEIPMI)) return
    const fleet = await quirkyBmc(['nochecksumcheck'])
    const port = fleet.bmcs[0]!.port
    await failsWithoutFlagWorksWith(port, 'nochecksumcheck', /127\.0\.0\.1: session timeout/)
    const it = await ipmitoolPower(port)
    assert.equal(it.code, 0, it.out)
    assert.match(it.out, /Chassis Power is on/)
  })
})

describe('integritycheckvalue: ipmipower -I 0 fails without -W and works with it', () => {
  it('"k_g invalid" without the flag; "on" with -W integritycheckvalue; ipmitool -C 0 works', async (t) => {
    if (!requireTools(t, ['ipmipower', 'ipmitool'], FREEIPMI)) return
    const fleet = await quirkyBmc(['integritycheckvalue'])
    const port = fleet.bmcs[0]!.port
    await failsWithoutFlagWorksWith(port, 'integritycheckvalue', /127\.0\.0\.1: k_g invalid/, ['-I', '0'])
    const it = await tool('ipmitool', ['-I', 'lanplus', '-H', '127.0.0.1', '-p', String(port), '-U', 'admin', '-P', 'password', '-C', '0', 'power', 'status'])
    assert.equal(it.code, 0, it.out)
    assert.match(it.out, /Chassis Power is on/)
  })
})

describe('SOL quirks: ipmiconsole fails without -W and works with it', () => {
  it('solpayloadsize: "BMC Implementation" without the flag; SOL with -W solpayloadsize; ipmitool works', async (t) => {
    if (!requireTools(t, ['ipmiconsole', 'ipmitool', 'script'], FREEIPMI)) return
    const fleet = await quirkyBmcLowPort(['solpayloadsize'])
    const port = fleet.bmcs[0]!.port
    const bad = ipmiconsole(t, port, '')
    await bad.waitFor(/BMC Implementation/)
    await bad.exited
    assert.equal(bad.output().includes('[SOL established]'), false)
    // It gave up after Activate Payload succeeded and closed its session, which frees SOL.
    await waitUntil(() => !fleet.members[0]!.sol.active, { timeoutMs: 10_000, what: 'SOL freed with the failed session' })
    const good = ipmiconsole(t, port, '-W solpayloadsize')
    await good.waitFor(/\[SOL established\][\s\S]*Linux version/)
    await endSol(fleet, good, '\r&.')
    const it = ipmitoolSol(t, port)
    await it.waitFor(/SOL Session operational[\s\S]*Linux version/)
    await endSol(fleet, it, '\r~.')
    assert.equal(fleet.members[0]!.bmc.lastInternalError, undefined)
  })

  for (const [quirk, otherFlag] of [['solstatus', 'solchannelsupport'], ['solchannelsupport', 'solstatus']] as const) {
    it(`${quirk}: "BMC Error" without the flag (and with -W ${otherFlag}); SOL with -W ${quirk}; ipmitool works`, async (t) => {
      if (!requireTools(t, ['ipmiconsole', 'ipmitool', 'script'], FREEIPMI)) return
      const fleet = await quirkyBmcLowPort([quirk])
      const port = fleet.bmcs[0]!.port
      for (const extra of ['', `-W ${otherFlag}`]) {
        const bad = ipmiconsole(t, port, extra)
        await bad.waitFor(/\[error received\]: BMC Error/)
        await bad.exited
        assert.equal(bad.output().includes('[SOL established]'), false)
      }
      const good = ipmiconsole(t, port, `-W ${quirk}`)
      await good.waitFor(/\[SOL established\][\s\S]*Linux version/)
      await endSol(fleet, good, '\r&.')
      const it = ipmitoolSol(t, port)
      await it.waitFor(/SOL Session operational[\s\S]*Linux version/)
      await endSol(fleet, it, '\r~.')
      assert.equal(fleet.members[0]!.bmc.lastInternalError, undefined)
    })
  }

  it('serialalertsdeferred: typed input is lost without the flag while output flows; echoed with -W serialalertsdeferred; ipmitool works', async (t) => {
    if (!requireTools(t, ['ipmiconsole', 'ipmitool', 'script'], FREEIPMI)) return
    const fleet = await quirkyBmcLowPort(['serialalertsdeferred'])
    const port = fleet.bmcs[0]!.port
    const m = fleet.members[0]!
    const bad = ipmiconsole(t, port, '')
    await bad.waitFor(/\[SOL established\][\s\S]*Linux version/)
    await bad.waitFor(/login: |# $/)
    bad.type('echo lost-input\r')
    // FreeIPMI documents "excess retransmissions sent"; within 10 s it only retransmits, unanswered.
    await assert.rejects(bad.waitFor(/\r\nlost-input/, 10_000), /no .* within 10000 ms/)
    assert.equal(m.sol.active, true, 'output side still up')
    // The stuck one (killed when the test ends) holds SOL; ipmiconsole takes it over by default.
    const good = ipmiconsole(t, port, '-W serialalertsdeferred')
    await good.waitFor(/\[SOL established\]/)
    good.type('echo kept-input\r')
    await good.waitFor(/\r\nkept-input\r\n/)
    await endSol(fleet, good, '\r&.')
    const it = ipmitoolSol(t, port)
    await it.waitFor(/SOL Session operational/)
    it.type('echo tool-input\r')
    await it.waitFor(/\r\ntool-input\r\n/)
    await endSol(fleet, it, '\r~.')
    assert.equal(m.bmc.lastInternalError, undefined)
  })

  it('solpacketseq: typed input ends the console with "excess retransmissions sent" without the flag; echoed with -W solpacketseq; ipmitool works', async (t) => {
    if (!requireTools(t, ['ipmiconsole', 'ipmitool', 'script'], FREEIPMI)) return
    // A quiet host: ipmiconsole counts its retransmits only while no BMC output arrives (as on a console nobody prints to).
    const fleet = await quirkyBmcLowPort(['solpacketseq'], 0)
    const port = fleet.bmcs[0]!.port
    const m = fleet.members[0]!
    const bad = ipmiconsole(t, port, '')
    await bad.waitFor(/\[SOL established\]/)
    bad.type('echo lost-input\r')
    // ipmiconsole gives up after its retransmit limit: about 38 s here.
    await bad.waitFor(/excess retransmissions sent/, 60_000)
    await bad.exited
    assert.equal(bad.output().includes('lost-input\r\n'), false)
    // It gave up without deactivating (its "dont_deactivate" path); the next console takes SOL over.
    const good = ipmiconsole(t, port, '-W solpacketseq')
    await good.waitFor(/\[SOL established\]/)
    good.type('echo kept-input\r')
    // The flag moves the sequence number on only once that limit is reached: about 40 s.
    await good.waitFor(/\r\nkept-input\r\n/, 60_000)
    await endSol(fleet, good, '\r&.')
    const it = ipmitoolSol(t, port)
    await it.waitFor(/SOL Session operational/)
    it.type('echo tool-input\r')
    await it.waitFor(/\r\ntool-input\r\n/, 30_000)
    await endSol(fleet, it, '\r~.')
    assert.equal(m.bmc.lastInternalError, undefined)
  })

  it('solport (BMC on 623): no SOL without the flag (it follows the dead port); SOL with -W solport; ipmitool refuses', async (t) => {
    if (!requireTools(t, ['ipmiconsole', 'ipmitool', 'script'], FREEIPMI)) return
    const fleet = await quirkyBmcOn623(t, ['solport'])
    if (fleet === undefined) return
    const m = fleet.members[0]!
    const bad = ipmiconsole(t, RMCP_PORT, '')
    // Activate Payload succeeded; ipmiconsole then talks SOL to the dead port, so nothing of SOL reaches the BMC.
    await waitUntil(() => m.sol.stats.activations === 1, { timeoutMs: 20_000, what: 'ipmiconsole to activate SOL' })
    await assert.rejects(bad.waitFor(/\[SOL established\]/, 5000), /no .* within 5000 ms/)
    assert.equal(m.sol.linkStats().bytesAccepted, 0)
    assert.equal(m.sol.linkStats().acksSent + m.sol.linkStats().bytesReceived, 0)
    // The stuck one (killed when the test ends) still holds SOL in its session still holds SOL; ipmiconsole takes it over by default (Deactivate, then Activate).
    const good = ipmiconsole(t, RMCP_PORT, '-W solport')
    await good.waitFor(/\[SOL established\][\s\S]*Linux version/)
    await endSol(fleet, good, '\r&.')
    const it = ipmitoolSol(t, RMCP_PORT)
    await it.waitFor(/BMC requests SOL session on different port/)
    assert.equal(m.bmc.lastInternalError, undefined)
  })

  it('solport-endian (BMC on 623, no FreeIPMI flag): ipmiconsole maps 28418 back to 623 and works unflagged; so does ipmitool', async (t) => {
    if (!requireTools(t, ['ipmiconsole', 'ipmitool', 'script'], FREEIPMI)) return
    const fleet = await quirkyBmcOn623(t, ['solport-endian'])
    if (fleet === undefined) return
    const m = fleet.members[0]!
    const fi = ipmiconsole(t, RMCP_PORT, '')
    await fi.waitFor(/\[SOL established\][\s\S]*Linux version/)
    await endSol(fleet, fi, '\r&.')
    const it = ipmitoolSol(t, RMCP_PORT)
    await it.waitFor(/SOL Session operational[\s\S]*Linux version/)
    await endSol(fleet, it, '\r~.')
    assert.equal(m.bmc.lastInternalError, undefined)
  })
})

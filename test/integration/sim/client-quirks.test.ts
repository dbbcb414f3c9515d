// Our client with no flags against each quirk the simulator gained in this
// round, over real UDP on 127.0.0.1 and in real time: login, power status,
// and (where the quirk is about SOL or where SOL still works) a SOL console
// that stays up, each within a bound; what the client learned (IpmiClient
// .profile) is the one name the quirk implies. Waits are on events
// (waitUntil), never sleeps.
import { describe, it, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { ChassisAction, ChassisControl, GetChassisStatus, PasswordOperation, SetUserPassword } from '../../../src/ipmi/commands/index.js'
import { IpmiClient } from '../../../src/session/client.js'
import type { SessionConfig } from '../../../src/session/config.js'
import { SolConsole, type SolConsoleOptions } from '../../../src/sol/console.js'
import type { QuirkName } from '../../../src/sim/quirks.js'
import { SimBmc } from '../../../src/sim/sim-bmc.js'
import { attachSol, type SimSol } from '../../../src/sim/sol.js'
import type { SimBmcConfig } from '../../../src/sim/state.js'
import { listenUdp } from '../../../src/sim/udp-server.js'
import { waitUntil } from '../../lab/net.js'

interface Lab { bmc: SimBmc; sol: SimSol; client: IpmiClient; console(o?: SolConsoleOptions): SolConsole; output(): string }

async function lab(quirks: QuirkName[], o: { bmc?: SimBmcConfig; session?: Partial<SessionConfig>; rate?: number } = {}): Promise<Lab> {
  const bmc = new SimBmc({ powerOn: true, quirks, ...o.bmc })
  const sol = attachSol(bmc, { host: { hostname: 'q', rateBytesPerSecond: o.rate ?? 400 } })
  const server = await listenUdp(bmc)
  sol.payloadPort = server.port
  const client = new IpmiClient({ host: '127.0.0.1', port: server.port }, { username: 'admin', password: 'password', ...o.session })
  let out = ''
  const consoles: SolConsole[] = []
  after(async () => {
    for (const c of consoles) await c.close()
    await client.close()
    sol.dispose()
    await server.close()
    bmc.dispose()
  })
  return {
    bmc, sol, client, output: () => out,
    console(co = {}) {
      const c = SolConsole.forClient(client, co)
      c.on('data', (d) => {
        out += d.toString('latin1')
      })
      consoles.push(c)
      return c
    },
  }
}

/** Runs p and checks it took less than ms. */
async function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  const t0 = Date.now()
  const v = await p
  assert.ok(Date.now() - t0 < ms, `${what} took ${Date.now() - t0} ms (bound ${ms})`)
  return v
}

/** A SOL console that connects and keeps printing for `forMs`. */
async function consoleStaysUp(l: Lab, forMs = 2000): Promise<SolConsole> {
  const c = l.console()
  await within(3000, 'SOL activation', c.open())
  const until = Date.now() + forMs
  let seen = l.output().length
  await waitUntil(() => {
    assert.equal(c.state, 'connected')
    if (l.output().length > seen) seen = l.output().length
    return Date.now() >= until && l.output().length > 0
  }, { timeoutMs: forMs + 3000, what: 'console output for a while' })
  assert.equal(c.state, 'connected')
  return c
}

const learned = (c: IpmiClient): string[] => c.profile.entries.map((e) => e.name)

describe('our client, no flags, against the new quirks (UDP, real time)', () => {
  it('integritypad: login and power status within 2 s, a console that stays up; answers forgiven and learned', async () => {
    const l = await lab(['integritypad'])
    await within(2000, 'login + power status', l.client.run(GetChassisStatus, undefined))
    await consoleStaysUp(l)
    assert.ok((l.client.currentSession?.stats.padsForgiven ?? 0) > 0)
    assert.deepEqual(learned(l.client), ['integrity-pad'])
  })

  it('setpriv-refused: an administrator session (proved by Set User Password) within 2 s; console up', async () => {
    const l = await lab(['setpriv-refused'])
    await within(2000, 'login + power status', l.client.run(GetChassisStatus, undefined))
    assert.equal(l.client.info?.privilege, 'administrator')
    await l.client.run(SetUserPassword, { userId: 2, operation: PasswordOperation.EnableUser })
    await consoleStaysUp(l)
    assert.deepEqual(learned(l.client), ['privilege-refused'])
  })

  it('sessiontable-full (leaked sessions expire after 2 s): the login waits them out, within 6 s', async () => {
    const l = await lab(['sessiontable-full'], { bmc: { idleTimeoutMs: 2000 } })
    await within(6000, 'login + power status', l.client.run(GetChassisStatus, undefined))
    await consoleStaysUp(l)
    assert.deepEqual(learned(l.client), ['session-table-full'])
  })

  it('password16 (a 20-byte password the BMC keeps as 16): login within 2 s, console up', async () => {
    const pw = '0123456789abcdefWXYZ'
    const l = await lab(['password16'], { bmc: { users: [{ id: 2, name: 'admin', password: pw }] }, session: { password: pw } })
    await within(2000, 'login + power status', l.client.run(GetChassisStatus, undefined))
    await consoleStaysUp(l)
    assert.deepEqual(learned(l.client), ['password16'])
  })

  it('idletimeout-short (1.5 s): the management session learns a keepalive inside it and then stays up', async () => {
    const l = await lab(['idletimeout-short'], { bmc: { idleTimeoutMs: 1500 }, session: { timing: { keepaliveMs: 4000, keepaliveTimeoutMs: 1000 } } })
    await l.client.run(GetChassisStatus, undefined)
    // Each lost session is replaced by the next command, as the worker's polling does.
    await waitUntil(async () => {
      if (l.client.currentSession === undefined) await l.client.run(GetChassisStatus, undefined)
      return (l.client.currentSession?.timing.keepaliveMs ?? Infinity) < 1500
    }, { timeoutMs: 25_000, what: 'a learned keepalive under the idle timeout' })
    const logins = l.bmc.stats.logins
    const until = Date.now() + 4000
    await waitUntil(() => {
      assert.notEqual(l.client.currentSession, undefined, 'session lost again')
      return Date.now() >= until
    }, { timeoutMs: 6000, what: '4 s of an idle session' })
    assert.equal(l.bmc.stats.logins, logins)
    await l.client.run(GetChassisStatus, undefined)
    assert.deepEqual(learned(l.client), ['idle-timeout'])
  })

  it('solpacketseq: typed input is echoed within 10 s (last try under a new seq); the console stays up', async () => {
    const l = await lab(['solpacketseq'], { rate: 0 })
    await within(2000, 'login + power status', l.client.run(GetChassisStatus, undefined))
    const c = l.console()
    await c.open()
    c.write(Buffer.from('echo typed-through\r'))
    await waitUntil(() => l.output().includes('typed-through\r\n'), { timeoutMs: 10_000, what: 'the echo of typed input' })
    assert.equal(c.state, 'connected')
    assert.equal(c.stats?.reseqs, 1)
    assert.deepEqual(learned(l.client), ['solpacketseq'])
  })

  it('solsilent-reboot: after our power cycle the console goes silent, is reactivated after 2 s of silence and prints again', async () => {
    const l = await lab(['solsilent-reboot'], { rate: 400 })
    const c = l.console({ silentAfterPowerMs: 2000 })
    await c.open()
    await waitUntil(() => l.output().length > 0, { timeoutMs: 3000, what: 'output before the power cycle' })
    await l.client.run(ChassisControl, { action: ChassisAction.PowerCycle })
    await waitUntil(() => c.reactivations === 1, { timeoutMs: 6000, what: 'the reactivation' })
    const mark = l.output().length
    await waitUntil(() => l.output().length > mark, { timeoutMs: 3000, what: 'output after the reactivation' })
    assert.equal(c.state, 'connected')
    assert.equal(l.sol.stats.activations, 2)
    assert.deepEqual(learned(l.client), ['sol-silent-after-reboot'])
  })

  it('coldreset-console: the console reports the reset within its liveness bound; after the 3 s downtime a new console prints', async () => {
    const l = await lab(['coldreset-console'], { bmc: { coldResetAfterSolMs: 1000, coldResetDowntimeMs: 3000 } })
    const c = l.console({ livenessTimeoutMs: 4000 })
    await c.open()
    const t0 = Date.now()
    await waitUntil(() => c.state === 'error', { timeoutMs: 8000, what: 'the console to notice the reset' })
    assert.ok(Date.now() - t0 < 1000 + 4000 + 1000, `noticed after ${Date.now() - t0} ms`)
    assert.equal(l.bmc.stats.coldResets, 1)
    const again = l.console()
    await waitUntil(async () => {
      try {
        await again.open()
        return true
      } catch {
        return false
      }
    }, { timeoutMs: 20_000, what: 'a console once the BMC is back' })
    const mark = l.output().length
    await waitUntil(() => l.output().length > mark, { timeoutMs: 3000, what: 'output from the new console' })
    assert.deepEqual(learned(l.client), [])
  })

  it('bmcvisor sim --quirk 0:sessiontable-full --idle-timeout-ms 1500: the CLI passes the timing; our client logs in within 5 s', async (t) => {
    const cli = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url))
    const child = spawn(process.execPath, ['--import', 'tsx', cli, 'sim', '--count', '1', '--base-port', '0', '--console-rate', '0', '--quirk', '0:sessiontable-full', '--idle-timeout-ms', '1500', '--json'], { stdio: ['ignore', 'pipe', 'inherit'] })
    t.after(() => void child.kill('SIGKILL'))
    const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string]
    const { bmcs } = JSON.parse(line) as { bmcs: { port: number }[] }
    const client = new IpmiClient({ host: '127.0.0.1', port: bmcs[0]!.port }, { username: 'admin', password: 'password' })
    t.after(() => client.close())
    await within(5000, 'login + power status', client.run(GetChassisStatus, undefined))
    assert.deepEqual(learned(client), ['session-table-full'])
  })
})

// Exec consoles (workers/exec-console.ts): states and reasons of one run of a
// command, the connected-pattern deadline, the environment, and the keeper
// loop that restarts a command after it ends. Real processes (/bin/sh), no sleeps.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ExecConsole, execEnvironment } from '../../../workers/exec-console.js'
import type { BmcConfig } from '../../../src/bridge/messages.js'
import { reconnectDelayMs } from '../../../src/bridge/reconnect.js'

const CONFIG: BmcConfig = { host: '127.0.0.1', port: 623, credentials: { username: 'admin', password: 's3cret' }, console: true }

function record(con: ExecConsole): { states: string[]; out: () => string } {
  const states: string[] = []
  let out = ''
  con.on('state', (s, e) => states.push(e === undefined ? s : `${s}:${String(e.details.reason)}`))
  con.on('data', (c) => (out += c.toString()))
  return { states, out: () => out }
}

describe('ExecConsole', () => {
  it('is connected once the command runs, and unconnected with the exit status when it ends', async () => {
    const con = new ExecConsole({ command: 'echo hello; read line; echo "got $line"; exit 3' }, { PATH: process.env.PATH ?? '' })
    const r = record(con)
    await con.open()
    assert.equal(con.state, 'connected')
    con.write(Buffer.from('abc\n'))
    await con.ended
    assert.deepEqual(r.states, ['connecting', 'connected', 'error:exited'])
    assert.equal(r.out(), 'hello\ngot abc\n')
  })

  it('stays connecting until the pattern appears; output before it is delivered', async () => {
    const con = new ExecConsole({ command: 'echo "login: please wait"; read x; echo "Connected to host"; read y', connectedPattern: 'Connected to \\w+', connectTimeoutMs: 10_000 }, {})
    const r = record(con)
    const opened = con.open()
    await new Promise<void>((resolve) => con.on('data', () => resolve()))
    assert.equal(con.state, 'connecting')
    con.write(Buffer.from('\n')) // accepted while connecting: a login dialogue may need it
    await opened
    assert.equal(con.state, 'connected')
    assert.match(r.out(), /please wait\nConnected to host/)
    await con.close()
    assert.deepEqual(r.states, ['connecting', 'connected', 'closed'])
  })

  it('a pattern that never appears fails with timeout at the deadline and kills the command', async () => {
    const con = new ExecConsole({ command: 'echo starting; exec sleep 30', connectedPattern: 'READY', connectTimeoutMs: 300 }, {})
    const r = record(con)
    const t0 = performance.now()
    await assert.rejects(con.open(), (e: { details: { reason: string } }) => e.details.reason === 'timeout')
    await con.ended
    assert.ok(performance.now() - t0 < 5000)
    assert.deepEqual(r.states, ['connecting', 'error:timeout'])
    assert.equal(r.out(), 'starting\n')
  })

  it('a command that cannot start is misconfigured', async () => {
    const con = new ExecConsole({ command: ['/nonexistent/console-tool'] }, {})
    const r = record(con)
    await assert.rejects(con.open())
    await con.ended
    assert.deepEqual(r.states, ['connecting', 'error:misconfigured'])
  })

  it('passes who the console is for, and no credential unless the node names a variable for it', () => {
    const base = { PATH: '/bin', BMCVISOR_ADMIN_TOKEN: 'tok', HOME: '/root' }
    const withKg: BmcConfig = { ...CONFIG, credentials: { ...CONFIG.credentials, kgHex: 'abcd' } }
    const none = execEnvironment('n1', { ...withKg, consoleExec: { command: 'x' } }, base)
    assert.deepEqual(none, { PATH: '/bin', HOME: '/root', TERM: 'xterm', BMCVISOR_NODE: 'n1', BMCVISOR_BMC_HOST: '127.0.0.1', BMCVISOR_BMC_PORT: '623' })
    const named = execEnvironment('n1', { ...withKg, consoleExec: { command: 'x', credentialEnv: { password: 'IPMI_PASSWORD', username: 'IPMI_USER' } } }, base)
    assert.equal(named.IPMI_PASSWORD, 's3cret')
    assert.equal(named.IPMI_USER, 'admin')
    assert.equal(Object.values(named).filter((v) => v === 'abcd').length, 0, 'K_G was not named: not passed')
    assert.equal(named.BMCVISOR_ADMIN_TOKEN, undefined)
  })

  it('a command that prints its environment shows no BMC password unless the node asked for it', async () => {
    const config: BmcConfig = { ...CONFIG, consoleExec: { command: 'env' } }
    const plain = new ExecConsole({ command: 'env' }, execEnvironment('n1', config, { PATH: process.env.PATH ?? '' }))
    const r = record(plain)
    await plain.open()
    await plain.ended
    assert.match(r.out(), /BMCVISOR_NODE=n1/)
    assert.doesNotMatch(r.out(), /s3cret/)
    const asked = new ExecConsole({ command: 'env' }, execEnvironment('n1', { ...config, consoleExec: { command: 'env', credentialEnv: { password: 'MY_PW' } } }, { PATH: process.env.PATH ?? '' }))
    const r2 = record(asked)
    await asked.open()
    await asked.ended
    assert.match(r2.out(), /^MY_PW=s3cret$/m)
  })
})

describe('reconnect policy', () => {
  it('grows with failures and fleet size, is jittered within [base/2, base), and capped', () => {
    const p = { initialMs: 1000, maxMs: 60_000, perNodeMs: 10 }
    assert.equal(reconnectDelayMs(0, p, 1, 0), 500)
    assert.equal(reconnectDelayMs(0, p, 1, 1), 1000)
    assert.equal(reconnectDelayMs(1, p, 1, 0), 1000)
    assert.equal(reconnectDelayMs(0, p, 1001, 0), 5500) // 1 s + 1000 x 10 ms, halved
    assert.equal(reconnectDelayMs(20, p, 1, 1), 60_000)
    assert.equal(reconnectDelayMs(3, p, 5000, 0.5), 45_000)
    // Without perNodeMs a given policy behaves as before (fleet size ignored).
    assert.equal(reconnectDelayMs(2, { initialMs: 100, maxMs: 1000 }, 500, 0), 200)
  })
})

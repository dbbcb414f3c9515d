// `bmcvisor serve` with consoles end to end: a node added over REST gets a
// console; a browser-style client attaches with ?access_token=; the console
// log is under --data/consoles; logrotate moves it away and SIGHUP makes the
// service create a new one; the status route reports the console.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { serveCommand } from '../../src/cli/serve.js'
import { requireIpmiSim, startIpmiSim } from '../lab/sim.js'
import { TestClient } from '../integration/console/lab.js'

const TOKEN = 'e2e-console-admin-token-0123456789'

async function until(pred: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = performance.now() + ms
  while (!pred()) {
    if (performance.now() > deadline) throw new Error(`${what}: not within ${ms} ms`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe('serve: consoles', { timeout: 120_000 }, () => {
  it('REST node -> console over WebSocket (?access_token=), log under --data, SIGHUP reopens it', async (t) => {
    if (!requireIpmiSim(t)) return
    const sim = await startIpmiSim({ powerOn: true })
    const data = mkdtempSync(join(tmpdir(), 'bmcvisor-e2e-console-'))
    let stop: () => void = () => undefined
    const stopSignal = new Promise((r) => (stop = () => r('test')))
    let err = ''
    const stderr = new Writable({ write: (c: Buffer, _e, cb) => { err += c.toString(); cb() } })
    const served = serveCommand(['--listen', '127.0.0.1:0', '--data', data, '--log-level', 'warn'], { stdout: new Writable({ write: (_c, _e, cb) => cb() }), stderr, env: { BMCVISOR_ADMIN_TOKEN: TOKEN }, stopSignal })
    t.after(async () => {
      stop()
      await served
      await sim.stop()
      rmSync(data, { recursive: true, force: true })
    })
    await until(() => /serving on (\S+)/.test(err), 30_000, 'serving')
    const url = /serving on (\S+)/.exec(err)![1]!
    const api = (method: string, path: string, body?: unknown) => fetch(`${url}/api/v1${path}`, {
      method, headers: { authorization: `Bearer ${TOKEN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    })
    const res = await api('POST', '/nodes', { name: 'k1', bmc: { host: sim.host, port: sim.port, username: 'admin', password: 'password' } })
    assert.equal(res.status, 201, await res.text())

    const c = await TestClient.open(`${url.replace(/^http/, 'ws')}/api/v1/nodes/k1/console/ws?replay=1&access_token=${TOKEN}`, null)
    await c.until(() => c.state() === 'connected', 60_000, 'connected')
    await sim.solBackend.write('first log line\r\n')
    await c.until(() => c.bytes().includes('first log line'), 10_000, 'first line')
    const log = join(data, 'consoles', 'k1.log')
    await until(() => existsSync(log) && readFileSync(log, 'latin1').includes('first log line'), 5000, 'first line on disk')

    // logrotate: move the files away, then SIGHUP.
    renameSync(log, `${log}.1`)
    renameSync(join(data, 'consoles', 'k1.jnl'), join(data, 'consoles', 'k1.jnl.1'))
    // serve's handler was installed first, so when ours runs the reopen is queued.
    const hup = new Promise((r) => process.once('SIGHUP', r))
    process.kill(process.pid, 'SIGHUP')
    await hup
    await sim.solBackend.write('second log line\r\n')
    await c.until(() => c.bytes().includes('second log line'), 10_000, 'second line')
    await until(() => existsSync(log) && readFileSync(log, 'latin1').includes('second log line'), 5000, 'a new log with the second line')
    assert.equal(readFileSync(log, 'latin1').includes('first log line'), false)
    assert.equal(readFileSync(`${log}.1`, 'latin1').includes('second log line'), false)

    const st = (await (await api('GET', '/nodes/k1/console')).json()) as { state: string; clients: unknown[]; log: { path: string } }
    assert.equal(st.state, 'connected')
    assert.equal(st.clients.length, 1)
    assert.equal(st.log.path, log)
    assert.equal((await api('POST', '/nodes/k1/console/reopen')).status, 202)
    await c.until(() => c.messages.filter((m) => m.type === 'state' && m.state === 'connected').length >= 2, 30_000, 'reconnected after reopen')
    c.close()
  })
})

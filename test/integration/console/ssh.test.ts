// SSH consoles against Debian's OpenSSH server (test/lab/sshd.ts) under the
// real service (startServer: store, supervisor, worker threads, WebSocket):
// byte-exact both ways (1 MiB out of the host, 64 KiB typed and echoed),
// the first host key trusted and stored as console.hostKey without a
// reconnect, a killed sshd reported unreachable and healed when it is back,
// a changed host key refused before authentication, a wrong password
// reported as bad_credentials (by password and by keyboard-interactive),
// console.command sent to the server, and a break reaching sshd as an
// RFC 4335 "break" request.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { createLogger } from '../../../src/log.js'
import { startServer, type RunningServer } from '../../../src/main.js'
import { freePort, waitUntil } from '../../lab/net.js'
import { LAB_SSH_USER, requireSshd, startSshd, type Sshd } from '../../lab/sshd.js'
import { TestClient } from './lab.js'

const ADMIN = 'ssh-console-admin-token-0123456789'
const OUT_BYTES = 1024 * 1024
const IN_BYTES = 64 * 1024
const IN_FRAME = 4096
/** A silent server is declared dead after about this long (SSH keepalives). */
const LIVENESS_MS = 3000

describe('ssh consoles against OpenSSH', { timeout: 240_000 }, () => {
  let server: RunningServer
  let dataDir: string
  let deadIpmiPort: number
  const labs: Sshd[] = []

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'bmcvisor-ssh-'))
    // Management (IPMI) goes to a port nobody answers: an SSH console does not ride on the session.
    deadIpmiPort = await freePort('udp')
    server = await startServer({
      listen: '127.0.0.1:0', dataDir, adminToken: ADMIN,
      logger: createLogger({ level: 'warn', destination: new Writable({ write: (_c, _e, cb) => cb() }) }),
      bmcDefaults: { reconnect: { initialMs: 100, maxMs: 1000 }, consoleLivenessMs: LIVENESS_MS },
    })
  })
  after(async () => {
    await server?.close()
    await Promise.all(labs.map((l) => l.stop()))
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true })
  })

  const api = (method: string, path: string, body?: unknown) => fetch(`${server.url}/api/v1${path}`, {
    method, headers: { authorization: `Bearer ${ADMIN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  })
  const addNode = async (name: string, sshd: Sshd, consoleOver: Record<string, unknown> = {}, password: string = LAB_SSH_USER.password) => {
    const res = await api('POST', '/nodes', {
      name, bmc: { host: '127.0.0.1', port: deadIpmiPort, username: LAB_SSH_USER.user, password },
      console: { method: 'ssh', port: sshd.port, logging: 'memory', ...consoleOver },
    })
    assert.equal(res.status, 201, await res.text())
  }
  const attach = (node: string) => TestClient.open(`${server.url.replace(/^http/, 'ws')}/api/v1/nodes/${node}/console/ws?mode=rw&replay=0`, ADMIN)
  const status = (node: string) => server.consoles.status(node)
  /** The console of `node` is unconnected for `reason`; on a timeout, what it says and what sshd logged. */
  const reasonOf = async (node: string, reason: string, sshd: Sshd) => {
    try {
      await waitUntil(() => status(node).reason === reason, { timeoutMs: 30_000, what: `${node}: ${reason}` })
    } catch (e) {
      throw new Error(`${(e as Error).message}: ${JSON.stringify(status(node))}\n${sshd.log().slice(-1500)}`, { cause: e })
    }
    assert.equal(status(node).state, 'unconnected')
  }
  const lab = async (auth?: 'password' | 'keyboard-interactive') => {
    const l = await startSshd(auth !== undefined ? { auth } : {})
    labs.push(l)
    return l
  }

  it('1 MiB out and 64 KiB in, byte-exact; the first host key is stored as console.hostKey without a reconnect', async (t) => {
    if (!requireSshd(t)) return
    const sshd = await lab()
    const screen = randomBytes(OUT_BYTES)
    sshd.setScreen(screen)
    await addNode('s1', sshd)
    const c = await attach('s1')
    await c.until(() => c.state() === 'connected', 30_000, 'connected')
    const t0 = performance.now()
    await c.until(() => c.received >= OUT_BYTES, 60_000, '1 MiB from the host')
    t.diagnostic(`1 MiB host -> client after connected: ${Math.round(performance.now() - t0)} ms`)
    assert.ok(c.bytes().equals(screen), 'the host\'s 1 MiB arrived byte for byte')

    const shown = await (await api('GET', '/nodes/s1')).json() as { console: { hostKey?: string } }
    assert.equal(shown.console.hostKey, sshd.fingerprint, 'GET /nodes/s1 shows the key trusted on first use, as ssh-keygen -lf prints it')
    const connects = server.consoles.status('s1').since

    const typed = randomBytes(IN_BYTES)
    for (let i = 0; i < IN_BYTES; i += IN_FRAME) c.send(typed.subarray(i, i + IN_FRAME))
    const t1 = performance.now()
    await c.until(() => c.received >= OUT_BYTES + IN_BYTES, 60_000, '64 KiB echoed')
    t.diagnostic(`64 KiB typed and echoed: ${Math.round(performance.now() - t1)} ms`)
    assert.ok(c.bytes().subarray(OUT_BYTES).equals(typed), 'what was typed came back byte for byte')
    assert.deepEqual(c.messages.filter((m) => m.type === 'input-dropped'), [])
    assert.equal(sshd.lastCommand(), '', 'no console.command: a PTY shell')
    assert.equal(status('s1').state, 'connected')
    assert.equal(status('s1').since, connects, 'storing the learned key did not reconnect the console')
    assert.equal(c.messages.filter((m) => m.type === 'state' && m.state === 'connected').length, 1, 'connected once')
    assert.equal(server.supervisor.status('s1')[0]?.restarts, 0)
    assert.equal(sshd.log().match(/Connection from 127\.0\.0\.1 port/g)?.length, 1, 'one SSH connection: storing the learned key made no new one')
    c.close()
  })

  it('a killed sshd is unreachable and heals when it is back; then a changed host key is refused, never authenticated', async (t) => {
    if (!requireSshd(t)) return
    const sshd = await lab()
    sshd.setScreen(Buffer.from('login: '))
    await addNode('s2', sshd)
    const c = await attach('s2')
    await c.until(() => c.bytes().toString('latin1') === 'login: ', 30_000, 'the console prints')
    const pinned = sshd.fingerprint
    await waitUntil(async () => (await server.store.nodes.get('s2'))?.console.hostKey === pinned, { what: 'key stored' })

    await sshd.kill()
    await c.until(() => c.state() === 'unconnected' && c.last('state')?.reason === 'unreachable', 30_000, 'unreachable')
    await sshd.restart()
    await c.until(() => c.state() === 'connected', 30_000, 'healed')
    await c.until(() => c.bytes().toString('latin1') === 'login: login: ', 10_000, 'the console prints again')

    // The same port with another host key: refused, and the pin is not replaced.
    await sshd.kill()
    sshd.newHostKey()
    const logBefore = sshd.log().length
    await sshd.restart()
    await c.until(() => c.last('state')?.reason === 'host_key_mismatch', 30_000, 'host key mismatch')
    assert.equal(c.state(), 'unconnected')
    const s = status('s2')
    assert.match(s.message ?? '', new RegExp(`${sshd.fingerprint.replace(/[+/]/g, '\\$&')}.*not the pinned ${pinned.replace(/[+/]/g, '\\$&')}`))
    assert.equal((await server.store.nodes.get('s2'))?.console.hostKey, pinned)
    const after = sshd.log().slice(logBefore)
    assert.doesNotMatch(after, /Accepted |Failed password|Postponed/, 'no credentials were offered to the changed server')
    c.close()
  })

  it('a hung sshd (SIGSTOP) is noticed by keepalives and reported unreachable; it heals after SIGCONT', async (t) => {
    if (!requireSshd(t)) return
    const sshd = await lab()
    sshd.setScreen(Buffer.from('$ '))
    await addNode('s7', sshd)
    const c = await attach('s7')
    await c.until(() => c.bytes().toString('latin1') === '$ ', 30_000, 'the console prints')
    sshd.pause()
    const t0 = performance.now()
    await c.until(() => c.state() === 'unconnected', LIVENESS_MS * 4, 'a hung server noticed')
    const noticedMs = performance.now() - t0
    t.diagnostic(`hung server noticed after ${Math.round(noticedMs)} ms (liveness ${LIVENESS_MS} ms)`)
    assert.equal(c.last('state')?.reason, 'unreachable')
    assert.ok(noticedMs >= LIVENESS_MS / 2, `not before the keepalives ran out (${Math.round(noticedMs)} ms)`)
    sshd.resume()
    await c.until(() => c.state() === 'connected' && c.bytes().toString('latin1') === '$ $ ', 30_000, 'healed')
    c.close()
  })

  it('a wrong password is bad_credentials; keyboard-interactive is answered with the password', async (t) => {
    if (!requireSshd(t)) return
    const pw = await lab('password')
    await addNode('s3', pw, {}, 'not-the-password')
    await reasonOf('s3', 'bad_credentials', pw)

    const kbd = await lab('keyboard-interactive')
    kbd.setScreen(Buffer.from('kbd ok\r\n'))
    await addNode('s4', kbd)
    const c = await attach('s4')
    await c.until(() => c.bytes().includes('kbd ok'), 30_000, 'connected through keyboard-interactive')
    assert.match(kbd.log(), /Accepted keyboard-interactive\/pam for bmcvisor-lab/)
    c.close()
    await addNode('s5', kbd, {}, 'not-the-password')
    await reasonOf('s5', 'bad_credentials', kbd)
  })

  it('console.command is what the server is asked to run; a break is an RFC 4335 break request', async (t) => {
    if (!requireSshd(t)) return
    const sshd = await lab()
    sshd.setScreen(Buffer.from('com2> '))
    await addNode('s6', sshd, { command: 'console com2' })
    const c = await attach('s6')
    await c.until(() => c.bytes().includes('com2> '), 30_000, 'connected')
    assert.equal(sshd.lastCommand(), 'console com2')
    c.control({ type: 'break' })
    await waitUntil(() => /req break/.test(sshd.log()), { timeoutMs: 10_000, what: 'sshd saw a break request' })
    c.send('still here')
    await c.until(() => c.bytes().toString('latin1').endsWith('still here'), 10_000, 'the channel is still up after the break')
    c.close()
  })
})


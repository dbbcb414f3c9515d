// Readiness for systemd (Type=notify): serve sends READY=1 over NOTIFY_SOCKET
// (through systemd-notify) only once the store is open and the API listens,
// never when either fails, and STOPPING=1 when it shuts down. The socket is a
// unix datagram socket held by a small python3 reader (Node.js cannot bind
// one); like systemd it closes the descriptor of systemd-notify's BARRIER=1
// message, which tells systemd-notify that everything before was read.
import { after, describe, it, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { serveCommand } from '../../src/cli/serve.js'
import { requireTools } from '../lab/tools.js'
import { sink } from '../lab/sink.js'

const READER = `
import json, os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print(json.dumps({"bound": True}), flush=True)
while True:
    data, fds, _flags, _addr = socket.recv_fds(s, 65536, 16)
    for fd in fds:
        os.close(fd)
    if data == b"BARRIER=1":
        continue
    print(json.dumps({"message": data.decode()}), flush=True)
`
const TOKEN = 'notify-test-admin-token-0123456789'
const dirs: string[] = []
const readers: ChildProcess[] = []
after(() => {
  for (const r of readers) r.kill()
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

/** A NOTIFY_SOCKET and the datagrams it receives, one at a time. */
async function notifySocket(): Promise<{ path: string; next(): Promise<string>; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'bmcvisor-notify-'))
  dirs.push(dir)
  const path = join(dir, 'notify.sock')
  const reader = spawn('python3', ['-c', READER, path], { stdio: ['ignore', 'pipe', 'inherit'] })
  readers.push(reader)
  const queue: string[] = []
  const waiting: ((m: string) => void)[] = []
  let bound!: () => void
  const isBound = new Promise<void>((resolve) => (bound = resolve))
  createInterface({ input: reader.stdout! }).on('line', (line) => {
    const o = JSON.parse(line) as { bound?: true; message?: string }
    if (o.bound === true) return bound()
    const w = waiting.shift()
    if (w !== undefined) w(o.message!)
    else queue.push(o.message!)
  })
  await isBound
  return { path, dir, next: () => (queue.length > 0 ? Promise.resolve(queue.shift()!) : new Promise((resolve) => waiting.push(resolve))) }
}

/** A datagram of our own: everything serve sent before it has been read when it arrives. */
function mark(path: string, text: string): Promise<void> {
  return new Promise((resolve, reject) => execFile('systemd-notify', [`STATUS=${text}`], { env: { PATH: process.env.PATH, NOTIFY_SOCKET: path } }, (e) => (e === null ? resolve() : reject(e))))
}

const tools = (t: TestContext) => requireTools(t, ['python3', 'systemd-notify'], "apt-get install python3 systemd (.ci/run does)")

describe('systemd readiness (NOTIFY_SOCKET)', { timeout: 60_000 }, () => {
  it('sends READY=1 once the store is open and /healthz answers, then STOPPING=1 on shutdown', async (t) => {
    if (!tools(t)) return
    const sock = await notifySocket()
    const data = join(sock.dir, 'data')
    const config = join(sock.dir, 'config.yaml')
    writeFileSync(config, `listen: 127.0.0.1:0\ndata: ${data}\nlog:\n  level: warn\n`)
    let stop!: () => void
    const stopSignal = new Promise<string>((resolve) => (stop = () => resolve('SIGTERM')))
    const stderr = sink()
    const served = serveCommand(['--config', config], { stdout: sink(), stderr, env: { PATH: process.env.PATH, NOTIFY_SOCKET: sock.path, BMCVISOR_ADMIN_TOKEN: TOKEN }, stopSignal })
    const ready = await sock.next()
    assert.match(ready, /^READY=1$/m)
    const url = /^STATUS=serving on (http:\/\/127\.0\.0\.1:\d+), 0 nodes$/m.exec(ready)?.[1]
    assert.ok(url !== undefined, ready)
    // At the moment READY=1 is read, the API answers and the store exists.
    assert.equal((await fetch(`${url}/healthz`)).status, 200)
    assert.ok(existsSync(join(data, 'bmcvisor.db')))
    stop()
    assert.match(await sock.next(), /^STOPPING=1$/m)
    assert.equal(await served, 0, stderr.text())
  })

  it('sends no READY=1 when the API cannot listen or the store cannot open', async (t) => {
    if (!tools(t)) return
    const sock = await notifySocket()
    const busy = createServer()
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve))
    t.after(() => busy.close())
    const port = (busy.address() as { port: number }).port
    const env = { PATH: process.env.PATH, NOTIFY_SOCKET: sock.path, BMCVISOR_ADMIN_TOKEN: TOKEN }
    const io = () => ({ stdout: sink(), stderr: sink(), env, stopSignal: new Promise<never>(() => {}) })
    assert.equal(await serveCommand(['--listen', `127.0.0.1:${port}`, '--data', join(sock.dir, 'a'), '--log-level', 'silent'], io()), 1)
    // A data directory whose credentials another key encrypted: the store refuses to open.
    const keyed = join(sock.dir, 'b')
    const first = await serveCommand(['--listen', '127.0.0.1:0', '--data', keyed, '--log-level', 'silent'], { ...io(), stopSignal: Promise.resolve('x') })
    assert.equal(first, 0)
    assert.match(await sock.next(), /^READY=1$/m)
    assert.match(await sock.next(), /^STOPPING=1$/m)
    const wrongKey = { ...io(), env: { ...env, BMCVISOR_SECRET_KEY: 'a'.repeat(64) } }
    assert.equal(await serveCommand(['--listen', '127.0.0.1:0', '--data', keyed, '--log-level', 'silent'], wrongKey), 1)
    await mark(sock.path, 'mark')
    assert.match(await sock.next(), /^STATUS=mark$/m, 'nothing but our own mark after the failed starts')
  })
})

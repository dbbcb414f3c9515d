// Measurement: what 64 MiB typed at an exec console whose command never
// reads costs the server process (issue 20). The server runs here
// (startServer, exec consoles allowed, default input limit); the typing
// client is a separate process, so its own send queue is not counted.
// Prints the server's RSS and external-memory growth, the worker's heap, and
// the console's bytesOut and inputDroppedBytes.
// Run: node --import tsx bench/console-input.ts [--mib 64]
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { startServer } from '../src/main.js'
import { createLogger } from '../src/log.js'

const { values } = parseArgs({ options: { mib: { type: 'string', default: '64' } } })
const FRAMES = Number(values.mib) * 16 // 64 KiB frames
const ADMIN = 'bench-input-admin-token-0123456789'
const WS = fileURLToPath(new URL('../node_modules/ws/wrapper.mjs', import.meta.url))

const dataDir = mkdtempSync(join(tmpdir(), 'bmcvisor-bench-input-'))
const server = await startServer({
  listen: '127.0.0.1:0', dataDir, adminToken: ADMIN, allowExecConsoles: true,
  logger: createLogger({ level: 'warn', destination: new Writable({ write: (_c, _e, cb) => cb() }) }),
})
await server.store.nodes.create({
  name: 'x1', bmc: { host: '127.0.0.1', port: 1, username: 'a', password: 'bench-pw', cipherSuite: 3, privilege: 'administrator' },
  console: { method: 'exec', command: 'exec sleep 600', logging: 'memory' }, groups: [],
})
await new Promise<void>((resolve) => {
  const check = () => (server.consoles.status('x1').state === 'connected' ? resolve() : undefined)
  server.consoles.on('console:state', check)
  check()
})
const client = join(dataDir, 'client.mjs')
writeFileSync(client, `import WebSocket from ${JSON.stringify(WS)}
const ws = new WebSocket(process.argv[2], { headers: { authorization: 'Bearer ${ADMIN}' } })
ws.on('open', () => {
  const frame = Buffer.alloc(65536, 0x61)
  for (let i = 0; i < ${FRAMES}; i++) ws.send(frame, { binary: true })
  ws.send(JSON.stringify({ type: 'release' }), () => ws.close())
})
ws.on('close', () => process.exit(0))
`)
const before = process.memoryUsage()
const url = `${server.url.replace(/^http/, 'ws')}/api/v1/nodes/x1/console/ws?mode=rw&replay=0`
await new Promise<void>((resolve) => spawn(process.execPath, [client, url], { stdio: 'inherit' }).on('exit', () => resolve()))
const total = FRAMES * 65536
// Everything typed is either written or dropped (and the last of it, at a command that does not read, is dropped).
await new Promise<void>((resolve) => {
  const check = () => {
    const st = server.consoles.status('x1')
    if (st.bytesOut + st.inputDroppedBytes < total) return
    server.consoles.off('console:input-dropped', check)
    resolve()
  }
  server.consoles.on('console:input-dropped', check)
  check()
})
const after = process.memoryUsage()
const s = server.consoles.status('x1')
const mib = (n: number) => (n / 1048576).toFixed(1)
console.log(`typed ${mib(total)} MiB: server rss ${after.rss >= before.rss ? '+' : ''}${mib(after.rss - before.rss)} MiB, external ${mib(after.external - before.external)} MiB, ` +
  `worker heap ${mib(server.supervisor.status('x1')[0]?.heapUsedBytes ?? 0)} MiB; bytesOut ${s.bytesOut}, inputDroppedBytes ${s.inputDroppedBytes}`)
await server.close()
rmSync(dataDir, { recursive: true, force: true })

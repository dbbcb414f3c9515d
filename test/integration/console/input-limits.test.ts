// Bounded console input through the whole path (client -> WebSocket ->
// ConsoleSession -> MessagePort -> worker -> console), on the real server:
// - exec: 64 MB typed at a command that never reads its input. The console
//   takes at most the kernel's socket buffer plus the input limit; everything else is dropped
//   and told to the client (`input-dropped`), counted in the status and in
//   bmcvisor_console_input_dropped_bytes_total; nothing is dropped silently.
// - SOL (our simulator): 6 MB typed, more than the SOL engine's own 4 MiB
//   buffer; the status's bytesOut is exactly what reached the simulated
//   host, and written + dropped is what was sent.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { startServer, type RunningServer } from '../../../src/main.js'
import { createLogger } from '../../../src/log.js'
import { startSimFleet, type SimFleetHandle } from '../../../src/sim/fleet.js'
import type { ServerMessage } from '../../../src/console/index.js'
import { waitUntil } from '../../lab/net.js'
import { TestClient } from './lab.js'

const ADMIN = 'input-limits-admin-token-0123456789'
const LIMIT = 16 * 1024
/**
 * What the kernel holds between the service and a command that does not read
 * (Node's child stdin is a socketpair: the sender's socket buffer), outside the process.
 */
const KERNEL_BYTES = Number(readFileSync('/proc/sys/net/core/wmem_default', 'utf8'))
const FRAME = 64 * 1024

type Dropped = Extract<ServerMessage, { type: 'input-dropped' }>
const dropped = (c: TestClient): Dropped[] => c.messages.filter((m): m is Dropped => m.type === 'input-dropped')
const sum = (xs: { bytes: number }[]) => xs.reduce((n, x) => n + x.bytes, 0)

/** Sends `total` bytes of `byte` in FRAME-sized binary frames; returns when all are handed to the socket. */
function typeBytes(c: TestClient, total: number, byte: number): void {
  const frame = Buffer.alloc(FRAME, byte)
  for (let sent = 0; sent < total; sent += FRAME) c.send(frame.subarray(0, Math.min(FRAME, total - sent)))
}

async function metric(server: RunningServer, name: string, node: string): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text()
  const m = new RegExp(`^${name}\\{node="${node}"\\} (\\S+)$`, 'm').exec(text)
  assert.ok(m !== null, `${name}{node="${node}"} is exported`)
  return Number(m[1])
}

describe('console input is bounded', { timeout: 180_000 }, () => {
  let server: RunningServer
  let fleet: SimFleetHandle
  let dataDir: string
  let hostReceived = 0

  before(async () => {
    fleet = await startSimFleet({ count: 1, consoleRate: 0 })
    const host = fleet.members[0]!.sol.host
    const input = host.input.bind(host)
    host.input = (bytes, now) => {
      hostReceived += bytes.length
      input(bytes, now)
    }
    dataDir = mkdtempSync(join(tmpdir(), 'bmcvisor-input-'))
    server = await startServer({
      listen: '127.0.0.1:0', dataDir, adminToken: ADMIN, allowExecConsoles: true,
      logger: createLogger({ level: 'warn', destination: new Writable({ write: (_c, _e, cb) => cb() }) }),
      consoles: { inputLimitBytes: LIMIT, inputPauseMaxMs: 300 },
      bmcDefaults: { reconnect: { initialMs: 100, maxMs: 1000 } },
    })
    const b = fleet.bmcs[0]!
    const bmc = { host: b.host, port: b.port, username: b.username, password: b.password, cipherSuite: 17, privilege: 'administrator' as const }
    await server.store.nodes.create({ name: 'x1', bmc, console: { method: 'exec', command: 'exec sleep 600', logging: 'memory' }, groups: [] })
    await server.store.nodes.create({ name: 's1', bmc, console: { method: 'ipmi', logging: 'memory' }, groups: [] })
  })
  after(async () => {
    await server?.close()
    await fleet?.close()
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true })
  })

  const wsUrl = (node: string) => `${server.url.replace(/^http/, 'ws')}/api/v1/nodes/${node}/console/ws?mode=rw&replay=0`

  it('exec: 64 MB at a command that never reads: it holds at most the kernel buffer and the limit; the rest is dropped, told and counted', async (t) => {
    const total = 64 * 1024 * 1024
    const c = await TestClient.open(wsUrl('x1'), ADMIN)
    await c.until(() => c.state() === 'connected', 30_000, 'connected')
    typeBytes(c, total, 0x61)
    const status = () => server.consoles.status('x1')
    await waitUntil(() => status().bytesOut + status().inputDroppedBytes === total, { timeoutMs: 120_000, intervalMs: 100, what: 'every byte written or dropped' })
    const s = status()
    t.diagnostic(`exec: written ${s.bytesOut}, dropped ${s.inputDroppedBytes}`)
    assert.ok(s.bytesOut <= KERNEL_BYTES + LIMIT + FRAME, `written ${s.bytesOut}`)
    assert.ok(s.inputDroppedBytes >= total - (KERNEL_BYTES + LIMIT + FRAME))
    await c.until(() => sum(dropped(c)) === s.inputDroppedBytes, 30_000, 'every dropped byte told')
    assert.deepEqual([...new Set(dropped(c).map((m) => m.reason))], ['buffer_full'])
    assert.equal(await metric(server, 'bmcvisor_console_input_dropped_bytes_total', 'x1'), s.inputDroppedBytes)
    assert.equal(s.state, 'connected', 'the console is still up')
    c.close()
  })

  it('SOL: more than the SOL buffer; bytesOut is exactly what reached the host, and written + dropped is what was sent', async (t) => {
    const total = 6 * 1024 * 1024
    const c = await TestClient.open(wsUrl('s1'), ADMIN)
    await c.until(() => c.state() === 'connected', 30_000, 'connected')
    typeBytes(c, total, 0x01) // not echoed by the simulated shell
    const status = () => server.consoles.status('s1')
    await waitUntil(() => status().bytesOut + status().inputDroppedBytes === total, { timeoutMs: 120_000, intervalMs: 100, what: 'every byte written or dropped' })
    await waitUntil(() => hostReceived === status().bytesOut, { timeoutMs: 60_000, intervalMs: 100, what: `the host to receive what was written (${hostReceived} of ${status().bytesOut})` })
    await c.until(() => sum(dropped(c)) === status().inputDroppedBytes, 30_000, 'every dropped byte told')
    t.diagnostic(`SOL: written ${status().bytesOut} (host received ${hostReceived}), dropped ${status().inputDroppedBytes}`)
    assert.ok(status().inputDroppedBytes > 0, 'the simulated line is slower than the client: some input was dropped')
    assert.equal(await metric(server, 'bmcvisor_console_input_dropped_bytes_total', 's1'), status().inputDroppedBytes)
    c.close()
  })
})

// Measurement (issue 15): time from opening the console page in a browser to
// the console's screen drawn, p50 and p99. The demo fleet runs here (one
// simulated BMC, in this process); its host is put into its full-screen setup
// menu first, so every open must draw the menu from the worker's snapshot.
// Each run navigates a signed-in headless Chromium from about:blank to the
// console page (HTML, the 400 KB bundle, sign-in check, WebSocket, snapshot)
// and stops the clock when the whole menu is in the terminal.
// Run: node --import tsx bench/web-console.ts [--runs 50]
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import WebSocket from 'ws'
import { startServer } from '../src/main.js'
import { createLogger } from '../src/log.js'
import { registerDemoNodes, startDemoFleet } from '../src/cli/demo.js'
import { openBrowser } from '../test/e2e/browser.js'

const { values } = parseArgs({ options: { runs: { type: 'string', default: '50' } } })
const RUNS = Number(values.runs)
const ADMIN = 'bench-web-admin-token-0123456789abcdef'

execFileSync(process.execPath, ['scripts/build-web.mjs'], { stdio: 'inherit' })
const dataDir = mkdtempSync(join(tmpdir(), 'bmcvisor-bench-web-'))
const demo = await startDemoFleet(1)
const server = await startServer({ listen: '127.0.0.1:0', dataDir, adminToken: ADMIN, logger: createLogger({ level: 'warn' }), prepareStore: (s) => void registerDemoNodes(s.nodes, demo) })
const node = demo.nodes[0]!

// Into the menu, as an operator on the plain WebSocket.
const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}/api/v1/nodes/${node}/console/ws?mode=rw&replay=none`, { headers: { authorization: `Bearer ${ADMIN}` } })
let seen = ''
await new Promise<void>((resolve) => ws.on('message', (d: Buffer, binary: boolean) => {
  if (!binary) {
    const m = JSON.parse(d.toString()) as { type: string; state?: string }
    if (m.type === 'state' && m.state === 'connected') ws.send(Buffer.from('setup\r'))
    return
  }
  seen += d.toString('latin1')
  if (seen.includes('q: leave setup')) resolve()
}))

const b = await openBrowser(server.url)
await b.page.goto(`${server.url}/#code=${server.web.issueCode(ADMIN)}`)
await b.page.waitForSelector('#whoami', { timeout: 30_000 })
const times: number[] = []
let snapshotBytes = 0
b.page.on('websocket', (s) => s.on('framereceived', (f) => {
  if (typeof f.payload !== 'string' && f.payload.length > snapshotBytes) snapshotBytes = f.payload.length
}))
for (let i = 0; i < RUNS; i++) {
  await b.page.goto('about:blank')
  const t0 = performance.now()
  await b.page.goto(`${server.url}/#/console/${node}`)
  await b.page.waitForFunction(() => {
    type Buf = { type: string; cursorX: number; cursorY: number; getLine(y: number): { translateToString(): string } | undefined }
    const buf = (globalThis as unknown as { bmcvisor?: { term: { buffer: { active: Buf } } } }).bmcvisor?.term.buffer.active
    return buf !== undefined && buf.type === 'alternate' && buf.cursorX === 9 && buf.cursorY === 9 && (buf.getLine(22)?.translateToString() ?? '').includes('q: leave setup')
  }, null, { timeout: 30_000, polling: 'raf' })
  times.push(performance.now() - t0)
}
times.sort((x, y) => x - y)
const pct = (p: number) => times[Math.min(times.length - 1, Math.ceil((p / 100) * times.length) - 1)]!.toFixed(0)
console.log(`console page to screen drawn, ${RUNS} opens: p50 ${pct(50)} ms, p99 ${pct(99)} ms, max ${times.at(-1)!.toFixed(0)} ms; largest frame (the snapshot) ${snapshotBytes} bytes`)
if (b.problems.length > 0) console.log('page problems:', b.problems)
await b.close()
ws.close()
await server.close()
await demo.close()
rmSync(dataDir, { recursive: true, force: true })

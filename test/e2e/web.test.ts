// The browser UI in a real browser (headless Chromium, playwright-core) on the
// demo fleet (our simulated BMCs, in this process): sign in with the link's
// one-time code; the fleet page shows every node's states and a killed BMC's
// row turns unreachable without a reload; the console page shows the host's
// output, an operator holding read-write types `help` and sees the answer, a
// viewer's keystrokes never reach the host, a takeover moves the hold and
// both pages say so; a full-screen menu drawn before a browser attaches shows
// the same in it as in a browser that watched it drawn (a screenshot is kept
// in tmp/test-artifacts), and `bmcvisor console` starts from that screen too.
// No page logs an error or asks any other host for anything.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough, type Duplex } from 'node:stream'
import { startServer, type RunningServer } from '../../src/main.js'
import { createLogger } from '../../src/log.js'
import { registerDemoNodes, startDemoFleet, type DemoFleet } from '../../src/cli/demo.js'
import { consoleCommand } from '../../src/cli/console.js'
import { SCREEN_COLS, SCREEN_ROWS } from '../../workers/screen.js'
import { sink } from '../lab/sink.js'
import { requireTools } from '../lab/tools.js'
import { ARTIFACTS, openBrowser, requireChromium, terminalScreen, type Browser } from './browser.js'

const ROOT = new URL('../../', import.meta.url).pathname
const DEADLINE = 60_000
const ADMIN = 'web-e2e-admin-token-0123456789abcdef'

/**
 * In the page: the sim's setup menu is on screen to its last byte (the menu
 * comes in several SOL packets; it ends with its footer drawn and the cursor
 * parked on row 10, column 10, where nothing else leaves it).
 */
function menuDrawn(): boolean {
  type Buf = { type: string; cursorX: number; cursorY: number; length: number; getLine(y: number): { translateToString(): string } | undefined }
  const b = (globalThis as unknown as { bmcvisor?: { term: { buffer: { active: Buf } } } }).bmcvisor?.term.buffer.active
  if (b === undefined || b.type !== 'alternate' || b.cursorX !== 9 || b.cursorY !== 9) return false
  const text = Array.from({ length: b.length }, (_, y) => b.getLine(y)?.translateToString() ?? '').join('\n')
  return text.includes('Firmware Setup Utility') && text.includes('q: leave setup')
}

describe('web UI in Chromium', { timeout: 300_000 }, () => {
  let server: RunningServer | undefined
  let demo: DemoFleet | undefined
  let data = ''
  const tokens: Record<'alice' | 'bob' | 'vera', string> = { alice: '', bob: '', vera: '' }
  const browsers: Browser[] = []

  before(async () => {
    // The page as `npm run build` makes it.
    execFileSync(process.execPath, ['scripts/build-web.mjs'], { cwd: ROOT, stdio: 'inherit' })
    data = mkdtempSync(join(tmpdir(), 'bmcvisor-web-'))
    demo = await startDemoFleet(3)
    server = await startServer({
      listen: '127.0.0.1:0', dataDir: data, adminToken: ADMIN, logger: createLogger({ level: 'warn' }),
      prepareStore: async (store) => {
        await registerDemoNodes(store.nodes, demo!)
        tokens.alice = (await store.tokens.create({ name: 'alice', role: 'operator' })).token
        tokens.bob = (await store.tokens.create({ name: 'bob', role: 'operator' })).token
        tokens.vera = (await store.tokens.create({ name: 'vera', role: 'viewer' })).token
      },
    })
  })
  after(async () => {
    for (const b of browsers) await b.close()
    await server?.close()
    await demo?.close()
    if (data !== '') rmSync(data, { recursive: true, force: true })
  })

  /** A fresh browser signed in as `who` through a sign-in link (the code, never the token, in the URL). */
  async function signIn(who: keyof typeof tokens): Promise<Browser> {
    const b = await openBrowser(server!.url)
    browsers.push(b)
    await b.page.goto(`${server!.url}/#code=${server!.web.issueCode(tokens[who])}`)
    await b.page.waitForSelector(`#whoami:has-text("${who}")`, { timeout: DEADLINE })
    assert.doesNotMatch(b.page.url(), /code=/, 'the used code is gone from the address bar')
    return b
  }
  const noProblems = (b: Browser) => assert.deepEqual(b.problems, [])

  it('a browser that is not signed in gets the sign-in form, with no error in its console', async (t) => {
    if (!requireChromium(t)) return
    const b = await openBrowser(server!.url)
    browsers.push(b)
    await b.page.goto(server!.url)
    await b.page.waitForSelector('#signin input[name=token]', { timeout: DEADLINE })
    assert.equal(await b.page.evaluate(() => JSON.stringify(Object.keys(localStorage))), '[]')
    noProblems(b)
  })

  it('fleet: every demo node with its states; a killed BMC turns unreachable with the reason, live', async (t) => {
    if (!requireChromium(t)) return
    const b = await signIn('vera')
    const { page } = b
    for (const node of demo!.nodes) {
      await page.waitForSelector(`tr[data-node="${node}"] td[data-field="console"] .badge:text-is("connected")`, { timeout: DEADLINE })
      await page.waitForSelector(`tr[data-node="${node}"] td[data-field="bmc"] .badge:text-is("up")`, { timeout: DEADLINE })
      await page.waitForSelector(`tr[data-node="${node}"] td[data-field="worker"] .badge:text-is("running")`, { timeout: DEADLINE })
    }
    // A viewer sees no control that would fail.
    assert.equal(await page.locator('#actions').count(), 0)
    // No script of the page can read the session (HttpOnly) and nothing is stored.
    assert.deepEqual(await page.evaluate(() => [document.cookie, localStorage.length, sessionStorage.length]), ['', 0, 0])
    const loads = { n: 0 }
    page.on('load', () => loads.n++)
    await demo!.sims.setFault(1, { kind: 'die' })
    const victim = demo!.nodes[1]!
    await page.waitForSelector(`tr[data-node="${victim}"] td[data-field="bmc"] .badge[data-tone="bad"]:has-text("unreachable")`, { timeout: DEADLINE })
    await page.waitForSelector(`tr[data-node="${victim}"] td[data-field="console"] .badge:has-text("unreachable")`, { timeout: DEADLINE })
    assert.equal(loads.n, 0, 'no reload')
    await demo!.sims.setFault(1, { kind: 'none' })
    await page.waitForSelector(`tr[data-node="${victim}"] td[data-field="bmc"] .badge:text-is("up")`, { timeout: DEADLINE })
    noProblems(b)
  })

  it('node page: worker and session, health, sensors with states, inventory, event log, console log download', async (t) => {
    if (!requireChromium(t)) return
    const b = await signIn('vera')
    const node = demo!.nodes[0]!
    await b.page.goto(`${server!.url}/#/node/${node}`)
    await b.page.waitForSelector('#worker dd:text-is("running")', { timeout: DEADLINE })
    await b.page.waitForSelector('#health .badge:text-is("ok")', { timeout: DEADLINE })
    await b.page.waitForSelector('#sensors td:text-is("CPU Temp")', { timeout: DEADLINE })
    await b.page.waitForSelector('#sensors .badge[data-tone="ok"]', { timeout: DEADLINE })
    await b.page.waitForSelector('#inventory summary:has-text("FRU 0")', { timeout: DEADLINE })
    await b.page.waitForSelector('#events td:has-text("Power Supply")', { timeout: DEADLINE })
    const href = await b.page.getAttribute('#log-download', 'href')
    const log = await b.page.evaluate(async (url) => {
      const r = await fetch(url!)
      return { status: r.status, type: r.headers.get('content-type'), text: await r.text() }
    }, href)
    assert.equal(log.status, 200)
    assert.match(log.type ?? '', /^text\/plain/)
    assert.match(log.text, /Linux version/)
    noProblems(b)
  })

  it('range action: a confirmation names the nodes, one result per node, and the rows follow', async (t) => {
    if (!requireChromium(t)) return
    const b = await signIn('alice')
    const { page } = b
    const [first, second] = [demo!.nodes[0]!, demo!.nodes[1]!]
    await page.waitForSelector(`tr[data-node="${second}"] td[data-field="power"] .badge:text-is("on")`, { timeout: DEADLINE })
    await page.check(`tr[data-node="${first}"] input[type=checkbox]`)
    await page.check(`tr[data-node="${second}"] input[type=checkbox]`)
    await page.click('#actions button:text-is("Power off")')
    await page.waitForSelector('#confirm[open]', { timeout: DEADLINE })
    assert.equal(await page.textContent('#confirm .nodes'), `${first}, ${second}`)
    await page.click('#confirm-ok')
    for (const node of [first, second]) await page.waitForSelector(`#results li[data-node="${node}"].ok`, { timeout: DEADLINE })
    await page.waitForSelector(`tr[data-node="${second}"] td[data-field="power"] .badge:text-is("off")`, { timeout: DEADLINE })
    // Back on, for the tests after this one.
    await page.click('#actions button:text-is("Power on")')
    await page.click('#confirm-ok')
    await page.waitForSelector(`tr[data-node="${second}"] td[data-field="power"] .badge:text-is("on")`, { timeout: DEADLINE })
    noProblems(b)
  })

  it('fleet search and filter narrow the rows; identify and next boot device for the shown nodes, one result each; Send break reaches the host', async (t) => {
    if (!requireChromium(t)) return
    const b = await signIn('alice')
    const { page } = b
    const nodes = demo!.nodes
    const shown = async () => page.$$eval('#main tbody tr', (trs) => trs.map((tr) => tr.getAttribute('data-node')))
    for (const node of nodes) await page.waitForSelector(`tr[data-node="${node}"] td[data-field="console"] .badge:text-is("connected")`, { timeout: DEADLINE })
    await page.fill('#fleet-search', nodes[1]!)
    await page.waitForFunction((n) => document.querySelectorAll('#main tbody tr').length === 1 && document.querySelector(`tr[data-node="${n}"]`) !== null, nodes[1], { timeout: DEADLINE })
    await page.fill('#fleet-search', '@demo connected')
    await page.waitForFunction((n) => document.querySelectorAll('#main tbody tr').length === n, nodes.length, { timeout: DEADLINE })
    await page.selectOption('#fleet-filter', 'powered off')
    await page.waitForFunction(() => document.querySelectorAll('#main tbody tr').length === 0, null, { timeout: DEADLINE })
    await page.selectOption('#fleet-filter', 'console connected')
    await page.waitForFunction((n) => document.querySelectorAll('#main tbody tr').length === n, nodes.length, { timeout: DEADLINE })
    assert.deepEqual(await shown(), [...nodes].sort())

    await page.click('#actions button:text-is("Select shown")')
    await page.click('#actions button:text-is("Identify")')
    await page.waitForSelector('#confirm[open]', { timeout: DEADLINE })
    assert.equal(await page.textContent('#confirm .nodes'), [...nodes].sort().join(', '))
    await page.click('#confirm-ok')
    for (const node of nodes) await page.waitForSelector(`#results li[data-node="${node}"].ok`, { timeout: DEADLINE })
    await page.selectOption('#actions select[aria-label="boot device"]', 'pxe')
    await page.click('#actions button:text-is("Set boot device")')
    await page.waitForSelector('#confirm[open] h2:has-text("Boot from pxe")', { timeout: DEADLINE })
    await page.click('#confirm-ok')
    await page.waitForSelector('#results h2:has-text("Boot from pxe")', { timeout: DEADLINE })
    for (const node of nodes) await page.waitForSelector(`#results li[data-node="${node}"].ok`, { timeout: DEADLINE })
    // The BMCs say so.
    for (const node of nodes) {
      const r = await fetch(`${server!.url}/api/v1/nodes/${node}/boot`, { headers: { authorization: `Bearer ${tokens.alice}` } })
      assert.equal(((await r.json()) as { device: string }).device, 'pxe', node)
    }

    // Send break, as the read-write holder: the host reports it on its console.
    await page.goto(`${server!.url}/#/console/${nodes[2]}`)
    await page.click('#take:text-is("Take read-write")')
    await page.waitForSelector('#holder:text-is("read-write: you")', { timeout: DEADLINE })
    await page.click('#break:text-is("Send break")')
    await page.waitForFunction(() => document.querySelector('#terminal .xterm-rows')?.textContent?.includes('BREAK received') ?? false, null, { timeout: DEADLINE })
    await page.click('#release')
    noProblems(b)
  })

  it('console: output, typing as the read-write holder, a viewer typing nothing, takeover seen on both pages', async (t) => {
    if (!requireChromium(t)) return
    const node = demo!.nodes[0]!
    const [alice, bob, vera] = [await signIn('alice'), await signIn('bob'), await signIn('vera')]
    for (const b of [alice, bob, vera]) await b.page.goto(`${server!.url}/#/console/${node}`)
    // The host's boot log reaches every page.
    for (const b of [alice, bob, vera]) await b.page.waitForFunction(() => document.querySelector('#terminal .xterm-rows')?.textContent?.includes('[') ?? false, null, { timeout: DEADLINE })
    await alice.page.waitForSelector('#take:text-is("Take read-write")', { timeout: DEADLINE })
    assert.equal(await vera.page.locator('#take').count(), 0, 'a viewer has no take button')
    await alice.page.click('#take')
    await alice.page.waitForSelector('#holder:text-is("read-write: you")', { timeout: DEADLINE })
    await bob.page.waitForSelector('#holder:text-is("read-only: alice holds read-write")', { timeout: DEADLINE })
    // A viewer's keystrokes never leave the page.
    await vera.page.click('#terminal')
    await vera.page.keyboard.type('echo viewer-was-here\r')
    await alice.page.click('#terminal')
    await alice.page.keyboard.type('help\r')
    await alice.page.waitForFunction(() => document.querySelector('#terminal .xterm-rows')?.textContent?.includes('commands: help echo') ?? false, null, { timeout: DEADLINE })
    for (const b of [alice, bob, vera]) {
      assert.equal(await b.page.evaluate(() => document.querySelector('#terminal .xterm-rows')?.textContent?.includes('viewer-was-here')), false)
    }
    // Search in the scrollback selects the match.
    await vera.page.fill('#find', 'serial-break')
    await vera.page.press('#find', 'Enter')
    await vera.page.waitForFunction(() => (globalThis as unknown as { bmcvisor: { term: { getSelection(): string } } }).bmcvisor.term.getSelection() === 'serial-break', null, { timeout: DEADLINE })
    // Bob forces the hold over (after confirming); both pages say who has it.
    bob.page.once('dialog', (d) => void d.accept())
    await bob.page.click('#take:text-is("Force takeover from alice")')
    await bob.page.waitForSelector('#holder:text-is("read-write: you")', { timeout: DEADLINE })
    await alice.page.waitForSelector('#holder:text-is("read-only: bob holds read-write")', { timeout: DEADLINE })
    await alice.page.waitForSelector('#notice:has-text("bob took read-write over")', { timeout: DEADLINE })
    await vera.page.waitForSelector('#clients:has-text("vera (you) ro")', { timeout: DEADLINE })
    await bob.page.click('#release')
    await alice.page.waitForSelector('#holder:text-is("read-write is free")', { timeout: DEADLINE })
    for (const b of [alice, bob, vera]) noProblems(b)
  })

  it('console: a dropped connection is retried, and the page is attached and redrawn again', async (t) => {
    if (!requireChromium(t)) return
    const b = await signIn('vera')
    const node = demo!.nodes[0]!
    const upgraded: Duplex[] = []
    const keep = (_req: unknown, socket: Duplex) => upgraded.push(socket)
    server!.app.server.on('upgrade', keep)
    t.after(() => server!.app.server.off('upgrade', keep))
    await b.page.goto(`${server!.url}/#/console/${node}`)
    await b.page.waitForSelector('#console-state .badge:text-is("connected")', { timeout: DEADLINE })
    // Cut the page's console socket from the server's side, as a network drop would.
    assert.equal(upgraded.length, 1)
    upgraded[0]!.destroy()
    await b.page.waitForSelector('#console-state .badge:has-text("retrying in 1 s")', { timeout: DEADLINE })
    await b.page.waitForSelector('#console-state .badge:text-is("connected")', { timeout: DEADLINE })
    await b.page.waitForSelector('#clients:has-text("vera (you) ro")', { timeout: DEADLINE })
    await b.page.waitForFunction(() => (document.querySelector('#terminal .xterm-rows')?.textContent ?? '').includes('['), null, { timeout: DEADLINE })
    noProblems(b)
  })

  it('console: a UTF-8 character split across two frames arrives whole', async (t) => {
    if (!requireChromium(t)) return
    const b = await signIn('vera')
    // The page's console socket answered by the test itself: the frames split 'é' and '€' mid-character.
    await b.page.routeWebSocket(/\/console\/ws/, (ws) => {
      const send = (m: unknown) => ws.send(JSON.stringify(m))
      send({ type: 'hello', node: 'x', client: 1, mode: 'ro', canWrite: false })
      send({ type: 'state', state: 'connected' })
      send({ type: 'replay', kind: 'screen', bytes: 0, ageMs: null })
      ws.send(Buffer.from([0x68, 0xc3]))
      ws.send(Buffer.from([0xa9, 0xe2, 0x82]))
      ws.send(Buffer.from([0xac, 0x21]))
    })
    await b.page.goto(`${server!.url}/#/console/${demo!.nodes[0]!}`)
    await b.page.waitForFunction(() => {
      const line = (globalThis as unknown as { bmcvisor?: { term: { buffer: { active: { getLine(y: number): { translateToString(trim: boolean): string } | undefined } } } } }).bmcvisor?.term.buffer.active.getLine(0)
      return line?.translateToString(true) === 'h\u00e9\u20ac!'
    }, null, { timeout: DEADLINE })
    noProblems(b)
  })

  it('a full-screen menu drawn before a browser attaches shows the same there; bmcvisor console starts from it too', async (t) => {
    if (!requireChromium(t)) return
    const node = demo!.nodes[2]!
    const watcher = await signIn('alice')
    await watcher.page.goto(`${server!.url}/#/console/${node}`)
    await watcher.page.click('#take')
    await watcher.page.waitForSelector('#holder:text-is("read-write: you")', { timeout: DEADLINE })
    await watcher.page.click('#terminal')
    await watcher.page.keyboard.type('setup\r')
    await watcher.page.waitForFunction(menuDrawn, null, { timeout: DEADLINE })
    const watched = await terminalScreen(watcher.page, SCREEN_COLS, SCREEN_ROWS)

    const late = await signIn('vera')
    await late.page.goto(`${server!.url}/#/console/${node}`)
    await late.page.waitForFunction(menuDrawn, null, { timeout: DEADLINE })
    const attached = await terminalScreen(late.page, SCREEN_COLS, SCREEN_ROWS)
    assert.equal(attached.type, 'alternate')
    assert.match(attached.rows[0]!, /Simulated Firmware Setup Utility/)
    assert.deepEqual(attached, watched)
    mkdirSync(ARTIFACTS, { recursive: true })
    await late.page.screenshot({ path: join(ARTIFACTS, 'web-console-snapshot.png') })

    // The terminal client: its first output is the same screen (alternate screen, the menu), with no boot log before it.
    const out = sink()
    const err = sink()
    const stdin = new PassThrough()
    const done = consoleCommand([node, '--ro'], { stdin, stdout: out, stderr: err, env: { BMCVISOR_URL: server!.url, BMCVISOR_TOKEN: tokens.vera } })
    await out.until(/Simulated Firmware Setup Utility/, DEADLINE)
    assert.ok(out.text().startsWith('\x1b[0m\x1b[H\x1b[2J'), 'starts by clearing the terminal')
    assert.ok(out.text().includes('\x1b[?1049h'), 'the alternate screen')
    stdin.write('\x05c.')
    assert.equal(await done, 0)
    // Leave the menu: the host prints its prompt again (the watcher still holds read-write).
    await watcher.page.keyboard.type('q')
    await watcher.page.waitForFunction(() => (globalThis as unknown as { bmcvisor: { term: { buffer: { active: { type: string } } } } }).bmcvisor.term.buffer.active.type === 'normal', null, { timeout: DEADLINE })
    for (const b of [watcher, late]) noProblems(b)
  })
})

describe('web UI over TLS (--tls-cert/--tls-key)', { timeout: 180_000 }, () => {
  it('signs in, shows the fleet and a console over HTTPS and WSS with a Secure cookie', async (t) => {
    if (!requireChromium(t) || !requireTools(t, ['openssl'], 'apt-get install openssl')) return
    execFileSync(process.execPath, ['scripts/build-web.mjs'], { cwd: ROOT, stdio: 'inherit' })
    const dir = mkdtempSync(join(tmpdir(), 'bmcvisor-web-tls-'))
    const cert = join(dir, 'c.crt')
    const key = join(dir, 'c.key')
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' })
    const demo = await startDemoFleet(1)
    const server = await startServer({
      listen: '127.0.0.1:0', dataDir: join(dir, 'data'), adminToken: ADMIN, logger: createLogger({ level: 'warn' }), tls: { certFile: cert, keyFile: key },
      prepareStore: async (store) => void (await registerDemoNodes(store.nodes, demo)),
    })
    const b = await openBrowser(server.url)
    t.after(async () => {
      await b.close()
      await server.close()
      await demo.close()
      rmSync(dir, { recursive: true, force: true })
    })
    assert.match(server.url, /^https:/)
    const answer = b.page.waitForResponse((r) => r.url().endsWith('/api/v1/session') && r.request().method() === 'POST')
    await b.page.goto(`${server.url}/#code=${server.web.issueCode(ADMIN)}`)
    assert.match((await (await answer).allHeaders())['set-cookie'] ?? '', /; Secure/)
    const node = demo.nodes[0]!
    await b.page.waitForSelector(`tr[data-node="${node}"] td[data-field="console"] .badge:text-is("connected")`, { timeout: DEADLINE })
    await b.page.goto(`${server.url}/#/console/${node}`)
    await b.page.waitForSelector('#console-state .badge:text-is("connected")', { timeout: DEADLINE })
    await b.page.waitForFunction(() => (document.querySelector('#terminal .xterm-rows')?.textContent ?? '').includes('['), null, { timeout: DEADLINE })
    assert.deepEqual(b.problems, [])
  })
})

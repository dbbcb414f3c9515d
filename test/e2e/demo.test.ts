// The out-of-the-box demo (`serve --demo`, what `npm start` runs): simulated
// BMCs registered as nodes, a banner with the URL, a working token and three
// things to try, and each of the three really works (a console over the
// WebSocket, power through REST, /metrics), with IPMI and Redfish nodes mixed
// (demo04 over Redfish, its certificate pinned). Restarting on the same data
// directory updates the nodes and issues a fresh token; --no-demo and
// BMCVISOR_DEMO=0 turn the demo off; a real node with a demo name is left
// alone. The last test builds dist/ and runs the service as `npm start`
// does: workers load the one-file bundle.
import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { serveCommand } from '../../src/cli/serve.js'
import { demoNodeNames, registerDemoNodes } from '../../src/cli/demo.js'
import { openStore } from '../../src/store/sqlite.js'
import type * as WorkerHandleModule from '../../src/supervisor/worker-handle.js'
import { TestClient } from '../integration/console/lab.js'
import { sink, type Sink } from '../lab/sink.js'

const ROOT = new URL('../../', import.meta.url).pathname
const dirs: string[] = []
function dir(): string {
  const d = mkdtempSync(join(tmpdir(), 'bmcvisor-demo-'))
  dirs.push(d)
  return d
}
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))

interface Running { out: Sink; err: Sink; stop(): Promise<number>; url: string; token: string }

async function serve(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Running> {
  const out = sink()
  const err = sink()
  let stop!: () => void
  const stopSignal = new Promise<string>((resolve) => (stop = () => resolve('SIGTERM')))
  const done = serveCommand(['--listen', '127.0.0.1:0', '--log-level', 'warn', ...args], { stdout: out, stderr: err, env, stopSignal })
  const served = await Promise.race([err.until(/serving on (http:\/\/127\.0\.0\.1:\d+)/, 30_000), done.then((code) => {
    throw new Error(`serve ended with ${code}: ${err.text()}`)
  })])
  const banner = args.includes('--demo') && !args.includes('--no-demo') && env.BMCVISOR_DEMO !== '0'
  const token = banner ? (await out.until(/token {2}(bmv_\S+)/, 10_000))[1]! : ''
  return { out, err, url: served[1]!, token, stop: async () => (stop(), await done) }
}

async function api(r: Running, path: string, init: RequestInit = {}, token = r.token): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${r.url}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers } })
  const text = await res.text()
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) as unknown }
}

/** Polls until fn() is truthy; for state that only a request can see. */
async function eventually<T>(fn: () => Promise<T | undefined>, ms: number, what: string): Promise<T> {
  const deadline = performance.now() + ms
  for (;;) {
    const v = await fn()
    if (v !== undefined) return v
    if (performance.now() > deadline) throw new Error(`${what}: not within ${ms} ms`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

describe('demo', { timeout: 240_000 }, () => {
  it('names demo nodes with a width that sorts', () => {
    assert.deepEqual(demoNodeNames(3), ['demo01', 'demo02', 'demo03'])
    assert.equal(demoNodeNames(100)[99], 'demo100')
    assert.equal(demoNodeNames(100)[0], 'demo001')
  })

  it('serve --demo: banner, and the three things to try work', async () => {
    const data = dir()
    const r = await serve(['--demo', '--demo-size', '4', '--data', data])
    try {
      const banner = r.out.text()
      assert.match(banner, /4 simulated BMCs registered as nodes demo01\.\.demo04/)
      assert.ok(banner.includes(`URL    ${r.url}`), banner)
      assert.match(banner, /npx bmcvisor console demo01/)
      assert.match(banner, /npx bmcvisor power demo02 off/)
      assert.match(banner, /\/metrics/)
      assert.doesNotMatch(r.err.text(), /bmv_/, 'the token is shown once, in the banner')
      const pinned = /Redfish {2}demo04 managed over Redfish \(HTTPS, certificate pinned to ((?:[0-9A-F]{2}:){31}[0-9A-F]{2})\)/.exec(banner)
      assert.ok(pinned !== null, banner)

      // 1. a console: the simulated host's boot log arrives, and typing reaches it.
      const ws = await TestClient.open(`${r.url.replace('http', 'ws')}/api/v1/nodes/demo01/console/ws?mode=rw`, r.token)
      try {
        await ws.until(() => ws.state() === 'connected', 30_000, 'console connected')
        await ws.until(() => ws.bytes().includes('demo01'), 30_000, 'boot log naming the host')
        ws.send('\rhelp\r')
        await ws.until(() => ws.bytes().includes('commands: help echo'), 20_000, 'help answered by the host')
      } finally {
        ws.close()
      }
      // 2. power a node off, read it back.
      assert.equal((await api(r, '/api/v1/nodes/demo02/power', { method: 'PUT', body: JSON.stringify({ state: 'off' }) })).status, 200)
      const st = await api(r, '/api/v1/nodes/demo02/power')
      assert.equal((st.body as { state: string }).state, 'off')
      // 3. metrics: every demo node's BMC is up.
      await eventually(async () => {
        const text = await (await fetch(`${r.url}/metrics`)).text()
        return ['demo01', 'demo02', 'demo03', 'demo04'].every((n) => text.includes(`bmcvisor_bmc_up{node="${n}"} 1`)) ? true : undefined
      }, 30_000, 'bmcvisor_bmc_up for every demo node')
      const nodes = await api(r, '/api/v1/nodes')
      assert.deepEqual((nodes.body as { nodes: { name: string }[] }).nodes.map((n) => n.name), ['demo01', 'demo02', 'demo03', 'demo04'])
      // The mix: demo04 is managed over Redfish (its certificate pinned to the one the banner names), the others over IPMI,
      // and one range request answers for both kinds.
      const shown = (nodes.body as { nodes: { name: string; bmc: { protocol: string; tls?: { mode: string; fingerprint?: string } }; console: { method: string } }[] }).nodes
      assert.deepEqual(shown.map((n) => [n.name, n.bmc.protocol, n.console.method]), [['demo01', 'ipmi', 'ipmi'], ['demo02', 'ipmi', 'ipmi'], ['demo03', 'ipmi', 'ipmi'], ['demo04', 'redfish', 'ipmi']])
      assert.deepEqual(shown[3]!.bmc.tls, { mode: 'pin', fingerprint: pinned[1], caSet: false })
      const range = await api(r, '/api/v1/noderange/@demo/power')
      assert.equal(range.status, 200, JSON.stringify(range.body))
      const results = (range.body as { results: Record<string, { value?: { state: string } }> }).results
      assert.deepEqual(Object.fromEntries(Object.entries(results).map(([n, x]) => [n, x.value?.state])), { demo01: 'on', demo02: 'off', demo03: 'on', demo04: 'on' })
      const text = await (await fetch(`${r.url}/metrics`)).text()
      assert.match(text, /^bmcvisor_node_protocol\{node="demo04",protocol="redfish"\} 1$/m)
      assert.match(text, /^bmcvisor_node_protocol\{node="demo01",protocol="ipmi"\} 1$/m)
      // demo04's console is SOL over the same BMC's IPMI side, beside its Redfish management session.
      const sol = await TestClient.open(`${r.url.replace('http', 'ws')}/api/v1/nodes/demo04/console/ws?mode=ro`, r.token)
      try {
        await sol.until(() => sol.bytes().includes('demo04'), 30_000, 'demo04\'s boot log over SOL')
      } finally {
        sol.close()
      }
    } finally {
      assert.equal(await r.stop(), 0)
    }

    // Again on the same data directory, smaller: the nodes follow the new ports, demo03 and demo04 go, and a
    // fresh token is printed (the first start's admin token stays valid: it was shown as the one to keep).
    const r2 = await serve(['--demo', '--demo-size', '2', '--data', data])
    try {
      assert.notEqual(r2.token, r.token)
      assert.equal((await api(r2, '/api/v1/nodes', {}, r.token)).status, 200)
      const names = ((await api(r2, '/api/v1/nodes')).body as { nodes: { name: string }[] }).nodes.map((n) => n.name)
      assert.deepEqual(names, ['demo01', 'demo02'])
      await eventually(async () => {
        const st = await api(r2, '/api/v1/nodes/demo02/power')
        return st.status === 200 ? st : undefined
      }, 30_000, 'demo02 answers on its new port')
    } finally {
      assert.equal(await r2.stop(), 0)
    }

    // A third start revokes the second one's token: restarts do not pile up demo tokens.
    const r3 = await serve(['--demo', '--demo-size', '2', '--data', data])
    try {
      assert.equal((await api(r3, '/api/v1/nodes', {}, r2.token)).status, 401)
      assert.equal((await api(r3, '/api/v1/nodes')).status, 200)
    } finally {
      assert.equal(await r3.stop(), 0)
    }

    // --no-demo (and BMCVISOR_DEMO=0): no simulators and no banner; the nodes stay, for the operator to remove.
    for (const [args, env] of [[['--demo', '--no-demo'], {}], [['--demo'], { BMCVISOR_DEMO: '0' }]] as const) {
      const r4 = await serve([...args, '--data', data], env)
      try {
        assert.doesNotMatch(r4.out.text(), /simulated BMCs/)
      } finally {
        assert.equal(await r4.stop(), 0)
      }
    }
  })

  it('leaves a real node that has a demo name alone', async () => {
    const data = dir()
    const store = openStore({ dataDir: data })
    try {
      await store.nodes.create({ name: 'demo02', groups: ['rack1'], bmc: { host: '127.0.0.1', port: 623, username: 'u', password: 'p', cipherSuite: 17, privilege: 'administrator' }, console: { method: 'ipmi', logging: 'full' } })
      const bmcs = [1, 2, 3].map((i) => ({ index: i, name: `x${i}`, host: '127.0.0.1', port: 40000 + i, username: 'admin', password: 'password', cipherSuites: [17, 3] }))
      const reg = await registerDemoNodes(store.nodes, { nodes: demoNodeNames(3), bmcs })
      assert.deepEqual(reg, { created: ['demo01', 'demo03'], updated: [], removed: [], skipped: ['demo02'] })
      assert.equal((await store.nodes.get('demo02'))?.bmc.port, 623)
      assert.deepEqual(await registerDemoNodes(store.nodes, { nodes: demoNodeNames(3), bmcs }), { created: [], updated: [], removed: [], skipped: ['demo02'] })
    } finally {
      await store.close()
    }
  })

  it('registers demo04, demo08, ... as Redfish nodes pinned to the fleet\'s certificate, and follows a new one', async () => {
    const data = dir()
    const store = openStore({ dataDir: data })
    try {
      const names = demoNodeNames(8)
      const bmcs = names.map((_, i) => ({ index: i, name: `x${i}`, host: '127.0.0.1', port: 40000 + i, username: 'admin', password: 'password', cipherSuites: [17, 3], redfish: { port: 41000 + i, url: `https://127.0.0.1:${41000 + i}` } }))
      const first = 'AA:'.repeat(31) + 'AA'
      const second = 'BB:'.repeat(31) + 'BB'
      assert.deepEqual((await registerDemoNodes(store.nodes, { nodes: names, bmcs, redfishFingerprint: first })).created, names)
      const redfish = (await store.nodes.list()).filter((n) => n.bmc.protocol === 'redfish')
      assert.deepEqual(redfish.map((n) => [n.name, n.bmc.port, n.bmc.tls, n.console.method]), [
        ['demo04', 41003, { mode: 'pin', fingerprint: first }, 'ipmi'],
        ['demo08', 41007, { mode: 'pin', fingerprint: first }, 'ipmi'],
      ])
      assert.deepEqual(await registerDemoNodes(store.nodes, { nodes: names, bmcs, redfishFingerprint: first }), { created: [], updated: [], removed: [], skipped: [] })
      // A restarted demo has a new certificate: its Redfish nodes pin the new one.
      assert.deepEqual((await registerDemoNodes(store.nodes, { nodes: names, bmcs, redfishFingerprint: second })).updated, ['demo04', 'demo08'])
      assert.equal((await store.nodes.get('demo08'))?.bmc.tls?.fingerprint, second)
      assert.equal((await store.nodes.get('demo04'))?.bmc.ipmiPort, 40003, 'SOL at the BMC\'s IPMI port')
      // A demo without Redfish (no openssl): they are IPMI nodes again.
      assert.deepEqual((await registerDemoNodes(store.nodes, { nodes: names, bmcs })).updated, ['demo04', 'demo08'])
      const back = await store.nodes.get('demo04')
      assert.deepEqual([back?.bmc.protocol, back?.bmc.port, back?.bmc.ipmiPort, back?.bmc.tls, back?.console.method], [undefined, 40003, undefined, undefined, 'ipmi'])
    } finally {
      await store.close()
    }
  })

  it('rejects a bad demo size with a stable code', async () => {
    for (const args of [['--demo', '--demo-size', '0'], ['--demo', '--demo-size', 'x'], ['--demo-size', '3']]) {
      const err = sink()
      const code = await serveCommand([...args, '--data', dir()], { stdout: sink(), stderr: err, env: {}, stopSignal: Promise.resolve('x') })
      assert.notEqual(code, 0)
      assert.match(err.text(), /VALIDATION_FAILED: --demo-size/)
    }
  })

  it('npm start: the built service with the demo, workers from the one-file bundle', async () => {
    await promisify(execFile)('npm', ['run', 'build'], { cwd: ROOT, timeout: 180_000 })
    const built = (await import(join(ROOT, 'dist/src/supervisor/worker-handle.js'))) as typeof WorkerHandleModule
    // The test runner's own worker bundle stays out of what npm start runs.
    const named = process.env[built.WORKER_FILE_ENV]
    delete process.env[built.WORKER_FILE_ENV]
    try {
      assert.match(built.defaultWorkerFile().pathname, /dist\/workers\/bmc-worker\.bundle\.mjs$/)
    } finally {
      if (named !== undefined) process.env[built.WORKER_FILE_ENV] = named
    }
    const env = { ...process.env }
    delete env[built.WORKER_FILE_ENV]
    const data = dir()
    const child = spawn(process.execPath, [join(ROOT, 'dist/src/cli/main.js'), 'serve', '--demo', '--demo-size', '2', '--data', data, '--listen', '127.0.0.1:0', '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'], env })
    const out = sink()
    const err = sink()
    child.stdout.pipe(out)
    child.stderr.pipe(err)
    try {
      const url = (await err.until(/serving on (http:\/\/127\.0\.0\.1:\d+)/, 60_000))[1]!
      const token = (await out.until(/token {2}(bmv_\S+)/, 10_000))[1]!
      const r = { url, token } as Running
      const ws = await TestClient.open(`${url.replace('http', 'ws')}/api/v1/nodes/demo02/console/ws?mode=ro`, token)
      try {
        await ws.until(() => ws.bytes().includes('demo02'), 30_000, 'boot log from the built service')
      } finally {
        ws.close()
      }
      const workers = await api(r, '/api/v1/nodes/demo01/worker')
      assert.equal(workers.status, 200, JSON.stringify(workers.body))
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      assert.equal(await exited, 0, err.text())
    }
  })
})

// End to end: the real server (startServer: store, supervisor, one worker
// thread per BMC, fastify on a free port) against five ipmi_sim BMCs, over
// HTTP. Nodes are added over REST; a range is powered; a dead BMC answers
// BMC_UNREACHABLE at its own deadline while the other four answer at once;
// a BMC user created through the API logs in with ipmitool; the CLI works
// against the server; no secret reaches the logs or the database file.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { createLogger } from '../../src/log.js'
import { startServer, type RunningServer } from '../../src/main.js'
import { nodeCommand } from '../../src/cli/node.js'
import { powerCommand } from '../../src/cli/op-command.js'
import { ipmiSimAvailable, ipmitool, requireIpmiSim, startIpmiSim, waitUntil, type IpmiSim } from '../lab/sim.js'
import { sink } from '../lab/sink.js'

const ADMIN = 'e2e-admin-token-0123456789'
const ALICE_PASSWORD = 'Al1ce-pw-e2e'
const TIMEOUT_MS = 2500

function capture(lines: string[]): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString('utf8'))
      cb()
    },
  })
}

describe('REST end to end with ipmi_sim', { skip: !ipmiSimAvailable() && process.env.CI === undefined ? 'ipmi_sim lab unavailable' : false }, () => {
  const sims: IpmiSim[] = []
  const logs: string[] = []
  let server: RunningServer
  let dataDir: string
  const names = ['e1', 'e2', 'e3', 'e4', 'e5']

  const api = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${server.url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    })
    return { status: res.status, text: await res.text() }
  }

  before(async (t) => {
    if (!requireIpmiSim(t as never)) return
    for (let i = 0; i < names.length; i++) sims.push(await startIpmiSim({ powerOn: true }))
    dataDir = mkdtempSync(join(tmpdir(), 'bmcvisor-e2e-'))
    server = await startServer({
      listen: '127.0.0.1:0', dataDir, adminToken: ADMIN,
      logger: createLogger({ level: 'debug', destination: capture(logs) }),
      supervisor: { heartbeatMs: 250, heartbeatTimeoutMs: 1500, startConcurrency: 4 },
      bmcDefaults: { reconnect: { initialMs: 100, maxMs: 1000 }, timing: { retransmitMs: 250, backoffMs: 100, retries: 3, connectTimeoutMs: 2000 }, consoleLivenessMs: 3000 },
    })
  })
  after(async () => {
    await server?.close()
    await Promise.all(sims.map((s) => s.stop()))
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true })
  })

  it('adds five nodes over REST and their workers log in', async () => {
    for (const [i, name] of names.entries()) {
      const res = await api('POST', '/nodes', { name, bmc: { host: sims[i]!.host, port: sims[i]!.port, username: 'admin', password: 'password', cipherSuite: 3 }, groups: ['lab'] })
      assert.equal(res.status, 201, res.text)
    }
    await waitUntil(async () => {
      const { workers } = JSON.parse((await api('GET', '/workers')).text) as { workers: { node: string; session: { state: string } | null }[] }
      return workers.length === 5 && workers.every((w) => w.session?.state === 'connected')
    }, { timeoutMs: 30_000, intervalMs: 200, what: 'five sessions connected' })
  })

  it('powers a range: status, then off and on', async () => {
    const status = JSON.parse((await api('GET', '/noderange/@lab/power')).text) as { results: Record<string, { ok: boolean; value: { state: string } }> }
    assert.deepEqual(Object.keys(status.results), names)
    for (const r of Object.values(status.results)) assert.deepEqual(r, { ok: true, value: { state: 'on' } })
    const off = JSON.parse((await api('PUT', `/noderange/${encodeURIComponent('e[1-2]')}/power`, { state: 'off' })).text) as { results: Record<string, { ok: boolean }> }
    assert.ok(Object.values(off.results).every((r) => r.ok), JSON.stringify(off))
    await waitUntil(() => sims[0]!.readRecords().includes('power 0') && sims[1]!.readRecords().includes('power 0'), { timeoutMs: 10_000, what: 'hosts powered off' })
    const one = await api('GET', '/nodes/e1/power')
    assert.deepEqual(JSON.parse(one.text), { state: 'off' })
    await api('PUT', `/noderange/${encodeURIComponent('e[1-2]')}/power`, { state: 'on' })
  })

  it('a PATCH of the BMC address reaches the worker: a bad port fails, the good one heals, one watcher throughout', async () => {
    const good = sims[1]!.port
    for (let i = 0; i < 3; i++) {
      assert.equal((await api('PATCH', '/nodes/e2', { bmc: { port: 1 } })).status, 200)
      const bad = await api('GET', '/nodes/e2/power?timeoutMs=1000')
      assert.equal(JSON.parse(bad.text).error.code, 'BMC_UNREACHABLE', bad.text)
      assert.equal((await api('PATCH', '/nodes/e2', { bmc: { port: good } })).status, 200)
      await waitUntil(async () => (await api('GET', '/nodes/e2/power')).status === 200, { timeoutMs: 15_000, intervalMs: 100, what: 'e2 healed' })
    }
    const res = await server.supervisor.control('e2', 'worker.resources') as { watchers: number }
    assert.equal(res.watchers, 1)
  })

  it('a dead BMC answers BMC_UNREACHABLE at its own deadline; the other four answer at once', async () => {
    sims[2]!.kill() // e3
    await sims[2]!.waitForExit()
    const t0 = performance.now()
    const res = await fetch(`${server.url}/api/v1/noderange/${encodeURIComponent('e[1-5]')}/power?timeoutMs=${TIMEOUT_MS}`, {
      headers: { authorization: `Bearer ${ADMIN}`, accept: 'application/x-ndjson' },
    })
    const arrivals: { node: string; ok: boolean; code?: string; ms: number }[] = []
    const decoder = new TextDecoder()
    let buf = ''
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buf += decoder.decode(chunk, { stream: true })
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = JSON.parse(buf.slice(0, nl)) as { node?: string; ok: boolean; error?: { code: string } }
        buf = buf.slice(nl + 1)
        if (line.node !== undefined) arrivals.push({ node: line.node, ok: line.ok, ...(line.error ? { code: line.error.code } : {}), ms: performance.now() - t0 })
      }
    }
    const dead = arrivals.find((a) => a.node === 'e3')
    const good = arrivals.filter((a) => a.node !== 'e3')
    assert.equal(dead?.code, 'BMC_UNREACHABLE', JSON.stringify(arrivals))
    assert.equal(good.length, 4)
    for (const g of good) {
      assert.ok(g.ok, JSON.stringify(g))
      assert.ok(g.ms < 1000, `${g.node} took ${g.ms} ms: held up by the dead BMC?`)
    }
    // The worker gives up when its retransmits run out or at the deadline, whichever is first.
    assert.ok(dead!.ms < TIMEOUT_MS + 2500, `dead node answered after ${dead!.ms} ms`)
    assert.equal(arrivals.at(-1)?.node, 'e3')
    const single = await api('GET', `/nodes/e3/power?timeoutMs=${TIMEOUT_MS}`)
    assert.equal(single.status, 504)
    assert.equal(JSON.parse(single.text).error.code, 'BMC_UNREACHABLE')
  })

  it('a hung BMC (SIGSTOP) is bounded by the per-node timeout too', async () => {
    sims[3]!.pause() // e4
    try {
      const t0 = performance.now()
      const res = JSON.parse((await api('GET', `/noderange/${encodeURIComponent('e[1-5]')}/power?timeoutMs=1500`)).text) as { results: Record<string, { ok: boolean; error?: { code: string } }> }
      const ms = performance.now() - t0
      assert.equal(res.results.e4?.error?.code, 'BMC_UNREACHABLE', JSON.stringify(res))
      assert.deepEqual(['e1', 'e2', 'e5'].map((n) => res.results[n]?.ok), [true, true, true])
      assert.ok(ms < 1500 + 2500, `the range took ${ms} ms`)
    } finally {
      sims[3]!.resume()
    }
  })

  it('creates a BMC user through the API; ipmitool logs in with it', async () => {
    const res = await api('PUT', '/nodes/e1/bmc/users/5', { name: 'alice', password: ALICE_PASSWORD, privilege: 'operator', enabled: true })
    assert.equal(res.status, 200, res.text)
    assert.deepEqual(JSON.parse(res.text).changed, ['name', 'password', 'privilege', 'enabled'])
    const out = await ipmitool(sims[0]!, ['chassis', 'power', 'status'], { user: 'alice', password: ALICE_PASSWORD, privilege: 'OPERATOR' })
    assert.match(out, /Chassis Power is on/)
    const users = JSON.parse((await api('GET', '/nodes/e1/bmc/users')).text) as { id: number; name: string; enabled: boolean; privilege: string }[]
    // (ipmi_sim reports the enable status as unspecified: null; the login above shows it is enabled.)
    const alice = users.find((u) => u.id === 5)
    assert.deepEqual([alice?.name, alice?.privilege], ['alice', 'operator'])
    await assert.rejects(ipmitool(sims[0]!, ['chassis', 'power', 'status'], { user: 'alice', password: 'wrong-password', privilege: 'OPERATOR', timeoutMs: 15_000 }))
  })

  it('the CLI lists nodes, imports YAML and powers a range against the server', async () => {
    const env = { BMCVISOR_URL: server.url, BMCVISOR_TOKEN: ADMIN }
    const out = sink()
    const err = sink()
    assert.equal(await nodeCommand(['list'], { stdout: out, stderr: err, env }), 0, err.text())
    assert.match(out.text(), /^e1\s+127\.0\.0\.1:\d+\s+admin/m)
    const file = join(dataDir, 'nodes.yaml')
    writeFileSync(file, `nodes:\n  - name: e6\n    bmc: { host: ${sims[3]!.host}, port: ${sims[3]!.port}, username: admin, password: password }\n    groups: [extra]\n  - name: e5\n    groups: [lab, extra]\n`)
    // A dry run first (the default): it says what it would do and writes nothing.
    const dry = sink()
    assert.equal(await nodeCommand(['import', file], { stdout: dry, stderr: err, env }), 0, dry.text() + err.text())
    assert.match(dry.text(), /^create e6 .*bmc\.password=\(not shown\)$/m)
    assert.match(dry.text(), /^update e5 .*groups lab -> lab,extra$/m)
    assert.doesNotMatch(dry.text(), /password(?!=\(not shown\))/)
    const imp = sink()
    assert.equal(await nodeCommand(['import', file, '--apply'], { stdout: imp, stderr: err, env }), 0, imp.text() + err.text())
    assert.deepEqual(imp.text().trim().split('\n').filter((l) => /: (created|updated)$/.test(l)), ['e6: created', 'e5: updated'])
    const pw = sink()
    const code = await powerCommand(['@extra', 'status'], { stdout: pw, stderr: err, env })
    assert.equal(code, 0, pw.text() + err.text())
    assert.deepEqual(pw.text().trim().split('\n').map((l) => l.split(/\s+/)), [['e5', 'on'], ['e6', 'on']])
    const failing = sink()
    assert.equal(await powerCommand(['e3', '--timeout', '1'], { stdout: failing, stderr: err, env }), 1)
    assert.match(failing.text(), /^e3\s+BMC_UNREACHABLE/)
  })

  it('no password or token reaches a log line or the database file', () => {
    const secrets = [ALICE_PASSWORD, ADMIN]
    const all = logs.join('')
    assert.ok(all.includes('"audit"'), 'audit lines were not logged')
    for (const s of secrets) assert.ok(!all.includes(s), `a log line carries ${s}`)
    for (const f of readdirSync(dataDir).filter((n) => n.startsWith('bmcvisor.db'))) {
      const bytes = readFileSync(join(dataDir, f))
      for (const s of secrets) assert.equal(bytes.indexOf(s), -1, `${f} holds ${s}`)
    }
  })
})

// `bmcvisor node import --from ...` against the API: a dry run by default
// that shows what would change and writes nothing, --apply that writes it,
// a second import that changes nothing, an update that patches only what
// differs, and no credential ever printed.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { nodeCommand } from '../../src/cli/node.js'
import type { NodeView } from '../../src/api/schemas.js'
import { sink } from '../lab/sink.js'
import { testApi, type TestApi } from './helpers.js'

const FIXTURES = new URL('../fixtures/import/', import.meta.url).pathname
const SECRETS = ['s3cret', 'calvin', 'Passw0rd', 'json-pw', 'csv-pw', 'with "quotes"', 'masked-default-pw', '414243', '0a0b0c', '4b47']

describe('node import against the server', () => {
  let t: TestApi
  let env: NodeJS.ProcessEnv
  const dir = mkdtempSync(join(tmpdir(), 'bmcvisor-import-api-'))
  before(async () => {
    t = await testApi()
    await t.app.listen({ host: '127.0.0.1', port: 0 })
    const addr = t.app.server.address() as { port: number }
    env = { BMCVISOR_URL: `http://127.0.0.1:${addr.port}`, BMCVISOR_TOKEN: t.tokens.admin, DEFAULT_PW: 'masked-default-pw' }
  })
  after(async () => {
    await t.close()
    rmSync(dir, { recursive: true, force: true })
  })

  async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    const out = sink()
    const err = sink()
    const code = await nodeCommand(['import', ...args], { stdout: out, stderr: err, env })
    for (const s of SECRETS) assert.ok(!out.text().includes(s) && !err.text().includes(s), `printed a secret: ${s}`)
    return { code, out: out.text(), err: err.text() }
  }
  const nodes = async () => ((await (await fetch(`${env.BMCVISOR_URL}/api/v1/nodes`, { headers: { authorization: `Bearer ${env.BMCVISOR_TOKEN}` } })).json()) as { nodes: NodeView[] }).nodes

  it('dry-runs by default, applies with --apply, and changes nothing the second time', async () => {
    const cf = join(FIXTURES, 'conserver.cf')
    const dry = await run('--from', 'conserver', cf)
    assert.equal(dry.code, 0, dry.err)
    assert.match(dry.out, new RegExp(`^create r1n01 \\(${cf}:29\\): bmc\\.host=10\\.1\\.0\\.1, bmc\\.username=admin, bmc\\.privilege=administrator, bmc\\.workarounds=intel20, console\\.method=ipmi, console\\.logging=full, groups=rack1, bmc\\.password=\\(not shown\\)$`, 'm'))
    assert.match(dry.out, /^dry run: 4 to create, 0 to update, 0 unchanged; --apply writes them$/m)
    assert.match(dry.out, /^note: .*console switch1: skipped/m)
    // conserver's ipmiworkaround names map to FreeIPMI's (intel-session = intel20); ipmiconsole -W passes as it is.
    assert.match(dry.out, /^note: .*:34: console r1n01: ipmiworkaround: workaround intel20 kept, no effect in bmcvisor/m)
    assert.match(dry.out, /^create r2n02 .*bmc\.workarounds=authcap/m)
    assert.deepEqual(await nodes(), [], 'a dry run writes nothing')

    const applied = await run('--from', 'conserver', cf, '--apply')
    assert.equal(applied.code, 0, applied.out)
    assert.match(applied.out, /^r2n02: created$/m)
    const after1 = await nodes()
    assert.deepEqual(after1.map((n) => n.name), ['r1n01', 'r1n02', 'r2n01', 'r2n02'])
    const r1n02 = after1.find((n) => n.name === 'r1n02')!
    assert.deepEqual([r1n02.bmc.host, r1n02.bmc.cipherSuite, r1n02.bmc.kgSet, r1n02.console.logging, r1n02.groups], ['10.1.0.2', 17, true, 'memory', ['gpu', 'rack1']])
    assert.deepEqual(after1.map((n) => n.bmc.workarounds ?? []), [['intel20'], [], [], ['authcap']])

    const again = await run('--from', 'conserver', cf, '--apply')
    assert.equal(again.code, 0)
    assert.match(again.out, /^0 to create, 0 to update, 4 unchanged$/m)
    assert.deepEqual((await nodes()).map((n) => n.revision), after1.map((n) => n.revision), 'a second import changes nothing')
  })

  it('patches only what differs, and passwords only when asked', async () => {
    const cf = join(dir, 'changed.cf')
    writeFileSync(cf, readFileSync(join(FIXTURES, 'conserver.cf'), 'utf8').replace('host 10.1.0.1;', 'host 10.1.0.9;'))
    const dry = await run('--from', 'conserver', cf)
    assert.match(dry.out, /^update r1n01 \(.*\): bmc\.host 10\.1\.0\.1 -> 10\.1\.0\.9$/m)
    assert.match(dry.out, /^dry run: 0 to create, 1 to update, 3 unchanged/m)
    const withPasswords = await run('--from', 'conserver', cf, '--set-passwords')
    assert.match(withPasswords.out, /^update r1n01 \(.*\): bmc\.host 10\.1\.0\.1 -> 10\.1\.0\.9, bmc\.password -> \(not shown\)$/m)
    assert.match(withPasswords.out, /^update r1n02 \(.*\): bmc\.password -> \(not shown\), bmc\.kg -> \(not shown\)$/m)
    const before1 = await nodes()
    assert.equal((await run('--from', 'conserver', cf, '--apply')).code, 0)
    const after1 = await nodes()
    assert.equal(after1.find((n) => n.name === 'r1n01')!.bmc.host, '10.1.0.9')
    assert.deepEqual(after1.filter((n) => n.name !== 'r1n01').map((n) => n.revision), before1.filter((n) => n.name !== 'r1n01').map((n) => n.revision))
  })

  it('imports confluent and CSV exports, a masked password from --password-env', async () => {
    const txt = join(FIXTURES, 'confluent-nodeattrib.txt')
    const refused = await run('--from', 'confluent', txt)
    assert.equal(refused.code, 1)
    assert.match(refused.err, new RegExp(`^bmcvisor: IMPORT_INVALID: ${txt}:8: node r3n02: no password \\(the file has none: give one with --password-env VAR\\)\\n$`))
    assert.equal((await run('--from', 'confluent', txt, '--password-env', 'DEFAULT_PW', '--apply')).code, 0)
    assert.equal((await run('--from', 'confluent', join(FIXTURES, 'confluent.json'), '--password-env', 'DEFAULT_PW', '--apply')).code, 0)
    assert.equal((await run('--from', 'csv', join(FIXTURES, 'nodes.csv'), '--apply')).code, 0)
    const all = await nodes()
    for (const name of ['r3n01', 'r3n02', 'r4n01', 'r4n02', 'r5n01', 'r5n02']) assert.ok(all.some((n) => n.name === name), name)
    assert.deepEqual(all.find((n) => n.name === 'r3n02')!.groups, ['everything', 'gpu', 'rack3'])
    for (const [from, f] of [['confluent', 'confluent-nodeattrib.txt'], ['confluent', 'confluent.json'], ['csv', 'nodes.csv']] as const) {
      const again = await run('--from', from, join(FIXTURES, f), '--password-env', 'DEFAULT_PW')
      assert.match(again.out, /^dry run: 0 to create, 0 to update, 2 unchanged/m, f)
    }
  })

  it('refuses an unknown format and a bad line without writing anything', async () => {
    const count = (await nodes()).length
    const unknown = await run('--from', 'xcat', join(FIXTURES, 'nodes.csv'))
    assert.equal(unknown.code, 2)
    assert.match(unknown.err, /--from takes yaml, conserver, confluent, csv/)
    const bad = join(dir, 'bad.csv')
    writeFileSync(bad, 'name,host,username,password\nz1,10.9.0.1,u,p\nz2,10.9.0.2,u,p,extra\n')
    const r = await run('--from', 'csv', bad, '--apply')
    assert.equal(r.code, 1)
    assert.equal(r.err, `bmcvisor: IMPORT_INVALID: ${bad}:3: 5 fields where the header has 4\n`)
    assert.equal((await nodes()).length, count, 'nothing written: z1 is not created either')
  })

  it('maps ipmiworkaround to bmc.workarounds, drops a turned-off one and refuses an unknown one', async () => {
    const ok = join(dir, 'workarounds.cf')
    writeFileSync(ok, 'console w1 { type ipmi; host 10.7.0.1; username admin; password pw; ipmiworkaround checksum,ignore-port,!integrity,solpayloadsize; }\n')
    const r = await run('--from', 'conserver', ok, '--apply')
    assert.equal(r.code, 0, r.err + r.out)
    assert.match(r.out, /^note: .*workaround !integrity turns one off/m)
    assert.deepEqual((await nodes()).find((n) => n.name === 'w1')?.bmc.workarounds, ['nochecksumcheck', 'solport', 'solpayloadsize'])
    const bad = join(dir, 'badworkaround.cf')
    writeFileSync(bad, 'console w2 { type ipmi; host 10.7.0.2; username admin; password pw; ipmiworkaround checksum,frobnicate; }\n')
    const b = await run('--from', 'conserver', bad, '--apply')
    assert.equal(b.code, 1)
    assert.match(b.err, /IMPORT_INVALID: .*badworkaround\.cf:1: console w2: ipmiworkaround: unknown workaround frobnicate/)
    assert.equal((await nodes()).some((n) => n.name === 'w2'), false)
  })
})

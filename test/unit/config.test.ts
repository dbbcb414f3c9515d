// The serve configuration: one option table (src/cli/serve-options.ts) read
// from flags, environment and a YAML file; every option round-trips through
// the file; wrong keys, wrong types and YAML syntax errors are one line naming
// file, line and key; flags win over environment, environment over the file;
// docs/config.md shows the table's defaults.
import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfigFile, markdownTable, renderConfig, resolveOptions } from '../../src/config.js'
import { SERVE_OPTIONS, SERVE_USAGE } from '../../src/cli/serve-options.js'
import { serverOptions, serveValues } from '../../src/cli/serve.js'
import { configCommand } from '../../src/cli/config.js'
import { sink } from '../lab/sink.js'

const dir = mkdtempSync(join(tmpdir(), 'bmcvisor-config-'))
after(() => rmSync(dir, { recursive: true, force: true }))
let n = 0
function file(text: string): string {
  const f = join(dir, `config-${++n}.yaml`)
  writeFileSync(f, text)
  return f
}
const examples = Object.fromEntries(Object.entries(SERVE_OPTIONS).map(([flag, spec]) => [flag, spec.example]))

function invalid(text: string): { message: string; f: string } {
  const f = file(text)
  try {
    serveValues(['--config', f], {})
  } catch (e) {
    assert.equal((e as { code?: string }).code, 'CONFIG_INVALID')
    return { message: (e as Error).message, f }
  }
  assert.fail(`accepted:\n${text}`)
}

describe('serve configuration file', () => {
  it('round-trips every option, each example differing from its default', () => {
    for (const [flag, spec] of Object.entries(SERVE_OPTIONS)) assert.notDeepEqual(spec.example, spec.default, flag)
    const f = file(renderConfig(SERVE_OPTIONS, examples))
    const { values, sources } = resolveOptions(SERVE_OPTIONS, { flags: {}, env: {}, file: loadConfigFile(SERVE_OPTIONS, f) })
    assert.deepEqual(values, examples)
    for (const [flag, source] of Object.entries(sources)) assert.equal(source.from, 'file', flag)
    // Through serve's own reading as well (BMCVISOR_CONFIG instead of --config).
    assert.deepEqual(serveValues([], { BMCVISOR_CONFIG: f }), examples)
  })

  it('reads back the example file at the defaults (bmcvisor config example, then config check)', () => {
    const out = sink()
    assert.equal(configCommand(['example'], { stdout: out, stderr: sink() }), 0)
    const f = file(out.text())
    const { values } = resolveOptions(SERVE_OPTIONS, { flags: {}, env: {}, file: loadConfigFile(SERVE_OPTIONS, f) })
    assert.deepEqual(values, Object.fromEntries(Object.entries(SERVE_OPTIONS).map(([flag, spec]) => [flag, spec.default])))
    const checked = sink()
    assert.equal(configCommand(['check', f], { stdout: checked, stderr: sink() }), 0)
    assert.match(checked.text(), /: ok \(/)
  })

  it('names file, line and key of a wrong key, on one line', () => {
    const { message, f } = invalid('listen: 127.0.0.1:9000\nsensors:\n  metrics: true\n  intervall: 5\n')
    assert.equal(message, `${f}:4: sensors.intervall: unknown key (known: sensors.metrics, sensors.interval)`)
    assert.match(invalid('listne: 127.0.0.1:9000\n').message, /:1: listne: unknown key \(known: listen, data, /)
  })

  it('names file, line and key of a wrong type, on one line', () => {
    const cases: [string, RegExp][] = [
      ['data: ./d\nsensors:\n  metrics: true\n  interval: "30"\n', /:4: sensors\.interval: must be an integer from 1 to 86400, not "30"$/],
      ['demo:\n  enabled: yes\n', /:2: demo\.enabled: must be true or false, not "yes"$/],
      ['protect: [metrics, disks]\n', /:1: protect: must be a list of health, metrics, docs, not "disks"$/],
      ['log:\n  level: loud\n', /:2: log\.level: must be one of fatal, error, warn, info, debug, trace, silent, not "loud"$/],
      ['listen: 8623\n', /:1: listen: must be a non-empty string, not 8623$/],
      ['listen: "nohost"\n', /:1: listen: must be HOST:PORT .*, not "nohost"$/],
      ['tls: /etc/cert.pem\n', /:1: tls: must be a mapping of keys$/],
    ]
    for (const [text, re] of cases) {
      const { message, f } = invalid(text)
      assert.ok(message.startsWith(`${f}:`), message)
      assert.doesNotMatch(message, /\n/)
      assert.match(message, re)
    }
  })

  it('names file, line and key of a YAML syntax error, on one line', () => {
    const { message, f } = invalid('listen: 127.0.0.1:9000\ndata: ./d\nlog:\n  level: "info\n')
    assert.ok(message.startsWith(`${f}:4: log.level: YAML syntax error: `), message)
    assert.doesNotMatch(message, /\n/)
    const dup = invalid('listen: 127.0.0.1:1\nlisten: 127.0.0.1:2\n')
    assert.match(dup.message, /:2: listen: YAML syntax error: Map keys must be unique/)
  })

  it('exits 1 from config check with the one line on stderr', () => {
    const err = sink()
    const f = file('sensors:\n  interval: 5\n')
    assert.equal(configCommand(['check', f], { stdout: sink(), stderr: err }), 1)
    assert.equal(err.text(), `bmcvisor: CONFIG_INVALID: ${f}:2: sensors.interval: goes with sensors.metrics\n`)
    assert.equal(configCommand(['check', join(dir, 'missing.yaml')], { stdout: sink(), stderr: err }), 1)
    assert.match(err.text(), /missing\.yaml: cannot read the file \(ENOENT\)/)
  })

  it('lets flags win over the environment and the environment over the file', () => {
    const f = file('listen: 127.0.0.1:9001\ndata: /from/file\nlog:\n  level: warn\ndemo:\n  enabled: true\n  size: 5\n')
    const v = serveValues(['--config', f, '--listen', '127.0.0.1:9003', '--demo-size', '2'], { BMCVISOR_LISTEN: '127.0.0.1:9002', BMCVISOR_DATA: '/from/env' })
    assert.equal(v?.listen, '127.0.0.1:9003')
    assert.equal(v?.data, '/from/env')
    assert.equal(v?.['log-level'], 'warn')
    assert.equal(v?.demo, true)
    assert.equal(v?.['demo-size'], 2)
    // --no-demo and BMCVISOR_DEMO=0 turn the file's demo off.
    assert.equal(serveValues(['--config', f, '--no-demo'], {})?.demo, false)
    assert.equal(serveValues(['--config', f, '--demo'], { BMCVISOR_DEMO: '0' })?.demo, false)
  })

  it('reports flag and environment errors by their names', () => {
    assert.throws(() => serveValues(['--sensor-metrics', '--sensor-interval', '0'], {}), { code: 'VALIDATION_FAILED', message: '--sensor-interval must be an integer from 1 to 86400, not "0"' })
    assert.throws(() => serveValues([], { BMCVISOR_LISTEN: 'nowhere' }), { code: 'VALIDATION_FAILED', message: /^BMCVISOR_LISTEN must be HOST:PORT/ })
    assert.throws(() => serveValues(['--tls-cert', '/c.pem'], {}), { code: 'VALIDATION_FAILED', message: '--tls-cert goes with --tls-key' })
  })

  it('documents every option with its default in docs/config.md and the usage text', () => {
    const doc = readFileSync(new URL('../../docs/config.md', import.meta.url), 'utf8')
    const between = /<!-- options:begin -->\n([\s\S]*?)\n<!-- options:end -->/.exec(doc)?.[1]
    assert.equal(between, markdownTable(SERVE_OPTIONS), `docs/config.md is out of date: put this between its markers:\n${markdownTable(SERVE_OPTIONS)}`)
    for (const flag of Object.keys(SERVE_OPTIONS)) assert.match(SERVE_USAGE, new RegExp(`--${flag}\\b`))
  })

  it('--sol-accumulate-ms reaches every node\'s worker configuration; 0 (the default) asks nothing of the BMCs', () => {
    assert.deepEqual(serverOptions(serveValues(['--sol-accumulate-ms', '200'], {})!, {}).bmcDefaults, { solAccumulateMs: 200 })
    assert.equal(serverOptions(serveValues([], {})!, {}).bmcDefaults, undefined)
    assert.throws(() => serveValues(['--sol-accumulate-ms', '2000'], {}), { code: 'VALIDATION_FAILED' })
  })

  it('takes the store URL from --store, BMCVISOR_STORE or the file, and never repeats a bad one (it may hold a password)', () => {
    const url = 'postgres://bmcvisor@127.0.0.1:5432/bmcvisor'
    assert.equal(serveValues(['--store', url], {})?.store, url)
    assert.equal(serveValues([], { BMCVISOR_STORE: url })?.store, url)
    assert.equal(serveValues([], {})?.store, undefined)
    assert.equal(serverOptions(serveValues(['--store', url], {})!, {}).store, url)
    for (const bad of ['mysql://u:hunter2-secret@h/db', 'postgres://u:hunter2-secret@h', 'hunter2-secret']) {
      assert.throws(() => serveValues(['--store', bad], {}), (e: { code: string; message: string }) => e.code === 'VALIDATION_FAILED' && !e.message.includes('hunter2-secret'), bad)
      assert.throws(() => resolveOptions(SERVE_OPTIONS, { flags: {}, env: {}, file: loadConfigFile(SERVE_OPTIONS, file(`store: "${bad}"\n`)) }), (e: { code: string; message: string }) => e.code === 'CONFIG_INVALID' && !e.message.includes('hunter2-secret'), bad)
    }
  })
})


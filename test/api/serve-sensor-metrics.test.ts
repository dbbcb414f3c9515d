// `bmcvisor serve --sensor-metrics [--sensor-interval SECONDS]`: the options
// are validated before anything starts, and serve starts with them.
import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SERVE_USAGE, serveCommand } from '../../src/cli/serve.js'
import { sink } from '../lab/sink.js'

const dirs: string[] = []
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))

describe('serve --sensor-metrics', () => {
  it('is in the usage', () => {
    assert.match(SERVE_USAGE, /--sensor-metrics/)
    assert.match(SERVE_USAGE, /--sensor-interval/)
  })

  it('refuses --sensor-interval without --sensor-metrics, or out of range', async () => {
    for (const argv of [['--sensor-interval', '30'], ['--sensor-metrics', '--sensor-interval', '0'], ['--sensor-metrics', '--sensor-interval', 'x']]) {
      const stderr = sink()
      const code = await serveCommand(['--listen', '127.0.0.1:0', '--data', join(tmpdir(), 'bmcvisor-never-created'), ...argv], { stdout: sink(), stderr, env: {} })
      assert.notEqual(code, 0, argv.join(' '))
      assert.match(stderr.text(), /--sensor-interval/, argv.join(' '))
    }
  })

  it('starts with sensor polling on and stops on its signal', async () => {
    const data = mkdtempSync(join(tmpdir(), 'bmcvisor-serve-sensors-'))
    dirs.push(data)
    let stop: () => void = () => undefined
    const stderr = sink()
    const done = serveCommand(['--listen', '127.0.0.1:0', '--data', data, '--sensor-metrics', '--sensor-interval', '5', '--log-level', 'silent'], {
      stdout: sink(), stderr, env: { BMCVISOR_ADMIN_TOKEN: 'sensor-admin-token-0123456789' }, stopSignal: new Promise((r) => (stop = () => r('test'))),
    })
    const deadline = Date.now() + 10_000
    while (!stderr.text().includes('serving on')) {
      if (Date.now() > deadline) throw new Error(`serve did not start: ${stderr.text()}`)
      await new Promise((r) => setTimeout(r, 20))
    }
    stop()
    assert.equal(await done, 0)
  })
})

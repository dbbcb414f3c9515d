// The bundled command (scripts/bundle-cli.mjs, what `bin` runs) works as a
// process: it builds, lists every command, prints a completion script and
// talks IPMI to a simulated BMC on loopback through its ipmi chunk.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startSimFleet } from '../../src/sim/fleet.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

function run(file: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd: ROOT, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr })
    })
  })
}

describe('the bundled bmcvisor command', () => {
  let dir: string
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bmcvisor-cli-bundle-'))
    const b = await run(process.execPath, ['scripts/bundle-cli.mjs', dir])
    assert.equal(b.code, 0, b.stderr)
  })
  after(() => rmSync(dir, { recursive: true, force: true }))

  it('lists every command and prints a completion script', async () => {
    const help = await run(process.execPath, [join(dir, 'main.js'), 'help'])
    assert.equal(help.code, 0, help.stderr)
    for (const c of ['ipmi', 'serve', 'node', 'worker', 'completion', 'power', 'sensors', 'events']) assert.match(help.stdout, new RegExp(`^  ${c} `, 'm'))
    const bash = await run(process.execPath, [join(dir, 'main.js'), 'completion', 'bash'])
    assert.equal(bash.code, 0, bash.stderr)
    assert.match(bash.stdout, /complete -F _bmcvisor bmcvisor/)
  })

  it('runs bmcvisor ipmi power status against a simulated BMC', async (t) => {
    const fleet = await startSimFleet({ count: 1, basePort: 0, host: '127.0.0.1' })
    t.after(() => fleet.close())
    const b = fleet.bmcs[0]!
    const r = await run(process.execPath, [join(dir, 'main.js'), 'ipmi', '-H', b.host, '-p', String(b.port), '-U', b.username, '-P', b.password, 'power', 'status'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /^Chassis Power is (on|off)\n$/)
  })
})

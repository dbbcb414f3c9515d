// deploy/bmcvisor.service: systemd-analyze verify accepts it without a single
// warning, it carries the hardening and limits docs/deploy.md promises, and
// the serve options on its ExecStart= line are ones serve accepts.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { serveValues } from '../../src/cli/serve.js'
import { requireTools } from '../lab/tools.js'

const UNIT = new URL('../../deploy/bmcvisor.service', import.meta.url)
const MIN_OPEN_FILES = 65_536

function directives(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>()
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line)
    if (m !== null) out.set(m[1]!, [...(out.get(m[1]!) ?? []), m[2]!])
  }
  return out
}

describe('systemd unit file', { timeout: 60_000 }, () => {
  it('passes systemd-analyze verify with no warning', async (t) => {
    if (!requireTools(t, ['systemd-analyze'], 'apt-get install systemd (.ci/run does)')) return
    const dir = mkdtempSync(join(tmpdir(), 'bmcvisor-unit-'))
    t.after(() => rmSync(dir, { recursive: true, force: true }))
    const copy = join(dir, 'bmcvisor.service')
    copyFileSync(UNIT, copy)
    const { code, stderr } = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile('systemd-analyze', ['verify', copy], (err, _out, stderr) => resolve({ code: err === null ? 0 : Number(err.code ?? 1), stderr }))
    })
    assert.equal(code, 0, stderr)
    assert.equal(stderr.trim(), '', 'systemd-analyze printed warnings')
  })

  it('is Type=notify, hardened, with a state directory and room for thousands of BMCs', () => {
    const d = directives(readFileSync(UNIT, 'utf8'))
    const one = (k: string) => d.get(k)?.at(-1)
    assert.equal(one('Type'), 'notify')
    assert.equal(one('NotifyAccess'), 'all', 'systemd-notify is a child process')
    assert.equal(one('DynamicUser'), 'yes')
    assert.equal(one('ProtectSystem'), 'strict')
    assert.equal(one('StateDirectory'), 'bmcvisor')
    assert.equal(one('NoNewPrivileges'), 'yes')
    assert.equal(one('CapabilityBoundingSet'), '')
    assert.ok(Number(one('LimitNOFILE')) >= MIN_OPEN_FILES)
    assert.ok(Number(one('TasksMax')) >= 10_000, 'a thread per BMC')
    assert.match(one('ExecReload') ?? '', /kill -HUP \$MAINPID/)
  })

  it('starts serve with options serve accepts, its data in the state directory', () => {
    const exec = directives(readFileSync(UNIT, 'utf8')).get('ExecStart')?.[0] ?? ''
    const argv = exec.split(/\s+/)
    const args = argv.slice(argv.indexOf('serve') + 1)
    const i = args.indexOf('--config')
    assert.equal(args[i + 1], '/etc/bmcvisor/config.yaml')
    // Without the file itself (it is the operator's): the flags alone.
    const v = serveValues([...args.slice(0, i), ...args.slice(i + 2)], {})
    assert.equal(v?.data, '/var/lib/bmcvisor')
  })
})

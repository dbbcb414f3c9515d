// `bmcvisor sim` as a user runs it: a fleet of simulated BMCs that our CLI
// and ipmitool (suite 17, which ipmi_sim cannot do) both talk to; SIGTERM ends it cleanly.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { createInterface } from 'node:readline'
import { ipmiSimAvailable } from '../lab/sim.js'

const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url))

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', CLI, ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr })
    })
  })
}

describe('bmcvisor sim', () => {
  it('serves N BMCs that bmcvisor ipmi and ipmitool talk to, and stops on SIGTERM', async (t) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'sim', '--count', '3', '--base-port', '0', '--power', 'off', '--json'], { stdio: ['ignore', 'pipe', 'inherit'] })
    t.after(() => void child.kill('SIGKILL')) // a failed assertion must not leave the fleet running
    const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string]
    const { bmcs } = JSON.parse(line) as { bmcs: { host: string; port: number; username: string; password: string }[] }
    assert.equal(bmcs.length, 3)
    for (const b of bmcs) assert.equal(b.host, '127.0.0.1')
    const r = await run(['ipmi', '-H', bmcs[2]!.host, '-p', String(bmcs[2]!.port), '-U', 'admin', '-P', 'password', '--json', 'power', 'on'])
    assert.equal(r.code, 0, r.stderr)
    const s = await run(['ipmi', '-H', bmcs[2]!.host, '-p', String(bmcs[2]!.port), '-U', 'admin', '-P', 'password', '--json', 'power', 'status'])
    assert.deepEqual(JSON.parse(s.stdout), { state: 'on' })
    if (ipmiSimAvailable()) {
      const out = await new Promise<string>((resolve, reject) => execFile('ipmitool', ['-I', 'lanplus', '-H', bmcs[0]!.host, '-p', String(bmcs[0]!.port), '-U', 'admin', '-P', 'password', '-C', '17', 'chassis', 'power', 'status'], (e, so) => (e ? reject(e) : resolve(so))))
      assert.match(out, /Chassis Power is off/)
    }
    child.kill('SIGTERM')
    const [code] = (await once(child, 'exit')) as [number]
    assert.equal(code, 0)
  })

  it('refuses a non-loopback address and bad counts with VALIDATION_FAILED', async () => {
    const bad = await run(['sim', '--count', '2', '--host', '10.0.0.1'])
    assert.equal(bad.code, 2)
    assert.match(bad.stderr, /^bmcvisor: VALIDATION_FAILED: --host must be a loopback address/)
    const zero = await run(['sim', '--count', '0'])
    assert.equal(zero.code, 2)
  })
})

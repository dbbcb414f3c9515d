// `bmcvisor ipmi ... sol activate` as a process against ipmi_sim: host output
// reaches stdout, stdin reaches the host, `~.` at line start ends it with 0.
import { it } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { requireIpmiSim, startIpmiSim, waitUntil } from '../../lab/sim.js'

const CLI = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url))

it('sol activate bridges stdin/stdout and ~. ends it', async (t) => {
  if (!requireIpmiSim(t)) return
  const sim = await startIpmiSim()
  t.after(() => sim.stop())
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'ipmi', '-H', sim.host, '-p', String(sim.port), '-U', 'admin', '-E', '-C', '3', 'sol', 'activate'], {
    stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, IPMI_PASSWORD: 'password' },
  })
  let out = ''
  let err = ''
  child.stdout.on('data', (d: Buffer) => (out += d.toString('latin1')))
  child.stderr.on('data', (d: Buffer) => (err += d.toString()))
  await waitUntil(() => err.includes('operational'), { timeoutMs: 20_000, what: 'SOL operational' })
  await sim.solBackend.write('hello from host\r\n')
  await waitUntil(() => out.includes('hello from host'), { timeoutMs: 10_000, what: 'host output on stdout' })
  child.stdin.write('typed by user\r')
  await sim.solBackend.waitFor((b: Buffer) => b.toString().includes('typed by user'), 10_000)
  const exited = once(child, 'exit')
  child.stdin.write('\r~.')
  const [code] = (await exited) as [number]
  assert.equal(code, 0)
  assert.doesNotMatch(out + err, /password/)
})

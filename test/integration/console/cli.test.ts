// `bmcvisor console NODE` against the console lab (real API, ipmi_sim):
// output reaches the terminal, typing reaches the host, Ctrl-E c commands,
// status lines, --ro, and a clear error for an unknown node.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { PassThrough, Writable } from 'node:stream'
import WebSocket from 'ws'
import { consoleCommand } from '../../../src/cli/console.js'
import { ipmiSimAvailable, requireIpmiSim } from '../../lab/sim.js'
import { startConsoleLab, type ConsoleLab } from './lab.js'

class Sink extends Writable {
  text = ''
  override _write(c: Buffer, _e: BufferEncoding, cb: () => void): void {
    this.text += c.toString('latin1')
    cb()
  }
}

async function until(pred: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = performance.now() + ms
  while (!pred()) {
    if (performance.now() > deadline) throw new Error(`${what}: not within ${ms} ms`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe('bmcvisor console', { timeout: 120_000 }, () => {
  let lab: ConsoleLab | undefined
  before(async () => {
    if (ipmiSimAvailable() || process.env.CI) lab = await startConsoleLab([{ name: 't1' }])
  })
  after(async () => {
    await lab?.stop()
  })

  it('bridges a terminal: output, typing, status lines, reopen, break, exit', async (t) => {
    if (!requireIpmiSim(t) || lab === undefined) return
    const sim = lab.sims.get('t1')!
    const stdin = new PassThrough()
    const stdout = new Sink()
    const stderr = new Sink()
    const code = consoleCommand(['t1'], { stdin, stdout, stderr, env: { BMCVISOR_URL: lab.base, BMCVISOR_TOKEN: lab.tokens.operator } })
    await until(() => stderr.text.includes('[t1: connected]'), 30_000, 'connected status line')
    assert.match(stderr.text, /\[read-write: you\]/)
    await sim.solBackend.write('login: ')
    await until(() => stdout.text.includes('login: '), 10_000, 'output')
    stdin.write('root\n')
    await sim.solBackend.waitFor((all) => all.includes('root\n'), 10_000)
    stdin.write('\x05c?')
    await until(() => stderr.text.includes('f  force read-write'), 5000, 'help')
    stdin.write('\x05cb')
    stdin.write('\x05co')
    await until(() => (stderr.text.match(/\[t1: connected\]/g) ?? []).length >= 2 || /\[t1: connecting\]/.test(stderr.text), 30_000, 'reopen seen')
    stdin.write('\x05c.')
    assert.equal(await code, 0)
    assert.match(stderr.text, /terminated bmcvisor console/)
    assert.equal(sim.solBackend.received().toString('latin1').includes('\x05'), false, 'escapes never reach the host')
  })

  it('--ro with a viewer token watches; an unknown node is one error line and exit 1', async (t) => {
    if (!requireIpmiSim(t) || lab === undefined) return
    const stdin = new PassThrough()
    const stderr = new Sink()
    const code = consoleCommand(['t1', '--ro'], { stdin, stdout: new Sink(), stderr, env: { BMCVISOR_URL: lab.base, BMCVISOR_TOKEN: lab.tokens.viewer } })
    await until(() => stderr.text.includes('[t1: connected]'), 30_000, 'connected')
    stdin.end()
    assert.equal(await code, 0)
    const err = new Sink()
    assert.equal(await consoleCommand(['nope'], { stdin: new PassThrough(), stdout: new Sink(), stderr: err, env: { BMCVISOR_URL: lab.base, BMCVISOR_TOKEN: lab.tokens.viewer } }), 1)
    assert.match(err.text, /^bmcvisor: NODE_NOT_FOUND: /)
    // Read-write needs operator: a viewer asking for it explicitly is refused before the upgrade.
    const ws = new WebSocket(`${lab.base.replace(/^http/, 'ws')}/api/v1/nodes/t1/console/ws?mode=rw`, { headers: { authorization: `Bearer ${lab.tokens.viewer}` } })
    ws.on('error', () => undefined)
    const status = await new Promise<number>((resolve) => {
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
      ws.once('open', () => resolve(101))
    })
    ws.terminate()
    assert.equal(status, 403)
  })
})

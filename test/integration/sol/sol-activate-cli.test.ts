// solActivate() (the `sol activate` CLI body) against ipmi_sim with piped
// stdin/stdout: typed bytes reach the host, host output reaches stdout, `~B`
// sends a BREAK, `~.` ends with 0; a refused login ends with 1 and one
// `bmcvisor: CODE: message` line.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { PassThrough, Writable } from 'node:stream'
import { ipmiSimAvailable, requireIpmiSim, startIpmiSim, type IpmiSim } from '../../lab/sim.js'
import { solActivate, SolExitCode } from '../../../src/cli/sol-activate.js'
import type { IpmiClient } from '../../../src/session/client.js'
import { labClient, within } from './helpers.js'

class Sink extends Writable {
  text = ''
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString('latin1')
    this.emit('text')
    cb()
  }

  async waitFor(s: string, ms = 10_000): Promise<void> {
    await within((async () => {
      while (!this.text.includes(s)) await once(this, 'text')
    })(), ms, `output ${JSON.stringify(s)} (have ${JSON.stringify(this.text.slice(-200))})`)
  }
}

function io() {
  const stdin = new PassThrough()
  const stdout = new Sink()
  const stderr = new Sink()
  return { stdin, stdout, stderr, streams: { stdin: stdin as unknown as NodeJS.ReadStream, stdout: stdout as unknown as NodeJS.WriteStream, stderr } }
}

describe('sol activate (CLI) against ipmi_sim', { timeout: 60_000 }, () => {
  let sim: IpmiSim | undefined
  const clients: IpmiClient[] = []
  before(async () => {
    if (ipmiSimAvailable()) sim = await startIpmiSim()
  })
  after(async () => {
    for (const c of clients) await c.close()
    await sim?.stop()
  })

  test('bridges both ways; ~B is a BREAK; ~. ends with exit code 0', async (t) => {
    if (!requireIpmiSim(t) || sim === undefined) return
    const c = labClient(sim)
    clients.push(c)
    const { stdin, stdout, stderr, streams } = io()
    const run = solActivate(c, { force: false, ...streams })
    await stderr.waitFor('SOL Session operational')
    sim.solBackend.clearReceived()
    await sim.solBackend.write('login: ')
    await stdout.waitFor('login: ')
    stdin.write('root\r~B')
    stdin.write('~~x\r')
    await sim.solBackend.waitFor(Buffer.from('root\r\xff\xf3~x\r', 'latin1').length)
    assert.deepEqual(sim.solBackend.received(), Buffer.from('root\r\xff\xf3~x\r', 'latin1'))
    stdin.write('~.')
    assert.equal(await run, SolExitCode.UserQuit)
    assert.match(stderr.text, /terminated bmcvisor/)
  })

  test('a wrong password exits 1 with one CODE: message line', async (t) => {
    if (!requireIpmiSim(t) || sim === undefined) return
    const c = labClient(sim, { password: 'nope' })
    clients.push(c)
    const { streams, stderr } = io()
    assert.equal(await solActivate(c, { force: false, ...streams }), SolExitCode.OpenFailed)
    assert.match(stderr.text, /^bmcvisor: BMC_AUTH_FAILED: [^\n]+\n$/)
  })
})

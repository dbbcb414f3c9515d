// Logs that lose nothing: the service runs in a child process with a console
// on an ipmi_sim node and a WebSocket client attached; the host streams
// output; the service is SIGKILLed mid-stream. The log on disk must hold
// every byte that the client had received until 1 s before the kill.
import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { ipmiSimAvailable, requireIpmiSim, startIpmiSim, type IpmiSim } from '../../lab/sim.js'
import { pattern, TestClient } from './lab.js'

const FIXTURE = new URL('./fixtures/console-service.ts', import.meta.url).pathname

describe('console log after SIGKILL of the service', { timeout: 180_000 }, () => {
  let sim: IpmiSim | undefined
  let dataDir: string | undefined
  after(async () => {
    await sim?.stop()
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true })
  })

  it('holds every byte any client received until 1 s before the kill', async (t) => {
    if (!requireIpmiSim(t) || !(ipmiSimAvailable() || process.env.CI)) return
    sim = await startIpmiSim({ powerOn: true })
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, sim.host, String(sim.port), 'k1'], { stdio: ['ignore', 'pipe', 'inherit'] })
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)))
    t.after(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    })
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).once('line', resolve)
      child.once('exit', (code) => reject(new Error(`service exited (${code}) before it was up`)))
    })
    const info = JSON.parse(line) as { base: string; token: string; dataDir: string }
    dataDir = info.dataDir
    const c = await TestClient.open(`${info.base.replace(/^http/, 'ws')}/api/v1/nodes/k1/console/ws?replay=0&mode=ro`, info.token)
    await c.until(() => c.state() === 'connected', 60_000, 'connected')

    // Stream from the host, paced by what the client receives, for 3 s; then kill.
    const data = pattern(8 << 20, 3)
    let sent = 0
    const t0 = performance.now()
    while (performance.now() - t0 < 3000) {
      while (sent - c.received > 8192) await c.until(() => sent - c.received <= 8192, 20_000, 'client keeps up')
      await sim.solBackend.write(data.subarray(sent, sent + 2048))
      sent += 2048
    }
    const killedAt = performance.now()
    child.kill('SIGKILL')
    assert.equal(await exited, 'SIGKILL')

    const cutoff = killedAt - 1000
    const mustHave = c.arrivals.filter((a) => a.at <= cutoff).at(-1)?.total ?? 0
    const log = readFileSync(join(info.dataDir, 'consoles', 'k1.log'))
    t.diagnostic(`client had ${c.received} bytes at the kill, ${mustHave} by 1 s before; the log holds ${log.length}`)
    assert.ok(mustHave > 64 * 1024, `enough streamed before the cutoff: ${mustHave}`)
    assert.ok(log.length >= mustHave, `log ${log.length} bytes < ${mustHave} received by the cutoff`)
    assert.ok(log.subarray(0, mustHave).equals(c.bytes().subarray(0, mustHave)), 'the log holds exactly what the client received')
    assert.ok(log.subarray(0, log.length).equals(data.subarray(0, log.length)), 'and nothing else')
    const journal = readFileSync(join(info.dataDir, 'consoles', 'k1.jnl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string })
    assert.ok(journal.some((j) => j.type === 'connect') && journal.some((j) => j.type === 'attach') && journal.some((j) => j.type === 'data'))
    c.close()
  })
})

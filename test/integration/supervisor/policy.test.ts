// Supervisor policy with real threads: a hung worker is found within the
// heartbeat deadline; a crash loop (while loading, or right after ready) is
// parked instead of spinning the CPU, calls fail fast meanwhile, and the
// worker is retried after the park time.
import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { Supervisor } from '../../../src/supervisor/supervisor.js'
import { ipmiSimAvailable, requireIpmiSim, startIpmiSim, type IpmiSim } from '../../lab/sim.js'
import { waitUntil } from '../../lab/net.js'
import { bmcConfig, waitEvent } from './fleet.js'

const fixture = (name: string) => new URL(`../../fixtures/workers/${name}`, import.meta.url)
const dummy = bmcConfig({ host: '127.0.0.1', port: 9 }, { console: false })

describe('supervisor policy', { timeout: 120_000 }, () => {
  const sups: Supervisor[] = []
  const sims: IpmiSim[] = []
  after(async () => {
    await Promise.all(sups.map((s) => s.shutdown(2000)))
    await Promise.all(sims.map((s) => s.stop()))
  })

  for (const [name, file] of [['while loading', 'throw-on-load.ts'], ['right after ready', 'crash-after-ready.ts']] as const) {
    it(`a worker crashing ${name} is parked, fails calls fast, and is retried after the park time`, async () => {
      const sup = new Supervisor({ workerFile: fixture(file), restart: { baseDelayMs: 20, maxDelayMs: 100, intensity: 4, periodMs: 30_000, parkMs: 1500 } })
      sups.push(sup)
      const exits: string[] = []
      sup.on('worker:exited', (_n, info) => exits.push(info.reason))
      const parked = waitEvent(sup, 'worker:state', (_n, s) => s === 'parked', 30_000)
      sup.add('loop', dummy)
      await parked
      assert.ok(exits.length >= 3 && exits.length <= 5, `exits before parking: ${exits.join(',')}`)
      assert.ok(exits.every((r) => r === (file === 'throw-on-load.ts' ? 'start_failed' : 'crash')), exits.join(','))
      // Parked: no thread, calls fail at once, and the CPU is quiet.
      const t0 = performance.now()
      await assert.rejects(sup.run('loop', 'power.status', {}, { timeoutMs: 5000 }), { code: 'WORKER_UNAVAILABLE' })
      assert.ok(performance.now() - t0 < 100)
      const cpu0 = process.cpuUsage()
      const exitsWhileParked = exits.length
      await waitEvent(sup, 'worker:state', (_n, s) => s === 'restarting', 10_000)
      const cpu = process.cpuUsage(cpu0)
      assert.equal(exits.length, exitsWhileParked, 'no restarts while parked')
      assert.ok((cpu.user + cpu.system) / 1000 < 600, `CPU while parked: ${(cpu.user + cpu.system) / 1000} ms`)
      assert.equal(sup.status('loop')[0]?.restarts, exitsWhileParked)
    })
  }

  it('a main thread stalled past the heartbeat deadline does not take healthy workers for hung', async () => {
    const sup = new Supervisor({ workerFile: fixture('pong.ts'), heartbeatMs: 100, heartbeatTimeoutMs: 400, restart: { baseDelayMs: 20 } })
    sups.push(sup)
    const exits: string[] = []
    sup.on('worker:exited', (n, info) => exits.push(`${n}:${info.reason}`))
    for (const n of ['a', 'b', 'c']) sup.add(n, dummy)
    while (sup.status().some((s) => s.state !== 'running')) await new Promise((r) => setTimeout(r, 20))
    // Three stalls of 5x the deadline (a long synchronous task, GC, CPU starvation).
    for (let i = 0; i < 3; i++) {
      const until = performance.now() + 2000
      while (performance.now() < until) {
        // stall
      }
      await new Promise((r) => setTimeout(r, 300))
    }
    assert.deepEqual(exits, [])
    assert.ok(sup.status().every((s) => s.state === 'running' && s.restarts === 0))
  })

  it('a quiet healthy worker is pinged once per ping period, not every beat, and is never taken for hung', async () => {
    // Beats every 50 ms read the shared progress counter; a ping (a wake-up of the thread) goes out every 500 ms.
    const sup = new Supervisor({ workerFile: fixture('pong.ts'), heartbeatMs: 50, heartbeatTimeoutMs: 1000, heartbeatPingMs: 500 })
    sups.push(sup)
    const exits: string[] = []
    sup.on('worker:exited', (n, info) => exits.push(`${n}:${info.reason}`))
    sup.add('q', dummy)
    await waitUntil(() => sup.status('q')[0]?.state === 'running', { timeoutMs: 20_000, what: 'worker running' })
    const t0 = performance.now()
    const handle = sup.handleOf('q')!
    await waitUntil(() => handle.pings >= 4, { timeoutMs: 20_000, what: 'four pings' })
    const beats = (performance.now() - t0) / 50
    // A ping every beat would be one per beat. Once per ping period is elapsed / 500 ms + 1, plus one
    // for each beat that ran a whole beat late (a stalled main thread pings at once), which takes at
    // least two beats of time: under 0.6 of the beats however loaded the machine is.
    assert.ok(handle.pings <= beats * 0.6 + 1, `${handle.pings} pings in ${beats.toFixed(0)} beats`)
    assert.deepEqual(exits, [])
  })

  it('a worker whose progress counter keeps moving is not pinged (but once per report period); a quiet one is', async () => {
    const sup = new Supervisor({ workerFile: fixture('busy.ts'), heartbeatMs: 50, heartbeatTimeoutMs: 1000, heartbeatPingMs: 500, heartbeatReportMs: 60_000 })
    const quiet = new Supervisor({ workerFile: fixture('pong.ts'), heartbeatMs: 50, heartbeatTimeoutMs: 1000, heartbeatPingMs: 500 })
    sups.push(sup, quiet)
    const exits: string[] = []
    for (const s of [sup, quiet]) s.on('worker:exited', (n, info) => exits.push(`${n}:${info.reason}`))
    sup.add('busy', dummy)
    quiet.add('q', dummy)
    await waitUntil(() => sup.status('busy')[0]?.state === 'running' && quiet.status('q')[0]?.state === 'running', { timeoutMs: 20_000, what: 'workers running' })
    const q = quiet.handleOf('q')!
    await waitUntil(() => q.pings >= 4, { timeoutMs: 20_000, what: 'four pings of the quiet worker' })
    // The same ping periods went by for the busy one: its counter never stood still for one (on a
    // loaded machine the fixture itself may go without CPU that long now and then).
    const busy = sup.handleOf('busy')!.pings
    assert.ok(busy * 2 < q.pings, `busy worker pinged ${busy} times, the quiet one ${q.pings}`)
    assert.deepEqual(exits, [])
  })

  it('a busy worker is still pinged once per report period (its counters and heap use go out with the ping)', async () => {
    const sup = new Supervisor({ workerFile: fixture('busy.ts'), heartbeatMs: 50, heartbeatTimeoutMs: 1000, heartbeatPingMs: 500, heartbeatReportMs: 300 })
    sups.push(sup)
    sup.add('busy', dummy)
    await waitUntil(() => sup.status('busy')[0]?.state === 'running', { timeoutMs: 20_000, what: 'worker running' })
    const t0 = performance.now()
    const handle = sup.handleOf('busy')!
    await waitUntil(() => handle.pings >= 3, { timeoutMs: 20_000, what: 'three report pings' })
    assert.ok(handle.pings <= (performance.now() - t0) / 300 + 1, `${handle.pings} pings in ${(performance.now() - t0).toFixed(0)} ms`)
  })

  it('a busy worker that hangs is pinged once its counter stands still and found within deadline + ping period + a beat', async () => {
    const beat = 100
    const deadline = 1000
    const ping = 500
    const sup = new Supervisor({ workerFile: fixture('busy.ts'), heartbeatMs: beat, heartbeatTimeoutMs: deadline, heartbeatPingMs: ping, restart: { baseDelayMs: 50 } })
    sups.push(sup)
    sup.add('h', dummy)
    await waitUntil(() => sup.status('h')[0]?.state === 'running', { timeoutMs: 20_000, what: 'worker running' })
    const exited = new Promise<{ reason: string }>((resolve) => sup.once('worker:exited', (_n, info) => resolve(info)))
    // Beats this thread could not run on time (a loaded machine) delay the verdict by as much.
    const lag = monitorEventLoopDelay({ resolution: 10 })
    lag.enable()
    const t0 = performance.now()
    sup.injectFault('h', 'hang')
    assert.equal((await exited).reason, 'hang')
    const ms = performance.now() - t0
    lag.disable()
    // The beat that last saw the counter move (up to a beat after the hang), a ping a ping period later,
    // left unanswered for the deadline less a beat, judged at the next beat.
    const lateMs = lag.max / 1e6
    assert.ok(ms < deadline + ping + 2 * beat + lateMs, `detected after ${ms} ms (beats up to ${lateMs.toFixed(0)} ms late)`)
  })

  it('a hung worker (busy loop) is detected within the heartbeat deadline and restarted', async (t) => {
    if (!requireIpmiSim(t)) return
    if (!ipmiSimAvailable() && !process.env.CI) return
    const sim = await startIpmiSim()
    sims.push(sim)
    const sup = new Supervisor({ heartbeatMs: 200, heartbeatTimeoutMs: 1000, restart: { baseDelayMs: 50 } })
    sups.push(sup)
    sup.add('h', bmcConfig(sim, { console: false }))
    await sup.run('h', 'mc.info', {}, { timeoutMs: 20_000 })
    const exited = new Promise<{ reason: string }>((resolve) => sup.once('worker:exited', (_n, info) => resolve(info)))
    const t0 = performance.now()
    sup.injectFault('h', 'hang')
    // A call in flight fails with a typed error, not a hang.
    const inflight = sup.run('h', 'mc.info', {}, { timeoutMs: 30_000 })
    assert.equal((await exited).reason, 'hang')
    const ms = performance.now() - t0
    assert.ok(ms < 1000 + 200 + 500, `detected after ${ms} ms`)
    await assert.rejects(inflight, { code: 'WORKER_UNAVAILABLE' })
    assert.equal(((await sup.run('h', 'mc.info', {}, { timeoutMs: 20_000 })) as { ipmiVersion: string }).ipmiVersion, '2.0')
  })
})

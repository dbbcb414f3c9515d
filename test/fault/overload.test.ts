// Graceful overload (issue 18), CI-sized: 100 consoles whose simulated hosts
// all print 20 KB/s at once, far more than two cores deliver through the whole
// service, with a REST power status every 250 ms and /metrics every 2 s
// (bench/overload.ts). No console or session may leave `connected` (every
// state event is watched), every BMC session is still there, each console log
// holds exactly the bytes its BMC says the console took (none lost or doubled
// by us), in order and from its own host, /metrics always answers within 10 s
// and every command answers (bound: the REST call's own 60 s timeout, no speed
// assertion). Bytes the simulated BMC itself dropped for want of buffer
// (transmit overrun) are the host's loss, reported but not counted against us.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { runOverload } from '../../bench/overload.js'

const BMCS = 100
const RATE = 20 * 1024
const STREAM_MS = 20_000

describe('graceful overload', () => {
  it('100 consoles printing faster than the CPU delivers stay connected, lose nothing, and commands and /metrics answer', { timeout: 240_000 }, async () => {
    const r = await runOverload({ bmcs: BMCS, rate: RATE, streamMs: STREAM_MS, commandEveryMs: 250, checkLogs: true })
    assert.deepEqual(r.failures, [])
    assert.equal(r.minConnected, BMCS)
    assert.equal(r.left.length, 0)
    assert.ok(r.commands.count >= 20, `only ${r.commands.count} commands ran`)
    assert.ok(r.metrics.scrapes >= 5, `only ${r.metrics.scrapes} scrapes`)
    assert.ok(r.logs !== undefined && r.logs.total.lines > 0, 'no console line was logged')
    // Overload really happened: the hosts printed more than the service took.
    assert.ok(r.deliveredPerConsole < RATE, `consoles took ${r.deliveredPerConsole.toFixed(0)} B/s each: not overloaded`)
  })
})

// The 5-minute soak (bench/soak.ts with fewer BMCs): random faults from a
// seeded PRNG against the whole service, then the soak's checks: RSS after
// warm-up, handles and timers, every console log line in order, no unhandled
// error, /metrics within 10 s. It runs only where BMCVISOR_SOAK=1 (.ci/run
// sets it for the first runtime only: five minutes once is enough).
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { runSoak } from '../../bench/soak.js'

const SOAK_MINUTES = 5
const BMCS = 20
/** Consecutive ports below Linux's ephemeral range (32768 up), spread by pid so two runs do not meet. */
const BASE_PORT = 25_000 + (process.pid % 380) * 20

describe('soak (5 minutes)', { skip: process.env.BMCVISOR_SOAK === '1' ? false : 'set BMCVISOR_SOAK=1 to run the 5-minute soak' }, () => {
  it('keeps memory, handles and console logs whole through random faults', { timeout: (SOAK_MINUTES + 5) * 60_000 }, async () => {
    const r = await runSoak({
      bmcs: BMCS, durationMs: SOAK_MINUTES * 60_000, seed: 18, groupSize: 5, rate: 64,
      faultEveryMs: 3000, sampleMs: 5000, warmupMs: 60_000, basePort: BASE_PORT,
    })
    assert.ok(r.samples.length >= 10, `only ${r.samples.length} samples`)
    assert.ok(Object.values(r.faults).reduce((a, b) => a + b, 0) >= 50, `only these faults: ${JSON.stringify(r.faults)}`)
    assert.ok(r.logs.total.lines > 0, 'no console line was logged')
    assert.deepEqual(r.failures, [])
  })
})

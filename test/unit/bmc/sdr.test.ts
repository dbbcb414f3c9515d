// The SDR walk and cache (src/bmc/sdr.ts) against a fake BMC: whole reads,
// partial reads when the BMC's buffer is small (CAh, chunk halving), a lost
// reservation (C5h) in the middle of a record, the cache keyed on the
// repository's change markers, shared concurrent walks, and a looping chain.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { SdrCache, readSdrRepository } from '../../../src/bmc/sdr.js'
import { decodeSdrRecord } from '../../../src/ipmi/sdr-records.js'
import { bytes } from '../ipmi/commands/vectors.js'
import { LAB_SDR } from '../ipmi/lab-records.js'
import { FakeBmc } from './fake-bmc.js'

const lab = () => Object.values(LAB_SDR).map((h) => bytes(h))
const names = (recs: { kind: string; name?: string }[]) => recs.map((r) => ('name' in r ? r.name : r.kind))
const expected = lab().map((b) => decodeSdrRecord(b))
const ccError = (cc: number) => (e: { code?: string; details?: { completionCode?: number } }) => e.code === 'BMC_COMMAND_FAILED' && e.details?.completionCode === cc

describe('walk', () => {
  test('whole records when they fit: one Get SDR per record', async () => {
    const bmc = new FakeBmc({ sdr: lab() })
    const repo = await readSdrRepository(bmc)
    assert.deepEqual(repo.records, expected)
    assert.equal(repo.cached, false)
    assert.equal(bmc.count(0x23), lab().length)
  })

  test('CAh on a whole read switches to partial reads (header, then chunks that halve until they fit)', async () => {
    const bmc = new FakeBmc({ sdr: lab(), maxResponse: 20 })
    const repo = await readSdrRepository(bmc)
    assert.deepEqual(repo.records, expected)
    // Only the first record was asked for whole; chunks of 32 and 16 were refused once each, then 8 fits.
    const gets = bmc.calls.filter((c) => c.cmd === 0x23)
    assert.equal(gets.filter((c) => c.req[5] === 0xff).length, 1)
    assert.ok(gets.every((c) => c.req[5] === 0xff || c.req[5]! <= 32))
    assert.ok(gets.filter((c) => c.req[5] === 5 && c.req[4] === 0).length >= expected.length, 'a header read per record')
  })

  test('partial reads start with a chunk that carries the header: no header-only reads when the BMC allows it', async () => {
    const bmc = new FakeBmc({ sdr: lab(), maxResponse: 40 })
    const repo = await readSdrRepository(bmc)
    assert.deepEqual(repo.records, expected)
    const gets = bmc.calls.filter((c) => c.cmd === 0x23)
    assert.equal(gets.filter((c) => c.req[5] === 5).length, 0)
    const perRecord = expected.map((r) => Math.ceil((bytes(Object.values(LAB_SDR)[expected.indexOf(r)]!).length) / 32))
    assert.equal(gets.length, 1 + perRecord.reduce((a, b) => a + b, 0), 'one refused whole read, then ceil(length / 32) reads per record')
  })

  test('a BMC that refuses a count past the record end (C9h) is read header-first from then on', async () => {
    let refused = 0
    // Short records first, so that several records are read in parts after the refusal.
    const sdr = lab().sort((a, b) => a.length - b.length).map((r, i) => Buffer.concat([Buffer.from([i + 1, 0]), r.subarray(2)]))
    const bmc: FakeBmc = new FakeBmc({
      sdr,
      maxResponse: 20,
      intercept: (_n, cmd, req) => {
        if (cmd !== 0x23 || req[5] === 0xff) return undefined
        const rec = bmc.sdr.find((r) => r.readUInt16LE(0) === req.readUInt16LE(2)) ?? bmc.sdr[0]!
        return req[4]! + req[5]! > rec.length ? (refused++, { cc: 0xc9 }) : undefined
      },
    })
    const repo = await readSdrRepository(bmc)
    assert.equal(repo.records.length, expected.length)
    assert.equal(refused, 1, 'refused once, then header-first')
    assert.equal(bmc.calls.filter((c) => c.cmd === 0x23 && c.req[4] === 0 && c.req[5] === 5).length, expected.length)
  })

  test('a reservation lost mid-record is renewed and the read goes on', async () => {
    let cancelled = 0
    const bmc: FakeBmc = new FakeBmc({
      sdr: lab(),
      maxResponse: 20,
      intercept: (netFn, cmd, req) => {
        // Another client reserves right before the first body chunk of record 3.
        if (cmd === 0x23 && req.readUInt16LE(2) === 3 && req[4]! > 5 && cancelled++ === 0) bmc.bumpSdrReservation()
        return undefined
      },
    })
    const repo = await readSdrRepository(bmc)
    assert.deepEqual(repo.records, expected)
    assert.ok(bmc.count(0x22) >= 2, 'reserved again')
  })

  test('a reservation that keeps getting lost fails with the C5h completion code after the retries', async () => {
    const bmc: FakeBmc = new FakeBmc({ sdr: lab(), maxResponse: 20, intercept: (_n, cmd, req) => (cmd === 0x23 && req[4] !== 0 ? { cc: 0xc5 } : undefined) })
    await assert.rejects(readSdrRepository(bmc, { reservationRetries: 3 }), ccError(0xc5))
    assert.equal(bmc.count(0x22), 4, 'the first reservation and 3 retries')
  })

  test('a BMC that cannot return even 1 byte fails with its completion code', async () => {
    const bmc = new FakeBmc({ sdr: lab(), maxResponse: 2 })
    await assert.rejects(readSdrRepository(bmc), ccError(0xca))
  })

  test('a next-record chain that loops is a protocol error, not an endless walk', async () => {
    const a = bytes(LAB_SDR.cpuTemp!)
    const bmc = new FakeBmc({ intercept: (_n, cmd) => (cmd === 0x23 ? { cc: 0, data: Buffer.concat([Buffer.from([3, 0]), a]) } : undefined), sdr: [a] })
    await assert.rejects(readSdrRepository(bmc), { code: 'BMC_PROTOCOL_ERROR' })
  })

  test('an undecodable record is listed in errors and the walk goes on', async () => {
    const recs = lab()
    recs.splice(3, 0, bytes('40 00 51 01 05 20 00 01 03 01')) // a Full record of 10 bytes
    const repo = await readSdrRepository(new FakeBmc({ sdr: recs }))
    assert.equal(repo.records.length, expected.length)
    assert.equal(repo.errors.length, 1)
    assert.equal(repo.errors[0]?.recordId, 0x40)
  })
})

describe('SdrCache', () => {
  test('a second read with an unchanged repository costs one Get SDR Repository Info', async () => {
    const bmc = new FakeBmc({ sdr: lab(), sdrInfo: { lastAdd: 0x6500_0000 } })
    const cache = new SdrCache()
    const first = await cache.read(bmc)
    const calls = bmc.calls.length
    const second = await cache.read(bmc)
    assert.equal(second.cached, true)
    assert.deepEqual(second.records, first.records)
    assert.deepEqual(bmc.calls.slice(calls).map((c) => c.cmd), [0x20])
  })

  test('a moved addition timestamp (or count) walks again and sees the new record', async () => {
    const bmc = new FakeBmc({ sdr: lab(), sdrInfo: { lastAdd: 0x6500_0000 } })
    const cache = new SdrCache()
    await cache.read(bmc)
    bmc.sdr = [...lab().slice(0, 3)]
    bmc.sdrInfo.lastAdd = 0x6500_0010
    const after = await cache.read(bmc)
    assert.equal(after.cached, false)
    assert.deepEqual(names(after.records), ['Lab BMC', 'BMC Watchdog', 'CPU Temp'])
    // A BMC that never moves its timestamps (ipmi_sim): the record count still gives it away.
    bmc.sdr = lab()
    assert.equal((await cache.read(bmc)).records.length, expected.length)
  })

  test('concurrent readers share one walk', async () => {
    const bmc = new FakeBmc({ sdr: lab() })
    const cache = new SdrCache()
    const [a, b] = await Promise.all([cache.read(bmc), cache.read(bmc)])
    assert.deepEqual(a, b)
    assert.equal(bmc.count(0x22), 1)
  })

  test('a repository that changes during the walk is served but not cached', async () => {
    let info = 0
    const bmc: FakeBmc = new FakeBmc({
      sdr: lab(),
      intercept: (_n, cmd) => {
        if (cmd === 0x20 && info++ === 1) bmc.sdrInfo.lastAdd = 99 // the check after the walk sees a change
        return undefined
      },
    })
    const cache = new SdrCache()
    assert.equal((await cache.read(bmc)).cached, false)
    assert.equal(cache.peek(), undefined)
    assert.equal((await cache.read(bmc)).cached, false)
    assert.equal((await cache.read(bmc)).cached, true)
  })

  test('maxAgeMs and invalidate() force a walk', async () => {
    let now = 1000
    const bmc = new FakeBmc({ sdr: lab() })
    const cache = new SdrCache({ maxAgeMs: 60_000, now: () => now })
    await cache.read(bmc)
    now += 30_000
    assert.equal((await cache.read(bmc)).cached, true)
    now += 31_000
    assert.equal((await cache.read(bmc)).cached, false)
    cache.invalidate()
    assert.equal((await cache.read(bmc)).cached, false)
  })

  test('the partial-read mode learned on the first walk is kept for the next', async () => {
    const bmc = new FakeBmc({ sdr: lab(), maxResponse: 20 })
    const cache = new SdrCache()
    await cache.read(bmc)
    cache.invalidate()
    const before = bmc.calls.length
    await cache.read(bmc)
    const gets = bmc.calls.slice(before).filter((c) => c.cmd === 0x23)
    assert.equal(gets.filter((c) => c.req[5] === 0xff || c.req[5]! > 16).length, 0, 'no whole reads, no chunk size that was refused before')
  })
})

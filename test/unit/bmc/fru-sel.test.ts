// FRU reads and the SEL (src/bmc/fru.ts, sel.ts) on a fake BMC: chunks that
// shrink when the BMC says the answer is too long, a busy device, a device
// that has less data than it claims, word access, the FRU list from the SDR
// locators; SEL walk, reservation loss, clear with a reservation and polling.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { listFru, readFru } from '../../../src/bmc/fru.js'
import { clearSel, listSel } from '../../../src/bmc/sel.js'
import { bytes } from '../ipmi/commands/vectors.js'
import { LAB_FRU0, LAB_FRU1, LAB_SDR, LAB_SEL } from '../ipmi/lab-records.js'
import { FakeBmc } from './fake-bmc.js'

const fru0 = () => Buffer.concat([bytes(LAB_FRU0), Buffer.alloc(256 - bytes(LAB_FRU0).length)])
const fru1 = () => Buffer.concat([bytes(LAB_FRU1), Buffer.alloc(256 - bytes(LAB_FRU1).length)])

describe('FRU', () => {
  test('reads only what the areas need, in one chunk here', async () => {
    const bmc = new FakeBmc({ fru: new Map([[0, { data: fru0() }]]) })
    const inv = await readFru(bmc, 0)
    assert.equal(inv.product?.assetTag.value, 'RACK12-U07')
    assert.equal(bmc.count(0x11), 1)
    assert.equal(inv.sizeBytes, 256)
  })

  test('chunks halve when the BMC answers C8h (ipmi_sim) or CAh', async () => {
    for (const cc of [0xc8, 0xca]) {
      const bmc = new FakeBmc({ fru: new Map([[1, { data: fru1() }]]), maxResponse: 40, tooLongCc: cc })
      const inv = await readFru(bmc, 1, { chunkSize: 255 })
      assert.equal(inv.board?.manufacturer.value, 'NORTHWIND CO')
      assert.equal(inv.multiRecords.length, 2)
      const counts = bmc.calls.filter((c) => c.cmd === 0x11).map((c) => c.req[3])
      assert.deepEqual(counts.slice(0, 4), [255, 127, 63, 31], `cc ${cc}`)
      assert.ok(counts.slice(4).every((n) => n! <= 31))
    }
  })

  test('a chunk too big even at 4 bytes fails with the completion code', async () => {
    const bmc = new FakeBmc({ fru: new Map([[0, { data: fru0() }]]), maxResponse: 3 })
    await assert.rejects(readFru(bmc, 0), (e: { code: string; details: { completionCode: number } }) => e.code === 'BMC_COMMAND_FAILED' && e.details.completionCode === 0xca)
  })

  test('a busy device (81h) is retried', async () => {
    const bmc = new FakeBmc({ fru: new Map([[0, { data: fru0(), busy: 2 }]]) })
    assert.equal((await readFru(bmc, 0)).chassis?.serialNumber.value, 'NWC2311X0093')
  })

  test('data ending before the reported size: what was read decodes, broken areas are named', async () => {
    const bmc = new FakeBmc({ fru: new Map([[0, { data: fru0(), shortAfter: 100 }]]) })
    const inv = await readFru(bmc, 0)
    assert.equal(inv.chassis?.partNumber.value, 'NW-CH2U-R')
    assert.equal(inv.board, undefined)
    assert.deepEqual(inv.errors.map((e) => e.area), ['board', 'product'])
    assert.equal(inv.bytesRead, 100)
  })

  test('word access: word offsets and counts', async () => {
    const bmc = new FakeBmc({ fru: new Map([[0, { data: fru0(), words: true }]]) })
    const inv = await readFru(bmc, 0, { chunkSize: 64 })
    assert.equal(inv.accessByWords, true)
    assert.equal(inv.board?.partNumber.value, '900-24015-0001-000')
    const reqs = bmc.calls.filter((c) => c.cmd === 0x11)
    assert.deepEqual(reqs.map((c) => [c.req.readUInt16LE(1), c.req[3]]).slice(0, 2), [[0, 32], [32, 32]])
  })

  test('a bad header version is a typed error; a too-small device is a protocol error', async () => {
    const bad = fru0()
    bad[0] = 0x02
    await assert.rejects(readFru(new FakeBmc({ fru: new Map([[0, { data: bad }]]) }), 0), { code: 'IPMI_DECODE_ERROR' })
    await assert.rejects(readFru(new FakeBmc({ fru: new Map([[0, { data: Buffer.alloc(4) }]]) }), 0), { code: 'BMC_PROTOCOL_ERROR' })
  })

  test('listFru: device 0 and the logical FRU locators of the SDR, each with its own outcome', async () => {
    const sdr = Object.values(LAB_SDR).map((h) => bytes(h))
    const ok = await listFru(new FakeBmc({ sdr, fru: new Map([[0, { data: fru0() }], [1, { data: fru1() }]]) }))
    assert.deepEqual(ok.map((d) => [d.fruId, d.name, d.inventory?.product?.productName.value]), [
      [0, 'Builtin FRU Device', 'Northwind R2240'],
      [1, 'Riser FRU', 'RISER CARD X'],
    ])
    const missing = await listFru(new FakeBmc({ sdr, fru: new Map([[0, { data: fru0() }]]), deviceSupport: 0x17 }))
    assert.deepEqual(missing.map((d) => [d.fruId, d.error?.code]), [[1, 'BMC_COMMAND_FAILED']])
  })
})

describe('SEL', () => {
  const sel = () => LAB_SEL.map((h) => bytes(h))

  test('lists every entry in order', async () => {
    const { entries, info } = await listSel(new FakeBmc({ sel: sel() }))
    assert.equal(info.entries, 5)
    assert.deepEqual(entries.map((e) => e.id), [1, 2, 3, 4, 5])
    assert.equal(entries[3]?.text, 'Power Supply #0x04 | Failure detected | Asserted')
  })

  test('an empty SEL sends no Get SEL Entry', async () => {
    const bmc = new FakeBmc()
    assert.deepEqual((await listSel(bmc)).entries, [])
    assert.equal(bmc.count(0x43), 0)
  })

  test('C5h on an entry reserves and retries; a looping chain is a protocol error', async () => {
    let once = true
    const bmc = new FakeBmc({ sel: sel(), intercept: (_n, cmd) => (cmd === 0x43 && once ? ((once = false), { cc: 0xc5 }) : undefined) })
    assert.equal((await listSel(bmc)).entries.length, 5)
    assert.equal(bmc.count(0x42), 1)
    const loop = new FakeBmc({ sel: sel(), intercept: (_n, cmd) => (cmd === 0x43 ? { cc: 0, data: Buffer.concat([Buffer.from([2, 0]), bytes(LAB_SEL[1]!)]) } : undefined) })
    await assert.rejects(listSel(loop), { code: 'BMC_PROTOCOL_ERROR' })
  })

  test('clear: reserve, initiate with the reservation, poll until complete', async () => {
    const bmc = new FakeBmc({ sel: sel(), eraseSteps: 3 })
    assert.deepEqual(await clearSel(bmc), { cleared: true, entriesBefore: 5 })
    assert.deepEqual(bmc.sel, [])
    const clears = bmc.calls.filter((c) => c.cmd === 0x47)
    assert.deepEqual(clears.map((c) => c.req[5]), [0xaa, 0x00, 0x00, 0x00])
    assert.ok(clears.every((c) => c.req.readUInt16LE(0) === bmc.selReservation && c.req.subarray(2, 5).toString() === 'CLR'))
    assert.deepEqual((await listSel(bmc)).entries, [])
  })

  test('clear: an erase that never completes ends at the deadline with a retryable error', async () => {
    const bmc = new FakeBmc({ sel: sel(), eraseSteps: 1_000_000 })
    await assert.rejects(clearSel(bmc, { timeoutMs: 50 }), { code: 'BMC_BUSY', retryable: true })
  })
})

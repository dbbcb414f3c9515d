// The simulated server's sensors, SDRs, FRU and SEL: records decode with
// src/ipmi's decoders (written by another hand from the same tables), the
// command rules (reservations, partial reads, clear) hold at the request
// level, and the BMC operations of src/bmc read them over a session.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ChassisAction, ChassisControl, GetDeviceId } from '../../../src/ipmi/commands/index.js'
import { GetSdr } from '../../../src/ipmi/commands/get-sdr.js'
import { GetSelEntry } from '../../../src/ipmi/commands/get-sel-entry.js'
import { ReserveSdrRepository } from '../../../src/ipmi/commands/reserve-sdr-repository.js'
import { decodeFruInventory } from '../../../src/ipmi/fru-format.js'
import { decodeSdrRecord } from '../../../src/ipmi/sdr-records.js'
import { decodeSelRecord } from '../../../src/ipmi/sel-record.js'
import { listFru } from '../../../src/bmc/fru.js'
import { clearSel, listSel } from '../../../src/bmc/sel.js'
import { readSensors } from '../../../src/bmc/sensors.js'
import { attachHardware } from '../../../src/sim/hardware-commands.js'
import { SimHardware, SimSensor } from '../../../src/sim/hardware.js'
import { encodeFruImage } from '../../../src/sim/records.js'
import { clientRig, drive, driveToError, watchUnhandled } from '../session/harness.js'

watchUnhandled()

const WALL = Date.UTC(2025, 0, 15, 12, 0, 0)

function hwRig(index = 0) {
  const r = clientRig()
  const hw = attachHardware(r.bmc, { index, wallClock: () => WALL })
  return { ...r, hw }
}

describe('records', () => {
  it('every SDR decodes with src/ipmi: names, numbers, units, factors and thresholds as meant', () => {
    const { hw } = hwRig()
    const recs = hw.sdr.map((b) => decodeSdrRecord(b))
    assert.deepEqual(recs.map((r) => ('name' in r ? r.name : '?')), ['Sim BMC', 'CPU Temp', 'Inlet Temp', 'Fan1', '12V', 'PSU1 Status', 'Power Unit'])
    const volt = recs[4]!
    assert.equal(volt.kind, 'full')
    if (volt.kind !== 'full') return
    assert.deepEqual([volt.factors.m, volt.factors.rExp, volt.units.baseUnit, volt.key.sensorNumber], [6, -2, 4, SimSensor.Volt12])
    assert.deepEqual({ lcr: volt.thresholds.lcr, ucr: volt.thresholds.ucr }, { lcr: 180, ucr: 220 })
    assert.equal(volt.readableThresholds, 0x1b)
    const psu = recs[5]!
    assert.equal(psu.kind, 'compact')
  })

  it('the FRU image decodes with valid checksums in every area', () => {
    const inv = decodeFruInventory(new SimHardware(clientRig().bmc, { index: 7 }).fru)
    assert.equal(inv.errors.length, 0)
    assert.equal(inv.header.checksumValid, true)
    assert.equal(inv.chassis?.checksumValid, true)
    assert.equal(inv.board?.checksumValid, true)
    assert.equal(inv.product?.serialNumber.value, 'SIM00007')
    assert.equal(inv.product?.assetTag.value, 'RACK1-U8')
    assert.equal(inv.board?.manufacturer.value, 'bmcvisor')
    assert.throws(() => encodeFruImage({ product: { manufacturer: 'x'.repeat(64), productName: '', partNumber: '', version: '', serialNumber: '', assetTag: '', fruFileId: '' } }), RangeError)
  })

  it('SEL records decode as standard events with the wall-clock timestamps', () => {
    const { hw } = hwRig()
    const recs = hw.sel.map((b) => decodeSelRecord(b))
    assert.equal(recs.length, 3)
    for (const r of recs) assert.equal(r.kind, 'standard')
    const first = recs[0]!
    assert.equal(first.kind === 'standard' ? first.timestamp : 0, WALL / 1000 - 3600)
  })
})

describe('commands', () => {
  it('Get Device ID lists sensor, SDR repository, SEL and FRU devices once hardware is attached', async () => {
    const r = hwRig()
    const d = await drive(r.clock, r.client.run(GetDeviceId, undefined))
    assert.equal(d.additionalDeviceSupport, 0x8f)
  })

  it('partial Get SDR needs the current reservation (C5h otherwise); whole records do not', async () => {
    const r = hwRig()
    const whole = await drive(r.clock, r.client.run(GetSdr, { reservationId: 0, recordId: 0, offset: 0, count: 0xff }))
    assert.equal(whole.nextRecordId, 2)
    assert.deepEqual(whole.data, r.hw.sdr[0])
    const stale = await driveToError(r.clock, r.client.run(GetSdr, { reservationId: 0, recordId: 2, offset: 0, count: 5 }))
    assert.equal(stale.details.completionCode, 0xc5)
    const { reservationId } = await drive(r.clock, r.client.run(ReserveSdrRepository, undefined))
    const head = await drive(r.clock, r.client.run(GetSdr, { reservationId, recordId: 2, offset: 0, count: 5 }))
    assert.deepEqual(head.data, r.hw.sdr[1]!.subarray(0, 5))
    const last = await drive(r.clock, r.client.run(GetSdr, { reservationId, recordId: 0xffff, offset: 0, count: 0xff }))
    assert.equal(last.nextRecordId, 0xffff)
    const missing = await driveToError(r.clock, r.client.run(GetSdr, { reservationId, recordId: 99, offset: 0, count: 0xff }))
    assert.equal(missing.details.completionCode, 0xcb)
  })

  it('src/bmc readSensors: values in units and statuses; fan and 12 V unavailable while off', async () => {
    const r = hwRig()
    const on = await drive(r.clock, readSensors(r.client))
    const by = (n: string) => on.sensors.find((s) => s.name === n)!
    assert.equal(by('12V').unit, 'Volts')
    assert.ok(Math.abs(by('12V').value! - 12) < 0.2)
    assert.ok(by('Fan1').value! >= 5500 && by('Fan1').value! <= 6500)
    assert.ok(by('CPU Temp').value! >= 35 && by('CPU Temp').value! <= 60)
    for (const s of on.sensors) assert.equal(s.health, 'ok', `${s.name}: ${s.health}`)
    await drive(r.clock, r.client.run(ChassisControl, { action: ChassisAction.PowerDown }))
    const off = await drive(r.clock, readSensors(r.client))
    const fan = off.sensors.find((s) => s.name === 'Fan1')!
    assert.equal(fan.value, null)
    assert.deepEqual(off.sensors.find((s) => s.name === 'Power Unit')!.assertedStates, ['Power off/down'])
  })

  it('src/bmc listFru and listSel read what the simulator holds; clearSel leaves the "log cleared" entry', async () => {
    const r = hwRig(3)
    const fru = await drive(r.clock, listFru(r.client))
    assert.equal(fru.length, 1)
    assert.equal(fru[0]!.inventory?.product?.serialNumber.value, 'SIM00003')
    const sel = await drive(r.clock, listSel(r.client))
    assert.deepEqual(sel.entries.map((e) => e.event), ['Log area reset/cleared', 'Presence detected', 'Power off/down'])
    assert.equal(sel.entries[2]!.direction, 'Deasserted')
    const cleared = await drive(r.clock, clearSel(r.client))
    assert.equal(cleared.entriesBefore, 3)
    const after = await drive(r.clock, listSel(r.client))
    assert.deepEqual(after.entries.map((e) => [e.id, e.event]), [[1, 'Log area reset/cleared']])
  })

  it('Chassis Control power changes become Power Unit events; partial SEL reads need the reservation', async () => {
    const r = hwRig()
    r.hw.sel = []
    r.hw.clearSel()
    const before = r.hw.sel.length
    await drive(r.clock, r.client.run(ChassisControl, { action: ChassisAction.PowerDown }))
    await drive(r.clock, r.client.run(ChassisControl, { action: ChassisAction.PowerUp }))
    const events = r.hw.sel.slice(before).map((b) => decodeSelRecord(b))
    assert.deepEqual(events.map((e) => (e.kind === 'standard' ? [e.sensorNumber, e.deassertion, e.eventData[0] & 0x0f] : [])), [[SimSensor.PowerUnit, false, 0], [SimSensor.PowerUnit, true, 0]])
    const partial = await driveToError(r.clock, r.client.run(GetSelEntry, { reservationId: 1234, recordId: 0, offset: 2, count: 4 }))
    assert.equal(partial.details.completionCode, 0xc5)
  })
})

// Sensors and the SDR against OpenIPMI's ipmi_sim, cross-checked with
// ipmitool 1.8.19 reading the same simulator (issue: hardware data): every
// sensor's value, unit, state and thresholds equal `ipmitool -C 3 sensor
// list` and `sdr list`; a value changed in the simulator is seen by both,
// with its threshold state; `bmcvisor ipmi sdr|sensors` print what ipmitool
// prints, line for line. The lab's sensors are in test/lab/ipmi-sim.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { IpmiClient } from '../../src/session/client.js'
import { readSensors, type SensorReading, type SensorReport } from '../../src/bmc/sensors.js'
import { SdrCache, readSdrRepository } from '../../src/bmc/sdr.js'
import { ipmitool, ipmiSimAvailable, requireIpmiSim, startIpmiSim, waitUntil, type IpmiSim } from '../lab/sim.js'

const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url))

function cli(sim: IpmiSim, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const argv = ['--import', 'tsx', CLI, 'ipmi', '-H', sim.host, '-p', String(sim.port), '-U', 'admin', '-P', 'password', '-C', '3', ...args]
  return new Promise((resolve) => {
    execFile(process.execPath, argv, { timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr })
    })
  })
}

/** `ipmitool sensor list` / `sdr list` rows: the '|'-separated cells, trimmed. */
function rows(text: string): string[][] {
  return text.split('\n').filter((l) => l.trim() !== '').map((l) => l.split('|').map((c) => c.trim()))
}

const fixed3 = (v: number | undefined): string => (v === undefined ? 'na' : v.toFixed(3))
/** ipmitool's "%.*f": whole values without decimals, else 2. */
const sdrValue = (v: number): string => (v === Math.trunc(v) ? v.toFixed(0) : v.toFixed(2))

/** What `ipmitool sensor list` prints for one of our readings: value, unit, status, then lnr..unr. */
function asSensorList(s: SensorReading): string[] {
  const state = (s.states ?? 0) & 0xff
  const thresholds = (['lnr', 'lcr', 'lnc', 'unc', 'ucr', 'unr'] as const).map((t) => fixed3(s.thresholds[t]))
  if (!s.threshold) {
    // QUIRK(ipmitool): Debian's 1.8.19 shows state byte 3 as the discrete value.
    const head = s.raw === null ? ['na', 'discrete', 'na'] : [`0x${state.toString(16)}`, 'discrete', `0x${state.toString(16).padStart(2, '0')}${((s.states ?? 0) >> 8).toString(16).padStart(2, '0')}`]
    return [...head, ...thresholds]
  }
  if (s.raw === null) return ['na', '', 'na', ...thresholds]
  return [s.value === null ? `0x${state.toString(16)}` : s.value.toFixed(3), s.unit ?? '', s.status, ...thresholds]
}

/** What `ipmitool sdr list` prints: reading text (16-byte buffer) and status. */
function asSdrList(s: SensorReading): string[] {
  if (s.raw === null) return [s.unavailable === 'scanning-disabled' && s.recordKind === 'full' ? 'disabled' : s.recordKind === 'full' ? 'no reading' : 'Not Readable', s.status]
  if (s.value === null) return [`0x${((s.states ?? 0) & 0xff).toString(16).padStart(2, '0')}`, s.status]
  return [`${sdrValue(s.value)} ${s.unit ?? ''}`.slice(0, 15).trim(), s.status]
}

describe('sensors and SDR against ipmi_sim and ipmitool', () => {
  let sim: IpmiSim
  let client: IpmiClient
  const cache = new SdrCache()
  before(async () => {
    if (!ipmiSimAvailable() && !process.env.CI) return
    sim = await startIpmiSim()
    client = new IpmiClient({ host: sim.host, port: sim.port }, { username: 'admin', password: 'password', cipherSuite: 3 })
  })
  after(async () => {
    await client?.close()
    await sim?.stop()
  })

  it('the SDR walk reads every record ipmitool lists (whole reads refused by ipmi_sim, so partial reads)', async (t) => {
    if (!requireIpmiSim(t)) return
    const repo = await readSdrRepository(client)
    assert.equal(repo.errors.length, 0)
    assert.equal(repo.records.length, repo.info.recordCount)
    const all = rows(await ipmitool(sim, ['sdr', 'list', 'all']))
    assert.deepEqual(repo.records.map((r) => ('name' in r ? r.name : '?')), all.map((r) => r[0]))
    const mc = repo.records.find((r) => r.kind === 'mc-locator')
    assert.equal(mc?.kind === 'mc-locator' && mc.deviceSlaveAddress, 0x20)
    const fru = repo.records.find((r) => r.kind === 'fru-locator')
    assert.equal(fru?.kind === 'fru-locator' && fru.fruDeviceId, 1)
  })

  it('every sensor: value, unit, state and thresholds equal `ipmitool sensor list`; reading and status equal `sdr list`', async (t) => {
    if (!requireIpmiSim(t)) return
    const report = await readSensors(client, { cache })
    const sensorList = rows(await ipmitool(sim, ['sensor', 'list']))
    const sdrList = rows(await ipmitool(sim, ['sdr', 'list']))
    assert.equal(report.sensors.length, sensorList.length)
    assert.equal(report.sensors.length, 11)
    report.sensors.forEach((s, i) => {
      assert.deepEqual([s.name, ...asSensorList(s)], sensorList[i], `sensor list: ${s.name}`)
      assert.deepEqual([s.name, ...asSdrList(s)], sdrList[i], `sdr list: ${s.name}`)
    })
    const by = new Map(report.sensors.map((s) => [s.name, s]))
    // The lab's special cases, spelled out.
    assert.equal(by.get('Inlet Temp')?.value, -37.5)
    assert.equal(by.get('Pump Flow')?.value, 30.25)
    assert.equal(by.get('PSU1 Current')?.status, 'nc')
    assert.equal(by.get('Volt 5V')?.unavailable, 'scanning-disabled')
    assert.equal(by.get('Riser Presence')?.unavailable, 'command-failed')
    assert.deepEqual(by.get('PSU Redundancy')?.assertedStates, ['Fully Redundant'])
    assert.equal(report.health.status, 'warning')
  })

  it('a value changed in the simulator: both see the new value and threshold state', async (t) => {
    if (!requireIpmiSim(t)) return
    sim.setSensor('cpu_temp', 96) // >= upper critical 95
    sim.setSensor('fan1', 9) // 540 RPM <= lower critical 600
    sim.setSensor('p12v', 225) // 13.5 V >= upper non-critical 13.2
    const ours = await waitUntil(async () => {
      const r = await readSensors(client, { cache })
      const v = (n: string) => r.sensors.find((s) => s.name === n)
      return v('CPU Temp')?.value === 96 && v('Fan1')?.value === 540 && v('Volt 12V')?.raw === 225 ? r : undefined
    }, { timeoutMs: 5000, intervalMs: 100, what: 'ipmi_sim to poll the new values' })
    assert.equal(ours.sdrCached, true, 'values change, the SDR does not: served from the cache')
    const get = (r: SensorReport, n: string) => r.sensors.find((s) => s.name === n)!
    assert.deepEqual([get(ours, 'CPU Temp').status, get(ours, 'CPU Temp').thresholdState], ['cr', 'ucr'])
    assert.deepEqual([get(ours, 'Fan1').status, get(ours, 'Fan1').thresholdState], ['cr', 'lcr'])
    assert.deepEqual([get(ours, 'Volt 12V').status, get(ours, 'Volt 12V').thresholdState], ['nc', 'unc'])
    assert.equal(ours.health.status, 'critical')
    const tool = rows(await ipmitool(sim, ['sensor', 'list']))
    const sdr = rows(await ipmitool(sim, ['sdr', 'list']))
    for (const name of ['CPU Temp', 'Fan1', 'Volt 12V']) {
      const i = ours.sensors.findIndex((s) => s.name === name)
      assert.deepEqual([name, ...asSensorList(get(ours, name))], tool[i])
      assert.deepEqual([name, ...asSdrList(get(ours, name))], sdr[i])
    }
    assert.match(sdr.map((r) => r.join(' | ')).join('\n'), /^CPU Temp \| 96 degrees C \| cr$/m)
  })

  it('`bmcvisor ipmi sdr`, `sdr elist` and `sensors` print what ipmitool prints, line for line', async (t) => {
    if (!requireIpmiSim(t)) return
    for (const [ours, theirs] of [[['sdr'], ['sdr', 'list']], [['sdr', 'elist'], ['sdr', 'elist']], [['sensors'], ['sensor', 'list']]] as const) {
      const [a, b] = await Promise.all([cli(sim, [...ours]), ipmitool(sim, [...theirs])])
      assert.equal(a.code, 0, a.stderr)
      assert.equal(a.stdout.trimEnd(), b.trimEnd(), ours.join(' '))
    }
    const json = await cli(sim, ['--json', 'sensors'])
    assert.equal((JSON.parse(json.stdout) as SensorReport).sensors.length, 11)
  })
})

// Every read operation over Redfish against DMTF's mockup (test/lab/redfish-mockup.ts): what
// bmcvisor reads equals what the mockup's documents hold, read here straight from the files.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { RedfishClient } from '../../../src/redfish/client.js'
import { RedfishService } from '../../../src/redfish/service.js'
import * as rf from '../../../src/redfish/ops.js'
import { THRESHOLD_FOR } from '../../../src/redfish/map-sensors.js'
import { LOOPBACK } from '../../lab/net.js'
import { mockupDoc, MOCKUP_DIR, RedfishMockup, requireMockup } from '../../lab/redfish-mockup.js'
import { existsSync } from 'node:fs'
import { join } from 'node:path'

type Doc = Record<string, unknown>
const SYSTEM = '/redfish/v1/Systems/437XR1138R2'
const CHASSIS = '/redfish/v1/Chassis/1U'
const have = existsSync(join(MOCKUP_DIR, 'index.json'))

const members = (path: string): string[] => (mockupDoc(path).Members as Doc[]).map((m) => String(m['@odata.id']))

describe('Redfish reads against the DMTF mockup', () => {
  let bmc: RedfishMockup
  let client: RedfishClient
  let svc: RedfishService

  before(async () => {
    if (!have) return
    bmc = await new RedfishMockup().start()
    client = new RedfishClient({ host: LOOPBACK, port: bmc.port, username: bmc.username, password: bmc.password, tls: { mode: 'pin', fingerprint: bmc.certificate.fingerprint } })
    svc = new RedfishService(client)
  })
  after(async () => {
    await client?.close()
    await bmc?.stop()
  })

  it('power status is the system PowerState, found through the service root', async (t) => {
    if (!requireMockup(t)) return
    const v = await rf.powerStatus(svc)
    assert.equal(mockupDoc(SYSTEM).PowerState, 'On')
    assert.deepEqual(v, { state: 'on', powerState: 'On' })
    // The path came from Systems' Members, not from an assumed /Systems/1.
    assert.ok(bmc.requests.some((r) => r.path === '/redfish/v1/Systems'))
    assert.equal(client.authKind, 'session')
  })

  it('boot override: target, once, UEFI', async (t) => {
    if (!requireMockup(t)) return
    const boot = mockupDoc(SYSTEM).Boot as Doc
    const v = await rf.getBootDevice(svc)
    assert.equal(boot.BootSourceOverrideTarget, 'Pxe')
    assert.deepEqual({ device: v.device, persistent: v.persistent, uefi: v.uefi, valid: v.valid, target: v.target }, {
      device: 'pxe', persistent: boot.BootSourceOverrideEnabled === 'Continuous', uefi: boot.BootSourceOverrideMode === 'UEFI', valid: true, target: 'Pxe',
    })
  })

  it('mc info is the Manager: firmware, model, UUID', async (t) => {
    if (!requireMockup(t)) return
    const mgr = mockupDoc('/redfish/v1/Managers/BMC')
    const v = await rf.mcInfo(svc)
    assert.equal(v.firmwareRevision, mgr.FirmwareVersion)
    assert.equal(v.model, mgr.Model)
    assert.equal(v.uuid, mgr.UUID)
    assert.equal(v.managerId, 'BMC')
    assert.equal(v.redfishVersion, mockupDoc('/redfish/v1').RedfishVersion)
  })

  it('sensors: every member of the chassis Sensors collection, value, unit and thresholds as the documents hold', async (t) => {
    if (!requireMockup(t)) return
    const report = await rf.readSensors(svc)
    const paths = members(`${CHASSIS}/Sensors`)
    assert.equal(report.sensors.length, paths.length)
    assert.deepEqual(report.sources, [`${CHASSIS}/Sensors`])
    paths.forEach((p, i) => {
      const doc = mockupDoc(p)
      const s = report.sensors[i]!
      assert.equal(s.name, doc.Name, p)
      assert.equal(s.id, doc.Id, p)
      const status = doc.Status as Doc
      if (status.State === 'Enabled') {
        assert.equal(s.value, doc.Reading, p)
        assert.equal(s.readingUnits, doc.ReadingUnits, p)
      } else {
        assert.equal(s.value, null, p)
        assert.equal(s.status, 'ns', p)
        assert.equal(s.health, 'unknown', p)
        assert.equal(s.unavailable, status.State === 'Absent' ? 'not-present' : 'scanning-disabled', p)
      }
      const want: Record<string, number> = {}
      const ipmi: Record<string, number> = {}
      for (const [k, v] of Object.entries((doc.Thresholds ?? {}) as Record<string, Doc>)) {
        want[k] = v.Reading as number
        if (THRESHOLD_FOR[k] !== undefined) ipmi[THRESHOLD_FOR[k]] = v.Reading as number
      }
      assert.deepEqual(s.redfishThresholds, want, p)
      assert.deepEqual(s.thresholds, ipmi, p)
    })
    const cpu = report.sensors.find((s) => s.id === 'CPUTemp1')!
    assert.deepEqual({ value: cpu.value, unit: cpu.unit, type: cpu.sensorType, entity: cpu.entity, t: cpu.thresholds }, {
      value: 37, unit: 'degrees C', type: 'Temperature', entity: 'CPU', t: { unc: 42, ucr: 45, unr: 50 },
    })
    // All Enabled sensors say Health OK and none has crossed a threshold: the node is ok.
    assert.equal(report.health.status, 'ok')
    assert.equal(report.health.counts.ok, report.sensors.filter((s) => s.state === 'Enabled').length)
    assert.equal(report.health.counts.unknown, report.sensors.filter((s) => s.state === 'Absent').length)
    assert.deepEqual(await rf.nodeHealth(svc), report.health)
  })

  it('inventory: the system, its chassis, processors, memory and firmware, as the documents hold', async (t) => {
    if (!requireMockup(t)) return
    const inv = await rf.listInventory(svc)
    const expect: [string, string][] = [
      ['system', SYSTEM], ['chassis', CHASSIS],
      ...members(`${SYSTEM}/Processors`).map((p): [string, string] => ['processor', p]),
      ...members(`${SYSTEM}/Memory`).map((p): [string, string] => ['memory', p]),
      ...members('/redfish/v1/UpdateService/FirmwareInventory').map((p): [string, string] => ['firmware', p]),
    ]
    assert.deepEqual(inv.map((i) => [i.kind, i.path]), expect)
    inv.forEach((item, i) => {
      const doc = mockupDoc(item.path)
      assert.equal(item.fruId, i)
      assert.equal(item.name, doc.Name)
      for (const [ours, theirs] of [['manufacturer', 'Manufacturer'], ['model', 'Model'], ['serialNumber', 'SerialNumber'], ['partNumber', 'PartNumber'], ['version', 'Version']] as const) {
        assert.equal(item[ours], doc[theirs] === '' ? undefined : doc[theirs], `${item.path} ${theirs}`)
      }
      assert.equal(item.health, (doc.Status as Doc | undefined)?.Health, item.path)
    })
    const cpu1 = inv.find((i) => i.id === 'CPU1')!
    assert.equal(cpu1.facts.TotalCores, 8)
    assert.equal(inv.find((i) => i.id === 'DIMM1')!.facts.CapacityMiB, 32768)
    assert.equal(inv.find((i) => i.kind === 'firmware' && i.id === 'BMC')!.version, '1.45.455b66-rev4')
    assert.equal(inv[0]!.inventory?.product?.productName, '3500')
  })

  it('event log: the system LogService whose entries are SEL records, every entry, not the manager log', async (t) => {
    if (!requireMockup(t)) return
    const ev = await rf.listEvents(svc)
    const log = `${SYSTEM}/LogServices/Log1`
    assert.equal(ev.info.service, log)
    const docs = (mockupDoc(`${log}/Entries`).Members as Doc[])
    assert.equal(ev.entries.length, docs.length)
    assert.equal(ev.info.entries, docs.length)
    ev.entries.forEach((e, i) => {
      const d = docs[i]!
      assert.equal(e.entryId, d.Id)
      assert.equal(e.id, Number(d.Id))
      assert.equal(e.time?.iso, new Date(String(d.Created)).toISOString())
      assert.equal(e.sensorType, d.SensorType)
      assert.equal(e.sensorNumber, d.SensorNumber)
      assert.equal(e.event, d.EntryCode)
      assert.equal(e.message, d.Message)
      assert.equal(e.severity, d.Severity)
      assert.equal(e.entryType, 'SEL')
    })
    assert.equal(ev.entries[0]!.text, 'Temperature #0x01 | Upper Critical - going high | Temperature threshold exceeded')
    // The page's nextLink was followed (and answered with no more members).
    assert.ok(bmc.requests.some((r) => r.path === `${log}/Entries` && decodeURIComponent(r.query) === '?$skiptoken=2'))
  })

  it('accounts: the AccountService collection, names, roles and enabled as the documents hold', async (t) => {
    if (!requireMockup(t)) return
    const users = await rf.listUsers(svc)
    const paths = members('/redfish/v1/AccountService/Accounts')
    assert.equal(users.length, paths.length)
    paths.forEach((p, i) => {
      const d = mockupDoc(p)
      assert.deepEqual({ id: users[i]!.id, name: users[i]!.name, enabled: users[i]!.enabled, roleId: users[i]!.roleId, locked: users[i]!.locked }, {
        id: Number(d.Id), name: d.UserName, enabled: d.Enabled, roleId: d.RoleId, locked: d.Locked,
      })
    })
    assert.equal(users[0]!.privilege, 'administrator')
  })

  it('never more requests at once than the client allows', async (t) => {
    if (!requireMockup(t)) return
    assert.ok(bmc.maxInFlight <= client.timing.maxInFlight, `${bmc.maxInFlight} > ${client.timing.maxInFlight}`)
    assert.ok(bmc.maxInFlight >= 2, 'the sensor walk ran requests in parallel')
  })
})

// Event log choice and entries, accounts, inventory items (src/redfish/map-logs.ts,
// map-accounts.ts, map-inventory.ts). No sockets.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { pickEventLog, selEntryOf, type OwnedLogService } from '../../../src/redfish/map-logs.js'
import { accountOf, accountPatch } from '../../../src/redfish/map-accounts.js'
import { inventoryItemOf } from '../../../src/redfish/map-inventory.js'

const svc = (owner: OwnedLogService['owner'], Id: string, extra: Record<string, unknown> = {}): OwnedLogService => ({ owner, path: `/${owner}/${Id}`, doc: { Id, Name: Id, ...extra } })

describe('pickEventLog', () => {
  it('LogEntryType SEL first, wherever it is', () => {
    assert.equal(pickEventLog([svc('system', 'Log1'), svc('manager', 'Sel', { LogEntryType: 'SEL' })])?.path, '/manager/Sel')
  })
  it('then an Id SEL, then the system\'s own, then a manager Log', () => {
    assert.equal(pickEventLog([svc('system', 'Log1'), svc('manager', 'Sel')])?.path, '/manager/Sel')
    assert.equal(pickEventLog([svc('manager', 'Log'), svc('system', 'Log1')])?.path, '/system/Log1')
    assert.equal(pickEventLog([svc('manager', 'Journal'), svc('manager', 'Log')])?.path, '/manager/Log')
  })
  it('never a journal, dump, crash or diagnostic log', () => {
    assert.equal(pickEventLog([svc('system', 'Dump'), svc('system', 'Crashdump'), svc('manager', 'Journal'), svc('system', 'X', { DiagnosticDataType: 'OS' })]), undefined)
  })
})

describe('selEntryOf', () => {
  it('a SEL entry as one line, the time as ISO, Id as number', () => {
    const e = selEntryOf({ Id: '7', EntryType: 'SEL', Severity: 'Critical', Created: '2012-03-07T14:44:00Z', EntryCode: 'Upper Critical - going high', SensorType: 'Temperature', SensorNumber: 26, Message: 'Too hot' }, 1)
    assert.deepEqual([e.id, e.entryId, e.time?.iso, e.time?.raw, e.event, e.text], [7, '7', '2012-03-07T14:44:00.000Z', 1331131440, 'Upper Critical - going high', 'Temperature #0x1a | Upper Critical - going high | Too hot'])
  })
  it('a non-numeric Id takes its position; a message-only entry is its message', () => {
    const e = selEntryOf({ Id: 'abc', Message: 'Power restored' }, 4)
    assert.deepEqual([e.id, e.entryId, e.event, e.text, e.time], [4, 'abc', 'Power restored', 'Power restored', null])
  })
})

describe('accounts', () => {
  it('roles map to IPMI privileges; the Redfish facts are kept', () => {
    const u = accountOf({ Id: '3', UserName: 'ops', Enabled: false, RoleId: 'ReadOnly', Locked: false, AccountTypes: ['Redfish', 'IPMI'] }, 1)
    assert.deepEqual([u.id, u.name, u.enabled, u.privilege, u.ipmiMessaging, u.roleId, u.channel], [3, 'ops', false, 'user', true, 'ReadOnly', 0])
    assert.equal(accountOf({ Id: 'x', RoleId: 'Custom' }, 2).privilege, 'unknown')
    assert.equal(accountOf({ Id: 'x' }, 2).id, 2)
  })
  it('a change becomes ManagerAccount properties; SOL access and roles Redfish lacks are refused', () => {
    assert.deepEqual(accountPatch({ name: 'a', password: 'p', privilege: 'administrator', enabled: true }), {
      body: { UserName: 'a', Password: 'p', RoleId: 'Administrator', Enabled: true }, changed: ['name', 'password', 'privilege', 'enabled'],
    })
    assert.throws(() => accountPatch({ sol: true }), { code: 'BMC_NOT_SUPPORTED' })
    assert.throws(() => accountPatch({ privilege: 'oem' }), { code: 'BMC_NOT_SUPPORTED' })
  })
})

describe('inventoryItemOf', () => {
  it('identity, status and kind facts; the system carries a product area', () => {
    const i = inventoryItemOf('system', '/s', { Id: 's', Name: 'Node', Manufacturer: 'M', Model: 'X', SerialNumber: 'S1', PartNumber: '', Status: { State: 'Enabled', Health: 'OK' }, BiosVersion: '1.0', Oem: {} }, 0)
    assert.deepEqual([i.fruId, i.name, i.manufacturer, i.model, i.partNumber, i.health, i.facts], [0, 'Node', 'M', 'X', undefined, 'OK', { BiosVersion: '1.0' }])
    assert.deepEqual(i.inventory, { product: { manufacturer: 'M', productName: 'X', serialNumber: 'S1' } })
    assert.deepEqual(inventoryItemOf('memory', '/m', { Id: 'DIMM1', CapacityMiB: 32768, MemoryDeviceType: 'DDR4' }, 3).facts, { CapacityMiB: 32768, MemoryDeviceType: 'DDR4' })
  })
})

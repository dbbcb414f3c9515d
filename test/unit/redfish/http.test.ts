// The HTTP side's pure parts: error mapping with ExtendedInfo and secrets blanked
// (src/redfish/http-errors.ts), fingerprints and connection errors (transport.ts), link paths
// (client.ts) and the request semaphore. No sockets.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { codeForStatus, httpError } from '../../../src/redfish/http-errors.js'
import { connectionError, normalizeFingerprint } from '../../../src/redfish/transport.js'
import { linkOf, toPath } from '../../../src/redfish/client.js'
import { Semaphore } from '../../../src/redfish/semaphore.js'
import { ERROR_CODES } from '../../../src/errors.js'

describe('httpError', () => {
  it('maps statuses to registered codes', () => {
    const table: [number, string][] = [[400, 'BMC_COMMAND_FAILED'], [401, 'BMC_AUTH_FAILED'], [403, 'BMC_PRIVILEGE_REFUSED'], [404, 'BMC_COMMAND_FAILED'], [405, 'BMC_NOT_SUPPORTED'],
      [409, 'BMC_COMMAND_FAILED'], [412, 'BMC_COMMAND_FAILED'], [429, 'BMC_BUSY'], [500, 'BMC_COMMAND_FAILED'], [501, 'BMC_NOT_SUPPORTED'], [503, 'BMC_BUSY']]
    for (const [status, code] of table) {
      assert.equal(codeForStatus(status), code, String(status))
      assert.ok(code in ERROR_CODES)
    }
  })
  it('keeps ExtendedInfo, blanks secrets in messages and arguments', () => {
    const e = httpError({
      method: 'PATCH', path: '/redfish/v1/AccountService/Accounts/2', status: 400, secrets: ['hunter2'],
      body: { error: { code: 'Base.1.8.GeneralError', message: 'general', '@Message.ExtendedInfo': [
        { MessageId: 'Base.1.8.PropertyValueTypeError', Message: 'The value hunter2 for Password is wrong', MessageArgs: ['hunter2', 'Password'], MessageSeverity: 'Warning', Resolution: 'Fix it', Oem: { x: 1 } },
        { MessageId: 'Base.1.8.Other' },
      ] } },
    })
    assert.equal(e.code, 'BMC_COMMAND_FAILED')
    assert.equal(e.message, 'PATCH /redfish/v1/AccountService/Accounts/2: HTTP 400: The value *** for Password is wrong')
    assert.deepEqual({ ...e.details, extendedInfo: JSON.parse(String(e.details.extendedInfo)) }, {
      httpStatus: 400, method: 'PATCH', path: '/redfish/v1/AccountService/Accounts/2', messageId: 'Base.1.8.PropertyValueTypeError', redfishCode: 'Base.1.8.GeneralError',
      extendedInfo: [{ MessageId: 'Base.1.8.PropertyValueTypeError', Message: 'The value *** for Password is wrong', MessageSeverity: 'Warning', Resolution: 'Fix it', MessageArgs: ['***', 'Password'] }, { MessageId: 'Base.1.8.Other' }],
    })
  })
  it('a body that is not a Redfish error still gives status, method and path', () => {
    const e = httpError({ method: 'GET', path: '/x', status: 502, body: undefined, secrets: [] })
    assert.deepEqual([e.message, e.details], ['GET /x: HTTP 502', { httpStatus: 502, method: 'GET', path: '/x' }])
  })
})

describe('fingerprints and connection errors', () => {
  it('normalizes any spelling to colon-separated upper case, refuses what is not SHA-256', () => {
    const hex = 'ab'.repeat(32)
    const want = Array(32).fill('AB').join(':')
    assert.equal(normalizeFingerprint(hex), want)
    assert.equal(normalizeFingerprint(`sha256:${want.toLowerCase()}`), want)
    assert.throws(() => normalizeFingerprint('ab'.repeat(20)), { code: 'VALIDATION_FAILED' })
    assert.throws(() => normalizeFingerprint('zz'.repeat(32)), { code: 'VALIDATION_FAILED' })
  })
  it('certificate failures are BMC_TLS_UNTRUSTED, the rest BMC_UNREACHABLE; a reset on a reused socket is stale', () => {
    const err = (code: string) => Object.assign(new Error(code), { code })
    assert.equal(connectionError(err('DEPTH_ZERO_SELF_SIGNED_CERT'), 'GET /').code, 'BMC_TLS_UNTRUSTED')
    assert.equal(connectionError(err('ERR_TLS_CERT_ALTNAME_INVALID'), 'GET /').code, 'BMC_TLS_UNTRUSTED')
    assert.equal(connectionError(err('ECONNREFUSED'), 'GET /').code, 'BMC_UNREACHABLE')
    assert.equal(connectionError(err('ECONNRESET'), 'GET /', true).details.staleSocket, true)
    assert.equal(connectionError(err('ECONNRESET'), 'GET /', false).details.staleSocket, undefined)
  })
})

describe('links', () => {
  it('absolute URLs lose scheme and host, fragments are dropped', () => {
    assert.equal(toPath('https://10.0.0.1/redfish/v1/Systems/1'), '/redfish/v1/Systems/1')
    assert.equal(toPath('/redfish/v1/Chassis/1U/Thermal#/Fans/0'), '/redfish/v1/Chassis/1U/Thermal')
    assert.equal(toPath('redfish/v1'), '/redfish/v1')
    assert.equal(linkOf({ '@odata.id': '/a' }), '/a')
    assert.equal(linkOf({}), undefined)
  })
})

describe('Semaphore', () => {
  it('never more than the limit at once, waiters served in order', async () => {
    const s = new Semaphore(2)
    let running = 0
    let most = 0
    const order: number[] = []
    const gates: (() => void)[] = []
    const job = (i: number) => s.run(async () => {
      running++
      most = Math.max(most, running)
      await new Promise<void>((r) => gates.push(r))
      order.push(i)
      running--
    })
    const all = [0, 1, 2, 3].map(job)
    await new Promise((r) => setImmediate(r))
    assert.equal(s.inUse, 2)
    while (order.length < 4) {
      gates.shift()?.()
      await new Promise((r) => setImmediate(r))
    }
    await Promise.all(all)
    assert.deepEqual([most, order, s.inUse], [2, [0, 1, 2, 3], 0])
    assert.throws(() => new Semaphore(0), RangeError)
  })
})

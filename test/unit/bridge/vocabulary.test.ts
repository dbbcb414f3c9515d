// One vocabulary from the worker to the metrics: failure reasons, connection
// states, node names, and the registry as the only source of `retryable`.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { CONNECTION_STATES, failureReason, FAILURE_REASONS, NODE_NAME, reasonOf } from '../../../src/bridge/messages.js'
import { ERROR_CODES, ServiceError, toWire, fromWire, type ErrorCode } from '../../../src/errors.js'
import { IpmiError, type IpmiErrorCode } from '../../../src/ipmi/errors.js'
import { activationRefused, solFailureReason, SolError } from '../../../src/sol/errors.js'
import { CompletionCodeError } from '../../../src/ipmi/errors.js'
import * as metricLists from '../../../src/metrics/definitions.js'
import { NAME_PATTERN } from '../../../src/api/schemas.js'

const ROOT = new URL('../../../', import.meta.url).pathname
const CODES = Object.keys(ERROR_CODES) as ErrorCode[]

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n)
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : []
  })
}

describe('one vocabulary', () => {
  it('the bridge and the SOL layer give every code the same failure reason', () => {
    for (const code of CODES) {
      const sol = solFailureReason(new IpmiError(code as IpmiErrorCode, 'x'))
      // A closed session is `closed` for the session and `sol_deactivated` for the console on it;
      // the console's error carries its reason, so the bridge reports what the console said.
      if (code === 'BMC_SESSION_CLOSED') {
        assert.equal(failureReason(code), 'closed')
        assert.equal(reasonOf(toWire(new SolError(sol, code, 'x'))), 'sol_deactivated')
        continue
      }
      assert.equal(failureReason(code), sol, `${code}: bridge ${failureReason(code)}, sol ${sol}`)
    }
  })

  it('a reason named in the details wins over the code; an unknown one does not', () => {
    assert.equal(reasonOf({ code: 'SOL_REFUSED', details: { reason: 'sol_limit_reached' } }), 'sol_limit_reached')
    assert.equal(reasonOf({ code: 'SOL_REFUSED', details: { reason: 'made_up' } }), 'sol_refused')
    assert.equal(reasonOf(toWire(new SolError('sol_busy', 'SOL_BUSY', 'held'))), 'sol_busy')
  })

  it('metrics use the bridge lists (plus other), not copies', () => {
    assert.deepEqual([...metricLists.FAILURE_REASONS], [...FAILURE_REASONS, 'other'])
    assert.deepEqual([...metricLists.CONNECTION_STATES], [...CONNECTION_STATES])
  })

  it('retryable on the wire is the registry\'s for every code, whatever the thrower said', () => {
    for (const code of CODES) {
      const spec = ERROR_CODES[code]
      for (const claimed of [true, false]) {
        const w = toWire(new IpmiError(code as IpmiErrorCode, 'x', { retryable: claimed }))
        assert.equal(w.retryable, spec.retryable, code)
        assert.equal(fromWire({ ...w, retryable: claimed }).retryable, spec.retryable, code)
      }
      assert.equal(new ServiceError(code, 'x').retryable, spec.retryable)
    }
    // the two that had drifted: SOL busy (0x80) and a closed session
    assert.equal(toWire(activationRefused(new CompletionCodeError({ netFn: 0x06, cmd: 0x48, cc: 0x80, command: 'Activate Payload', meaning: 'payload already active' }), 1)).retryable, ERROR_CODES.SOL_BUSY.retryable)
    assert.equal(toWire(new IpmiError('BMC_SESSION_CLOSED', 'closed')).retryable, true)
  })

  it('every literal retryable in the source agrees with the registry for its code', () => {
    const bad: string[] = []
    for (const f of [...sources(join(ROOT, 'src')), ...sources(join(ROOT, 'workers'))]) {
      for (const m of readFileSync(f, 'utf8').matchAll(/new (?:IpmiError|ServiceError|SolError)\((?:'[a-z_]+', )?'([A-Z][A-Z0-9_]+)'[^\n]*?retryable: (true|false)/g)) {
        const code = m[1] as ErrorCode
        if (String(ERROR_CODES[code]?.retryable) !== m[2]) bad.push(`${relative(ROOT, f)}: ${code} retryable ${m[2]}`)
      }
    }
    assert.deepEqual(bad, [])
  })

  it('one node-name pattern: 63 characters pass, 64 do not, everywhere', () => {
    assert.equal(NAME_PATTERN, NODE_NAME.source)
    assert.ok(NODE_NAME.test('a'.repeat(63)))
    assert.ok(!NODE_NAME.test('a'.repeat(64)))
    assert.ok(!NODE_NAME.test('-a'))
  })
})

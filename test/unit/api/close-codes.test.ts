// docs/console.md lists every WebSocket close code the console socket uses, with its reason.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { TOKEN_CLOSE } from '../../../src/api/connections.js'
import { SHUTDOWN_CLOSE } from '../../../src/api/routes/console.js'
import { auditOutcome } from '../../../src/api/auth.js'
import { ServiceError } from '../../../src/errors.js'
import { SLOW_CLIENT_CLOSE_CODE } from '../../../src/console/index.js'
import { NO_OWNER_CLOSE } from '../../../src/cluster/forward-console.js'

const doc = readFileSync(new URL('../../../docs/console.md', import.meta.url), 'utf8')

describe('close codes', () => {
  it('every close code is documented with its reason', () => {
    const rows = new Map([...doc.matchAll(/^\| (\d{4}) \| `([^`]+)`/gm)].map((m) => [Number(m[1]), m[2]]))
    for (const c of [...Object.values(TOKEN_CLOSE), SHUTDOWN_CLOSE, NO_OWNER_CLOSE]) assert.equal(rows.get(c.code), c.reason, String(c.code))
    assert.ok(rows.has(SLOW_CLIENT_CLOSE_CODE))
    const codes = [...Object.values(TOKEN_CLOSE), SHUTDOWN_CLOSE, NO_OWNER_CLOSE].map((c) => c.code)
    assert.equal(new Set([...codes, SLOW_CLIENT_CLOSE_CODE]).size, codes.length + 1, 'two reasons share a code')
  })

  it('refusals are audited denied, failures by their code', () => {
    for (const code of ['UNAUTHORIZED', 'FORBIDDEN', 'RATE_LIMITED', 'TOO_MANY_CONNECTIONS'] as const) assert.equal(auditOutcome(new ServiceError(code, 'x')), 'denied', code)
    assert.equal(auditOutcome(new ServiceError('BMC_UNREACHABLE', 'x')), 'BMC_UNREACHABLE')
    assert.equal(auditOutcome(new Error('boom')), 'INTERNAL')
  })
})

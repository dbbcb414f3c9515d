// The error registry (src/errors.ts) against docs/errors.md and against the
// codes the code base actually raises, in both directions (fastify's habit).
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { ERROR_CODES, fromWire, ServiceError, toWire } from '../../src/errors.js'
import { IpmiError } from '../../src/ipmi/errors.js'

const ROOT = new URL('../../', import.meta.url).pathname

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n)
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : []
  })
}

describe('error registry', () => {
  it('docs/errors.md lists every code with its status, and nothing else', () => {
    const doc = readFileSync(join(ROOT, 'docs/errors.md'), 'utf8')
    const rows = [...doc.matchAll(/^\| `([A-Z_]+)` \| (\d+) \| (yes|no) \|/gm)].map((m) => [m[1], Number(m[2]), m[3] === 'yes'])
    const expected = Object.entries(ERROR_CODES).map(([k, v]) => [k, v.status, v.retryable])
    assert.deepEqual(rows, expected)
  })

  it('every code raised in src/ and workers/ is registered', () => {
    const files = [...sources(join(ROOT, 'src')), ...sources(join(ROOT, 'workers'))]
    const used = new Set<string>()
    for (const f of files) {
      const text = readFileSync(f, 'utf8')
      for (const m of text.matchAll(/new (?:IpmiError|ServiceError|RmcpPlusStatusError)\([^)]*?'([A-Z][A-Z0-9_]+)'/g)) used.add(m[1]!)
    }
    assert.ok(used.size > 5, `found only ${used.size} codes: the scan is broken`)
    for (const code of used) assert.ok(Object.hasOwn(ERROR_CODES, code), `${code} is raised but not registered`)
  })

  it('wire form round-trips, unknown errors become INTERNAL without leaking their message', () => {
    const e = new IpmiError('BMC_UNREACHABLE', 'no answer', { retryable: true, details: { attempts: 5 } })
    const back = fromWire(structuredClone(toWire(e)))
    assert.equal(back.code, 'BMC_UNREACHABLE')
    assert.equal(back.retryable, true)
    assert.deepEqual(back.details, { attempts: 5 })
    assert.deepEqual(toWire(new Error('password=hunter2')), { code: 'INTERNAL', message: 'internal error', retryable: false })
    assert.equal(new ServiceError('WORKER_UNAVAILABLE', 'x').retryable, true)
  })
})

// Noderange expressions up to the documented limit (MAX_EXPR_CHARS) reach
// the route, percent-encoded or not; one character more is a
// VALIDATION_FAILED naming `expr`, not a 404 from the router.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { MAX_EXPR_CHARS } from '../../src/api/noderange.js'
import { testApi, type TestApi } from './helpers.js'

/** A list expression of exactly `chars` characters: "x0000,x0001,...", padded with a bracket range at the end. */
function listOf(chars: number): string {
  const terms: string[] = []
  let len = 0
  for (let i = 0; len + 6 <= chars - 12; i++) {
    const t = `x${String(i).padStart(4, '0')}`
    terms.push(t)
    len += t.length + 1
  }
  let expr = terms.join(',') + ',y[01-02]'
  while (expr.length < chars) expr = 'z' + expr
  return expr
}

describe('noderange length', () => {
  let t: TestApi
  before(async () => (t = await testApi()))
  after(() => t.close())

  it('a 4,000-character expression with brackets, percent-encoded, is expanded', async () => {
    const expr = listOf(4000)
    assert.equal(expr.length, 4000)
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/noderange/${encodeURIComponent(expr)}`, headers: t.auth('viewer') })
    assert.equal(res.statusCode, 200, res.body)
    const body = res.json<{ nodes: string[]; missing: string[] }>()
    assert.ok(body.missing.length > 600, `expanded to ${body.missing.length}`)
    assert.ok(body.missing.includes('y02'))
  })

  it('a range command takes a 4,000-character expression too', async () => {
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/noderange/${encodeURIComponent(listOf(4000))}/power`, headers: t.auth('viewer') })
    assert.equal(res.statusCode, 200, res.body)
    assert.equal(res.json<{ results: Record<string, { ok: boolean }> }>().results.y01?.ok, false)
  })

  it('one character past the limit is VALIDATION_FAILED on expr', async () => {
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/noderange/${encodeURIComponent(listOf(MAX_EXPR_CHARS + 1))}`, headers: t.auth('viewer') })
    assert.equal(res.statusCode, 400)
    assert.equal(res.json<{ error: { code: string } }>().error.code, 'VALIDATION_FAILED')
  })
})

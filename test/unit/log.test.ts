// Log formats: JSON lines by default off a terminal, readable lines with
// --log-format pretty (or auto on a terminal), secrets redacted in both.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createLogger, prettyLine } from '../../src/log.js'
import { sink } from '../lab/sink.js'

describe('log formats', () => {
  it('writes JSON lines when not told otherwise and the destination is no terminal', () => {
    const out = sink()
    createLogger({ destination: out }).info({ node: 'n1', bmc: { password: 'hunter2' } }, 'console connected')
    const line = JSON.parse(out.text()) as Record<string, unknown>
    assert.equal(line.msg, 'console connected')
    assert.equal(line.node, 'n1')
    assert.deepEqual(line.bmc, { password: '[redacted]' })
  })

  it('writes readable lines with pretty: time, level, message, fields, the stack below', () => {
    const out = sink()
    const log = createLogger({ destination: out, format: 'pretty' })
    log.warn({ node: 'n1', count: 3, note: 'two words', token: 'bmv_secret' }, 'retrying')
    log.error({ err: new Error('boom') }, 'failed')
    const [first, second, ...stack] = out.text().split('\n')
    assert.match(first!, /^\d\d:\d\d:\d\d\.\d{3} WARN {2}retrying node=n1 count=3 note="two words" token=\[redacted\]$/)
    assert.match(second!, /^\d\d:\d\d:\d\d\.\d{3} ERROR failed err=boom$/)
    assert.match(stack[0]!, /^ {4}Error: boom$/)
    assert.doesNotMatch(out.text(), /bmv_secret|pid=|hostname=/)
  })

  it('passes a line that is not JSON through unchanged', () => {
    assert.equal(prettyLine('not json'), 'not json\n')
  })
})

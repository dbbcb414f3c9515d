// The `bmcvisor console` escape (conserver's Ctrl-E c CMD) and status lines.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ConsoleEscapeParser, statusLine } from '../../../src/cli/console.js'

const b = (s: string) => Buffer.from(s, 'latin1')
const E = '\x05'

describe('console escape', () => {
  it('Ctrl-E c then a command, anywhere in the input; everything else passes', () => {
    const p = new ConsoleEscapeParser()
    assert.deepEqual(p.feed(b(`ls${E}cbpwd`)), [{ kind: 'data', data: b('ls') }, { kind: 'break' }, { kind: 'data', data: b('pwd') }])
    assert.deepEqual(p.feed(b(`${E}cf${E}co${E}cr${E}c?`)).map((a) => a.kind), ['takeover', 'reopen', 'release', 'help'])
    assert.deepEqual(p.feed(b(`x${E}c.ignored`)), [{ kind: 'data', data: b('x') }, { kind: 'quit' }])
  })

  it('split across reads, and a Ctrl-E that is not an escape is passed on', () => {
    const p = new ConsoleEscapeParser()
    assert.deepEqual(p.feed(b(E)), [])
    assert.deepEqual(p.feed(b('c')), [])
    assert.deepEqual(p.feed(b('.')), [{ kind: 'quit' }])
    const q = new ConsoleEscapeParser()
    assert.deepEqual(q.feed(b(`${E}x`)), [{ kind: 'data', data: b(`${E}x`) }])
    assert.deepEqual(q.feed(b(`${E}${E}c.`)), [{ kind: 'data', data: b(E) }, { kind: 'quit' }])
    assert.deepEqual(q.feed(b(`${E}cz`)), [{ kind: 'help' }], 'an unknown command shows the help')
  })

  it('status lines say the state with its reason, the holder and the client count', () => {
    assert.equal(statusLine('n1', { type: 'state', state: 'unconnected', reason: 'unreachable', message: 'no answer' }, 1), '[n1: unconnected (unreachable: no answer)]')
    assert.equal(statusLine('n1', { type: 'holder', holder: { client: 2, user: 'alice' }, you: false }, 1), '[read-only: alice holds read-write; Ctrl-E c f takes it over]')
    assert.equal(statusLine('n1', { type: 'clients', count: 1, clients: [] }, 1), '[1 client attached]')
    assert.equal(statusLine('n1', { type: 'replay', kind: 'tail', bytes: 0, ageMs: null }, 1), undefined)
  })
})

// redactUrl: every spelling of a secret query parameter's name loses its value; nothing else changes.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { redactUrl } from '../../../src/log.js'

describe('redactUrl', () => {
  it('redacts access_token and token whatever their spelling', () => {
    assert.equal(redactUrl('/a?access_token=s3cret&mode=rw'), '/a?access_token=[redacted]&mode=rw')
    assert.equal(redactUrl('/a?mode=ro&access%5Ftoken=s3cret'), '/a?mode=ro&access%5Ftoken=[redacted]')
    assert.equal(redactUrl('/a?ACCESS_TOKEN=s3cret#x'), '/a?ACCESS_TOKEN=[redacted]#x')
    assert.equal(redactUrl('/a?%74oken=s3cret'), '/a?%74oken=[redacted]')
    assert.equal(redactUrl('/a?access_token'), '/a?access_token=[redacted]')
  })

  it('leaves other URLs alone, malformed encodings included', () => {
    for (const u of ['/api/v1/nodes', '/a?mode=rw&replay=1', '/a?x=%zz&tokens=1', '/a?']) assert.equal(redactUrl(u), u)
  })
})

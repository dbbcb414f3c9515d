// Outside systemd (no NOTIFY_SOCKET) serve notifies nobody and spawns nothing.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { systemdNotifier } from '../../../src/cli/systemd.js'
import { createLogger } from '../../../src/log.js'
import { sink } from '../../lab/sink.js'

describe('systemd notifier', () => {
  it('is absent without NOTIFY_SOCKET (or with an empty one)', () => {
    const logger = createLogger({ destination: sink() })
    assert.equal(systemdNotifier({}, logger), undefined)
    assert.equal(systemdNotifier({ NOTIFY_SOCKET: '' }, logger), undefined)
    assert.notEqual(systemdNotifier({ NOTIFY_SOCKET: '/run/systemd/notify' }, logger), undefined)
  })
})

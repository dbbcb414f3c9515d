// The node -> BmcConfig mapping's console watch part (src/api/node-config.ts):
// the defaults, then each group's override (by group name), then the node's;
// a watch change alone is no reconfiguration (it travels as setWatch).
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { DEFAULT_WATCH_PATTERNS } from '../../../src/bridge/watch.js'
import { sameBmcConfig, sameWatch, toBmcConfig } from '../../../src/api/node-config.js'
import type { NodeRecord, WatchOverrideDoc } from '../../../src/store/types.js'

function node(groups: string[], watch?: WatchOverrideDoc): NodeRecord {
  return {
    name: 'n1', groups, revision: 1, createdAt: '', updatedAt: '',
    bmc: { host: '127.0.0.1', port: 623, username: 'u', password: 'p', cipherSuite: 3, privilege: 'administrator' },
    console: { method: 'ipmi', logging: 'full', ...(watch !== undefined ? { watch } : {}) },
  }
}

describe('console watch in the BmcConfig', () => {
  it('without overrides the worker gets the defaults', () => {
    assert.deepEqual(toBmcConfig(node([])).watch, DEFAULT_WATCH_PATTERNS)
  })

  it('groups apply in name order, then the node, each replacing by name or disabling', () => {
    const groups: Record<string, WatchOverrideDoc> = {
      b: { add: [{ name: 'gpu', regex: 'Xid', severity: 'warning' }] },
      a: { disable: ['oom'], add: [{ name: 'gpu', regex: 'NVRM', severity: 'info' }] },
    }
    const cfg = toBmcConfig(node(['b', 'a', 'none'], { disable: ['call_trace'], add: [{ name: 'panic', regex: 'PANIC', severity: 'critical' }] }), {}, (g) => groups[g])
    assert.deepEqual(cfg.watch?.map((p) => `${p.name}=${p.regex}`), ['panic=PANIC', 'mce=' + DEFAULT_WATCH_PATTERNS[2]!.regex, 'hung_task=' + DEFAULT_WATCH_PATTERNS[4]!.regex, 'gpu=Xid'])
  })

  it('a watch change alone keeps the configuration the same (no reconnect), and sameWatch tells it', () => {
    const a = toBmcConfig(node([]))
    const b = toBmcConfig(node([], { disable: ['panic'] }))
    assert.equal(sameBmcConfig(a, b), true)
    assert.equal(sameWatch(a, b), false)
    assert.equal(sameWatch(a, toBmcConfig(node([]))), true)
  })
})

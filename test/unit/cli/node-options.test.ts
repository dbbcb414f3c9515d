// `bmcvisor node add` and `node set` for ssh consoles: the flags become the
// node document's console fields (the server validates them), and
// console.port is a number in a merge patch like bmc.port.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { nodeFromOptions, patchFromPairs } from '../../../src/cli/node.js'

describe('node options: ssh consoles', () => {
  it('--console ssh --console-port --console-command --host-key --console-host', () => {
    const o = {
      host: '10.0.0.9', user: 'root', password: 'pw', console: 'ssh', 'console-port': '2200', 'console-command': 'console com2',
      'host-key': 'SHA256:ZEzz0uKUtDWa9VzWjO2x+koXi/rqa6quc+p1go5QsGo', 'console-host': '10.0.1.9',
    }
    assert.deepEqual(nodeFromOptions('n9', o as Parameters<typeof nodeFromOptions>[1], {}), {
      name: 'n9',
      bmc: { host: '10.0.0.9', username: 'root', password: 'pw' },
      console: { method: 'ssh', command: 'console com2', host: '10.0.1.9', port: 2200, hostKey: 'SHA256:ZEzz0uKUtDWa9VzWjO2x+koXi/rqa6quc+p1go5QsGo' },
    })
    assert.throws(() => nodeFromOptions('n9', { ...o, 'console-port': 'twenty-two' } as Parameters<typeof nodeFromOptions>[1], {}), { code: 'VALIDATION_FAILED' })
  })

  it('node set console.port=2200 console.hostKey= (removes the pin)', () => {
    assert.deepEqual(patchFromPairs(['console.port=2200', 'console.hostKey=']), { console: { port: 2200, hostKey: null } })
  })
})

describe('node options: protocol auto', () => {
  it('--protocol auto --ipmi-port --tls pin: the document an auto node is added with', () => {
    const n = nodeFromOptions('a1', { host: '10.0.0.7', user: 'admin', password: 'pw', protocol: 'auto', 'ipmi-port': '6230', tls: 'pin' }, {})
    assert.deepEqual(n.bmc, { host: '10.0.0.7', username: 'admin', password: 'pw', protocol: 'auto', ipmiPort: 6230, tls: { mode: 'pin' } })
  })

  it('node set bmc.ipmiPort=623 is a number; an empty value removes it', () => {
    assert.deepEqual(patchFromPairs(['bmc.ipmiPort=623']), { bmc: { ipmiPort: 623 } })
    assert.deepEqual(patchFromPairs(['bmc.ipmiPort=']), { bmc: { ipmiPort: null } })
  })
})

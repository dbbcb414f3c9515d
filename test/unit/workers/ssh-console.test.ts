// The pure parts of the SSH console: the host key fingerprint (vectors
// printed by OpenSSH's ssh-keygen -lf), the RFC 4335 break request bytes,
// the mapping from ssh2 errors to our codes and reasons, and the node's
// console fields for ssh and none.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { DEFAULT_SSH_PORT, reasonOf, SSH_HOST_KEY_PATTERN } from '../../../src/bridge/messages.js'
import { bmcConsoleFields } from '../../../src/console/bmc-fields.js'
import { toWire } from '../../../src/errors.js'
import { encodeBreakRequest } from '../../../workers/ssh-break.js'
import { hostKeyFingerprint, sshFailure, type Ssh2Error } from '../../../workers/ssh-trust.js'
import { sshConsoleConfig } from '../../../workers/engine/ssh-plugin.js'

// Generated with ssh-keygen 9.2 (-C vector); the fingerprints are what `ssh-keygen -lf` printed for them.
const VECTORS = [
  { pub: 'AAAAC3NzaC1lZDI1NTE5AAAAICGNNAhnd0eG8t81iht/wucTWTB+iCfMpBc7um6YJtvA', fingerprint: 'SHA256:ZEzz0uKUtDWa9VzWjO2x+koXi/rqa6quc+p1go5QsGo' },
  {
    pub: 'AAAAB3NzaC1yc2EAAAADAQABAAABAQC7eDyWheReYHectYu7ROHv95tiGWCkPHy1Jql3zvHplqbEa6rTnbDFkFL9NGjC+k4ArIzPKWpKw1Z+pF8hn2plcN8V8c6lkMk720xtI4Y3hegHDBF9NeSQ5DDdXgLp6agJJzdf8SmLqB/Yha5hkB0J1djv6BqqXPGZMdNbRlaVqGeDVfBas9Z1eJzw0N76ijG1Cih2VZKgv+yu9cx4Cn79jZR9rutkX17wQfPwGEIZnZT34Heihzl+ad6k9MdJ4hA3wxGW8sdf15FtsnCJPUuQE+lV9s4RgO1dCoMfTKrWyFzy1dGDSXigDgD3lfWgq64/+cZDCHu/cMj86NOnR6lV',
    fingerprint: 'SHA256:ZByTS4TccwnACHoWMX2CXbJraEZx1gYtD+xHffXiYCw',
  },
]

const err = (message: string, level?: string, code?: string | number): Ssh2Error => Object.assign(new Error(message), { level, code })

describe('ssh console, pure parts', () => {
  it('fingerprints a host key blob as ssh-keygen -lf does, in the form console.hostKey accepts', () => {
    for (const v of VECTORS) {
      const fp = hostKeyFingerprint(Buffer.from(v.pub, 'base64'))
      assert.equal(fp, v.fingerprint)
      assert.match(fp, new RegExp(SSH_HOST_KEY_PATTERN))
    }
  })

  it('encodes the RFC 4335 break channel request', () => {
    const b = encodeBreakRequest(7, 250)
    assert.deepEqual([...b], [98, 0, 0, 0, 7, 0, 0, 0, 5, ...Buffer.from('break'), 0, 0, 0, 0, 250])
    assert.deepEqual([...encodeBreakRequest(0x01020304, 0x10000).subarray(1, 5)], [1, 2, 3, 4])
  })

  it('maps ssh2 failures to codes and reasons', () => {
    const cases: [ReturnType<typeof sshFailure>, string, string][] = [
      [sshFailure(err('All configured authentication methods failed', 'client-authentication'), undefined, undefined, 'authenticating'), 'BMC_AUTH_FAILED', 'bad_credentials'],
      // OpenSSH's MaxAuthTries: a DISCONNECT while authenticating
      [sshFailure(err('Too many authentication failures', undefined, 2), undefined, undefined, 'authenticating'), 'BMC_AUTH_FAILED', 'bad_credentials'],
      [sshFailure(err('connect ECONNREFUSED 127.0.0.1:22', 'client-socket', 'ECONNREFUSED'), undefined, undefined, 'handshake'), 'BMC_UNREACHABLE', 'unreachable'],
      [sshFailure(err('Timed out while waiting for handshake', 'client-timeout'), undefined, undefined, 'handshake'), 'BMC_UNREACHABLE', 'unreachable'],
      [sshFailure(err('Keepalive timeout', 'client-timeout'), undefined, undefined, 'connected'), 'BMC_UNREACHABLE', 'unreachable'],
      [sshFailure(err('read ECONNRESET', 'client-socket', 'ECONNRESET'), undefined, undefined, 'connected'), 'BMC_UNREACHABLE', 'unreachable'],
      [sshFailure(err('Host denied (verification failed)', 'handshake'), 'SHA256:seen', 'SHA256:pinned', 'handshake'), 'BMC_HOST_KEY_MISMATCH', 'host_key_mismatch'],
      [sshFailure(err('Handshake failed: no matching key exchange algorithm', 'handshake'), undefined, undefined, 'handshake'), 'BMC_PROTOCOL_ERROR', 'protocol'],
      [sshFailure(err('Connection lost', 'protocol', 11), undefined, undefined, 'connected'), 'BMC_SESSION_CLOSED', 'closed'],
    ]
    for (const [e, code, reason] of cases) {
      assert.equal(e.code, code, e.message)
      assert.equal(reasonOf(toWire(e)), reason, e.message)
    }
    const mismatch = sshFailure(err('Host denied (verification failed)', 'handshake'), 'SHA256:seen', 'SHA256:pinned', 'handshake')
    assert.deepEqual(mismatch.details, { reason: 'host_key_mismatch', expected: 'SHA256:pinned', seen: 'SHA256:seen' })
  })

  it('a node\'s ssh console: bmc.host unless console.host, port 22 unless given, command and pin when set; none has no console', () => {
    assert.deepEqual(bmcConsoleFields({ method: 'ssh', logging: 'full' }, '10.0.0.5'), {
      console: true, consoleMethod: 'ssh', consoleOnDemand: false, consoleSsh: { host: '10.0.0.5', port: DEFAULT_SSH_PORT },
    })
    const full = bmcConsoleFields({ method: 'ssh', host: 'bmc-ssh', port: 2200, command: 'console com2', hostKey: VECTORS[0]!.fingerprint, logging: 'interactive' }, '10.0.0.5')
    assert.deepEqual(full.consoleSsh, { host: 'bmc-ssh', port: 2200, command: 'console com2', hostKey: VECTORS[0]!.fingerprint })
    assert.equal(full.consoleOnDemand, true)
    assert.deepEqual(bmcConsoleFields({ method: 'none', logging: 'full' }, '10.0.0.5'), { console: false })
    assert.deepEqual(sshConsoleConfig({ host: 'h', port: 623, credentials: { username: 'u', password: 'p' }, console: true, consoleMethod: 'ssh' }), { host: 'h', port: DEFAULT_SSH_PORT })
  })
})

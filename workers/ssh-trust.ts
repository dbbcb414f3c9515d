/**
 * The pure parts of an SSH console: the host key fingerprint in OpenSSH's
 * form (what `ssh-keygen -lf` prints and what `console.hostKey` pins), and
 * the one mapping from an ssh2 client error to our codes and reasons
 * (DESIGN lesson 5). No I/O.
 */
import { createHash } from 'node:crypto'
import { ServiceError } from '../src/errors.js'

/** `SHA256:` and the unpadded base64 of the SHA-256 of the key blob (RFC 4253 §6.6 encoding), as OpenSSH prints it. */
export function hostKeyFingerprint(keyBlob: Uint8Array): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`
}

/** ssh2 tags its client errors with a `level`: where in the connection it failed; a server's DISCONNECT has a numeric `code`. */
export type Ssh2Error = Error & { level?: string; code?: string | number }

/** How far an attempt got: key exchange, authentication (keys agreed), or an open channel. */
export type SshPhase = 'handshake' | 'authenticating' | 'connected'

/**
 * Why an SSH console attempt failed. `mismatch`: the fingerprint the server
 * showed when it was not the pinned one (ssh2 then reports a handshake error).
 * A server that disconnects while authenticating refused the credentials:
 * OpenSSH ends the connection with "Too many authentication failures"
 * (MaxAuthTries) as soon as the password was wrong too often, before ssh2
 * has run out of methods. After the channel was open, a failure is the
 * connection going away, not a refusal.
 */
export function sshFailure(err: Ssh2Error, mismatch: string | undefined, expected: string | undefined, phase: SshPhase): ServiceError {
  if (mismatch !== undefined) {
    return new ServiceError('BMC_HOST_KEY_MISMATCH', `the SSH server's host key ${mismatch} is not the pinned ${expected ?? '(none)'}; not connected`, {
      details: { reason: 'host_key_mismatch', expected: expected ?? null, seen: mismatch },
    })
  }
  const refused = () => new ServiceError('BMC_AUTH_FAILED', `the SSH server refused the credentials (password and keyboard-interactive): ${err.message}`, { details: { reason: 'bad_credentials' } })
  switch (err.level) {
    case 'client-authentication':
      return refused()
    case 'client-socket':
    case 'client-dns':
    case 'client-timeout':
      return new ServiceError('BMC_UNREACHABLE', `the SSH server is unreachable: ${errnoOf(err)}`, { details: { reason: 'unreachable', errno: errnoOf(err) } })
    default:
      if (phase === 'authenticating' && typeof err.code === 'number') return refused()
      if (phase === 'connected') return new ServiceError('BMC_SESSION_CLOSED', `the SSH connection ended: ${err.message}`, { details: { reason: 'closed' } })
      return new ServiceError('BMC_PROTOCOL_ERROR', `the SSH handshake failed: ${err.message}`, { details: { reason: 'protocol' } })
  }
}

function errnoOf(err: Ssh2Error): string {
  if (typeof err.code === 'string' && err.code !== '') return err.code
  return err.level === 'client-timeout' ? 'timeout' : err.message
}

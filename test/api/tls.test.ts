// TLS at start and on the wire: unreadable or invalid PEM files and a key
// that is not the certificate's are CONFIG_INVALID naming the option and
// the file; a handshake offering only AES128-SHA (CBC, static RSA) or only
// TLS 1.1 is refused, ECDHE-RSA-AES128-GCM-SHA256 and TLS 1.3 are accepted.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect, type ConnectionOptions } from 'node:tls'
import { createLogger } from '../../src/log.js'
import { startServer, type RunningServer } from '../../src/main.js'
import { requireTools } from '../lab/tools.js'
import { sink } from '../lab/sink.js'

const dir = mkdtempSync(join(tmpdir(), 'bmcvisor-tls-'))
after(() => rmSync(dir, { recursive: true, force: true }))

function selfSigned(name: string, keyArgs: string[]): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`)
  const key = join(dir, `${name}.key`)
  execFileSync('openssl', ['req', '-x509', ...keyArgs, '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' })
  return { cert, key }
}

/** The negotiated protocol and cipher, or the handshake error's code. */
function handshake(port: number, o: ConnectionOptions): Promise<{ protocol: string | null; cipher: string } | { error: string }> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...o }, () => {
      const r = { protocol: s.getProtocol(), cipher: s.getCipher().name }
      s.destroy()
      resolve(r)
    })
    s.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }))
  })
}

describe('TLS', () => {
  const quiet = () => createLogger({ destination: sink() })
  let rsa: { cert: string; key: string }
  let ec: { cert: string; key: string }
  let server: RunningServer | undefined
  let ok = false

  before(() => {
    try {
      rsa = selfSigned('rsa', ['-newkey', 'rsa:2048'])
      ec = selfSigned('ec', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'])
      ok = true
    } catch {
      ok = false
    }
  })
  after(() => server?.close())

  it('refuses unreadable, invalid and mismatched files as CONFIG_INVALID naming them', async (t) => {
    if (!requireTools(t, ['openssl'], 'apt-get install openssl') || !ok) return
    const garbage = join(dir, 'garbage.pem')
    writeFileSync(garbage, '-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n')
    const cases: [{ certFile: string; keyFile: string }, string, RegExp][] = [
      [{ certFile: join(dir, 'missing.crt'), keyFile: rsa.key }, 'tls-cert', /missing\.crt cannot be read \(ENOENT\)/],
      [{ certFile: garbage, keyFile: rsa.key }, 'tls-cert', /garbage\.pem is not a PEM certificate/],
      [{ certFile: rsa.cert, keyFile: garbage }, 'tls-key', /garbage\.pem is not an unencrypted PEM private key/],
      [{ certFile: rsa.cert, keyFile: ec.key }, 'tls-key', /ec\.key does not belong to the certificate/],
    ]
    for (const [tls, field, message] of cases) {
      await assert.rejects(startServer({ listen: '127.0.0.1:0', dataDir: join(dir, 'data'), logger: quiet(), tls }), (e: { code: string; message: string; details: { field: string; file: string } }) => {
        assert.equal(e.code, 'CONFIG_INVALID')
        assert.match(e.message, message)
        assert.equal(e.details.field, field)
        assert.ok(!e.message.includes('BEGIN'), 'the message quotes the file')
        return true
      })
    }
  })

  it('offers only TLS 1.2+ AEAD suites by default', async (t) => {
    if (!requireTools(t, ['openssl'], 'apt-get install openssl') || !ok) return
    server = await startServer({ listen: '127.0.0.1:0', dataDir: join(dir, 'data'), logger: quiet(), tls: { certFile: rsa.cert, keyFile: rsa.key } })
    const port = Number(new URL(server.url).port)
    assert.ok('error' in await handshake(port, { ciphers: 'AES128-SHA', maxVersion: 'TLSv1.2' }), 'AES128-SHA was accepted')
    assert.ok('error' in await handshake(port, { ciphers: 'ECDHE-RSA-AES128-SHA', maxVersion: 'TLSv1.2' }), 'a CBC suite was accepted')
    assert.ok('error' in await handshake(port, { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' }), 'TLS 1.1 was accepted')
    assert.deepEqual(await handshake(port, { ciphers: 'ECDHE-RSA-AES128-GCM-SHA256', maxVersion: 'TLSv1.2' }), { protocol: 'TLSv1.2', cipher: 'ECDHE-RSA-AES128-GCM-SHA256' })
    const v13 = await handshake(port, {})
    assert.ok('protocol' in v13 && v13.protocol === 'TLSv1.3', JSON.stringify(v13))
  })
})

/**
 * The simulator's TLS identity: one self-signed certificate per fleet,
 * made at start by openssl(1) (node:crypto makes keys but not X.509
 * certificates) in a private temporary directory that is removed at once;
 * key and certificate then live only in memory. Its SHA-256 fingerprint is
 * what a client pins.
 * Hazard: needs the openssl binary (Debian package openssl); its absence is
 * a clear error, never a fallback to plain HTTP.
 */
import { execFile } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)
const VALID_DAYS = 30
const OPENSSL_TIMEOUT_MS = 30_000

export interface SimCertificate {
  keyPem: string
  certPem: string
  /** SHA-256 over the DER certificate, colon-separated upper-case hex, as openssl and Node print it. */
  fingerprint256: string
}

/** A fresh P-256 key and a certificate for 127.0.0.1, ::1 and localhost. */
export async function makeCertificate(commonName = 'bmcvisor-sim'): Promise<SimCertificate> {
  const dir = await mkdtemp(join(tmpdir(), 'bmcvisor-sim-tls-'))
  try {
    const key = join(dir, 'key.pem')
    const cert = join(dir, 'cert.pem')
    await run('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', String(VALID_DAYS),
      '-subj', `/CN=${commonName}`, '-addext', 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost',
      '-keyout', key, '-out', cert,
    ], { timeout: OPENSSL_TIMEOUT_MS })
    const [keyPem, certPem] = await Promise.all([readFile(key, 'utf8'), readFile(cert, 'utf8')])
    return { keyPem, certPem, fingerprint256: new X509Certificate(certPem).fingerprint256 }
  } catch (e) {
    const code = (e as { code?: unknown }).code
    if (code === 'ENOENT') throw new Error('openssl is not installed (apt-get install openssl): the simulated Redfish service needs it for its certificate', { cause: e })
    throw e
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

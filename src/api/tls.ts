/**
 * TLS for `serve --tls-cert/--tls-key`: the files are read and checked at
 * start (a certificate, a private key, and that they belong together), so a
 * bad file is a CONFIG_INVALID naming the option and the file, never an
 * INTERNAL at the first handshake. TLS 1.2 and 1.3 only, with forward-secret
 * AEAD suites by default (no CBC, no static RSA key exchange).
 * Error messages name files, never their contents.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createSecureContext, type SecureVersion } from 'node:tls'
import { ServiceError } from '../errors.js'

export const TLS_MIN_VERSION: SecureVersion = 'TLSv1.2'

/** TLS 1.3 suites (all AEAD) and the TLS 1.2 ECDHE suites with GCM or ChaCha20-Poly1305. */
export const DEFAULT_TLS_CIPHERS = [
  'TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305', 'ECDHE-RSA-CHACHA20-POLY1305',
].join(':')

export interface TlsFiles {
  certFile: string
  keyFile: string
  /** An OpenSSL cipher list instead of DEFAULT_TLS_CIPHERS. */
  ciphers?: string | undefined
}

export interface TlsServerOptions {
  [key: string]: unknown
  cert: Buffer
  key: Buffer
  minVersion: SecureVersion
  ciphers: string
  honorCipherOrder: boolean
}

function invalid(field: string, file: string | undefined, message: string): ServiceError {
  return new ServiceError('CONFIG_INVALID', message, { details: { field, ...(file !== undefined ? { file } : {}) } })
}

function read(field: string, file: string): Buffer {
  try {
    return readFileSync(file)
  } catch (e) {
    const code = (e as { code?: string }).code ?? 'unreadable'
    throw invalid(field, file, `--${field} ${file} cannot be read (${code})`)
  }
}

/** Reads and checks the certificate and key; CONFIG_INVALID names what is wrong. */
export function tlsServerOptions(files: TlsFiles): TlsServerOptions {
  const cert = read('tls-cert', files.certFile)
  const key = read('tls-key', files.keyFile)
  let x509: X509Certificate
  try {
    x509 = new X509Certificate(cert)
  } catch {
    throw invalid('tls-cert', files.certFile, `--tls-cert ${files.certFile} is not a PEM certificate`)
  }
  let privateKey: KeyObject
  try {
    privateKey = createPrivateKey(key)
  } catch {
    throw invalid('tls-key', files.keyFile, `--tls-key ${files.keyFile} is not an unencrypted PEM private key`)
  }
  if (!x509.checkPrivateKey(privateKey)) throw invalid('tls-key', files.keyFile, `--tls-key ${files.keyFile} does not belong to the certificate in ${files.certFile}`)
  const options: TlsServerOptions = { cert, key, minVersion: TLS_MIN_VERSION, ciphers: files.ciphers ?? DEFAULT_TLS_CIPHERS, honorCipherOrder: true }
  try {
    createSecureContext({ cert, key, ciphers: options.ciphers, minVersion: options.minVersion })
  } catch {
    throw invalid('tls-ciphers', undefined, `--tls-ciphers names no cipher suite this OpenSSL knows: ${options.ciphers}`)
  }
  return options
}

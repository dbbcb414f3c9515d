/**
 * Credentials at rest: AES-256-GCM under one 32-byte key, and where that key
 * comes from (BMCVISOR_SECRET_KEY, or `secret.key` in the data directory,
 * created with mode 0600 on first start).
 *
 * Sealed layout: version (1 byte, 1) | IV (12 bytes, random) | tag (16) |
 * ciphertext. The additional authenticated data binds a sealed value to its
 * owner (`node:<name>`), so a value copied into another row does not open.
 * A key check value (HMAC of a constant) lets the store refuse a wrong key
 * at start instead of failing later, node by node.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto'
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ServiceError } from '../errors.js'

const VERSION = 1
const IV_BYTES = 12
const TAG_BYTES = 16
export const KEY_BYTES = 32
export const KEY_FILE = 'secret.key'

export class SecretBox {
  readonly #key: Buffer

  constructor(key: Buffer) {
    if (key.length !== KEY_BYTES) throw new ServiceError('VALIDATION_FAILED', `the secret key must be ${KEY_BYTES} bytes`, { details: { field: 'secretKey' } })
    this.#key = Buffer.from(key)
  }

  seal(plain: Buffer | string, aad: string): Buffer {
    const iv = randomBytes(IV_BYTES)
    const c = createCipheriv('aes-256-gcm', this.#key, iv)
    c.setAAD(Buffer.from(aad, 'utf8'))
    const body = Buffer.concat([c.update(typeof plain === 'string' ? Buffer.from(plain, 'utf8') : plain), c.final()])
    return Buffer.concat([Buffer.from([VERSION]), iv, c.getAuthTag(), body])
  }

  open(sealed: Buffer, aad: string): Buffer {
    if (sealed.length < 1 + IV_BYTES + TAG_BYTES || sealed[0] !== VERSION) throw new ServiceError('STORE_KEY_MISMATCH', 'a sealed credential has an unknown format')
    const iv = sealed.subarray(1, 1 + IV_BYTES)
    const tag = sealed.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES)
    const d = createDecipheriv('aes-256-gcm', this.#key, iv)
    d.setAAD(Buffer.from(aad, 'utf8'))
    d.setAuthTag(tag)
    try {
      return Buffer.concat([d.update(sealed.subarray(1 + IV_BYTES + TAG_BYTES)), d.final()])
    } catch (e) {
      throw new ServiceError('STORE_KEY_MISMATCH', 'a sealed credential does not open with this key', { cause: e })
    }
  }

  /**
   * A key for another purpose, derived by HKDF-SHA256 with that purpose's own label (`info`): the
   * sealing key itself is never used for anything but sealing (the cluster's forwarding MACs use one).
   */
  derive(info: string, bytes: number = KEY_BYTES): Buffer {
    return Buffer.from(hkdfSync('sha256', this.#key, Buffer.alloc(0), info, bytes))
  }

  /** A value that identifies the key without revealing it. */
  checkValue(): string {
    return createHmac('sha256', this.#key).update('bmcvisor key check v1').digest('hex')
  }
}

/** Parses a key given as 64 hex digits or base64 of 32 bytes. */
export function parseKey(text: string, source: string): Buffer {
  const t = text.trim()
  const key = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64')
  if (key.length !== KEY_BYTES) {
    throw new ServiceError('VALIDATION_FAILED', `${source} must hold a ${KEY_BYTES}-byte key (64 hex digits or base64)`, { details: { field: source } })
  }
  return key
}

export interface LoadedKey {
  key: Buffer
  source: 'env' | 'file' | 'created'
  /** Set when secret.key is readable by group or others. */
  warning?: string
}

/**
 * The key from `envKey` if given, else from `<dataDir>/secret.key`, creating
 * it (mode 0600, exclusive create) when absent.
 */
export function loadKey(dataDir: string, envKey?: string): LoadedKey {
  if (envKey !== undefined && envKey !== '') return { key: parseKey(envKey, 'BMCVISOR_SECRET_KEY'), source: 'env' }
  const file = join(dataDir, KEY_FILE)
  let text: string | undefined
  try {
    text = readFileSync(file, 'utf8')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
  }
  if (text === undefined) {
    const key = randomBytes(KEY_BYTES)
    try {
      writeFileSync(file, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' })
      chmodSync(file, 0o600) // the umask may have cut the mode further; never wider
      return { key, source: 'created' }
    } catch (e) {
      // Another process created it first: use theirs.
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
      text = readFileSync(file, 'utf8')
    }
  }
  const mode = statSync(file).mode & 0o777
  const loaded: LoadedKey = { key: parseKey(text, KEY_FILE), source: 'file' }
  if ((mode & 0o077) !== 0) loaded.warning = `${file} was readable by others (mode ${mode.toString(8)}); the store set it to 0600, but whoever read it can unseal the stored BMC credentials`
  return loaded
}

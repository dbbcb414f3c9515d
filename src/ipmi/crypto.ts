/**
 * RMCP+ algorithms and key material: IPMI v2.0 §13.28 (authentication),
 * §13.28.4 (integrity), §13.29 (AES-CBC-128 confidentiality), Table 22-19
 * (cipher suite IDs).
 *
 * Pure functions over node:crypto. Inputs are exactly the bytes the spec
 * concatenates (session IDs little-endian as on the wire, ROLEm the whole byte
 * sent in RAKP1 including the name-only lookup bit). HMAC zero-pads short keys,
 * so a password used as the raw key equals ipmitool's 20-byte padded key.
 * Hazard: the K1/K2 constants are 20 bytes for SHA-256 too (ipmitool, pyghmi).
 */
import { createCipheriv, createDecipheriv, createHmac, randomFillSync, timingSafeEqual, type Cipher, type Decipher } from 'node:crypto'
import { IpmiDecodeError } from './errors.js'

export const AuthAlg = { None: 0x00, HmacSha1: 0x01, HmacMd5: 0x02, HmacSha256: 0x03 } as const
export const IntegrityAlg = { None: 0x00, HmacSha1_96: 0x01, HmacMd5_128: 0x02, Md5_128: 0x03, HmacSha256_128: 0x04 } as const
export const ConfidentialityAlg = { None: 0x00, AesCbc128: 0x01, XRc4_128: 0x02, XRc4_40: 0x03 } as const

export interface CipherSuite {
  id: number
  auth: number
  integrity: number
  confidentiality: number
}

/** The standard cipher suites (IPMI v2.0 Table 22-20). */
export const CIPHER_SUITES: Readonly<Record<number, CipherSuite>> = Object.fromEntries(
  (
    [
      [0, 0, 0, 0], [1, 1, 0, 0], [2, 1, 1, 0], [3, 1, 1, 1], [4, 1, 1, 2], [5, 1, 1, 3],
      [6, 2, 0, 0], [7, 2, 2, 0], [8, 2, 2, 1], [9, 2, 2, 2], [10, 2, 2, 3],
      [11, 2, 3, 0], [12, 2, 3, 1], [13, 2, 3, 2], [14, 2, 3, 3],
      [15, 3, 0, 0], [16, 3, 4, 0], [17, 3, 4, 1], [18, 3, 4, 2], [19, 3, 4, 3],
    ] as const
  ).map(([id, auth, integrity, confidentiality]) => [id, { id, auth, integrity, confidentiality }]),
)

/** Suites this library can run, best first: 17 then 3; the weaker ones only when nothing better is offered. Suite 0 is never offered unless a node explicitly allows it. */
export const SUPPORTED_SUITES_BY_PREFERENCE: readonly number[] = [17, 3, 16, 2, 15, 1]

export function isSupportedSuite(id: number): boolean {
  return id === 0 || SUPPORTED_SUITES_BY_PREFERENCE.includes(id)
}

function hashName(auth: number): 'sha1' | 'sha256' {
  if (auth === AuthAlg.HmacSha1) return 'sha1'
  if (auth === AuthAlg.HmacSha256) return 'sha256'
  throw new Error(`unsupported authentication algorithm ${auth}`)
}

/** HMAC with the suite's authentication algorithm; suite 0 (auth none) has empty codes and keys. */
export function hmac(auth: number, key: Uint8Array, ...parts: Uint8Array[]): Buffer {
  if (auth === AuthAlg.None) return Buffer.alloc(0)
  const h = createHmac(hashName(auth), key)
  for (const p of parts) h.update(p)
  return h.digest()
}

/** Length of the key-exchange auth code in RAKP2/RAKP3 (full HMAC output; 0 for suite 0). */
export function rakpAuthCodeLength(auth: number): number {
  return auth === AuthAlg.None ? 0 : auth === AuthAlg.HmacSha256 ? 32 : auth === AuthAlg.HmacMd5 ? 16 : 20
}

/** Length of the RAKP4 integrity check value (IPMI v2.0 §13.31: truncated HMAC). */
export function rakp4IcvLength(auth: number): number {
  return auth === AuthAlg.None ? 0 : auth === AuthAlg.HmacSha256 ? 16 : auth === AuthAlg.HmacMd5 ? 16 : 12
}

/** AuthCode length in the session trailer for an integrity algorithm. */
export function integrityCodeLength(integrity: number): number {
  switch (integrity) {
    case IntegrityAlg.None: return 0
    case IntegrityAlg.HmacSha1_96: return 12
    case IntegrityAlg.HmacSha256_128: return 16
    default: throw new Error(`unsupported integrity algorithm ${integrity}`)
  }
}

const u32le = (n: number): Buffer => {
  const b = Buffer.alloc(4)
  b.writeUInt32LE(n >>> 0)
  return b
}

export interface RakpInputs {
  auth: number
  /** Remote console (our) session ID. */
  remoteConsoleSessionId: number
  /** Managed system (BMC) session ID. */
  managedSystemSessionId: number
  /** Rm: our 16 random bytes. */
  consoleRandom: Uint8Array
  /** Rc: the BMC's 16 random bytes. */
  bmcRandom: Uint8Array
  bmcGuid: Uint8Array
  /** ROLEm exactly as sent in RAKP1 (privilege | lookup bit). */
  role: number
  username: Uint8Array
}

/** RAKP2 key exchange auth code: HMAC_Kuid(SIDm | SIDc | Rm | Rc | GUIDc | ROLEm | ULENGTHm | UNAMEm), IPMI v2.0 §13.31. */
export function rakp2AuthCode(i: RakpInputs, kuid: Uint8Array): Buffer {
  return hmac(i.auth, kuid, u32le(i.remoteConsoleSessionId), u32le(i.managedSystemSessionId), i.consoleRandom, i.bmcRandom, i.bmcGuid,
    Buffer.from([i.role, i.username.length]), i.username)
}

/** RAKP3 auth code: HMAC_Kuid(Rc | SIDm | ROLEm | ULENGTHm | UNAMEm). */
export function rakp3AuthCode(i: RakpInputs, kuid: Uint8Array): Buffer {
  return hmac(i.auth, kuid, i.bmcRandom, u32le(i.remoteConsoleSessionId), Buffer.from([i.role, i.username.length]), i.username)
}

/** SIK = HMAC_KG(Rm | Rc | ROLEm | ULENGTHm | UNAMEm); KG is the BMC key, or Kuid when none is set. */
export function sessionIntegrityKey(i: RakpInputs, kg: Uint8Array): Buffer {
  return hmac(i.auth, kg, i.consoleRandom, i.bmcRandom, Buffer.from([i.role, i.username.length]), i.username)
}

/** RAKP4 ICV = HMAC_SIK(Rm | SIDc | GUIDc), truncated. */
export function rakp4Icv(i: RakpInputs, sik: Uint8Array): Buffer {
  return hmac(i.auth, sik, i.consoleRandom, u32le(i.managedSystemSessionId), i.bmcGuid).subarray(0, rakp4IcvLength(i.auth))
}

const CONST_1 = Buffer.alloc(20, 0x01)
const CONST_2 = Buffer.alloc(20, 0x02)

/** K1 = HMAC_SIK(0x01 x 20): the integrity key. */
export function deriveK1(auth: number, sik: Uint8Array): Buffer {
  return hmac(auth, sik, CONST_1)
}

/** K2 = HMAC_SIK(0x02 x 20): its first 16 bytes are the AES key. */
export function deriveK2(auth: number, sik: Uint8Array): Buffer {
  return hmac(auth, sik, CONST_2)
}

/** Session trailer AuthCode over auth type .. next header (IPMI v2.0 §13.28.4). */
export function integrityCode(integrity: number, k1: Uint8Array, signed: Uint8Array): Buffer {
  switch (integrity) {
    case IntegrityAlg.HmacSha1_96: return createHmac('sha1', k1).update(signed).digest().subarray(0, 12)
    case IntegrityAlg.HmacSha256_128: return createHmac('sha256', k1).update(signed).digest().subarray(0, 16)
    default: throw new Error(`unsupported integrity algorithm ${integrity}`)
  }
}

/** Constant-time comparison of two codes; different lengths never match. */
export function codesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b)
}

/** AES block and IV length (IPMI v2.0 §13.29). */
const AES_BLOCK = 16

/** Bytes an AES-CBC-128 payload of `plaintextLength` takes on the wire: IV, then the padded blocks. */
export function aesPayloadLength(plaintextLength: number): number {
  return AES_BLOCK + (plaintextLength + 1 + ((AES_BLOCK - ((plaintextLength + 1) % AES_BLOCK)) % AES_BLOCK))
}

/**
 * One key's AES-128 block transform, made once and used for every packet of
 * the session: CBC is chained here over an ECB cipher and decipher, so a
 * packet costs no cipher objects of its own (a fresh createCipheriv per
 * packet was a large part of a cold worker's cost per SOL packet,
 * bench/RESULTS-sol.md). Without padding, an ECB update turns whole blocks
 * into whole blocks and keeps no state between calls.
 */
interface AesKey {
  enc: Cipher
  dec: Decipher
}

/** By the K2 the caller holds (a session's, for its lifetime): no copy of the key is kept elsewhere. */
const aesKeys = new WeakMap<Uint8Array, AesKey>()
/**
 * Random IVs are cut from a pool of random bytes refilled when spent, each
 * used once: one randomFillSync call per IV_POOL_SIZE packets instead of one
 * per packet (as node's randomUUID pools its entropy).
 */
const IV_POOL_SIZE = 64
const ivPool = Buffer.alloc(AES_BLOCK * IV_POOL_SIZE)
let ivPoolAt = ivPool.length

function freshIv(out: Uint8Array, offset: number): void {
  if (ivPoolAt === ivPool.length) {
    randomFillSync(ivPool)
    ivPoolAt = 0
  }
  for (let i = 0; i < AES_BLOCK; i++) out[offset + i] = ivPool[ivPoolAt + i]!
  ivPoolAt += AES_BLOCK
}

/** One block being chained (update copies its input, so one buffer serves every call). */
const chainBlock = Buffer.alloc(AES_BLOCK)

function aesKey(k2: Uint8Array): AesKey {
  let k = aesKeys.get(k2)
  if (k === undefined) {
    const key = k2.subarray(0, AES_BLOCK)
    const enc = createCipheriv('aes-128-ecb', key, null)
    enc.setAutoPadding(false)
    const dec = createDecipheriv('aes-128-ecb', key, null)
    dec.setAutoPadding(false)
    k = { enc, dec }
    aesKeys.set(k2, k)
  }
  return k
}

/**
 * Writes the AES-CBC-128 payload of `plaintext` into `out` at `offset`:
 * IV(16) | AES(K2[0..15], plaintext | 1,2,..,n | n), IPMI v2.0 §13.29, and
 * returns its length (aesPayloadLength). The pad is IPMI's own (not PKCS#7):
 * n in 0..15 so the blocks fill up. The IV is `iv` when given (a test seam),
 * otherwise fresh random bytes.
 */
export function aesEncryptInto(k2: Uint8Array, iv: Uint8Array | undefined, plaintext: Uint8Array, out: Uint8Array, offset: number): number {
  const len = aesPayloadLength(plaintext.length)
  if (iv !== undefined) out.set(iv.subarray(0, AES_BLOCK), offset)
  else freshIv(out, offset)
  const enc = aesKey(k2).enc
  const n = plaintext.length
  const pad = len - AES_BLOCK - n - 1
  let prev = offset
  for (let i = 0; i < len - AES_BLOCK; i += AES_BLOCK) {
    for (let j = 0; j < AES_BLOCK; j++) {
      const at = i + j
      const plain = at < n ? plaintext[at]! : at < n + pad ? at - n + 1 : pad
      chainBlock[j] = plain ^ out[prev + j]!
    }
    out.set(enc.update(chainBlock), prev + AES_BLOCK)
    prev += AES_BLOCK
  }
  return len
}

/** AES-CBC-128 payload of `plaintext` with this IV (see aesEncryptInto). */
export function aesEncrypt(k2: Uint8Array, iv: Uint8Array, plaintext: Uint8Array): Buffer {
  const b = Buffer.alloc(aesPayloadLength(plaintext.length))
  aesEncryptInto(k2, iv, plaintext, b, 0)
  return b
}

/** The plaintext of an AES-CBC-128 payload (IV first), its IPMI pad checked and removed; a view of one fresh buffer. */
export function aesDecrypt(k2: Uint8Array, payload: Uint8Array): Buffer {
  const what = 'AES-CBC-128 payload'
  if (payload.length < 32 || (payload.length - 16) % 16 !== 0) {
    throw new IpmiDecodeError(what, 0, 32, payload.length, 'length is not IV plus whole blocks')
  }
  const plain = aesKey(k2).dec.update(payload.subarray(AES_BLOCK))
  // CBC: each block XOR the one before it on the wire (the IV for the first).
  for (let i = 0; i < plain.length; i++) plain[i] = plain[i]! ^ payload[i]!
  const n = plain[plain.length - 1]!
  if (n > 15 || n + 1 > plain.length) throw new IpmiDecodeError(what, plain.length - 1, 1, 1, `bad pad length ${n}`)
  const end = plain.length - 1 - n
  for (let i = 1; i <= n; i++) {
    if (plain[end + i - 1] !== i) throw new IpmiDecodeError(what, end + i - 1, 1, 1, 'confidentiality pad is not 1..n')
  }
  return plain.subarray(0, end)
}

/**
 * The BMC's side of RAKP key exchange, written from the spec text (IPMI v2.0
 * §13.31-§13.32; reference/ipmi-spec.md §2.7-§2.9) rather than by calling the
 * client's helpers in src/ipmi/crypto.ts, so a mistake there shows up as a
 * failed login against this simulator instead of being shared by both halves.
 * Only the per-packet AuthCode and AES go through src/ipmi (the codec).
 *
 * Hazards: session IDs are hashed as the 4 little-endian bytes sent on the
 * wire; ROLEm is the whole RAKP 1 byte (lookup bit included); the user name
 * has its real length; K1/K2 use a 20-byte constant even for SHA-256.
 */
import { createHmac } from 'node:crypto'

/** Authentication algorithm numbers, IPMI v2.0 Table 13-17. */
export const RAKP_NONE = 0x00
export const RAKP_HMAC_SHA1 = 0x01
export const RAKP_HMAC_SHA256 = 0x03

export interface BmcHandshake {
  auth: number
  /** SIDm: the console's session ID (from Open Session). */
  consoleSessionId: number
  /** SIDc: ours. */
  bmcSessionId: number
  /** Rm, from RAKP 1. */
  consoleRandom: Buffer
  /** Rc, ours, sent in RAKP 2. */
  bmcRandom: Buffer
  guid: Buffer
  /** ROLEm byte exactly as received (quirk opensesspriv: the byte that BMC hashes instead). */
  role: number
  username: Buffer
}

function le32(n: number): Buffer {
  const b = Buffer.alloc(4)
  b.writeUInt32LE(n >>> 0)
  return b
}

function mac(auth: number, key: Buffer, data: Buffer): Buffer {
  if (auth === RAKP_NONE) return Buffer.alloc(0)
  const algorithm = auth === RAKP_HMAC_SHA256 ? 'sha256' : auth === RAKP_HMAC_SHA1 ? 'sha1' : undefined
  if (algorithm === undefined) throw new RangeError(`authentication algorithm ${auth} is not simulated`)
  return createHmac(algorithm, key).update(data).digest()
}

/** RAKP 2 key exchange auth code: HMAC_Kuid(SIDm, SIDc, Rm, Rc, GUIDc, ROLEm, ULENGTHm, UNAMEm). */
export function bmcRakp2Code(h: BmcHandshake, kuid: Buffer): Buffer {
  return mac(h.auth, kuid, Buffer.concat([
    le32(h.consoleSessionId), le32(h.bmcSessionId), h.consoleRandom, h.bmcRandom, h.guid,
    Buffer.from([h.role, h.username.length]), h.username,
  ]))
}

/** What RAKP 3 must carry: HMAC_Kuid(Rc, SIDm, ROLEm, ULENGTHm, UNAMEm). */
export function expectedRakp3Code(h: BmcHandshake, kuid: Buffer): Buffer {
  return mac(h.auth, kuid, Buffer.concat([h.bmcRandom, le32(h.consoleSessionId), Buffer.from([h.role, h.username.length]), h.username]))
}

/** SIK = HMAC_KG(Rm, Rc, ROLEm, ULENGTHm, UNAMEm), KG = K_G if set, else Kuid. */
export function bmcSik(h: BmcHandshake, kg: Buffer): Buffer {
  return mac(h.auth, kg, Buffer.concat([h.consoleRandom, h.bmcRandom, Buffer.from([h.role, h.username.length]), h.username]))
}

/** RAKP 4 integrity check value: HMAC_SIK(Rm, SIDc, GUIDc), truncated to 12 (SHA1) or 16 (SHA256) bytes. */
export function bmcRakp4Icv(h: BmcHandshake, sik: Buffer): Buffer {
  const full = mac(h.auth, sik, Buffer.concat([h.consoleRandom, le32(h.bmcSessionId), h.guid]))
  return full.subarray(0, h.auth === RAKP_HMAC_SHA256 ? 16 : h.auth === RAKP_HMAC_SHA1 ? 12 : 0)
}

/** K1 (integrity key) and K2 (first 16 bytes = AES key): HMAC_SIK(0x01 x 20), HMAC_SIK(0x02 x 20). */
export function bmcSessionKeys(auth: number, sik: Buffer): { k1: Buffer; k2: Buffer } {
  return { k1: mac(auth, sik, Buffer.alloc(20, 0x01)), k2: mac(auth, sik, Buffer.alloc(20, 0x02)) }
}

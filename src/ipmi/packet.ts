/**
 * Datagram framing: the RMCP header (IPMI v2.0 §13.1.3), the IPMI 1.5 session
 * header used only for pre-session Get Channel Authentication Capabilities
 * (§13.6, Table 13-4) and the IPMI 2.0 / RMCP+ session header and trailer
 * (§13.6, Table 13-8).
 *
 * Owns framing, integrity and confidentiality of one datagram; knows nothing
 * of sessions, sequence windows or retries. Inbound packets are parsed in two
 * steps so the caller can choose the session keys by session ID: parse, then
 * open (which checks the AuthCode before anything else, then decrypts).
 */
import { Reader } from './bytes.js'
import { IpmiDecodeError } from './errors.js'
import { aesDecrypt, aesEncryptInto, aesPayloadLength, codesEqual, ConfidentialityAlg, integrityCode, integrityCodeLength, IntegrityAlg } from './crypto.js'

export const RMCP_VERSION = 0x06
export const RMCP_SEQ_NO_ACK = 0xff
export const RMCP_CLASS_IPMI = 0x07
export const RMCP_CLASS_ASF = 0x06

/** RMCP+ payload types (IPMI v2.0 Table 13-16). */
export const PayloadType = {
  Ipmi: 0x00,
  Sol: 0x01,
  OemExplicit: 0x02,
  OpenSessionRequest: 0x10,
  OpenSessionResponse: 0x11,
  Rakp1: 0x12,
  Rakp2: 0x13,
  Rakp3: 0x14,
  Rakp4: 0x15,
} as const

export const AUTH_TYPE_NONE = 0x00
export const AUTH_TYPE_RMCP_PLUS = 0x06

/** Keys and algorithms of an established session; absent before RAKP4. */
export interface SessionCrypto {
  integrity: number
  confidentiality: number
  k1: Uint8Array
  k2: Uint8Array
}

const RMCP_HEADER = Buffer.from([RMCP_VERSION, 0x00, RMCP_SEQ_NO_ACK, RMCP_CLASS_IPMI])
const RMCP_HEADER_LENGTH = 4

/** Checks the RMCP header (IPMI v2.0 §13.1.3) or throws; the IPMI session part starts after it. */
function checkRmcp(datagram: Uint8Array): void {
  if (datagram.length < RMCP_HEADER_LENGTH) throw new IpmiDecodeError('RMCP header', 0, RMCP_HEADER_LENGTH, datagram.length)
  if (datagram[0] !== RMCP_VERSION || datagram[3] !== RMCP_CLASS_IPMI) {
    throw new IpmiDecodeError('RMCP header', 0, RMCP_HEADER_LENGTH, datagram.length, 'not an RMCP IPMI-class message')
  }
}

/** The IPMI session part of a datagram whose RMCP header checks. */
function stripRmcp(datagram: Uint8Array): Buffer {
  checkRmcp(datagram)
  return Buffer.from(datagram.buffer, datagram.byteOffset + RMCP_HEADER_LENGTH, datagram.byteLength - RMCP_HEADER_LENGTH)
}

export interface V15Packet {
  authType: number
  sessionSeq: number
  sessionId: number
  payload: Buffer
}

/** IPMI 1.5 session header with auth type none: only for pre-session messages. */
export function encodeV15Packet(msg: Uint8Array, sessionSeq = 0, sessionId = 0): Buffer {
  const b = Buffer.alloc(4 + 10 + msg.length)
  RMCP_HEADER.copy(b, 0)
  b[4] = AUTH_TYPE_NONE
  b.writeUInt32LE(sessionSeq >>> 0, 5)
  b.writeUInt32LE(sessionId >>> 0, 9)
  b[13] = msg.length
  b.set(msg, 14)
  return b
}

export function decodeV15Packet(datagram: Uint8Array): V15Packet {
  const r = new Reader('IPMI 1.5 session header', stripRmcp(datagram))
  const authType = r.u8()
  const sessionSeq = r.u32()
  const sessionId = r.u32()
  // An auth code follows only when auth type is not none; we never use those.
  if (authType !== AUTH_TYPE_NONE) r.bytes(16)
  const len = r.u8()
  return { authType, sessionSeq, sessionId, payload: r.bytes(len) }
}

/** The first byte after RMCP: 0x06 marks an RMCP+ (IPMI 2.0) session header. */
export function sessionFormat(datagram: Uint8Array): 'v15' | 'v20' {
  checkRmcp(datagram)
  if (datagram.length < RMCP_HEADER_LENGTH + 1) throw new IpmiDecodeError('IPMI session header', 4, 1, 0)
  return datagram[RMCP_HEADER_LENGTH] === AUTH_TYPE_RMCP_PLUS ? 'v20' : 'v15'
}

export interface RmcpPlusOut {
  payloadType: number
  sessionId: number
  sessionSeq: number
  payload: Uint8Array
  /** Present once a session is active and the packet must be signed/encrypted. */
  crypto?: SessionCrypto
  /** Test seam: a fixed IV instead of a random one. */
  iv?: Uint8Array
}

export function encodeRmcpPlusPacket(p: RmcpPlusOut): Buffer {
  return encodeSessionPacket(p.payloadType, p.sessionId, p.sessionSeq, p.payload, p.crypto, p.iv)
}

/** RMCP+ session header length, auth type through payload length (IPMI v2.0 Table 13-8). */
const SESSION_HEADER_LENGTH = 12
/** Next header in the session trailer: always 07h (IPMI v2.0 Table 13-8). */
const NEXT_HEADER = 0x07

/**
 * encodeRmcpPlusPacket with positional arguments, for the session's per-packet
 * path: one buffer, written once (IV and ciphertext in place, the AuthCode
 * over the bytes already there), and no argument object.
 */
export function encodeSessionPacket(payloadType: number, sessionId: number, sessionSeq: number, payload: Uint8Array, c?: SessionCrypto, iv?: Uint8Array): Buffer {
  const encrypt = c !== undefined && c.confidentiality !== ConfidentialityAlg.None
  const authenticate = c !== undefined && c.integrity !== IntegrityAlg.None
  const bodyLen = encrypt ? aesPayloadLength(payload.length) : payload.length
  let trailerLen = 0
  let pad = 0
  if (authenticate) {
    // Integrity pad: auth type .. next header must be a multiple of 4 (IPMI v2.0 §13.28.4).
    pad = (4 - ((SESSION_HEADER_LENGTH + bodyLen + 2) % 4)) % 4
    trailerLen = pad + 2 + integrityCodeLength(c.integrity)
  }
  // Every byte is written below, so the buffer need not be zeroed first.
  const b = Buffer.allocUnsafe(RMCP_HEADER_LENGTH + SESSION_HEADER_LENGTH + bodyLen + trailerLen)
  RMCP_HEADER.copy(b, 0)
  let o = RMCP_HEADER_LENGTH
  b[o++] = AUTH_TYPE_RMCP_PLUS
  b[o++] = (encrypt ? 0x80 : 0) | (authenticate ? 0x40 : 0) | (payloadType & 0x3f)
  b.writeUInt32LE(sessionId >>> 0, o); o += 4
  b.writeUInt32LE(sessionSeq >>> 0, o); o += 4
  b.writeUInt16LE(bodyLen, o); o += 2
  if (encrypt) aesEncryptInto(c.k2, iv, payload, b, o)
  else b.set(payload, o)
  o += bodyLen
  if (authenticate) {
    b.fill(0xff, o, o + pad); o += pad
    b[o++] = pad
    b[o++] = NEXT_HEADER
    b.set(integrityCode(c.integrity, c.k1, b.subarray(RMCP_HEADER_LENGTH, o)), o)
  }
  return b
}

export interface RmcpPlusIn {
  encrypted: boolean
  authenticated: boolean
  payloadType: number
  sessionId: number
  sessionSeq: number
  /** Payload bytes as on the wire (still encrypted when `encrypted`). */
  rawPayload: Buffer
  /** Bytes from auth type through next header, the AuthCode input. */
  signed: Buffer
  authCode: Buffer
}

/** The signed bytes and AuthCode of a packet without integrity. */
const EMPTY = Buffer.alloc(0)

/**
 * Step 1: parse framing without keys. Throws IpmiDecodeError on any malformed field.
 * The payload, signed bytes and AuthCode are views of `datagram` (no copies):
 * a received datagram is a buffer of its own, never reused.
 */
export function parseRmcpPlusPacket(datagram: Uint8Array): RmcpPlusIn {
  const s = stripRmcp(datagram)
  const r = new Reader('RMCP+ session header', s)
  const authType = r.u8()
  if (authType !== AUTH_TYPE_RMCP_PLUS) throw new IpmiDecodeError('RMCP+ session header', 4, 1, 1, `auth type ${authType} is not RMCP+`)
  const pt = r.u8()
  const payloadType = pt & 0x3f
  // OEM explicit payloads carry IANA (4) and OEM payload ID (2) here; we skip them.
  if (payloadType === PayloadType.OemExplicit) r.skip(6)
  const sessionId = r.u32()
  const sessionSeq = r.u32()
  const len = r.u16()
  const rawPayload = r.view(len)
  const authenticated = (pt & 0x40) !== 0
  let signed: Buffer = EMPTY
  let authCode: Buffer = EMPTY
  if (authenticated) {
    // Trailer: pad (0xFF x p) | p | 07h | AuthCode. The AuthCode length depends on
    // the session's algorithm, so take p from where the pad fills to a 4-byte boundary.
    const afterPayload = r.offset
    const pad = (4 - ((afterPayload + 2) % 4)) % 4
    r.need(pad + 2)
    r.skip(pad)
    const padLen = r.u8()
    const next = r.u8()
    if (padLen !== pad) throw new IpmiDecodeError('RMCP+ session trailer', afterPayload + pad, 1, 1, `pad length ${padLen}, expected ${pad}`)
    if (next !== NEXT_HEADER) throw new IpmiDecodeError('RMCP+ session trailer', afterPayload + pad + 1, 1, 1, `next header ${next}, expected 7`)
    signed = s.subarray(0, r.offset)
    authCode = r.view(r.remaining)
  }
  return { encrypted: (pt & 0x80) !== 0, authenticated, payloadType, sessionId, sessionSeq, rawPayload, signed, authCode }
}

/**
 * Step 2: check the AuthCode (constant time) and decrypt. A session with
 * integrity refuses unsigned packets, as pyghmi does: a BMC that stops
 * signing is not trusted.
 */
export function openRmcpPlusPacket(p: RmcpPlusIn, c: SessionCrypto | undefined): Buffer {
  if (c === undefined || c.integrity === IntegrityAlg.None) {
    if (p.encrypted) throw new IpmiDecodeError('RMCP+ payload', 0, 0, 0, 'encrypted packet outside an encrypted session')
    return p.rawPayload
  }
  if (!p.authenticated) throw new IpmiDecodeError('RMCP+ AuthCode', 0, 0, 0, 'unauthenticated packet in an authenticated session')
  const expected = integrityCode(c.integrity, c.k1, p.signed)
  if (!codesEqual(expected, p.authCode)) throw new IpmiDecodeError('RMCP+ AuthCode', 0, expected.length, p.authCode.length, 'integrity check failed')
  if (c.confidentiality === ConfidentialityAlg.None) {
    if (p.encrypted) throw new IpmiDecodeError('RMCP+ payload', 0, 0, 0, 'encrypted packet in a session without confidentiality')
    return p.rawPayload
  }
  if (!p.encrypted) throw new IpmiDecodeError('RMCP+ payload', 0, 0, 0, 'plaintext packet in an encrypted session')
  return aesDecrypt(c.k2, p.rawPayload)
}

/**
 * RMCP+ session establishment payloads: Open Session Request/Response
 * (IPMI v2.0 §13.17, §13.18) and RAKP Messages 1-4 (§13.20-§13.23).
 * Encoders and decoders for both directions, so src/sim can reuse them.
 *
 * Hazard: ROLEm (RAKP1 byte 24) is hashed whole, lookup bit included; the
 * username is 0..16 bytes and hashed with its real length, never padded.
 * Status codes are IPMI v2.0 Table 13-15.
 */
import { Reader } from './bytes.js'
import { IpmiDecodeError } from './errors.js'

export const RMCP_PLUS_STATUS: Readonly<Record<number, string>> = {
  0x00: 'no errors',
  0x01: 'insufficient resources to create a session',
  0x02: 'invalid session ID',
  0x03: 'invalid payload type',
  0x04: 'invalid authentication algorithm',
  0x05: 'invalid integrity algorithm',
  0x06: 'no matching authentication payload',
  0x07: 'no matching integrity payload',
  0x08: 'inactive session ID',
  0x09: 'invalid role',
  0x0a: 'unauthorized role or privilege level requested',
  0x0b: 'insufficient resources to create a session at the requested role',
  0x0c: 'invalid name length',
  0x0d: 'unauthorized name',
  0x0e: 'unauthorized GUID',
  0x0f: 'invalid integrity check value',
  0x10: 'invalid confidentiality algorithm',
  0x11: 'no cipher suite match with proposed security algorithms',
  0x12: 'illegal or unrecognized parameter',
}

export function rmcpPlusStatusMeaning(status: number): string {
  return RMCP_PLUS_STATUS[status] ?? 'reserved status code'
}

/** Privilege levels (IPMI v2.0 Table 6-2 numbering as used in RAKP1 and Set Session Privilege). */
export const Privilege = { Callback: 1, User: 2, Operator: 3, Administrator: 4, Oem: 5 } as const
export type PrivilegeName = 'callback' | 'user' | 'operator' | 'administrator' | 'oem'
export const PRIVILEGE_NAMES: Readonly<Record<number, PrivilegeName>> = { 1: 'callback', 2: 'user', 3: 'operator', 4: 'administrator', 5: 'oem' }

/** RAKP1 ROLEm bit 4: look the user up by name only (1) or by name and privilege (0). */
export const ROLE_NAME_ONLY_LOOKUP = 0x10

export interface OpenSessionRequest {
  messageTag: number
  /** 0 = highest matching the proposed algorithms; ipmi_sim needs an explicit level. */
  requestedPrivilege: number
  remoteConsoleSessionId: number
  auth: number
  integrity: number
  confidentiality: number
}

export interface OpenSessionResponse {
  messageTag: number
  status: number
  maxPrivilege: number
  remoteConsoleSessionId: number
  managedSystemSessionId: number
  auth: number
  integrity: number
  confidentiality: number
}

function proposal(type: number, alg: number): number[] {
  // [payload type, reserved(2), payload length 08h, algorithm, reserved(3)]
  return [type, 0, 0, 0x08, alg & 0x3f, 0, 0, 0]
}

export function encodeOpenSessionRequest(r: OpenSessionRequest): Buffer {
  const b = Buffer.alloc(32)
  b[0] = r.messageTag
  b[1] = r.requestedPrivilege & 0x0f
  b.writeUInt32LE(r.remoteConsoleSessionId >>> 0, 4)
  b.set(proposal(0, r.auth), 8)
  b.set(proposal(1, r.integrity), 16)
  b.set(proposal(2, r.confidentiality), 24)
  return b
}

function readProposal(r: Reader, type: number): number {
  const t = r.u8()
  r.bytes(2)
  const len = r.u8()
  const alg = r.u8() & 0x3f
  r.bytes(3)
  if (t !== type || len !== 8) throw new IpmiDecodeError(r.what, r.offset - 8, 8, 8, `bad algorithm proposal (type ${t}, length ${len})`)
  return alg
}

export function decodeOpenSessionRequest(b: Buffer): OpenSessionRequest {
  const r = new Reader('Open Session Request', b)
  const messageTag = r.u8()
  const requestedPrivilege = r.u8() & 0x0f
  r.bytes(2)
  const remoteConsoleSessionId = r.u32()
  return { messageTag, requestedPrivilege, remoteConsoleSessionId, auth: readProposal(r, 0), integrity: readProposal(r, 1), confidentiality: readProposal(r, 2) }
}

export function encodeOpenSessionResponse(r: OpenSessionResponse): Buffer {
  // On error the BMC may stop after the console session ID (8 bytes).
  if (r.status !== 0) {
    const b = Buffer.alloc(8)
    b[0] = r.messageTag
    b[1] = r.status
    b.writeUInt32LE(r.remoteConsoleSessionId >>> 0, 4)
    return b
  }
  const b = Buffer.alloc(36)
  b[0] = r.messageTag
  b[1] = r.status
  b[2] = r.maxPrivilege
  b.writeUInt32LE(r.remoteConsoleSessionId >>> 0, 4)
  b.writeUInt32LE(r.managedSystemSessionId >>> 0, 8)
  b.set(proposal(0, r.auth), 12)
  b.set(proposal(1, r.integrity), 20)
  b.set(proposal(2, r.confidentiality), 28)
  return b
}

export function decodeOpenSessionResponse(b: Buffer): OpenSessionResponse {
  const r = new Reader('Open Session Response', b)
  const messageTag = r.u8()
  const status = r.u8()
  if (status !== 0) {
    // QUIRK(ipmi_sim): error responses may stop after the status byte; a
    // missing console session ID reads as 0.
    const maxPrivilege = (r.optionalU8() ?? 0) & 0x0f
    r.optionalU8()
    const remoteConsoleSessionId = r.remaining >= 4 ? r.u32() : 0
    return { messageTag, status, maxPrivilege, remoteConsoleSessionId, managedSystemSessionId: 0, auth: 0, integrity: 0, confidentiality: 0 }
  }
  const maxPrivilege = r.u8() & 0x0f
  r.u8()
  const remoteConsoleSessionId = r.u32()
  const managedSystemSessionId = r.u32()
  return { messageTag, status, maxPrivilege, remoteConsoleSessionId, managedSystemSessionId, auth: readProposal(r, 0), integrity: readProposal(r, 1), confidentiality: readProposal(r, 2) }
}

export interface Rakp1 {
  messageTag: number
  managedSystemSessionId: number
  consoleRandom: Buffer
  /** ROLEm: privilege (b3:0) | name-only lookup bit (b4). */
  role: number
  username: Buffer
}

export function encodeRakp1(m: Rakp1): Buffer {
  if (m.username.length > 16) throw new RangeError('IPMI user names are at most 16 bytes')
  const b = Buffer.alloc(28 + m.username.length)
  b[0] = m.messageTag
  b.writeUInt32LE(m.managedSystemSessionId >>> 0, 4)
  m.consoleRandom.copy(b, 8)
  b[24] = m.role
  b[27] = m.username.length
  m.username.copy(b, 28)
  return b
}

export function decodeRakp1(b: Buffer): Rakp1 {
  const r = new Reader('RAKP Message 1', b)
  const messageTag = r.u8()
  r.bytes(3)
  const managedSystemSessionId = r.u32()
  const consoleRandom = r.bytes(16)
  const role = r.u8()
  r.bytes(2)
  const len = r.u8()
  if (len > 16) throw new IpmiDecodeError('RAKP Message 1', 27, 1, 1, `user name length ${len} exceeds 16`)
  return { messageTag, managedSystemSessionId, consoleRandom, role, username: r.bytes(len) }
}

export interface Rakp2 {
  messageTag: number
  status: number
  remoteConsoleSessionId: number
  bmcRandom: Buffer
  bmcGuid: Buffer
  /** Key exchange auth code; its length depends on the auth algorithm (0 for none). */
  authCode: Buffer
}

export function encodeRakp2(m: Rakp2): Buffer {
  if (m.status !== 0) return Buffer.from([m.messageTag, m.status, 0, 0, ...u32(m.remoteConsoleSessionId)])
  return Buffer.concat([Buffer.from([m.messageTag, m.status, 0, 0, ...u32(m.remoteConsoleSessionId)]), m.bmcRandom, m.bmcGuid, m.authCode])
}

/**
 * The auth code's length depends on the suite (rakpAuthCodeLength); pass it so
 * a code cut short is a decode error rather than a wrong-password mismatch.
 * Without it the rest of the payload is taken. Extra bytes are ignored.
 */
export function decodeRakp2(b: Buffer, authCodeLength?: number): Rakp2 {
  const r = new Reader('RAKP Message 2', b)
  const messageTag = r.u8()
  const status = r.u8()
  if (status !== 0) return { messageTag, status, remoteConsoleSessionId: shortErrorSessionId(r), bmcRandom: Buffer.alloc(0), bmcGuid: Buffer.alloc(0), authCode: Buffer.alloc(0) }
  r.bytes(2)
  const remoteConsoleSessionId = r.u32()
  if (status !== 0) return { messageTag, status, remoteConsoleSessionId, bmcRandom: Buffer.alloc(0), bmcGuid: Buffer.alloc(0), authCode: Buffer.alloc(0) }
  return { messageTag, status, remoteConsoleSessionId, bmcRandom: r.bytes(16), bmcGuid: r.bytes(16), authCode: authCodeLength === undefined ? r.rest() : r.bytes(authCodeLength) }
}

export interface Rakp3 {
  messageTag: number
  status: number
  managedSystemSessionId: number
  authCode: Buffer
}

export function encodeRakp3(m: Rakp3): Buffer {
  return Buffer.concat([Buffer.from([m.messageTag, m.status, 0, 0, ...u32(m.managedSystemSessionId)]), m.authCode])
}

/** As decodeRakp2: pass the suite's auth code length to refuse a short code. */
export function decodeRakp3(b: Buffer, authCodeLength?: number): Rakp3 {
  const r = new Reader('RAKP Message 3', b)
  const messageTag = r.u8()
  const status = r.u8()
  r.bytes(2)
  return { messageTag, status, managedSystemSessionId: r.u32(), authCode: authCodeLength === undefined ? r.rest() : r.bytes(authCodeLength) }
}

export interface Rakp4 {
  messageTag: number
  status: number
  remoteConsoleSessionId: number
  icv: Buffer
}

export function encodeRakp4(m: Rakp4): Buffer {
  return Buffer.concat([Buffer.from([m.messageTag, m.status, 0, 0, ...u32(m.remoteConsoleSessionId)]), m.icv])
}

/** As decodeRakp2, with the suite's ICV length (rakp4IcvLength). */
export function decodeRakp4(b: Buffer, icvLength?: number): Rakp4 {
  const r = new Reader('RAKP Message 4', b)
  const messageTag = r.u8()
  const status = r.u8()
  if (status !== 0) return { messageTag, status, remoteConsoleSessionId: shortErrorSessionId(r), icv: Buffer.alloc(0) }
  r.bytes(2)
  return { messageTag, status, remoteConsoleSessionId: r.u32(), icv: icvLength === undefined ? r.rest() : r.bytes(icvLength) }
}

/** Error answers may be cut short; a missing console session ID reads as 0. */
function shortErrorSessionId(r: Reader): number {
  if (r.remaining < 6) return 0
  r.bytes(2)
  return r.u32()
}

function u32(n: number): number[] {
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff]
}

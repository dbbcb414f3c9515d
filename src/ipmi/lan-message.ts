/**
 * IPMI LAN message framing: IPMI v2.0 §13.8, Table 13-8 (request) and the
 * matching response layout. Both sides are here because src/sim reuses them.
 *
 * Request:  rsAddr | netFn<<2|rsLUN | chk1 | rqAddr | rqSeq<<2|rqLUN | cmd | data | chk2
 * Response: rqAddr | netFn<<2|rqLUN | chk1 | rsAddr | rqSeq<<2|rsLUN | cmd | cc | data | chk2
 * chk1 covers the first two bytes, chk2 everything from the fourth byte on;
 * each is the two's complement of the byte sum (IPMI v2.0 §13.8).
 */
import { IpmiDecodeError } from './errors.js'

/** The BMC's responder address (IPMI v2.0 §5.5: 20h is the BMC). */
export const BMC_SA = 0x20
/** Our requester address: a remote console software ID (IPMI v2.0 §5.5, 81h). */
export const REMOTE_CONSOLE_SWID = 0x81

export interface LanRequest {
  rsAddr?: number
  netFn: number
  rsLun?: number
  rqAddr?: number
  /** 6-bit request sequence number, echoed by the response. */
  rqSeq: number
  rqLun?: number
  cmd: number
  data?: Uint8Array
}

export interface LanResponse {
  rqAddr: number
  /** The response netFn (odd: request netFn + 1). */
  netFn: number
  rqLun: number
  rsAddr: number
  rqSeq: number
  rsLun: number
  cmd: number
  cc: number
  data: Buffer
  /** The data checksum was wrong and the caller said to forgive it (decodeLanResponse's option). */
  dataChecksumForgiven?: true
}

export function checksum(b: Uint8Array, start: number, end: number): number {
  let sum = 0
  for (let i = start; i < end; i++) sum = (sum + b[i]!) & 0xff
  return (0x100 - sum) & 0xff
}

export function encodeLanRequest(req: LanRequest): Buffer {
  const data = req.data ?? new Uint8Array(0)
  const b = Buffer.alloc(7 + data.length)
  b[0] = req.rsAddr ?? BMC_SA
  b[1] = ((req.netFn & 0x3f) << 2) | ((req.rsLun ?? 0) & 0x03)
  b[2] = checksum(b, 0, 2)
  b[3] = req.rqAddr ?? REMOTE_CONSOLE_SWID
  b[4] = ((req.rqSeq & 0x3f) << 2) | ((req.rqLun ?? 0) & 0x03)
  b[5] = req.cmd
  b.set(data, 6)
  b[6 + data.length] = checksum(b, 3, 6 + data.length)
  return b
}

/** Checks both checksums; returns false when only the data checksum is wrong and `forgiveData` is set. */
function verifyChecksums(b: Buffer, what: string, forgiveData = false): boolean {
  if (checksum(b, 0, 2) !== b[2]) throw new IpmiDecodeError(what, 2, 1, 1, 'header checksum mismatch')
  // chk2 makes the sum of bytes 3..end (itself included) zero.
  if (checksum(b, 3, b.length) === 0) return true
  if (forgiveData) return false
  throw new IpmiDecodeError(what, b.length - 1, 1, 1, 'data checksum mismatch')
}

export interface LanResponseOptions {
  /**
   * Accept a wrong data checksum (QUIRK(Supermicro X9) "nochecksumcheck"):
   * only for a message whose packet passed an integrity check, which covers
   * the same bytes; the result says it was forgiven.
   */
  forgiveDataChecksum?: boolean
}

export function decodeLanResponse(b: Buffer, opts: LanResponseOptions = {}): LanResponse {
  const what = 'IPMI LAN response'
  // pyghmi drops IPMI payloads shorter than 7 bytes; a response needs 8 (cc included).
  if (b.length < 8) throw new IpmiDecodeError(what, 0, 8, b.length)
  const dataOk = verifyChecksums(b, what, opts.forgiveDataChecksum === true)
  return {
    ...(dataOk ? {} : { dataChecksumForgiven: true as const }),
    rqAddr: b[0]!,
    netFn: b[1]! >> 2,
    rqLun: b[1]! & 0x03,
    rsAddr: b[3]!,
    rqSeq: b[4]! >> 2,
    rsLun: b[4]! & 0x03,
    cmd: b[5]!,
    cc: b[6]!,
    data: Buffer.from(b.subarray(7, b.length - 1)),
  }
}

/** Server side (src/sim): decode a request a console sent. */
export function decodeLanRequest(b: Buffer): Required<LanRequest> & { data: Buffer } {
  const what = 'IPMI LAN request'
  if (b.length < 7) throw new IpmiDecodeError(what, 0, 7, b.length)
  verifyChecksums(b, what)
  return {
    rsAddr: b[0]!,
    netFn: b[1]! >> 2,
    rsLun: b[1]! & 0x03,
    rqAddr: b[3]!,
    rqSeq: b[4]! >> 2,
    rqLun: b[4]! & 0x03,
    cmd: b[5]!,
    data: Buffer.from(b.subarray(6, b.length - 1)),
  }
}

/** Server side (src/sim): the response to a decoded request. */
export function encodeLanResponse(req: Pick<LanRequest, 'netFn' | 'cmd' | 'rqSeq'> & { rqAddr?: number; rsAddr?: number; rqLun?: number; rsLun?: number }, cc: number, data: Uint8Array = new Uint8Array(0)): Buffer {
  const b = Buffer.alloc(8 + data.length)
  b[0] = req.rqAddr ?? REMOTE_CONSOLE_SWID
  b[1] = (((req.netFn | 1) & 0x3f) << 2) | ((req.rqLun ?? 0) & 0x03)
  b[2] = checksum(b, 0, 2)
  b[3] = req.rsAddr ?? BMC_SA
  b[4] = ((req.rqSeq & 0x3f) << 2) | ((req.rsLun ?? 0) & 0x03)
  b[5] = req.cmd
  b[6] = cc
  b.set(data, 7)
  b[7 + data.length] = checksum(b, 3, 7 + data.length)
  return b
}

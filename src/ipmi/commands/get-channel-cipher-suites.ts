/**
 * Get Channel Cipher Suites: IPMI v2.0 §22.15; record format Table 22-18,
 * algorithm numbers Table 22-19. Allowed before a session exists.
 * Owns: one page request/response, and a pure parser for the record data of
 * all pages joined together. Does not own the paging loop (the caller repeats
 * with listIndex + 1 while a page returns a full 16 bytes; ipmitool stops at
 * index 0x3F) or the choice of suite.
 * Hazard: records straddle pages (a page may end right after a 0xC0 tag), so
 * parse only the concatenation, never a single page.
 * QUIRK(ipmi_sim): the sim does not answer this command before a session;
 * callers must time out quickly and fall back to trying suites in order.
 */
import { NetFn, type IpmiCommand } from '../command.js'
import { Reader } from '../bytes.js'
import { IpmiDecodeError } from '../errors.js'
import { CURRENT_CHANNEL, PayloadType, checkChannel, checkRange } from './common.js'

/** The most record bytes one page carries; a shorter page is the last. */
export const CIPHER_SUITE_PAGE_BYTES = 16
/** Highest list index (6 bits). */
export const MAX_CIPHER_SUITE_LIST_INDEX = 0x3f

export interface GetChannelCipherSuitesRequest {
  /** Channel number; 0x0E (default) = this channel. */
  channel?: number
  /** Payload type the suites are for (default IPMI, 0x00). */
  payloadType?: number
  /** Page number, 0..63. Always sent with b7 set: "list algorithms by cipher suite". */
  listIndex: number
}

export interface GetChannelCipherSuitesResponse {
  channel: number
  /** 0..16 bytes of record data for this page. */
  recordData: Buffer
}

// Algorithm numbers (Table 22-19) are AuthAlg / IntegrityAlg / ConfidentialityAlg in ../crypto.ts.

export interface CipherSuiteRecord {
  /** Cipher suite ID (3 = SHA1/SHA1-96/AES, 17 = SHA256/SHA256-128/AES). */
  id: number
  /** Authentication algorithm number (tag 00b, b5:0). */
  auth: number
  /** Integrity algorithm number (tag 01b); 0 (none) when the record lists none. */
  integrity: number
  /** Confidentiality algorithm number (tag 10b); 0 (none) when the record lists none. */
  confidentiality: number
  /** Present only on OEM records (start tag 0xC1): the OEM's IANA number. */
  oemIana?: number
}

const START_STANDARD = 0xc0
const START_OEM = 0xc1
const TAG_MASK = 0xc0
const TAG_AUTH = 0x00
const TAG_INTEGRITY = 0x40
const TAG_CONFIDENTIALITY = 0x80

export const GetChannelCipherSuites: IpmiCommand<GetChannelCipherSuitesRequest, GetChannelCipherSuitesResponse> = {
  name: 'Get Channel Cipher Suites',
  netFn: NetFn.App,
  cmd: 0x54,
  encode(req) {
    return Buffer.from([
      checkChannel(req.channel ?? CURRENT_CHANNEL),
      checkRange('payloadType', req.payloadType ?? PayloadType.Ipmi, 0, 0x3f),
      0x80 | checkRange('listIndex', req.listIndex, 0, MAX_CIPHER_SUITE_LIST_INDEX),
    ])
  },
  decode(data) {
    const r = new Reader('Get Channel Cipher Suites response', data)
    const channel = r.u8()
    return { channel, recordData: r.rest() }
  },
}

/** True when this page was the last one (fewer than 16 record bytes). */
export function isLastCipherSuitePage(page: GetChannelCipherSuitesResponse): boolean {
  return page.recordData.length < CIPHER_SUITE_PAGE_BYTES
}

/**
 * Parses the record data of all pages, concatenated in page order.
 * A record is a start tag (0xC0, or 0xC1 + 3-byte IANA for OEM), the suite
 * ID, then algorithm bytes whose top two bits say which kind they are, up to
 * the next start tag. ipmitool assumes exactly one of each (5-byte records);
 * go-ipmi notes that integrity and confidentiality may be left out, which we
 * read as "none". If a record lists several of one kind, the first is kept:
 * no BMC we know of does that, and a suite has one of each by definition.
 */
export function parseCipherSuiteRecords(data: Uint8Array): CipherSuiteRecord[] {
  const what = 'cipher suite records'
  const r = new Reader(what, data)
  const out: CipherSuiteRecord[] = []
  while (r.remaining > 0) {
    const start = r.offset
    const tag = r.u8()
    if (tag !== START_STANDARD && tag !== START_OEM) {
      throw new IpmiDecodeError(what, start, 1, r.remaining + 1, `expected start of record 0xc0/0xc1 at offset ${start}, got 0x${tag.toString(16)}`)
    }
    const id = r.u8()
    const oemIana = tag === START_OEM ? r.u24() : undefined
    let auth: number | undefined
    let integrity: number | undefined
    let confidentiality: number | undefined
    while (r.remaining > 0 && ((r.buf[r.offset] ?? 0) & TAG_MASK) !== TAG_MASK) {
      const alg = r.u8()
      const n = alg & 0x3f
      if ((alg & TAG_MASK) === TAG_AUTH) auth ??= n
      else if ((alg & TAG_MASK) === TAG_INTEGRITY) integrity ??= n
      else if ((alg & TAG_MASK) === TAG_CONFIDENTIALITY) confidentiality ??= n
    }
    if (auth === undefined) {
      throw new IpmiDecodeError(what, r.offset, 1, r.remaining, `cipher suite ${id} record has no authentication algorithm`)
    }
    const rec: CipherSuiteRecord = { id, auth, integrity: integrity ?? 0, confidentiality: confidentiality ?? 0 }
    if (oemIana !== undefined) rec.oemIana = oemIana
    out.push(rec)
  }
  return out
}

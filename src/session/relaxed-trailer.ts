/**
 * QUIRK(integritypad): some BMCs pad the RMCP+ session trailer to the wrong
 * length (issue 13; src/sim/quirks.ts integritypad). The strict parser
 * (src/ipmi/packet.ts) takes the pad length from the 4-byte alignment the
 * spec demands (IPMI v2.0 §13.28.4) and drops anything else as malformed.
 * This parser instead finds the AuthCode from the packet's end (its length is
 * the session's integrity algorithm's), checks that pad, pad length byte and
 * next header (07h) fill exactly the bytes between payload and AuthCode, and
 * hands back the same RmcpPlusIn the strict parser would: the caller must then
 * verify the AuthCode (openRmcpPlusPacket), which covers the odd pad too, so
 * nothing unauthenticated gets through. Returns undefined for anything else.
 */
import type { RmcpPlusIn } from '../ipmi/packet.js'
import { PayloadType } from '../ipmi/packet.js'

const RMCP_HEADER = 4
const SESSION_HEADER = 12
const NEXT_HEADER = 0x07
const AUTHENTICATED = 0x40
const ENCRYPTED = 0x80
/** A pad longer than this is no alignment mistake (the spec's is at most 3). */
const MAX_PAD = 3

export function parseWithAnyPad(datagram: Buffer, authCodeLength: number): RmcpPlusIn | undefined {
  if (authCodeLength === 0 || datagram.length < RMCP_HEADER + SESSION_HEADER + 2 + authCodeLength) return undefined
  const pt = datagram[RMCP_HEADER + 1]!
  if ((pt & AUTHENTICATED) === 0 || (pt & 0x3f) === PayloadType.OemExplicit) return undefined
  const payloadLen = datagram.readUInt16LE(RMCP_HEADER + 10)
  const bodyEnd = RMCP_HEADER + SESSION_HEADER + payloadLen
  const codeAt = datagram.length - authCodeLength
  const pad = codeAt - 2 - bodyEnd
  if (pad < 0 || pad > MAX_PAD || datagram[codeAt - 2] !== pad || datagram[codeAt - 1] !== NEXT_HEADER) return undefined
  return {
    encrypted: (pt & ENCRYPTED) !== 0,
    authenticated: true,
    payloadType: pt & 0x3f,
    sessionId: datagram.readUInt32LE(RMCP_HEADER + 2),
    sessionSeq: datagram.readUInt32LE(RMCP_HEADER + 6),
    rawPayload: Buffer.from(datagram.subarray(RMCP_HEADER + SESSION_HEADER, bodyEnd)),
    signed: Buffer.from(datagram.subarray(RMCP_HEADER, codeAt)),
    authCode: Buffer.from(datagram.subarray(codeAt)),
  }
}

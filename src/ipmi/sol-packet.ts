/**
 * SOL payload codec: the 4-byte SOL header plus character data carried in
 * RMCP+ payload type 0x01 (IPMI v2.0 §15.9, Table 15-2, whose byte 4 has one
 * layout per direction). Pure: bytes in, typed value out and back; no
 * sequence state (that is src/sol/engine.ts).
 *
 * Byte 0 b3:0  packet sequence number, 1..15 cycling; 0 = ACK-only packet
 *              (carries no data and needs no ACK).
 * Byte 1 b3:0  sequence number of the packet being ACKed/NACKed; 0 = none.
 * Byte 2       accepted character count of that packet.
 * Byte 3       operation (console to BMC) or status (BMC to console) bits.
 * Byte 4..     character data.
 * Hazards: the accepted count is one byte, so a packet can carry at most 255
 * data bytes whatever size a BMC claims; the upper nibbles of bytes 0 and 1
 * are reserved and ignored on decode.
 */
import { Reader } from './bytes.js'

export const SOL_HEADER_LENGTH = 4
/** The accepted character count is one byte: no packet may carry more data. */
export const SOL_MAX_DATA = 255
/** Sequence numbers run 1..15; 0 marks an ACK-only packet (§15.9). */
export const SOL_SEQ_MAX = 15

/** Console to BMC operation bits, byte 3 (IPMI v2.0 Table 15-2). */
export const SolOperation = {
  /** b6: 1 = NACK: the console could not accept the characters of the ACKed packet. */
  Nack: 0x40,
  /** b5: assert RI (ring indicator / wake on ring). */
  RingWor: 0x20,
  /** b4: generate a BREAK on the serial line (about 300 ms). */
  Break: 0x10,
  /** b3: deassert CTS (clear to send) towards the system: flow-control pause. */
  DeassertCts: 0x08,
  /** b2: deassert DCD/DSR towards the system. */
  DeassertDcdDsr: 0x04,
  /** b1: flush the BMC's inbound (console to system) buffer. */
  FlushInbound: 0x02,
  /** b0: flush the BMC's outbound (system to console) buffer. */
  FlushOutbound: 0x01,
} as const

/** BMC to console status bits, byte 3 (IPMI v2.0 Table 15-2). */
export const SolStatus = {
  /** b6: 1 = NACK: the BMC could not accept (all) characters; resend when an ACK without NACK arrives. */
  Nack: 0x40,
  /** b5: character transfer unavailable (for instance the system is powered off). */
  TransferUnavailable: 0x20,
  /** b4: SOL deactivated: the payload is no longer active for this session. */
  Deactivated: 0x10,
  /** b3: characters from the system were dropped (transmit overrun). */
  TransmitOverrun: 0x08,
  /** b2: a BREAK was detected on the system's serial line. */
  BreakDetected: 0x04,
} as const

export interface SolPacket {
  /** 1..15 for a packet carrying data or operations; 0 for ACK-only. */
  seq: number
  /** Sequence number of the packet acknowledged here; 0 = this packet ACKs nothing. */
  ackSeq: number
  /** Characters accepted from the packet `ackSeq` (meaningless when ackSeq is 0). */
  acceptedCount: number
  /** Byte 3 as sent: SolOperation bits (console to BMC) or SolStatus bits (BMC to console). */
  flags: number
  data: Buffer
}

function checkNibble(field: string, v: number): number {
  if (!Number.isInteger(v) || v < 0 || v > SOL_SEQ_MAX) throw new RangeError(`${field} must be 0..15, got ${v}`)
  return v
}

function checkCount(n: number): void {
  if (!Number.isInteger(n) || n < 0 || n > 0xff) throw new RangeError(`acceptedCount must be 0..255, got ${n}`)
}

/** Encodes one SOL payload. Throws RangeError on out-of-range fields (a caller bug). */
export function encodeSolPacket(p: SolPacket): Buffer {
  checkNibble('seq', p.seq)
  checkNibble('ackSeq', p.ackSeq)
  checkCount(p.acceptedCount)
  if (p.data.length > SOL_MAX_DATA) throw new RangeError(`SOL data is ${p.data.length} bytes; at most ${SOL_MAX_DATA} fit`)
  if (p.seq === 0 && p.data.length > 0) throw new RangeError('an ACK-only packet (seq 0) carries no data')
  const b = Buffer.alloc(SOL_HEADER_LENGTH + p.data.length)
  b[0] = p.seq
  b[1] = p.ackSeq
  b[2] = p.acceptedCount
  b[3] = p.flags & 0xff
  p.data.copy(b, SOL_HEADER_LENGTH)
  return b
}

/**
 * Decodes one SOL payload. A BMC may send more than 255 data bytes (it
 * reports its own outbound size); those are returned as they came, as a view
 * of `b` (no copy: the caller's payload is a buffer of its own).
 */
export function decodeSolPacket(b: Uint8Array): SolPacket {
  const r = new Reader('SOL payload', b)
  r.need(SOL_HEADER_LENGTH)
  const seq = r.u8() & 0x0f
  const ackSeq = r.u8() & 0x0f
  const acceptedCount = r.u8()
  const flags = r.u8()
  return { seq, ackSeq, acceptedCount, flags, data: r.view(r.remaining) }
}

/** An ACK-only packet (seq 0) for `ackSeq`, with the console's standing control bits (written directly: one per received packet). */
export function encodeSolAck(ackSeq: number, acceptedCount: number, flags = 0): Buffer {
  checkNibble('ackSeq', ackSeq)
  checkCount(acceptedCount)
  const b = Buffer.allocUnsafe(SOL_HEADER_LENGTH)
  b[0] = 0
  b[1] = ackSeq
  b[2] = acceptedCount
  b[3] = flags & 0xff
  return b
}

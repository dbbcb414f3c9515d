/**
 * Tuning of the SOL data path, with the defaults, and the clamp for the
 * payload sizes a BMC reports (IPMI v2.0 §24.1, Table 24-2; §15.9 for the
 * one-byte accepted count). Pure values; no state.
 */
import { SOL_MAX_DATA } from '../ipmi/sol-packet.js'

export interface SolEngineTuning {
  /** First wait for the ACK of a packet before sending it again. */
  retransmitMs: number
  /** Each retransmit waits retransmitMs longer, up to this. */
  maxRetransmitMs: number
  /** Retransmits of one packet before the BMC counts as gone. */
  retries: number
  /** Time without any ACK for an outstanding packet before the BMC counts as gone. */
  ackTimeoutMs: number
  /**
   * Longest a BMC packet is left unacknowledged while the main thread has no
   * room for console output (SolEngineIo.admit); then it is taken anyway. Well
   * inside what BMCs retry before dropping a packet: ipmi_sim 5 resends 1 s
   * apart (lanserv/sol.c MAX_SOL_RESENDS), our simulator 7 x 500 ms, and a
   * BMC configured down to 3 x 500 ms (SOL configuration parameter 4) still
   * sends a copy after this.
   */
  maxHoldMs: number
  /** After a NACK, send the pending bytes anyway when no "ready" ACK came within this. */
  nackProbeMs: number
  /** write() returns false once this many bytes wait; 'drain' when half of it is left. */
  highWaterMark: number
  /** A writer that ignores back-pressure gets a RangeError past this. */
  maxBufferedBytes: number
  /** Wait this long after a write to an idle line to gather more bytes into the packet; 0 = send at once. */
  coalesceMs: number
  /** QUIRK(various) FreeIPMI "solpacketseq": some firmware wants a new seq on every resend. */
  freshSeqOnRetransmit: boolean
  /**
   * QUIRK(solpacketseq): the last send a packet gets before the BMC would
   * count as gone (retries or ackTimeoutMs used up) goes under a new sequence
   * number, as FreeIPMI's flag does once its retransmit limit is reached: a
   * BMC stuck on the old number (Intel Windmill) takes it. Only the last try,
   * because if the BMC had taken the packet and only its ACKs were lost, the
   * bytes reach the host twice; on that try the alternative is giving up.
   */
  reseqLastTry: boolean
  /**
   * start() sends one data-less packet first. QUIRK(ipmi_sim): it keeps the
   * last ACKed seq across activations and takes a packet with that seq as a
   * duplicate: ACKed, data dropped. An empty first packet can collide
   * harmlessly; after it the BMC's last seq is 1 and ours moves on.
   */
  primeSequence: boolean
  /**
   * Extra copies of the ACK for a packet the BMC sent again (it lost our
   * first ACK). QUIRK(ipmi_sim): after 5 resends it gives the packet up and
   * discards its whole output buffer, so on a lossy link one more lost ACK
   * can cost kilobytes of console output. A duplicate ACK is ignored by the
   * BMC (its seq is no longer outstanding).
   */
  redundantAcks: number
}

export const DEFAULT_SOL_TUNING: SolEngineTuning = {
  retransmitMs: 500,
  maxRetransmitMs: 2000,
  retries: 10,
  ackTimeoutMs: 9000,
  maxHoldMs: 1200,
  nackProbeMs: 1000,
  highWaterMark: 64 * 1024,
  maxBufferedBytes: 4 * 1024 * 1024,
  coalesceMs: 0,
  freshSeqOnRetransmit: false,
  reseqLastTry: true,
  primeSequence: true,
  redundantAcks: 1,
}

/**
 * Character bytes per packet from a BMC's reported payload size. The size
 * counts the whole SOL payload, so the 4-byte header comes off (FreeIPMI
 * does the same); the one-byte accepted count caps data at 255, so sane
 * sizes are 5..259. Larger sizes are capped at 255 data bytes (QUIRK(ipmi_sim):
 * outbound 0x4000); smaller ones are nonsense and get `fallback` (FreeIPMI
 * "solpayloadsize" uses 32).
 */
export function clampPayloadSize(reported: number, fallback = 32): number {
  if (!Number.isInteger(reported) || reported < 5) return fallback
  return Math.min(reported - 4, SOL_MAX_DATA)
}

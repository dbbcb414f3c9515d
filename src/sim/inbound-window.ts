/**
 * The BMC's check of a console's session sequence numbers (IPMI v2.0 §6.12.13:
 * a sliding window around the highest number received). This simulator takes
 * 15 ahead and 16 behind, the window ipmi_sim (OpenIPMI lanserv) applies, and
 * unlike ipmi_sim it also refuses a number seen before inside the window.
 * It starts as if 0 had been seen, so the first packet must carry 1..15
 * (FreeIPMI sends 1, pyghmi 2, ipmitool 3).
 * Hazard: a console that sends more than 15 packets the BMC never sees (a
 * hung BMC, a long outage) is locked out of its session for good; that is
 * what real BMCs do, and the console's cure is a new login.
 * Arithmetic is modulo 2^32; 0 is never valid inside a session.
 */
export const WINDOW_AHEAD = 15
export const WINDOW_BEHIND = 16

export class InboundWindow {
  private highest = 0
  /** Bit i set: highest - 1 - i was received. */
  private seen = 0

  accept(seq: number): boolean {
    seq >>>= 0
    if (seq === 0) return false
    const ahead = (seq - this.highest) >>> 0
    if (ahead >= 1 && ahead <= WINDOW_AHEAD) {
      // Slide: the old highest becomes bit ahead-1; drop bits past the window.
      const shifted = ahead >= 32 ? 0 : this.seen << ahead
      this.seen = (shifted | (1 << (ahead - 1))) & 0xffff
      this.highest = seq
      return true
    }
    const behind = (this.highest - seq) >>> 0
    if (behind >= 1 && behind <= WINDOW_BEHIND) {
      const bit = 1 << (behind - 1)
      if ((this.seen & bit) !== 0) return false
      this.seen |= bit
      return true
    }
    return false
  }
}

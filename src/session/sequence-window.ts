/**
 * Inbound session sequence number check: the sliding window of IPMI v2.0
 * Appendix A as FreeIPMI implements it (ipmi-outofband-util.c): remember the
 * highest number seen and a bitmap of the `size` numbers below it. Accept a
 * number ahead of the highest (and slide; see MAX_AHEAD), accept one behind it once if it is
 * inside the window, reject duplicates and anything older. 0 is never valid
 * inside an RMCP+ session. Arithmetic is modulo 2^32 so wrap works.
 */
/**
 * How far ahead a number may jump. FreeIPMI accepts only `size` ahead, which
 * wedges a session for good after `size` consecutive lost packets; packets
 * are authenticated before this check, so a larger forward jump is safe.
 */
const MAX_AHEAD = 0x10000

export class SequenceWindow {
  private highest: number | undefined
  private seen = 0 // bit i set: highest - 1 - i was received

  constructor(private readonly size = 8) {
    if (size < 1 || size > 32) throw new RangeError('window size must be 1..32')
  }

  /** True if `seq` is new and inside the window; records it. */
  accept(seq: number): boolean {
    seq >>>= 0
    if (seq === 0) return false
    if (this.highest === undefined) {
      this.highest = seq
      return true
    }
    const ahead = (seq - this.highest) >>> 0
    if (ahead === 0) return false
    if (ahead <= MAX_AHEAD) {
      // Slide: the old highest becomes bit ahead-1.
      // JS shifts count mod 32, so a 32-bit shift must be spelled out as 0.
      this.seen = ahead > this.size ? 0 : ((ahead >= 32 ? 0 : this.seen << ahead) | (1 << (ahead - 1))) >>> 0
      this.seen = (this.seen & (this.size >= 32 ? 0xffffffff : (1 << this.size) - 1)) >>> 0
      this.highest = seq
      return true
    }
    const behind = (this.highest - seq) >>> 0
    if (behind >= 1 && behind <= this.size) {
      const bit = 1 << (behind - 1)
      if ((this.seen & bit) !== 0) return false
      this.seen = (this.seen | bit) >>> 0
      return true
    }
    return false
  }
}

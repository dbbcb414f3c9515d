/**
 * A small seeded PRNG (mulberry32) for the simulator and the test fixtures:
 * the same seed gives the same session IDs, random numbers and fault
 * decisions, so a failing run can be replayed exactly.
 * Owns only its 32-bit state. Not cryptographic: a simulated BMC's Rc and
 * session IDs only need to be distinct, never secret.
 */
export class Prng {
  private state: number

  constructor(seed: number) {
    this.state = seed >>> 0
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0
    let t = this.state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n)
  }

  u32(): number {
    return Math.floor(this.next() * 0x1_0000_0000) >>> 0
  }

  bytes(n: number): Buffer {
    const b = Buffer.alloc(n)
    for (let i = 0; i < n; i++) b[i] = this.int(256)
    return b
  }

  /** True with probability p (never for p <= 0, always for p >= 1); draws one value either way. */
  chance(p: number): boolean {
    const v = this.next()
    return v < p
  }
}

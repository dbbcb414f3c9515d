/**
 * The replay buffer of one console: the last `capacity` bytes of output in a
 * fixed ring, so a new client sees the current screen (a byte tail, not a
 * terminal emulation like confluent's vtbufferd), and when the last byte came.
 * Owns one allocation of `capacity` bytes; append() copies, never retains.
 */
export class ReplayBuffer {
  private readonly ring: Uint8Array
  private start = 0
  private length = 0
  /** Wall-clock ms of the last append, or undefined. */
  lastAt: number | undefined

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError('replay capacity must be a non-negative integer')
    this.ring = new Uint8Array(capacity)
  }

  get size(): number {
    return this.length
  }

  append(data: Uint8Array, at: number): void {
    this.lastAt = at
    const cap = this.capacity
    if (cap === 0 || data.length === 0) return
    let src = data
    if (src.length >= cap) {
      src = src.subarray(src.length - cap)
      this.ring.set(src, 0)
      this.start = 0
      this.length = cap
      return
    }
    const end = (this.start + this.length) % cap
    const first = Math.min(src.length, cap - end)
    this.ring.set(src.subarray(0, first), end)
    if (first < src.length) this.ring.set(src.subarray(first), 0)
    const total = this.length + src.length
    if (total > cap) {
      this.start = (this.start + total - cap) % cap
      this.length = cap
    } else {
      this.length = total
    }
  }

  /** A copy of the buffered bytes, oldest first. */
  snapshot(): Uint8Array {
    const out = new Uint8Array(this.length)
    const first = Math.min(this.length, this.capacity - this.start)
    out.set(this.ring.subarray(this.start, this.start + first), 0)
    if (first < this.length) out.set(this.ring.subarray(0, this.length - first), first)
    return out
  }

  clear(): void {
    this.start = 0
    this.length = 0
  }
}

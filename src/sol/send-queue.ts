/**
 * The console-to-BMC byte queue of one SOL instance: written bytes waiting
 * for a packet, in order, with operation markers (BREAK, control changes)
 * kept at their place in the stream so "data, break, data" reaches the
 * serial line in that order. Pure data structure: no timers, no I/O.
 * Invariant: `bytes` is the sum of the data chunks held; markers count 0.
 */

/** An operation that rides in a data-less packet of its own (IPMI v2.0 §15.9, Table 15-2 byte 4). */
export interface SolOpMarker {
  readonly op: number
}

type Item = Buffer | SolOpMarker

export class SendQueue {
  private items: Item[] = []
  private head = 0
  private _bytes = 0

  get bytes(): number {
    return this._bytes
  }

  get empty(): boolean {
    return this.head >= this.items.length
  }

  push(data: Buffer): void {
    if (data.length === 0) return
    this.items.push(data)
    this._bytes += data.length
  }

  pushOp(op: number): void {
    this.items.push({ op })
  }

  /** Puts an operation marker at the front. */
  unshiftOp(op: number): void {
    if (this.head > 0) this.items[--this.head] = { op }
    else this.items.unshift({ op })
  }

  /** Puts bytes back at the front (the part of a packet the BMC did not accept). */
  unshift(data: Buffer): void {
    if (data.length === 0) return
    // Reuse a consumed slot when there is one.
    if (this.head > 0) this.items[--this.head] = data
    else this.items.unshift(data)
    this._bytes += data.length
  }

  /**
   * The next packet's content: an operation marker alone, or up to `max` data
   * bytes taken from consecutive chunks (never across a marker).
   */
  take(max: number): { op: number; data: Buffer } | undefined {
    const first = this.items[this.head]
    if (first === undefined) return undefined
    if (!Buffer.isBuffer(first)) {
      this.head++
      this.compact()
      return { op: first.op, data: Buffer.alloc(0) }
    }
    const parts: Buffer[] = []
    let n = 0
    while (n < max) {
      const it = this.items[this.head]
      if (it === undefined || !Buffer.isBuffer(it)) break
      const want = max - n
      if (it.length <= want) {
        parts.push(it)
        n += it.length
        this.head++
      } else {
        parts.push(it.subarray(0, want))
        this.items[this.head] = it.subarray(want)
        n += want
      }
    }
    this._bytes -= n
    this.compact()
    return { op: 0, data: parts.length === 1 ? parts[0]! : Buffer.concat(parts, n) }
  }

  clear(): void {
    this.items = []
    this.head = 0
    this._bytes = 0
  }

  private compact(): void {
    // Drop consumed slots now and then so a long session does not grow the array.
    if (this.head > 64 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head)
      this.head = 0
    } else if (this.head >= this.items.length) {
      this.items = []
      this.head = 0
    }
  }
}

/**
 * Bounded byte reading for the codec. Every decoder reads through a Reader so
 * a short or truncated packet throws IpmiDecodeError (what, offset, need, got)
 * and never reads past the end or returns undefined. All multi-byte integers
 * in IPMI are little-endian unless a field says otherwise (IPMI v2.0 §13.6).
 */
import { IpmiDecodeError } from './errors.js'

export class Reader {
  readonly buf: Buffer
  offset: number
  readonly what: string

  constructor(what: string, b: Uint8Array, offset = 0) {
    this.what = what
    this.buf = Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength)
    this.offset = offset
  }

  get remaining(): number {
    return this.buf.length - this.offset
  }

  need(n: number): void {
    if (this.remaining < n) throw new IpmiDecodeError(this.what, this.offset, n, Math.max(0, this.remaining))
  }

  u8(): number {
    this.need(1)
    return this.buf[this.offset++]!
  }

  u16(): number {
    this.need(2)
    const v = this.buf.readUInt16LE(this.offset)
    this.offset += 2
    return v
  }

  u24(): number {
    this.need(3)
    const v = this.buf.readUIntLE(this.offset, 3)
    this.offset += 3
    return v
  }

  u32(): number {
    this.need(4)
    const v = this.buf.readUInt32LE(this.offset)
    this.offset += 4
    return v
  }

  /** A copy of the next n bytes (copies so callers may keep them). */
  bytes(n: number): Buffer {
    this.need(n)
    const v = Buffer.from(this.buf.subarray(this.offset, this.offset + n))
    this.offset += n
    return v
  }

  /** The next n bytes as a view of the buffer read (no copy: for callers that own it). */
  view(n: number): Buffer {
    this.need(n)
    const v = this.buf.subarray(this.offset, this.offset + n)
    this.offset += n
    return v
  }

  /** Steps over n bytes. */
  skip(n: number): void {
    this.need(n)
    this.offset += n
  }

  /** A copy of everything left. */
  rest(): Buffer {
    return this.bytes(this.remaining)
  }

  /** Optional trailing byte: undefined when absent (for fields the spec marks optional). */
  optionalU8(): number | undefined {
    return this.remaining >= 1 ? this.u8() : undefined
  }
}

/** Throws IpmiDecodeError unless `b` holds at least `need` bytes. */
export function requireLength(b: Uint8Array, need: number, what: string): void {
  if (b.length < need) throw new IpmiDecodeError(what, 0, need, b.length)
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')
}

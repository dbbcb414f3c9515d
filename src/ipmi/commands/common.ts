/**
 * Values shared by several command codecs: privilege levels, payload types,
 * the "this channel" number, and the request-field checks the encoders use.
 * Owns no state and does no I/O. Spec: IPMI v2.0 §6.8 (privilege levels),
 * §13.27.3, Table 13-16 (payload types), §6.3 (channel numbers).
 * Invariant: encoders reject out-of-range request fields with a RangeError
 * (a caller bug, not a BMC answer), so nothing is silently masked on the wire.
 */

/** Session/user privilege levels (IPMI v2.0 §6.8); 0x0F in user access means "no access". */
export const PrivilegeLevel = {
  Callback: 0x01,
  User: 0x02,
  Operator: 0x03,
  Administrator: 0x04,
  Oem: 0x05,
  NoAccess: 0x0f,
} as const
export type PrivilegeLevel = (typeof PrivilegeLevel)[keyof typeof PrivilegeLevel]

/** RMCP+ payload types used with the payload commands (IPMI v2.0 §13.27.3, Table 13-16). */
export const PayloadType = {
  Ipmi: 0x00,
  Sol: 0x01,
  OemExplicit: 0x02,
} as const
export type PayloadType = (typeof PayloadType)[keyof typeof PayloadType]

/** Channel number 0x0E: "the channel this request arrived on" (IPMI v2.0 §6.3). */
export const CURRENT_CHANNEL = 0x0e

/** Throws RangeError unless v is an integer in [min, max]; returns v. */
export function checkRange(field: string, v: number, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new RangeError(`${field} must be an integer in ${min}..${max}, got ${v}`)
  }
  return v
}

/** A 4-bit channel number (0..15). */
export function checkChannel(v: number): number {
  return checkRange('channel', v, 0, 0x0f)
}

/** A 6-bit user ID; 0 is reserved, so 1..63 (IPMI v2.0 §22.26). */
export function checkUserId(v: number): number {
  return checkRange('userId', v, 1, 0x3f)
}

/**
 * A string or bytes as a fixed-size NUL-padded field (user names and
 * passwords). Throws RangeError when it does not fit; never truncates.
 */
export function padField(field: string, value: string | Uint8Array, size: number): Buffer {
  const raw = typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value)
  if (raw.length > size) throw new RangeError(`${field} is ${raw.length} bytes; at most ${size} fit`)
  const out = Buffer.alloc(size)
  raw.copy(out)
  return out
}

/** The text before the first NUL of a fixed-size field. */
export function unpadField(b: Buffer): string {
  const end = b.indexOf(0)
  return b.subarray(0, end < 0 ? b.length : end).toString('utf8')
}

/** 1 when the flag is set, for building bit fields. */
export function bit(flag: boolean | undefined, position: number): number {
  return flag === true ? 1 << position : 0
}

/**
 * Type/length-encoded strings, shared by FRU fields (Platform Management FRU
 * Information Storage Definition v1.0 §13, Table 13-1) and SDR ID strings
 * (IPMI v2.0 §43.15). The type/length byte: b7:6 encoding, then the length
 * in bytes (b5:0 in FRU, b4:0 in SDRs). Encodings: 00b binary (FRU) or
 * "Unicode" (SDR), 01b BCD plus, 10b 6-bit packed ASCII, 11b 8-bit ASCII +
 * Latin-1 (FRU: two-byte Unicode if the area's language is not English).
 *
 * Pure; owns no state. Deviations from ipmitool 1.8.19, on purpose:
 * - 6-bit ASCII gives floor(8·n/6) characters for n bytes; ipmitool emits 4
 *   per started 3-byte group, so a length that is not a multiple of 3 shows
 *   up to 2 extra characters made of padding bits there.
 * - 8-bit text stops at the first NUL, as ipmitool's C strings do.
 * QUIRK(various): BCD plus nibble order is not pinned down by the spec;
 * ipmitool and OpenBSD read the high nibble first, OpenHPI the low one. We
 * follow ipmitool so the values match what operators see there.
 */

export type TextEncoding = 'binary' | 'bcd-plus' | 'ascii-6bit' | 'text'

export const TEXT_ENCODINGS: readonly TextEncoding[] = ['binary', 'bcd-plus', 'ascii-6bit', 'text']

const BCD_PLUS = '0123456789 -.:,_'

export function decodeBcdPlus(b: Uint8Array): string {
  let s = ''
  for (const byte of b) s += BCD_PLUS[byte >> 4]! + BCD_PLUS[byte & 0x0f]!
  return s
}

/** 6-bit packed ASCII: 0x00-0x3F is ' '..'_', packed LS bits first, 4 characters per 3 bytes. */
export function decode6BitAscii(b: Uint8Array): string {
  const chars = Math.floor((b.length * 8) / 6)
  let s = ''
  for (let i = 0; i < chars; i++) {
    const bit = i * 6
    const lo = b[bit >> 3]!
    const hi = b[(bit >> 3) + 1] ?? 0
    const v = (((hi << 8) | lo) >> (bit & 7)) & 0x3f
    s += String.fromCharCode(0x20 + v)
  }
  return s
}

/** 8-bit ASCII + Latin-1, up to the first NUL. */
export function decodeLatin1(b: Uint8Array): string {
  const end = b.indexOf(0)
  return Buffer.from(b.buffer, b.byteOffset, end < 0 ? b.length : end).toString('latin1')
}

/**
 * Decodes the bytes of one field given its 2-bit type. Binary data is shown
 * as lowercase hex (what ipmitool prints for it); `sdr` makes type 00b the
 * SDR's "Unicode", which in practice is 8-bit text (ipmitool copies the bytes).
 */
export function decodeTypedText(type: number, b: Uint8Array, sdr = false): string {
  switch (type & 0x03) {
    case 0:
      return sdr ? decodeLatin1(b) : Buffer.from(b).toString('hex')
    case 1:
      return decodeBcdPlus(b)
    case 2:
      return decode6BitAscii(b)
    default:
      return decodeLatin1(b)
  }
}

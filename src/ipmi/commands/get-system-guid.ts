/**
 * Get System GUID: IPMI v2.0 §22.14. 16 bytes, kept raw: RAKP 2 hashes the
 * BMC GUID as sent, so never reorder the bytes you keep (digest §6.14).
 * Display order is a separate, lossy choice: vendors disagree on the byte
 * order (FreeIPMI "guidformat"). The spec's own layout is every field LSB
 * first (the RFC 4122 byte string reversed); most BMCs instead return the
 * SMBIOS layout (time fields LSB first, clock sequence and node as-is), which
 * is what dmidecode shows for the host's System UUID.
 */
import { NetFn, type IpmiCommand } from '../command.js'
import { Reader } from '../bytes.js'

export interface SystemGuid {
  /** The 16 bytes as the BMC sent them. */
  raw: Buffer
}

export const GetSystemGuid: IpmiCommand<void, SystemGuid> = {
  name: 'Get System GUID',
  netFn: NetFn.App,
  cmd: 0x37,
  encode: () => Buffer.alloc(0),
  decode(data) {
    return { raw: new Reader('Get System GUID response', data).bytes(16) }
  },
}

/**
 * How to read the 16 bytes for display:
 * - 'smbios': bytes 0-3, 4-5 and 6-7 reversed, 8-15 as-is (SMBIOS 3.0 §7.2.1);
 *   `ipmitool mc guid smbios` prints this.
 * - 'ipmi': all 16 bytes reversed (IPMI v2.0 §22.14 layout); `ipmitool mc guid ipmi`.
 * - 'rfc4122': the bytes in order (network byte order).
 * ipmitool 1.8.19 without an argument guesses from the version nibble.
 */
export type GuidLayout = 'smbios' | 'ipmi' | 'rfc4122'

/** The canonical 8-4-4-4-12 lower-case string of a 16-byte GUID. */
export function formatGuid(raw: Uint8Array, layout: GuidLayout = 'smbios'): string {
  if (raw.length !== 16) throw new RangeError(`a GUID is 16 bytes, got ${raw.length}`)
  const b = Buffer.from(raw)
  let ordered: Buffer
  if (layout === 'ipmi') ordered = Buffer.from(b).reverse()
  else if (layout === 'rfc4122') ordered = b
  else ordered = Buffer.concat([Buffer.from(b.subarray(0, 4)).reverse(), Buffer.from(b.subarray(4, 6)).reverse(), Buffer.from(b.subarray(6, 8)).reverse(), b.subarray(8)])
  const h = ordered.toString('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

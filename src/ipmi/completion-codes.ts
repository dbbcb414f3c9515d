/**
 * Completion codes: IPMI v2.0 §5.2, Table 5-2 (generic codes). Commands add
 * their own meanings for 0x80-0xBE through IpmiCommand.ccMeanings, which take
 * precedence over this table (e.g. Activate Payload 0x80 = already active).
 */
export const GENERIC_COMPLETION_CODES: Readonly<Record<number, string>> = {
  0x00: 'command completed normally',
  0xc0: 'node busy',
  0xc1: 'invalid command',
  0xc2: 'command invalid for given LUN',
  0xc3: 'timeout while processing command',
  0xc4: 'out of space',
  0xc5: 'reservation canceled or invalid reservation ID',
  0xc6: 'request data truncated',
  0xc7: 'request data length invalid',
  0xc8: 'request data field length limit exceeded',
  0xc9: 'parameter out of range',
  0xca: 'cannot return number of requested data bytes',
  0xcb: 'requested sensor, data, or record not present',
  0xcc: 'invalid data field in request',
  0xcd: 'command illegal for specified sensor or record type',
  0xce: 'command response could not be provided',
  0xcf: 'cannot execute duplicated request',
  0xd0: 'SDR repository in update mode',
  0xd1: 'device in firmware update mode',
  0xd2: 'BMC initialization in progress',
  0xd3: 'destination unavailable',
  0xd4: 'insufficient privilege level',
  0xd5: 'command not supported in present state',
  0xd6: 'command sub-function disabled or unavailable',
  0xff: 'unspecified error',
}

export function completionCodeMeaning(cc: number, specific?: Readonly<Record<number, string>>): string {
  const s = specific?.[cc]
  if (s !== undefined) return s
  const g = GENERIC_COMPLETION_CODES[cc]
  if (g !== undefined) return g
  if (cc >= 0x01 && cc <= 0x7e) return 'device-specific (OEM) completion code'
  if (cc >= 0x80 && cc <= 0xbe) return 'command-specific completion code'
  return 'reserved completion code'
}

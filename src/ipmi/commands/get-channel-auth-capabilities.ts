/**
 * Get Channel Authentication Capabilities: IPMI v2.0 §22.13, Table 22-15.
 * The first message of a login, sent before any session exists (IPMI 1.5
 * framing; the session layer owns that). Pure codec: no sockets, no retries.
 * QUIRK(various): some IPMI 1.5 BMCs answer 0xCC when bit 7 ("v2.0 data") is
 * set in the request; pyghmi then retries without it. That retry is the
 * session layer's decision; this codec only encodes what it is given.
 */
import { NetFn, type IpmiCommand } from '../command.js'
import { Reader } from '../bytes.js'
import { CURRENT_CHANNEL, checkChannel, checkRange, type PrivilegeLevel } from './common.js'

export interface GetChannelAuthCapabilitiesRequest {
  /** Channel number; 0x0E (default) = the channel this request arrives on. */
  channel?: number
  /** Byte 1 b7: ask for the IPMI v2.0+ extended data (default true). */
  ipmiV20Data?: boolean
  /** Requested maximum privilege level (b3:0). */
  maxPrivilege: PrivilegeLevel
}

/** IPMI 1.5 authentication types enabled for the requested privilege (byte 2 b5:0). */
export interface AuthTypeSupport {
  none: boolean
  md2: boolean
  md5: boolean
  /** "Straight password / key". */
  password: boolean
  oem: boolean
}

export interface GetChannelAuthCapabilitiesResponse {
  /** Channel the answer is for (the real number when 0x0E was asked). */
  channel: number
  /** Byte 2 b7: IPMI v2.0+ extended capabilities are present (byte 4 is meaningful). */
  ipmiV20ExtendedData: boolean
  authTypes: AuthTypeSupport
  /** Byte 3 b5: K_G is set to a non-zero value, so two-key login is needed (RMCP+ only). */
  kgNonZero: boolean
  /** Byte 3 b4: per-message authentication is disabled. */
  perMessageAuthDisabled: boolean
  /** Byte 3 b3: user-level authentication is disabled. */
  userLevelAuthDisabled: boolean
  /** Byte 3 b2: one or more users with non-null usernames are enabled. */
  nonNullUsernames: boolean
  /** Byte 3 b1: one or more users with a null username and non-null password are enabled. */
  nullUsernames: boolean
  /** Byte 3 b0: anonymous login (null username and password) is enabled. */
  anonymousLogin: boolean
  /** Byte 4 b1: the channel supports IPMI v2.0 (RMCP+) connections. */
  supportsIpmiV20: boolean
  /** Byte 4 b0: the channel supports IPMI v1.5 connections. */
  supportsIpmiV15: boolean
  /** IANA enterprise number of the OEM that defined the OEM auth type; 0 if none. */
  oemIana: number
  /** OEM auxiliary data for the OEM auth type; 0 if none. */
  oemAuxData: number
}

export const GetChannelAuthCapabilities: IpmiCommand<GetChannelAuthCapabilitiesRequest, GetChannelAuthCapabilitiesResponse> = {
  name: 'Get Channel Authentication Capabilities',
  netFn: NetFn.App,
  cmd: 0x38,
  encode(req) {
    const channel = checkChannel(req.channel ?? CURRENT_CHANNEL)
    const v20 = req.ipmiV20Data ?? true
    return Buffer.from([(v20 ? 0x80 : 0) | channel, checkRange('maxPrivilege', req.maxPrivilege, 1, 5)])
  },
  decode(data) {
    const r = new Reader('Get Channel Authentication Capabilities response', data)
    const channel = r.u8()
    const types = r.u8()
    const status = r.u8()
    const ext = r.u8()
    const oemIana = r.u24()
    const oemAuxData = r.u8()
    const v20 = (types & 0x80) !== 0
    return {
      channel,
      ipmiV20ExtendedData: v20,
      authTypes: {
        none: (types & 0x01) !== 0,
        md2: (types & 0x02) !== 0,
        md5: (types & 0x04) !== 0,
        password: (types & 0x10) !== 0,
        oem: (types & 0x20) !== 0,
      },
      kgNonZero: (status & 0x20) !== 0,
      perMessageAuthDisabled: (status & 0x10) !== 0,
      userLevelAuthDisabled: (status & 0x08) !== 0,
      nonNullUsernames: (status & 0x04) !== 0,
      nullUsernames: (status & 0x02) !== 0,
      anonymousLogin: (status & 0x01) !== 0,
      // Byte 4 is reserved in a 1.5-only answer, so only trust it with b7 set.
      supportsIpmiV20: v20 && (ext & 0x02) !== 0,
      supportsIpmiV15: v20 && (ext & 0x01) !== 0,
      oemIana,
      oemAuxData,
    }
  },
}

/** pyghmi's test for "this BMC speaks RMCP+": extended data present and v2.0 supported. */
export function supportsRmcpPlus(caps: GetChannelAuthCapabilitiesResponse): boolean {
  return caps.ipmiV20ExtendedData && caps.supportsIpmiV20
}

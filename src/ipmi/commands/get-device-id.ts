/**
 * Get Device ID: IPMI v2.0 §20.1, Table 20-2. Also the session keepalive of
 * choice when SOL is not active (cheap, needs only User privilege).
 */
import { NetFn, type IpmiCommand } from '../command.js'
import { Reader } from '../bytes.js'

export interface DeviceId {
  deviceId: number
  deviceRevision: number
  /** Device revision byte b7: the device provides Device SDRs. */
  providesDeviceSdrs: boolean
  firmwareMajor: number
  /** Firmware minor revision, decoded from BCD (0x51 -> 51). */
  firmwareMinor: number
  /** b7 of the firmware major byte: device in update/self-initialisation. */
  deviceAvailable: boolean
  /** IPMI version as "major.minor", from the BCD byte (0x02 -> "2.0"; 0x51 -> "1.5"). */
  ipmiVersion: string
  additionalDeviceSupport: number
  /** IANA enterprise number of the manufacturer (20 bits). */
  manufacturerId: number
  productId: number
  /** Auxiliary firmware revision bytes, absent on many BMCs. */
  auxFirmwareRevision?: Buffer
}

export const GetDeviceId: IpmiCommand<void, DeviceId> = {
  name: 'Get Device ID',
  netFn: NetFn.App,
  cmd: 0x01,
  encode: () => Buffer.alloc(0),
  decode(data) {
    const r = new Reader('Get Device ID response', data)
    const deviceId = r.u8()
    const rev = r.u8()
    const fwMajor = r.u8()
    const fwMinor = r.u8()
    const ver = r.u8()
    const additionalDeviceSupport = r.u8()
    const manufacturerId = r.u24() & 0x0fffff
    const productId = r.u16()
    const out: DeviceId = {
      deviceId,
      deviceRevision: rev & 0x0f,
      providesDeviceSdrs: (rev & 0x80) !== 0,
      firmwareMajor: fwMajor & 0x7f,
      firmwareMinor: fromBcd(fwMinor),
      deviceAvailable: (fwMajor & 0x80) === 0,
      ipmiVersion: `${ver & 0x0f}.${ver >> 4}`,
      additionalDeviceSupport,
      manufacturerId,
      productId,
    }
    if (r.remaining >= 4) out.auxFirmwareRevision = r.bytes(4)
    return out
  },
}

function fromBcd(b: number): number {
  return (b >> 4) * 10 + (b & 0x0f)
}

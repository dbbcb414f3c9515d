/**
 * Get Sensor Reading: IPMI v2.0 §35.14, Table 35-15. The raw reading, the
 * scanning/event flags and the threshold comparison or discrete state bits.
 * Pure codec; conversion to units needs the sensor's SDR (sensor-conversion.ts).
 * Hazards: byte 3 (and 4) are optional for some sensors and absent on some
 * BMCs, so they decode as 0 with `statesPresent` false; the reading byte is
 * meaningless when `readingUnavailable` or scanning is disabled. A sensor
 * that is not there answers CBh (the sensor operation maps that to an empty
 * reading, not an error).
 */
import { NetFn, type IpmiCommand } from '../command.js'
import { Reader } from '../bytes.js'
import { checkRange } from './common.js'

export interface GetSensorReadingRequest {
  /** Sensor number 0..254 (FFh is reserved). */
  sensorNumber: number
}

export interface GetSensorReadingResponse {
  /** Byte 1: the raw reading (threshold sensors), 0 or meaningless for discrete-only ones. */
  raw: number
  /** Byte 2 b7: event messages enabled for this sensor. */
  eventMessagesEnabled: boolean
  /** Byte 2 b6: sensor scanning enabled; when false the reading is not valid. */
  scanningEnabled: boolean
  /** Byte 2 b5: "reading/state unavailable" (e.g. still initialising, or powered off). */
  readingUnavailable: boolean
  /**
   * Bytes 3-4 as one mask. Threshold sensors: b0 at/below lnc, b1 lcr, b2 lnr,
   * b3 at/above unc, b4 ucr, b5 unr. Discrete sensors: bit n = state offset n
   * asserted (n = 0..14; byte 4 b7 is reserved and dropped).
   */
  states: number
  /** Whether byte 3 was sent at all. */
  statesPresent: boolean
}

export const GetSensorReading: IpmiCommand<GetSensorReadingRequest, GetSensorReadingResponse> = {
  name: 'Get Sensor Reading',
  netFn: NetFn.SensorEvent,
  cmd: 0x2d,
  encode: (req) => Buffer.from([checkRange('sensorNumber', req.sensorNumber, 0, 0xfe)]),
  decode(data) {
    const r = new Reader('Get Sensor Reading response', data)
    const raw = r.u8()
    const flags = r.u8()
    const b3 = r.optionalU8()
    const b4 = r.optionalU8() ?? 0
    return {
      raw,
      eventMessagesEnabled: (flags & 0x80) !== 0,
      scanningEnabled: (flags & 0x40) !== 0,
      readingUnavailable: (flags & 0x20) !== 0,
      states: b3 === undefined ? 0 : b3 | ((b4 & 0x7f) << 8),
      statesPresent: b3 !== undefined,
    }
  },
}

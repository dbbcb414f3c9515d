/**
 * Get Sensor Reading Factors: IPMI v2.0 §35.5, Table 35-6. For sensors whose
 * SDR linearization is 70h-7Fh (non-linear): the M, B, tolerance, accuracy
 * and exponents that apply to one raw reading, plus the next raw reading at
 * which the factors change. Pure codec; the 6 factor bytes have the layout of
 * Full Sensor Record bytes 25-30 (Table 43-1), except that byte 29 b1:0 is
 * reserved here instead of the sensor direction.
 */
import { NetFn, type IpmiCommand } from '../command.js'
import { Reader } from '../bytes.js'
import { CONVERSION_FACTORS_LENGTH, decodeConversionFactors, type ConversionFactors } from '../sensor-conversion.js'
import { checkRange } from './common.js'

export interface GetSensorReadingFactorsRequest {
  sensorNumber: number
  /** The raw reading the factors are wanted for. */
  rawReading: number
}

export interface GetSensorReadingFactorsResponse {
  /** The next raw reading for which different factors apply. */
  nextReading: number
  factors: ConversionFactors
}

export const GetSensorReadingFactors: IpmiCommand<GetSensorReadingFactorsRequest, GetSensorReadingFactorsResponse> = {
  name: 'Get Sensor Reading Factors',
  netFn: NetFn.SensorEvent,
  cmd: 0x23,
  encode: (req) => Buffer.from([checkRange('sensorNumber', req.sensorNumber, 0, 0xfe), checkRange('rawReading', req.rawReading, 0, 0xff)]),
  decode(data) {
    const r = new Reader('Get Sensor Reading Factors response', data)
    const nextReading = r.u8()
    const factors = decodeConversionFactors(r.bytes(CONVERSION_FACTORS_LENGTH))
    return { nextReading, factors }
  },
}

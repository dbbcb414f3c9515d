/**
 * Sensor reading conversion: raw byte -> value in units, for Full Sensor
 * Records and Get Sensor Reading Factors (IPMI v2.0 §36.3 and §43.1,
 * Table 43-1 bytes 21-30), and the unit text of Table 43-15.
 *
 * Owns only pure arithmetic and tables; no I/O. The formula is
 *   y = L[(M·x + B·10^Bexp) · 10^Rexp]
 * with M and B 10-bit two's complement, Rexp and Bexp 4-bit two's
 * complement and x the raw byte read per the analog data format.
 * Invariant: the linear arithmetic is done in the same order and with the
 * same powers of ten as ipmitool's sdr_convert_sensor_reading, so a linear
 * reading is the very double ipmitool prints (its "%.3f" and ours agree);
 * the linearization functions may differ from libm in the last bit.
 * Hazard: linearization 70h-7Fh is non-linear: the factors change with the
 * reading and must come from Get Sensor Reading Factors for every reading.
 */
import { IpmiDecodeError } from './errors.js'

/** Units 1 byte b7:6: how the raw reading is to be read (Table 43-1, byte 21). */
export const AnalogFormat = { Unsigned: 0, OnesComplement: 1, TwosComplement: 2, NoNumeric: 3 } as const
export type AnalogFormat = (typeof AnalogFormat)[keyof typeof AnalogFormat]

/** Linearization codes (Table 43-1, byte 24). 70h-7Fh: non-linear / OEM non-linear. */
export const Linearization = {
  Linear: 0x00, Ln: 0x01, Log10: 0x02, Log2: 0x03, E: 0x04, Exp10: 0x05, Exp2: 0x06,
  Reciprocal: 0x07, Sqr: 0x08, Cube: 0x09, Sqrt: 0x0a, Cbrt: 0x0b, NonLinear: 0x70,
} as const

export const LINEARIZATION_NAMES: Readonly<Record<number, string>> = {
  0x00: 'linear', 0x01: 'ln', 0x02: 'log10', 0x03: 'log2', 0x04: 'e', 0x05: 'exp10', 0x06: 'exp2',
  0x07: '1/x', 0x08: 'sqr(x)', 0x09: 'cube(x)', 0x0a: 'sqrt(x)', 0x0b: 'cube-1(x)',
}

/** True for linearization 70h-7Fh, where factors come from Get Sensor Reading Factors. */
export function isNonLinear(linearization: number): boolean {
  const l = linearization & 0x7f
  return l >= 0x70 && l <= 0x7f
}

/** The conversion factors: SDR bytes 25-30, and the last 6 bytes of Get Sensor Reading Factors (IPMI v2.0 §35.5, Table 35-6). */
export interface ConversionFactors {
  /** 10-bit two's complement multiplier. */
  m: number
  /** 6-bit tolerance, in ±½ raw counts. */
  tolerance: number
  /** 10-bit two's complement offset. */
  b: number
  /** 10-bit unsigned accuracy in 1/100 percent, scaled by 10^accuracyExp. */
  accuracy: number
  accuracyExp: number
  /** 4-bit two's complement result exponent. */
  rExp: number
  /** 4-bit two's complement B exponent. */
  bExp: number
}

export const CONVERSION_FACTORS_LENGTH = 6

function signed(v: number, bits: number): number {
  const sign = 1 << (bits - 1)
  return (v & sign) !== 0 ? v - (1 << bits) : v
}

/**
 * Decodes the 6 factor bytes starting at `offset`: M LS, M MS (b7:6) +
 * tolerance, B LS, B MS (b7:6) + accuracy LS (b5:0), accuracy MS (b7:4) +
 * accuracy exp (b3:2) + direction/reserved, Rexp (b7:4) + Bexp (b3:0).
 */
export function decodeConversionFactors(bytes: Uint8Array, offset = 0, what = 'conversion factors'): ConversionFactors {
  if (bytes.length - offset < CONVERSION_FACTORS_LENGTH) {
    throw new IpmiDecodeError(what, offset, CONVERSION_FACTORS_LENGTH, Math.max(0, bytes.length - offset))
  }
  const b = (i: number): number => bytes[offset + i]!
  return {
    m: signed(b(0) | ((b(1) & 0xc0) << 2), 10),
    tolerance: b(1) & 0x3f,
    b: signed(b(2) | ((b(3) & 0xc0) << 2), 10),
    accuracy: (b(3) & 0x3f) | ((b(4) & 0xf0) << 2),
    accuracyExp: (b(4) >> 2) & 0x03,
    rExp: signed(b(5) >> 4, 4),
    bExp: signed(b(5) & 0x0f, 4),
  }
}

// 10^k as the nearest double, which is what a correctly rounded pow(10, k)
// (glibc, used by ipmitool) returns; Math.pow is not guaranteed to be.
const POW10: readonly number[] = [1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7]
function pow10(k: number): number {
  return POW10[k + 8]!
}

/** The raw byte as the number the formula uses, or undefined when the format has no numeric reading. */
export function rawToNumber(raw: number, format: AnalogFormat): number | undefined {
  const x = raw & 0xff
  switch (format) {
    case AnalogFormat.Unsigned:
      return x
    case AnalogFormat.OnesComplement:
      // Ones' complement: FFh is -0, FEh is -1 (ipmitool adds 1 to negative values).
      return (x & 0x80) !== 0 ? signed((x + 1) & 0xff, 8) : x
    case AnalogFormat.TwosComplement:
      return signed(x, 8)
    default:
      return undefined
  }
}

function linearize(y: number, linearization: number): number {
  switch (linearization & 0x7f) {
    case Linearization.Ln: return Math.log(y)
    case Linearization.Log10: return Math.log10(y)
    case Linearization.Log2: return Math.log(y) / Math.log(2)
    case Linearization.E: return Math.exp(y)
    case Linearization.Exp10: return Math.pow(10, y)
    case Linearization.Exp2: return Math.pow(2, y)
    case Linearization.Reciprocal: return 1 / y
    case Linearization.Sqr: return y * y
    case Linearization.Cube: return y * y * y
    case Linearization.Sqrt: return Math.sqrt(y)
    case Linearization.Cbrt: return Math.cbrt(y)
    default: return y // linear, and non-linear once the per-reading factors are in
  }
}

/**
 * Converts a raw reading. Returns undefined when the sensor has no numeric
 * reading (analog format 11b). Non-linear sensors must be given the factors
 * that Get Sensor Reading Factors returned for this very raw value.
 * The result may be NaN or ±Infinity for nonsense factors (ln of a negative
 * value, 1/0); callers treat non-finite values as "no reading".
 */
export function convertReading(f: ConversionFactors, format: AnalogFormat, linearization: number, raw: number): number | undefined {
  const x = rawToNumber(raw, format)
  if (x === undefined) return undefined
  // Same evaluation order as ipmitool: ((m * x) + (b * 10^bExp)) * 10^rExp.
  return linearize((f.m * x + f.b * pow10(f.bExp)) * pow10(f.rExp), linearization)
}

/** Tolerance as ± value in units (linear part only): M · tolerance/2 · 10^Rexp (IPMI v2.0 §36.4). */
export function convertTolerance(f: ConversionFactors): number {
  return f.m * (f.tolerance / 2) * pow10(f.rExp)
}

/** Accuracy in percent: accuracy · 10^accuracyExp / 100 (Table 43-1, bytes 28-29). */
export function accuracyPercent(f: ConversionFactors): number {
  return (f.accuracy * Math.pow(10, f.accuracyExp)) / 100
}

/** Sensor unit type codes, IPMI v2.0 §43.17, Table 43-15, with ipmitool's spellings. */
export const UNIT_NAMES: readonly string[] = [
  'unspecified', 'degrees C', 'degrees F', 'degrees K', 'Volts', 'Amps', 'Watts', 'Joules', 'Coulombs', 'VA',
  'Nits', 'lumen', 'lux', 'Candela', 'kPa', 'PSI', 'Newton', 'CFM', 'RPM', 'Hz',
  'microsecond', 'millisecond', 'second', 'minute', 'hour', 'day', 'week', 'mil', 'inches', 'feet',
  'cu in', 'cu feet', 'mm', 'cm', 'm', 'cu cm', 'cu m', 'liters', 'fluid ounce', 'radians',
  'steradians', 'revolutions', 'cycles', 'gravities', 'ounce', 'pound', 'ft-lb', 'oz-in', 'gauss', 'gilberts',
  'henry', 'millihenry', 'farad', 'microfarad', 'ohms', 'siemens', 'mole', 'becquerel', 'PPM', 'reserved',
  'Decibels', 'DbA', 'DbC', 'gray', 'sievert', 'color temp deg K', 'bit', 'kilobit', 'megabit', 'gigabit',
  'byte', 'kilobyte', 'megabyte', 'gigabyte', 'word', 'dword', 'qword', 'line', 'hit', 'miss',
  'retry', 'reset', 'overflow', 'underrun', 'collision', 'packets', 'messages', 'characters', 'error', 'correctable error',
  'uncorrectable error', 'fatal error', 'grams',
]

/** Units 1 byte b2:1: how the modifier unit combines with the base unit (Table 43-1, byte 21). */
export const UnitModifier = { None: 0, Divide: 1, Multiply: 2 } as const

export interface SensorUnits {
  /** Units 1 b0. */
  percentage: boolean
  /** Units 1 b2:1 (UnitModifier). */
  modifierRelation: number
  /** Units 1 b5:3: rate unit (0 none, 1 per µs ... 6 per day). */
  rate: number
  baseUnit: number
  modifierUnit: number
}

function unitName(code: number): string {
  return UNIT_NAMES[code] ?? 'invalid'
}

/**
 * The unit text exactly as ipmitool's ipmi_sdr_get_unit_string builds it:
 * "degrees C", "Volts", "% Watts", "percent" (unspecified base with the
 * percentage bit), "Joules/second" for a divide modifier. The rate unit is
 * not printed by ipmitool either.
 */
export function formatUnits(u: SensorUnits): string {
  const pct = u.percentage ? '% ' : ''
  const base = unitName(u.baseUnit)
  const mod = unitName(u.modifierUnit)
  if (u.modifierRelation === UnitModifier.Multiply) return `${pct}${base}*${mod}`
  if (u.modifierRelation === UnitModifier.Divide) return `${pct}${base}/${mod}`
  if (u.baseUnit === 0 && u.percentage) return 'percent'
  return `${pct}${base}`
}

// Reading conversion (IPMI v2.0 §36.3, Table 43-1 bytes 21-30), units
// (Table 43-15) and the threshold status rules, checked against the values
// ipmitool 1.8.19 printed for the lab BMC's sensors (`sensor list`, "%.3f").
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import {
  AnalogFormat,
  Linearization,
  UnitModifier,
  accuracyPercent,
  convertReading,
  convertTolerance,
  decodeConversionFactors,
  formatUnits,
  isNonLinear,
  rawToNumber,
  type ConversionFactors,
} from '../../../src/ipmi/sensor-conversion.js'
import { shortThresholdStatus, thresholdStatus, thresholdsInMask } from '../../../src/ipmi/sensor-types.js'
import { bytes, isDecodeError } from './commands/vectors.js'

const f = (m: number, b: number, bExp: number, rExp: number): ConversionFactors => ({ m, tolerance: 0, b, accuracy: 0, accuracyExp: 0, rExp, bExp })

describe('convertReading against ipmitool 1.8.19 on the lab BMC', () => {
  // [sensor, factors, format, linearization, raw, what ipmitool printed]
  const cases: [string, ConversionFactors, AnalogFormat, number, number, string][] = [
    ['CPU Temp', f(1, 0, 0, 0), AnalogFormat.Unsigned, 0, 45, '45.000'],
    ['Fan1', f(60, 0, 0, 0), AnalogFormat.Unsigned, 0, 80, '4800.000'],
    ['Volt 12V', f(6, 0, 0, -2), AnalogFormat.Unsigned, 0, 200, '12.000'],
    ['Volt 12V lower critical', f(6, 0, 0, -2), AnalogFormat.Unsigned, 0, 170, '10.200'],
    ['Inlet Temp (signed, B·10^Bexp)', f(5, -25, 1, -1), AnalogFormat.TwosComplement, 0, 0xe7, '-37.500'],
    ['PSU1 Current (10-bit M, negative B)', f(300, -400, 0, -3), AnalogFormat.Unsigned, 0, 230, '68.600'],
    ['Pump Flow (sqr)', f(1, 0, 0, -1), AnalogFormat.Unsigned, Linearization.Sqr, 55, '30.250'],
  ]
  for (const [name, factors, format, lin, raw, printed] of cases) {
    test(name, () => {
      const v = convertReading(factors, format, lin, raw)
      assert.ok(v !== undefined)
      assert.equal(v.toFixed(3), printed)
    })
  }
  test('no numeric reading format gives undefined', () => {
    assert.equal(convertReading(f(1, 0, 0, 0), AnalogFormat.NoNumeric, 0, 5), undefined)
  })
})

test('rawToNumber: unsigned, ones complement (FFh is -0), twos complement', () => {
  assert.equal(rawToNumber(0xff, AnalogFormat.Unsigned), 255)
  assert.equal(rawToNumber(0xfe, AnalogFormat.OnesComplement), -1)
  assert.equal(rawToNumber(0xff, AnalogFormat.OnesComplement), 0)
  assert.equal(rawToNumber(0x80, AnalogFormat.OnesComplement), -127)
  assert.equal(rawToNumber(0x7f, AnalogFormat.OnesComplement), 127)
  assert.equal(rawToNumber(0x80, AnalogFormat.TwosComplement), -128)
  assert.equal(rawToNumber(0xff, AnalogFormat.TwosComplement), -1)
  assert.equal(rawToNumber(0x10, AnalogFormat.NoNumeric), undefined)
})

test('every linearization of Table 43-1 applied to y = 8', () => {
  const y8 = f(8, 0, 0, 0)
  const expect: [number, number][] = [
    [Linearization.Linear, 8], [Linearization.Ln, Math.log(8)], [Linearization.Log10, Math.log10(8)], [Linearization.Log2, 3],
    [Linearization.E, Math.exp(8)], [Linearization.Exp10, 1e8], [Linearization.Exp2, 256], [Linearization.Reciprocal, 0.125],
    [Linearization.Sqr, 64], [Linearization.Cube, 512], [Linearization.Sqrt, Math.sqrt(8)], [Linearization.Cbrt, 2],
    // Non-linear: the caller passes the per-reading factors; the formula itself is linear.
    [0x70, 8], [0x7f, 8],
  ]
  for (const [lin, want] of expect) {
    const got = convertReading(y8, AnalogFormat.Unsigned, lin, 1)
    assert.ok(got !== undefined && Math.abs(got - want) < 1e-9 * Math.max(1, Math.abs(want)), `lin ${lin}: ${got} vs ${want}`)
  }
  assert.equal(isNonLinear(0x70), true)
  assert.equal(isNonLinear(0x7f), true)
  assert.equal(isNonLinear(0x0b), false)
})

test('property: the linear formula is ((M·x) + B·10^Bexp)·10^Rexp', () => {
  fc.assert(
    fc.property(fc.integer({ min: -512, max: 511 }), fc.integer({ min: -512, max: 511 }), fc.integer({ min: -8, max: 7 }), fc.integer({ min: -8, max: 7 }), fc.integer({ min: 0, max: 255 }), (m, b, bExp, rExp, raw) => {
      const got = convertReading(f(m, b, bExp, rExp), AnalogFormat.Unsigned, 0, raw)!
      const want = (m * raw + b * 10 ** bExp) * 10 ** rExp
      return Math.abs(got - want) <= 1e-9 * Math.max(1, Math.abs(want))
    }),
  )
})

test('decodeConversionFactors: 10-bit M and B, 4-bit exponents, accuracy, tolerance', () => {
  // Inlet Temp record bytes 25-30.
  assert.deepEqual(decodeConversionFactors(bytes('05 02 e7 c0 01 f1')), { m: 5, tolerance: 2, b: -25, accuracy: 0, accuracyExp: 0, rExp: -1, bExp: 1 })
  // M = -1 (3FFh), B = -512 (200h), accuracy 3FFh, exp 3, Rexp -8, Bexp 7.
  assert.deepEqual(decodeConversionFactors(bytes('ff ff 00 bf fc 87')), { m: -1, tolerance: 0x3f, b: -512, accuracy: 0x3ff, accuracyExp: 3, rExp: -8, bExp: 7 })
  assert.deepEqual(decodeConversionFactors(bytes('aa 05 02 e7 c0 01 f1'), 1).m, 5)
  assert.throws(() => decodeConversionFactors(bytes('05 02 e7 c0 01')), isDecodeError)
})

test('tolerance and accuracy in units', () => {
  assert.equal(convertTolerance({ ...f(5, 0, 0, -1), tolerance: 2 }), 0.5)
  assert.equal(accuracyPercent({ ...f(1, 0, 0, 0), accuracy: 25, accuracyExp: 2 }), 25)
})

test('formatUnits spells units as ipmitool does', () => {
  const u = (o: Partial<{ percentage: boolean; modifierRelation: number; baseUnit: number; modifierUnit: number }>) =>
    formatUnits({ percentage: false, modifierRelation: UnitModifier.None, rate: 0, baseUnit: 0, modifierUnit: 0, ...o })
  assert.equal(u({ baseUnit: 1 }), 'degrees C')
  assert.equal(u({ baseUnit: 18 }), 'RPM')
  assert.equal(u({ baseUnit: 0, percentage: true }), 'percent')
  assert.equal(u({ baseUnit: 6, percentage: true }), '% Watts')
  assert.equal(u({ baseUnit: 7, modifierUnit: 22, modifierRelation: UnitModifier.Divide }), 'Joules/second')
  assert.equal(u({ baseUnit: 6, modifierUnit: 24, modifierRelation: UnitModifier.Multiply }), 'Watts*hour')
  assert.equal(u({ baseUnit: 92 }), 'grams')
  assert.equal(u({ baseUnit: 200 }), 'invalid')
})

test('threshold status: most severe first, in ipmitool order, and its short form', () => {
  assert.equal(thresholdStatus(0), 'ok')
  assert.equal(thresholdStatus(0x08), 'unc')
  assert.equal(thresholdStatus(0x18), 'ucr')
  assert.equal(thresholdStatus(0x38), 'unr')
  assert.equal(thresholdStatus(0x07), 'lnr')
  assert.equal(thresholdStatus(0x24), 'lnr') // lnr before unr, as ipmitool checks
  assert.deepEqual(['ok', 'lnc', 'unc', 'lcr', 'ucr', 'lnr', 'unr'].map((s) => shortThresholdStatus(s as never)), ['ok', 'nc', 'nc', 'cr', 'cr', 'nr', 'nr'])
  assert.deepEqual(thresholdsInMask(0b011011), ['lnc', 'lcr', 'unc', 'ucr'])
})

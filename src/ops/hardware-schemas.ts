/**
 * Reply schemas of the hardware routes (sensors, health, inventory, events).
 * The worker returns the src/bmc result objects; these schemas name the
 * fields clients rely on and keep the rest (additionalProperties), so a new
 * field in src/bmc reaches clients without a schema change.
 */
import { Type } from 'typebox'

const Open = { additionalProperties: true } as const
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()])

const HealthLevel = Type.Enum(['ok', 'warning', 'critical', 'failed'])

export const HEALTH_VALUE = Type.Object({
  status: HealthLevel,
  sensors: Type.Integer(),
  counts: Type.Record(Type.String(), Type.Integer()),
  problems: Type.Array(Type.Object({ sensor: Type.String(), sensorNumber: Type.Integer(), health: HealthLevel, reason: Type.String() })),
}, { ...Open, description: 'The worst sensor health, with the sensors behind it.' })

export const SENSOR_VALUE = Type.Object({
  name: Type.String(),
  sensorNumber: Type.Integer(),
  sensorType: Type.String(),
  entity: Type.String(),
  value: Nullable(Type.Number()),
  unit: Nullable(Type.String()),
  status: Type.Enum(['ok', 'nc', 'cr', 'nr', 'ns']),
  health: Type.Enum(['ok', 'warning', 'critical', 'failed', 'unknown']),
  assertedStates: Type.Array(Type.String()),
}, Open)

export const SENSOR_REPORT_VALUE = Type.Object({
  sensors: Type.Array(SENSOR_VALUE),
  health: HEALTH_VALUE,
  sdrCached: Type.Boolean(),
}, Open)

export const INVENTORY_VALUE = Type.Array(Type.Object({
  fruId: Type.Integer(),
  name: Type.String(),
}, { ...Open, description: 'One FRU device; inventory holds its chassis, board and product areas, or error says why it could not be read.' }))

export const EVENTS_VALUE = Type.Object({
  info: Type.Object({ entries: Type.Integer() }, Open),
  entries: Type.Array(Type.Object({ id: Type.Integer(), text: Type.String() }, Open)),
}, Open)

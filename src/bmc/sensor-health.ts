/**
 * Health of a sensor reading, and of a node: ok < warning < critical <
 * failed. Threshold sensors map their most severe crossed threshold:
 * non-critical = warning, critical = critical, non-recoverable = failed.
 * Discrete sensors map their asserted states through the table below.
 *
 * The discrete table is our reading of the state meanings in IPMI v2.0
 * §42.2, Tables 42-2 and 42-3 (ipmitool has no such notion: it prints "ok"
 * for every readable discrete sensor). States not listed are informational
 * ("Presence detected", "Transition to Running") and count as ok.
 * Pure; owns only constant tables.
 */
import type { ThresholdStatus } from '../ipmi/sensor-types.js'

export type Health = 'ok' | 'warning' | 'critical' | 'failed'
export const HEALTH_ORDER: readonly Health[] = ['ok', 'warning', 'critical', 'failed']

export function worst(a: Health, b: Health): Health {
  return HEALTH_ORDER.indexOf(a) >= HEALTH_ORDER.indexOf(b) ? a : b
}

export function thresholdHealth(s: ThresholdStatus): Health {
  if (s === 'ok') return 'ok'
  if (s === 'lnr' || s === 'unr') return 'failed'
  if (s === 'lcr' || s === 'ucr') return 'critical'
  return 'warning'
}

const W = 'warning'
const C = 'critical'
const F = 'failed'
type Row = Readonly<Record<number, Health>>

/** Sensor-specific states (event/reading type 6Fh): sensor type -> offset -> health. */
const SENSOR_SPECIFIC: Readonly<Record<number, Row>> = {
  0x05: { 0: W, 1: W, 2: W, 3: W, 4: W, 5: W, 6: W }, // physical security: intrusion
  0x06: { 0: W, 1: W, 2: W, 3: W, 4: W, 5: W }, // platform security violation attempts
  0x07: { 0: F, 1: F, 2: F, 3: F, 4: F, 5: C, 6: C, 8: W, 10: W, 11: C, 12: W }, // processor: IERR, thermal trip, FRB ...
  0x08: { 1: F, 2: W, 3: C, 4: C, 5: W, 6: C }, // power supply: failure, predictive, AC lost, config error
  0x09: { 2: C, 3: W, 4: C, 5: C, 6: F, 7: W }, // power unit
  0x0c: { 0: W, 1: C, 2: C, 3: C, 4: W, 5: W, 7: C, 9: W, 10: C }, // memory: ECC, parity, overtemperature
  0x0d: { 1: F, 2: W, 5: C, 6: F, 7: W, 8: C }, // drive slot: fault, predictive failure, failed array, rebuild
  0x0f: { 0: C, 1: C }, // system firmware: error, hang
  0x10: { 1: W, 3: W, 4: W, 5: W }, // event logging disabled, log full
  0x13: { 0: C, 1: C, 2: C, 3: C, 4: C, 5: C, 6: C, 7: W, 8: C, 9: F, 10: F, 11: W }, // critical interrupt
  0x19: { 0: C, 1: F }, // chip set: soft power control failure, thermal trip
  0x1b: { 1: C }, // cable: configuration error
  0x1e: { 0: W, 1: W, 2: W, 3: W, 4: W }, // boot error
  0x20: { 0: C, 1: C }, // OS stop: error during startup, run-time critical stop
  0x21: { 0: C }, // slot/connector: fault status
  0x23: { 0: W, 1: W, 2: W, 3: W, 8: W }, // watchdog 2: expired and its actions
  0x28: { 0: W, 1: W, 2: C, 3: C, 4: C, 5: C }, // management subsystem health
  0x29: { 0: W, 1: F }, // battery: low, failed
  0x2b: { 2: W, 3: W, 4: W, 5: W }, // version change: incompatibility
  0x2c: { 7: C }, // FRU state: communication lost
}

/** Generic states (event/reading types 02h-0Ch): type -> offset -> health. */
const GENERIC: Readonly<Record<number, Row>> = {
  0x04: { 1: W }, // predictive failure asserted
  0x05: { 1: W }, // limit exceeded
  0x06: { 1: W }, // performance lags
  0x07: { 1: W, 2: C, 3: F, 4: W, 5: C, 6: F }, // severity
  0x0a: { 4: W, 6: W, 8: C }, // availability: off line, degraded, install error
  0x0b: { 1: C, 2: W, 3: W, 4: W, 5: C, 6: W, 7: W }, // redundancy
}

export function stateHealth(sensorType: number, eventReadingType: number, offset: number): Health {
  const row = eventReadingType === 0x6f ? SENSOR_SPECIFIC[sensorType] : GENERIC[eventReadingType]
  return row?.[offset] ?? 'ok'
}

/** The worst health among the asserted states of a discrete reading (bit n = offset n). */
export function discreteHealth(sensorType: number, eventReadingType: number, mask: number): { health: Health; offsets: number[] } {
  let health: Health = 'ok'
  const offsets: number[] = []
  for (let offset = 0; offset < 15; offset++) {
    if ((mask & (1 << offset)) === 0) continue
    const h = stateHealth(sensorType, eventReadingType, offset)
    if (h !== 'ok') offsets.push(offset)
    health = worst(health, h)
  }
  return { health, offsets }
}

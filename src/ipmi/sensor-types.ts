/**
 * Sensor type names (IPMI v2.0 §42.2, Table 42-3), the classes of
 * event/reading type codes (Table 42-1) and the threshold comparison bits of
 * Get Sensor Reading (§35.14, Table 35-15). Constant tables and pure
 * helpers only. Names follow ipmitool 1.8.19 (lib/ipmi_strings.c,
 * ipmi_generic_sensor_type_vals), the text `ipmitool sel list` prints.
 * QUIRK(various): OEM sensor types (C0h-FFh) are vendor-defined; like
 * ipmitool without an OEM match, they are named "Unknown".
 */

export const SENSOR_TYPE_NAMES: readonly string[] = [
  'reserved', 'Temperature', 'Voltage', 'Current', 'Fan', 'Physical Security', 'Platform Security', 'Processor',
  'Power Supply', 'Power Unit', 'Cooling Device', 'Other', 'Memory', 'Drive Slot / Bay', 'POST Memory Resize',
  'System Firmwares', 'Event Logging Disabled', 'Watchdog1', 'System Event', 'Critical Interrupt', 'Button',
  'Module / Board', 'Microcontroller', 'Add-in Card', 'Chassis', 'Chip Set', 'Other FRU', 'Cable / Interconnect',
  'Terminator', 'System Boot Initiated', 'Boot Error', 'OS Boot', 'OS Critical Stop', 'Slot / Connector',
  'System ACPI Power State', 'Watchdog2', 'Platform Alert', 'Entity Presence', 'Monitor ASIC', 'LAN',
  'Management Subsys Health', 'Battery', 'Session Audit', 'Version Change', 'FRU State',
]

export function sensorTypeName(code: number): string {
  return SENSOR_TYPE_NAMES[code] ?? 'Unknown'
}

/** How a sensor's states are to be read, from its event/reading type code (Table 42-1). */
export type EventReadingClass = 'unspecified' | 'threshold' | 'generic' | 'sensor-specific' | 'oem'

export function eventReadingClass(code: number): EventReadingClass {
  if (code === 0x01) return 'threshold'
  if (code >= 0x02 && code <= 0x0c) return 'generic'
  if (code === 0x6f) return 'sensor-specific'
  if (code >= 0x70 && code <= 0x7f) return 'oem'
  return 'unspecified'
}

/** The six thresholds, in the bit order of Get Sensor Reading byte 3 and of the SDR threshold masks. */
export const THRESHOLDS = ['lnc', 'lcr', 'lnr', 'unc', 'ucr', 'unr'] as const
export type ThresholdName = (typeof THRESHOLDS)[number]

export const THRESHOLD_LABELS: Readonly<Record<ThresholdName, string>> = {
  lnc: 'Lower Non-Critical',
  lcr: 'Lower Critical',
  lnr: 'Lower Non-Recoverable',
  unc: 'Upper Non-Critical',
  ucr: 'Upper Critical',
  unr: 'Upper Non-Recoverable',
}

/** Threshold names set in a 6-bit mask (b0 lnc ... b5 unr). */
export function thresholdsInMask(mask: number): ThresholdName[] {
  return THRESHOLDS.filter((_, i) => (mask & (1 << i)) !== 0)
}

/**
 * The status ipmitool prints for a threshold sensor: the most severe
 * threshold at or past which the reading is, "ok" when none. Severity order
 * and tie-breaking follow ipmi_sdr_get_thresh_status: lnr, unr, lcr, ucr,
 * lnc, unc.
 */
export type ThresholdStatus = 'ok' | ThresholdName

export function thresholdStatus(comparison: number): ThresholdStatus {
  const order: [number, ThresholdName][] = [[0x04, 'lnr'], [0x20, 'unr'], [0x02, 'lcr'], [0x10, 'ucr'], [0x01, 'lnc'], [0x08, 'unc']]
  for (const [bit, name] of order) if ((comparison & bit) !== 0) return name
  return 'ok'
}

/** ipmitool's short form in `sdr list` / `sensor list`: ok, nc, cr, nr. */
export function shortThresholdStatus(s: ThresholdStatus): 'ok' | 'nc' | 'cr' | 'nr' {
  if (s === 'ok') return 'ok'
  return s.endsWith('nr') ? 'nr' : s.endsWith('cr') ? 'cr' : 'nc'
}

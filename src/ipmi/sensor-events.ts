/**
 * Event and state texts of sensors and SEL records: the generic
 * event/reading types 01h-0Ch (IPMI v2.0 §42.2, Table 42-2) and the
 * sensor-specific offsets of event/reading type 6Fh (Table 42-3), with
 * ipmitool 1.8.19's wording (include/ipmitool/ipmi_sel.h), so our texts equal
 * what `ipmitool sel list` and `sdr elist` print.
 *
 * Owns only constant tables and lookups. Deviations from ipmitool: trailing
 * blanks it keeps for alignment ("Lower Critical going low ") are trimmed;
 * OEM texts (event/reading types 70h-7Fh, sensor types C0h-FFh, and the
 * vendor suffixes ipmitool adds for Dell, Supermicro, Quanta and Kontron
 * BMCs) are not reproduced: those records get no description.
 */

/** Generic event/reading type code -> state offset -> text (Table 42-2). */
export const GENERIC_EVENT_STATES: Readonly<Record<number, readonly (string | undefined)[]>> = {
  // Threshold Based States
  0x01: [
    'Lower Non-critical going low', 'Lower Non-critical going high', 'Lower Critical going low', 'Lower Critical going high',
    'Lower Non-recoverable going low', 'Lower Non-recoverable going high', 'Upper Non-critical going low', 'Upper Non-critical going high',
    'Upper Critical going low', 'Upper Critical going high', 'Upper Non-recoverable going low', 'Upper Non-recoverable going high',
  ],
  // DMI-based "usage state" States
  0x02: ['Transition to Idle', 'Transition to Active', 'Transition to Busy'],
  // Digital-Discrete Event States
  0x03: ['State Deasserted', 'State Asserted'],
  // Digital-Discrete Event States
  0x04: ['Predictive Failure Deasserted', 'Predictive Failure Asserted'],
  // Digital-Discrete Event States
  0x05: ['Limit Not Exceeded', 'Limit Exceeded'],
  // Digital-Discrete Event States
  0x06: ['Performance Met', 'Performance Lags'],
  // Severity Event States
  0x07: [
    'Transition to OK', 'Transition to Non-critical from OK', 'Transition to Critical from less severe',
    'Transition to Non-recoverable from less severe', 'Transition to Non-critical from more severe',
    'Transition to Critical from Non-recoverable', 'Transition to Non-recoverable', 'Monitor', 'Informational',
  ],
  // Availability Status States
  0x08: ['Device Absent', 'Device Present'],
  // Availability Status States
  0x09: ['Device Disabled', 'Device Enabled'],
  // Availability Status States
  0x0a: [
    'Transition to Running', 'Transition to In Test', 'Transition to Power Off', 'Transition to On Line', 'Transition to Off Line',
    'Transition to Off Duty', 'Transition to Degraded', 'Transition to Power Save', 'Install Error',
  ],
  // Redundancy States
  0x0b: [
    'Fully Redundant', 'Redundancy Lost', 'Redundancy Degraded', 'Non-Redundant: Sufficient from Redundant',
    'Non-Redundant: Sufficient from Insufficient', 'Non-Redundant: Insufficient Resources', 'Redundancy Degraded from Fully Redundant',
    'Redundancy Degraded from Non-Redundant',
  ],
  // ACPI Device Power States
  0x0c: ['D0 Power State', 'D1 Power State', 'D2 Power State', 'D3 Power State'],
}

/** Sensor type -> sensor-specific state offset -> text, for event/reading type 6Fh (Table 42-3). */
export const SENSOR_SPECIFIC_STATES: Readonly<Record<number, readonly (string | undefined)[]>> = {
  // Physical Security
  0x05: [
    'General Chassis intrusion', 'Drive Bay intrusion', 'I/O Card area intrusion', 'Processor area intrusion', 'System unplugged from LAN',
    'Unauthorized dock', 'FAN area intrusion',
  ],
  // Platform Security
  0x06: [
    'Front Panel Lockout violation attempted', 'Pre-boot password violation - user password',
    'Pre-boot password violation - setup password', 'Pre-boot password violation - network boot password',
    'Other pre-boot password violation', 'Out-of-band access password violation',
  ],
  // Processor
  0x07: [
    'IERR', 'Thermal Trip', 'FRB1/BIST failure', 'FRB2/Hang in POST failure', 'FRB3/Processor startup/init failure', 'Configuration Error',
    'SM BIOS Uncorrectable CPU-complex Error', 'Presence detected', 'Disabled', 'Terminator presence detected', 'Throttled',
    'Uncorrectable machine check exception', 'Correctable machine check error',
  ],
  // Power Supply
  0x08: [
    'Presence detected', 'Failure detected', 'Predictive failure', 'Power Supply AC lost', 'AC lost or out-of-range',
    'AC out-of-range, but present', 'Config Error', 'Power Supply Inactive',
  ],
  // Power Unit
  0x09: [
    'Power off/down', 'Power cycle', '240VA power down', 'Interlock power down', 'AC lost', 'Soft-power control failure',
    'Failure detected', 'Predictive failure',
  ],
  // Memory
  0x0c: [
    'Correctable ECC', 'Uncorrectable ECC', 'Parity', 'Memory Scrub Failed', 'Memory Device Disabled',
    'Correctable ECC logging limit reached', 'Presence Detected', 'Configuration Error', 'Spare', 'Throttled', 'Critical Overtemperature',
  ],
  // Drive Slot
  0x0d: [
    'Drive Present', 'Drive Fault', 'Predictive Failure', 'Hot Spare', 'Parity Check In Progress', 'In Critical Array', 'In Failed Array',
    'Rebuild In Progress', 'Rebuild Aborted',
  ],
  // System Firmware Error
  0x0f: ['Unknown Error', 'Unknown Hang', 'Unknown Progress'],
  // Event Logging Disabled
  0x10: [
    'Correctable memory error logging disabled', 'Event logging disabled', 'Log area reset/cleared', 'All event logging disabled',
    'Log full', 'Log almost full',
  ],
  // Watchdog 1
  0x11: [
    'BIOS Reset', 'OS Reset', 'OS Shut Down', 'OS Power Down', 'OS Power Cycle', 'OS NMI/Diag Interrupt', 'OS Expired',
    'OS pre-timeout Interrupt',
  ],
  // System Event
  0x12: [
    'System Reconfigured', 'OEM System boot event', 'Undetermined system hardware failure', 'Entry added to auxiliary log', 'PEF Action',
    'Timestamp Clock Sync',
  ],
  // Critical Interrupt
  0x13: [
    'NMI/Diag Interrupt', 'Bus Timeout', 'I/O Channel check NMI', 'Software NMI', 'PCI PERR', 'PCI SERR', 'EISA failsafe timeout',
    'Bus Correctable error', 'Bus Uncorrectable error', 'Fatal NMI', 'Bus Fatal Error', 'Bus Degraded',
  ],
  // Button
  0x14: ['Power Button pressed', 'Sleep Button pressed', 'Reset Button pressed', 'FRU Latch', 'FRU Service'],
  // Chip Set
  0x19: ['Soft Power Control Failure', 'Thermal Trip'],
  // Cable/Interconnect
  0x1b: ['Connected', 'Config Error'],
  // System Boot Initiated
  0x1d: [
    'Initiated by power up', 'Initiated by hard reset', 'Initiated by warm reset', 'User requested PXE boot',
    'Automatic boot to diagnostic', 'OS initiated hard reset', 'OS initiated warm reset', 'System Restart',
  ],
  // Boot Error
  0x1e: ['No bootable media', 'Non-bootable disk in drive', 'PXE server not found', 'Invalid boot sector', 'Timeout waiting for selection'],
  // OS Boot
  0x1f: [
    'A: boot completed', 'C: boot completed', 'PXE boot completed', 'Diagnostic boot completed', 'CD-ROM boot completed',
    'ROM boot completed', 'boot completed - device not specified', 'Installation started', 'Installation completed',
    'Installation aborted', 'Installation failed',
  ],
  // OS Stop/Shutdown
  0x20: [
    'Error during system startup', 'Run-time critical stop', 'OS graceful stop', 'OS graceful shutdown', 'PEF initiated soft shutdown',
    'Agent not responding',
  ],
  // Slot/Connector
  0x21: [
    'Fault Status', 'Identify Status', 'Device Installed', 'Ready for Device Installation', 'Ready for Device Removal',
    'Slot Power is Off', 'Device Removal Request', 'Interlock', 'Slot is Disabled', 'Spare Device',
  ],
  // System ACPI Power State
  0x22: [
    'S0/G0: working', 'S1: sleeping with system hw & processor context maintained', 'S2: sleeping, processor context lost',
    'S3: sleeping, processor & hw context lost, memory retained', 'S4: non-volatile sleep/suspend-to-disk', 'S5/G2: soft-off',
    'S4/S5: soft-off', 'G3: mechanical off', 'Sleeping in S1/S2/S3 state', 'G1: sleeping', 'S5: entered by override', 'Legacy ON state',
    'Legacy OFF state', undefined, 'Unknown',
  ],
  // Watchdog 2
  0x23: ['Timer expired', 'Hard reset', 'Power down', 'Power cycle', 'reserved', 'reserved', 'reserved', 'reserved', 'Timer interrupt'],
  // Platform Alert
  0x24: [
    'Platform generated page', 'Platform generated LAN alert', 'Platform Event Trap generated', 'Platform generated SNMP trap, OEM format',
  ],
  // Entity Presence
  0x25: ['Present', 'Absent', 'Disabled'],
  // LAN
  0x27: ['Heartbeat Lost', 'Heartbeat'],
  // Management Subsystem Health
  0x28: [
    'Sensor access degraded or unavailable', 'Controller access degraded or unavailable', 'Management controller off-line',
    'Management controller unavailable', 'Sensor failure', 'FRU failure',
  ],
  // Battery
  0x29: ['Low', 'Failed', 'Presence Detected'],
  // Version Change
  0x2b: [
    'Hardware change detected', undefined, 'Hardware incompatibility detected', 'Firmware or software incompatibility detected',
    'Invalid or unsupported hardware version', 'Invalid or unsupported firmware or software version', 'Hardware change success',
  ],
  // FRU State
  0x2c: [
    'Not Installed', 'Inactive', 'Activation Requested', 'Activation in Progress', 'Active', 'Deactivation Requested',
    'Deactivation in Progress', 'Communication lost',
  ],
  // PICMG FRU Hot Swap
  0xf0: [
    'Transition to M0', 'Transition to M1', 'Transition to M2', 'Transition to M3', 'Transition to M4', 'Transition to M5',
    'Transition to M6', 'Transition to M7',
  ],
  // PICMG IPMB Physical Link
  0xf1: [
    'IPMB-A disabled, IPMB-B disabled', 'IPMB-A enabled, IPMB-B disabled', 'IPMB-A disabled, IPMB-B enabled',
    'IPMB-A enabled, IPMB-B enabled',
  ],
  // PICMG Module Hot Swap
  0xf2: ['Module Handle Closed', 'Module Handle Opened', 'Quiesced'],
}

const FIRMWARE_STEPS: readonly string[] = [
  'Unspecified', 'Memory initialization', 'Hard-disk initialization', 'Secondary CPU Initialization', 'User authentication',
  'User-initiated system setup', 'USB resource configuration', 'PCI resource configuration', 'Option ROM initialization',
  'Video initialization', 'Cache initialization', 'SMBus initialization', 'Keyboard controller initialization',
  'Management controller initialization', 'Docking station attachment', 'Enabling docking station', 'Docking station ejection',
  'Disabling docking station', 'Calling operating system wake-up vector', 'System boot initiated', 'Motherboard initialization',
  'reserved', 'Floppy initialization', 'Keyboard test', 'Pointing device test', 'Primary CPU initialization',
]

const FIRMWARE_ERRORS: readonly string[] = [
  'Unspecified', 'No system memory installed', 'No usable system memory', 'Unrecoverable IDE device failure',
  'Unrecoverable system-board failure', 'Unrecoverable diskette failure', 'Unrecoverable hard-disk controller failure',
  'Unrecoverable PS/2 or USB keyboard failure', 'Removable boot media not found', 'Unrecoverable video controller failure',
  'No video device selected', 'BIOS corruption detected', 'CPU voltage mismatch', 'CPU speed mismatch failure',
]

const VERSION_CHANGE_ITEMS: readonly string[] = [
  '', 'Mngmt Ctrl Dev Id', 'Mngmt Ctrl Firm Rev', 'Mngmt Ctrl Dev Rev', 'Mngmt Ctrl Manuf Id', 'Mngmt Ctrl IPMI Vers',
  'Mngmt Ctrl Aux Firm Id', 'Mngmt Ctrl Firm Boot Block', 'Mngmt Ctrl Other', 'BIOS/EFI change', 'SMBIOS change', 'O/S change',
  'O/S loader change', 'Service Diag change', 'Mngmt SW agent change', 'Mngmt SW App change', 'Mngmt SW Middle',
  'Prog HW Change (FPGA)', 'board/FRU module change', 'board/FRU component change', 'board/FRU replace equ ver',
  'board/FRU replace new ver', 'board/FRU replace old ver', 'board/FRU HW conf change',
]

const CONFIG_ERRORS: readonly string[] = [
  'Config Error: Vendor Mismatch', 'Config Error: Revision Mismatch', 'Config Error: Processor Missing',
  'Config Error: Power Supply Rating Mismatch', 'Config Error: Voltage Rating Mismatch',
]

function versionChange(prefix: string): readonly string[] {
  return VERSION_CHANGE_ITEMS.map((s) => (s === '' ? prefix : `${prefix}, ${s}`))
}

/**
 * Texts chosen by event data 2 when event data 1 b7:6 says data 2 holds an
 * event extension code (Table 29-6), keyed "sensorType/offset". Without a
 * match the per-offset text above applies (as in ipmitool).
 */
const DATA2_STATES: ReadonlyMap<string, readonly string[]> = new Map([
  ['8/6', CONFIG_ERRORS], // Power Supply: configuration error
  ['15/0', FIRMWARE_ERRORS], // System Firmware Progress: error
  ['15/1', FIRMWARE_STEPS], // hang
  ['15/2', FIRMWARE_STEPS], // progress
  ['43/1', versionChange('Firmware or software change detected')],
  ['43/7', versionChange('Firmware or software change success')],
])

/** The state table an event/reading type uses: generic (01h-0Ch), sensor-specific (6Fh), or none (OEM, unspecified). */
export function stateTable(sensorType: number, eventReadingType: number): readonly (string | undefined)[] | undefined {
  if (eventReadingType === 0x6f) return SENSOR_SPECIFIC_STATES[sensorType]
  return GENERIC_EVENT_STATES[eventReadingType]
}

/**
 * The text of one state offset (0-14), as `ipmitool sel list` describes an
 * event; `data2` is event data 2 when event data 1 marks it as an extension
 * code. Undefined when the spec (or ipmitool) has no text for it.
 */
export function eventStateText(sensorType: number, eventReadingType: number, offset: number, data2?: number): string | undefined {
  if (eventReadingType === 0x6f && data2 !== undefined) {
    const specific = DATA2_STATES.get(`${sensorType}/${offset}`)?.[data2]
    if (specific !== undefined) return specific
  }
  return stateTable(sensorType, eventReadingType)?.[offset]
}

/**
 * The asserted states of a discrete reading (Get Sensor Reading bytes 3-4 as
 * one 15-bit mask, bit n = offset n), with their texts in offset order, as
 * `ipmitool sdr elist` lists them. States without a text are left out.
 */
export function assertedStates(sensorType: number, eventReadingType: number, mask: number): { offset: number; text: string }[] {
  const table = stateTable(sensorType, eventReadingType)
  const out: { offset: number; text: string }[] = []
  if (table === undefined) return out
  for (let offset = 0; offset < 15; offset++) {
    const text = table[offset]
    if ((mask & (1 << offset)) !== 0 && text !== undefined) out.push({ offset, text })
  }
  return out
}

/**
 * Boot option parameter data: IPMI v2.0 §28.13, Table 28-14. Typed codecs for
 * the parameters the service writes (0 set in progress, 3 valid-bit clearing,
 * 4 boot info acknowledge, 5 boot flags); the Get/Set System Boot Options
 * commands carry them as opaque bytes. Pure functions, no I/O.
 * Hazards: the boot device is b5:2 of data 2; ipmitool and pyghmi write it
 * already shifted (PXE = 0x04), here it is the unshifted selector (PXE = 1).
 * Many BMCs (ipmi_sim included) do not read back the valid/persistent/EFI
 * bits of what was written, so never compare a read-back against the request.
 */
import { Reader } from '../bytes.js'
import { bit, checkRange } from './common.js'

/** Boot option parameter selectors, Table 28-14 (96..127 are OEM). */
export const BootOptionParameter = {
  SetInProgress: 0,
  ServicePartitionSelector: 1,
  ServicePartitionScan: 2,
  BootFlagValidBitClearing: 3,
  BootInfoAcknowledge: 4,
  BootFlags: 5,
  BootInitiatorInfo: 6,
  BootInitiatorMailbox: 7,
} as const

/** Parameter 0, data 1 b1:0 (3 is reserved). */
export const SetInProgressState = { SetComplete: 0, SetInProgress: 1, CommitWrite: 2 } as const
export type SetInProgressState = (typeof SetInProgressState)[keyof typeof SetInProgressState]

/** Boot device selector, parameter 5 data 2 b5:2 (unshifted); 0xA, 0xC-0xE are reserved. */
export const BootDevice = {
  NoOverride: 0x0,
  Pxe: 0x1,
  Disk: 0x2,
  DiskSafeMode: 0x3,
  Diagnostic: 0x4,
  CdDvd: 0x5,
  BiosSetup: 0x6,
  RemoteFloppy: 0x7,
  RemotePrimaryMedia: 0x8,
  RemoteCdDvd: 0x9,
  RemoteDisk: 0xb,
  Floppy: 0xf,
} as const
export type BootDevice = (typeof BootDevice)[keyof typeof BootDevice]

/** ipmitool's `chassis bootdev` names (§5 notes of the digest); 'floppy' is primary removable media. */
export type BootDeviceName = 'none' | 'pxe' | 'disk' | 'safe' | 'diag' | 'cdrom' | 'bios' | 'floppy'
export const BOOT_DEVICE_BY_NAME: Readonly<Record<BootDeviceName, BootDevice>> = {
  none: BootDevice.NoOverride,
  pxe: BootDevice.Pxe,
  disk: BootDevice.Disk,
  safe: BootDevice.DiskSafeMode,
  diag: BootDevice.Diagnostic,
  cdrom: BootDevice.CdDvd,
  bios: BootDevice.BiosSetup,
  floppy: BootDevice.Floppy,
}

/** The ipmitool name of a selector, or undefined for the remote-media and reserved ones. */
export function bootDeviceName(selector: number): BootDeviceName | undefined {
  for (const [name, sel] of Object.entries(BOOT_DEVICE_BY_NAME)) if (sel === selector) return name as BootDeviceName
  return undefined
}

/** Parameter 5, boot flags (5 data bytes). */
export interface BootFlags {
  /** Data 1 b7: flags valid. The BMC may clear it (see parameter 3) after ~60 s or the next boot. */
  valid: boolean
  /** Data 1 b6: apply to all future boots; false = next boot only. */
  persistent: boolean
  /** Data 1 b5: EFI boot; false = "PC compatible" (legacy) boot. */
  uefi: boolean
  /** Data 2 b7: clear CMOS. */
  cmosClear: boolean
  /** Data 2 b6: lock keyboard. */
  lockKeyboard: boolean
  /** Data 2 b5:2: boot device selector (BootDevice, unshifted). */
  device: number
  /** Data 2 b1: screen blank. */
  screenBlank: boolean
  /** Data 2 b0: lock out reset button. */
  lockResetButton: boolean
  /** Data 3 b7: lock out (power off / sleep request) via the power button. */
  lockPowerButton: boolean
  /** Data 3 b6:5: firmware (BIOS) verbosity: 0 system default, 1 quiet, 2 verbose. */
  firmwareVerbosity: number
  /** Data 3 b4: force progress event traps. */
  forceProgressEventTraps: boolean
  /** Data 3 b3: user password bypass. */
  userPasswordBypass: boolean
  /** Data 3 b2: lock out sleep button. */
  lockSleepButton: boolean
  /** Data 3 b1:0: console redirection: 0 per BIOS setting, 1 suppress, 2 enable. */
  consoleRedirection: number
  /** Data 4 b3: BIOS shared mode override. */
  biosSharedModeOverride: boolean
  /** Data 4 b2:0: BIOS mux control override. */
  biosMuxControl: number
  /** Data 5 b4:0: device instance selector (0 = default). */
  deviceInstance: number
}

/** Flags for "boot from <device>", everything else at its default; valid is set. */
export function bootFlagsFor(device: BootDeviceName, opts: { persistent?: boolean; uefi?: boolean } = {}): BootFlags {
  return {
    valid: true,
    persistent: opts.persistent ?? false,
    uefi: opts.uefi ?? false,
    cmosClear: false,
    lockKeyboard: false,
    device: BOOT_DEVICE_BY_NAME[device],
    screenBlank: false,
    lockResetButton: false,
    lockPowerButton: false,
    firmwareVerbosity: 0,
    forceProgressEventTraps: false,
    userPasswordBypass: false,
    lockSleepButton: false,
    consoleRedirection: 0,
    biosSharedModeOverride: false,
    biosMuxControl: 0,
    deviceInstance: 0,
  }
}

export function encodeBootFlags(f: BootFlags): Buffer {
  return Buffer.from([
    bit(f.valid, 7) | bit(f.persistent, 6) | bit(f.uefi, 5),
    bit(f.cmosClear, 7) | bit(f.lockKeyboard, 6) | (checkRange('device', f.device, 0, 0x0f) << 2) | bit(f.screenBlank, 1) | bit(f.lockResetButton, 0),
    bit(f.lockPowerButton, 7) |
      (checkRange('firmwareVerbosity', f.firmwareVerbosity, 0, 3) << 5) |
      bit(f.forceProgressEventTraps, 4) |
      bit(f.userPasswordBypass, 3) |
      bit(f.lockSleepButton, 2) |
      checkRange('consoleRedirection', f.consoleRedirection, 0, 3),
    bit(f.biosSharedModeOverride, 3) | checkRange('biosMuxControl', f.biosMuxControl, 0, 7),
    checkRange('deviceInstance', f.deviceInstance, 0, 0x1f),
  ])
}

export function decodeBootFlags(data: Uint8Array): BootFlags {
  const r = new Reader('boot flags parameter', data)
  const [d1, d2, d3, d4, d5] = [r.u8(), r.u8(), r.u8(), r.u8(), r.u8()]
  const on = (b: number, n: number) => (b & (1 << n)) !== 0
  return {
    valid: on(d1, 7),
    persistent: on(d1, 6),
    uefi: on(d1, 5),
    cmosClear: on(d2, 7),
    lockKeyboard: on(d2, 6),
    device: (d2 >> 2) & 0x0f,
    screenBlank: on(d2, 1),
    lockResetButton: on(d2, 0),
    lockPowerButton: on(d3, 7),
    firmwareVerbosity: (d3 >> 5) & 0x03,
    forceProgressEventTraps: on(d3, 4),
    userPasswordBypass: on(d3, 3),
    lockSleepButton: on(d3, 2),
    consoleRedirection: d3 & 0x03,
    biosSharedModeOverride: on(d4, 3),
    biosMuxControl: d4 & 0x07,
    deviceInstance: d5 & 0x1f,
  }
}

export function decodeSetInProgress(data: Uint8Array): SetInProgressState | 3 {
  return (new Reader('set in progress parameter', data).u8() & 0x03) as SetInProgressState | 3
}

/**
 * Parameter 3: conditions under which the BMC must NOT clear the boot flags
 * valid bit. pyghmi writes 0x08 (dontClearOnTimeout) before setting flags.
 */
export interface BootFlagValidBitClearing {
  /** b4: don't clear on a PEF-initiated reset or power cycle. */
  dontClearOnPefReset: boolean
  /** b3: don't clear automatically 60 s after the flags were set. */
  dontClearOnTimeout: boolean
  /** b2: don't clear on a watchdog-initiated reset or power cycle. */
  dontClearOnWatchdogReset: boolean
  /** b1: don't clear on a pushbutton or soft reset. */
  dontClearOnPushbuttonReset: boolean
  /** b0: don't clear on power up via pushbutton or wake event. */
  dontClearOnPowerUp: boolean
}

export function encodeBootFlagValidBitClearing(p: BootFlagValidBitClearing): Buffer {
  return Buffer.from([
    bit(p.dontClearOnPefReset, 4) | bit(p.dontClearOnTimeout, 3) | bit(p.dontClearOnWatchdogReset, 2) | bit(p.dontClearOnPushbuttonReset, 1) | bit(p.dontClearOnPowerUp, 0),
  ])
}

export function decodeBootFlagValidBitClearing(data: Uint8Array): BootFlagValidBitClearing {
  const b = new Reader('boot flag valid bit clearing parameter', data).u8()
  return {
    dontClearOnPefReset: (b & 0x10) !== 0,
    dontClearOnTimeout: (b & 0x08) !== 0,
    dontClearOnWatchdogReset: (b & 0x04) !== 0,
    dontClearOnPushbuttonReset: (b & 0x02) !== 0,
    dontClearOnPowerUp: (b & 0x01) !== 0,
  }
}

/** The parties that acknowledge boot info (parameter 4, bit positions 0..4). */
export type BootInitiator = 'biosPost' | 'osLoader' | 'osServicePartition' | 'sms' | 'oem'
const INITIATOR_BITS: Readonly<Record<BootInitiator, number>> = { biosPost: 0, osLoader: 1, osServicePartition: 2, sms: 3, oem: 4 }

/**
 * Parameter 4 write: data 1 is a write mask, data 2 the acknowledge bits,
 * where 0 means "has handled the boot info". `true` marks a party as having
 * handled it, `false` resets it to "not yet handled"; parties left out are
 * not written. ipmitool's clear before bootdev is { biosPost: false } = 01 01.
 */
export function encodeBootInfoAcknowledge(handled: Partial<Record<BootInitiator, boolean>>): Buffer {
  let mask = 0
  let value = 0
  for (const [party, done] of Object.entries(handled) as [BootInitiator, boolean | undefined][]) {
    if (done === undefined) continue
    mask |= 1 << INITIATOR_BITS[party]
    if (!done) value |= 1 << INITIATOR_BITS[party]
  }
  return Buffer.from([mask, value])
}

/** Parameter 4 read: which parties have handled the boot info (bit clear in data 2). */
export function decodeBootInfoAcknowledge(data: Uint8Array): Record<BootInitiator, boolean> {
  const r = new Reader('boot info acknowledge parameter', data)
  r.u8() // write mask: meaningless on read
  const v = r.u8()
  const handled = (party: BootInitiator) => (v & (1 << INITIATOR_BITS[party])) === 0
  return { biosPost: handled('biosPost'), osLoader: handled('osLoader'), osServicePartition: handled('osServicePartition'), sms: handled('sms'), oem: handled('oem') }
}

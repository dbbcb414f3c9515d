/**
 * Get Chassis Status: IPMI v2.0 §28.2, Table 28-3. Power state, last power
 * event, misc chassis state and the optional front-panel byte, every bit named.
 * Pure codec. Needs User privilege, so it also serves as a cheap health probe.
 * Hazard: byte 4 is optional; ipmi_sim answers with 3 bytes. Identify bits
 * b5:4 of byte 3 mean something only when b6 ("identify supported") is set.
 */
import { NetFn, type IpmiCommand } from '../command.js'
import { Reader } from '../bytes.js'

/** Power restore policy, byte 1 b6:5. */
export const PowerRestorePolicy = {
  AlwaysOff: 0,
  Previous: 1,
  AlwaysOn: 2,
  Unknown: 3,
} as const
export type PowerRestorePolicy = (typeof PowerRestorePolicy)[keyof typeof PowerRestorePolicy]

/** Chassis identify state, byte 3 b5:4 (3 is reserved). */
export const IdentifyState = {
  Off: 0,
  TimedOn: 1,
  IndefiniteOn: 2,
  Reserved: 3,
} as const
export type IdentifyState = (typeof IdentifyState)[keyof typeof IdentifyState]

/** Byte 1, current power state. */
export interface CurrentPowerState {
  /** b0: system power is on. */
  powerOn: boolean
  /** b1: power overload (a supply shut down on overcurrent). */
  powerOverload: boolean
  /** b2: a power interlock (e.g. chassis switch) is active. */
  interlock: boolean
  /** b3: fault in the main power subsystem. */
  powerFault: boolean
  /** b4: power control fault (the controller tried to change power and failed). */
  powerControlFault: boolean
  /** b6:5: what the system does when AC returns. */
  restorePolicy: PowerRestorePolicy
}

/** Byte 2, the cause of the last power event (bits may combine). */
export interface LastPowerEvent {
  /** b0: AC failed. */
  acFailed: boolean
  /** b1: last power down caused by a power overload. */
  overload: boolean
  /** b2: last power down caused by a power interlock being activated. */
  interlock: boolean
  /** b3: last power down caused by a power fault. */
  fault: boolean
  /** b4: last power on was entered via an IPMI command. */
  powerOnByCommand: boolean
}

/** Byte 3, miscellaneous chassis state. */
export interface MiscChassisState {
  /** b0: chassis intrusion active. */
  intrusion: boolean
  /** b1: front panel lockout active (power off and reset via front panel disabled). */
  frontPanelLockout: boolean
  /** b2: drive fault. */
  driveFault: boolean
  /** b3: cooling or fan fault detected. */
  coolingFault: boolean
  /** b5:4: chassis identify state (valid only if identifySupported). */
  identifyState: IdentifyState
  /** b6: chassis identify command and state info supported. */
  identifySupported: boolean
}

/** Optional byte 4, front panel button capabilities and disable/enable status. */
export interface FrontPanelButtons {
  /** b7: standby (sleep) button disable allowed. */
  sleepDisableAllowed: boolean
  /** b6: diagnostic interrupt button disable allowed. */
  diagDisableAllowed: boolean
  /** b5: reset button disable allowed. */
  resetDisableAllowed: boolean
  /** b4: power off button disable allowed (or power button, if it also does sleep). */
  powerDisableAllowed: boolean
  /** b3: standby (sleep) button disabled. */
  sleepDisabled: boolean
  /** b2: diagnostic interrupt button disabled. */
  diagDisabled: boolean
  /** b1: reset button disabled. */
  resetDisabled: boolean
  /** b0: power off button disabled. */
  powerDisabled: boolean
}

export interface ChassisStatus {
  power: CurrentPowerState
  lastPowerEvent: LastPowerEvent
  misc: MiscChassisState
  /** Absent when the BMC sent only 3 bytes. */
  frontPanel?: FrontPanelButtons
}

export const GetChassisStatus: IpmiCommand<void, ChassisStatus> = {
  name: 'Get Chassis Status',
  netFn: NetFn.Chassis,
  cmd: 0x01,
  encode: () => Buffer.alloc(0),
  decode(data) {
    const r = new Reader('Get Chassis Status response', data)
    const p = r.u8()
    const e = r.u8()
    const m = r.u8()
    const fp = r.optionalU8()
    const on = (b: number, n: number) => (b & (1 << n)) !== 0
    const out: ChassisStatus = {
      power: {
        powerOn: on(p, 0),
        powerOverload: on(p, 1),
        interlock: on(p, 2),
        powerFault: on(p, 3),
        powerControlFault: on(p, 4),
        restorePolicy: ((p >> 5) & 0x03) as PowerRestorePolicy,
      },
      lastPowerEvent: {
        acFailed: on(e, 0),
        overload: on(e, 1),
        interlock: on(e, 2),
        fault: on(e, 3),
        powerOnByCommand: on(e, 4),
      },
      misc: {
        intrusion: on(m, 0),
        frontPanelLockout: on(m, 1),
        driveFault: on(m, 2),
        coolingFault: on(m, 3),
        identifyState: ((m >> 4) & 0x03) as IdentifyState,
        identifySupported: on(m, 6),
      },
    }
    if (fp !== undefined) {
      out.frontPanel = {
        sleepDisableAllowed: on(fp, 7),
        diagDisableAllowed: on(fp, 6),
        resetDisableAllowed: on(fp, 5),
        powerDisableAllowed: on(fp, 4),
        sleepDisabled: on(fp, 3),
        diagDisabled: on(fp, 2),
        resetDisabled: on(fp, 1),
        powerDisabled: on(fp, 0),
      }
    }
    return out
  },
}

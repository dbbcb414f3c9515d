/**
 * Chassis Control: IPMI v2.0 §28.3. Power off/on/cycle, hard reset, NMI and
 * ACPI soft shutdown. The response is the completion code only. Pure codec.
 * Hazard: not idempotent. A power cycle sent twice cycles twice, so a
 * retransmit must keep the same rqSeq (the BMC then answers 0xCF "duplicate
 * request", which the caller treats as done). Needs Operator privilege.
 */
import { NetFn, type IpmiCommand } from '../command.js'

/** Chassis control actions, request byte 1 b3:0. */
export const ChassisAction = {
  /** Power down into soft off (S4/S5); does not wait for the OS. */
  PowerDown: 0x00,
  PowerUp: 0x01,
  /** Power off, wait at least 1 s, power on; no effect when already off (spec). */
  PowerCycle: 0x02,
  HardReset: 0x03,
  /** Pulse a diagnostic interrupt (NMI) to the host. */
  DiagnosticInterrupt: 0x04,
  /** Emulate a fatal overtemperature to start an ACPI soft shutdown. */
  SoftShutdown: 0x05,
} as const
export type ChassisAction = (typeof ChassisAction)[keyof typeof ChassisAction]

/** The short names ipmitool and the API use for each action. */
export const CHASSIS_ACTION_BY_NAME: Readonly<Record<'off' | 'on' | 'cycle' | 'reset' | 'diag' | 'soft', ChassisAction>> = {
  off: ChassisAction.PowerDown,
  on: ChassisAction.PowerUp,
  cycle: ChassisAction.PowerCycle,
  reset: ChassisAction.HardReset,
  diag: ChassisAction.DiagnosticInterrupt,
  soft: ChassisAction.SoftShutdown,
}

export interface ChassisControlRequest {
  action: ChassisAction
}

export const ChassisControl: IpmiCommand<ChassisControlRequest, void> = {
  name: 'Chassis Control',
  netFn: NetFn.Chassis,
  cmd: 0x02,
  idempotent: false,
  encode(req) {
    if (!Object.values(ChassisAction).includes(req.action)) throw new RangeError(`unknown chassis action ${String(req.action)}`)
    return Buffer.from([req.action])
  },
  decode: () => undefined,
}

/**
 * Cold Reset: IPMI v2.0 §20.2. Reboots the BMC itself (not the host).
 * Pure codec; no request or response data.
 * Hazard: not idempotent, and the BMC often reboots before it answers, so a
 * timeout is the expected outcome: the caller should drop the session, wait,
 * and log in again rather than retry. QUIRK(ipmi_sim): answers 0xC1.
 */
import { NetFn, type IpmiCommand } from '../command.js'

export const ColdReset: IpmiCommand<void, void> = {
  name: 'Cold Reset',
  netFn: NetFn.App,
  cmd: 0x02,
  idempotent: false,
  encode: () => Buffer.alloc(0),
  decode: () => undefined,
}

/**
 * Set System Boot Options: IPMI v2.0 §28.12; parameters in Table 28-14.
 * Generic parameter write plus request builders for the parameters used to
 * set a boot device. Pure codec. The response is the completion code only.
 * ipmitool's sequence for `chassis bootdev`: parameter 0 = set in progress,
 * parameter 4 clear BIOS/POST ack (01 01), parameter 5 flags with valid set,
 * parameter 0 = commit write (only if 5 succeeded), parameter 0 = complete.
 * BMCs without set-in-progress support answer 0x80 or 0xCC (ipmi_sim: 0xCC)
 * to parameter 0; ipmitool ignores that, and so should the caller.
 */
import { NetFn, type IpmiCommand } from '../command.js'
import { checkRange } from './common.js'
import {
  BootOptionParameter,
  encodeBootFlags,
  encodeBootFlagValidBitClearing,
  encodeBootInfoAcknowledge,
  type BootFlagValidBitClearing,
  type BootFlags,
  type BootInitiator,
  type SetInProgressState,
} from './boot-option-parameters.js'

export interface SetSystemBootOptionsRequest {
  /** Parameter selector, b6:0. */
  parameter: number
  /** b7 of the selector byte: mark the parameter invalid / locked. */
  markInvalid?: boolean
  /** Parameter data as Table 28-14 lays it out. */
  data: Uint8Array
}

export const SetSystemBootOptions: IpmiCommand<SetSystemBootOptionsRequest, void> = {
  name: 'Set System Boot Options',
  netFn: NetFn.Chassis,
  cmd: 0x08,
  ccMeanings: {
    0x80: 'parameter not supported',
    0x81: "attempt to set 'set in progress' when not in 'set complete' state",
    0x82: 'attempt to write read-only parameter',
  },
  encode(req) {
    const sel = checkRange('parameter', req.parameter, 0, 0x7f) | (req.markInvalid === true ? 0x80 : 0)
    return Buffer.concat([Buffer.from([sel]), req.data])
  },
  decode: () => undefined,
}

/** Parameter 0: set in progress / commit write / set complete. */
export function setInProgressRequest(state: SetInProgressState): SetSystemBootOptionsRequest {
  return { parameter: BootOptionParameter.SetInProgress, data: Buffer.from([checkRange('state', state, 0, 2)]) }
}

/** Parameter 3: when the BMC must not clear the valid bit (pyghmi writes 0x08). */
export function validBitClearingRequest(p: BootFlagValidBitClearing): SetSystemBootOptionsRequest {
  return { parameter: BootOptionParameter.BootFlagValidBitClearing, data: encodeBootFlagValidBitClearing(p) }
}

/** Parameter 4: mark parties as having handled (true) or not handled (false) the boot info. */
export function bootInfoAcknowledgeRequest(handled: Partial<Record<BootInitiator, boolean>>): SetSystemBootOptionsRequest {
  return { parameter: BootOptionParameter.BootInfoAcknowledge, data: encodeBootInfoAcknowledge(handled) }
}

/** Parameter 5: boot flags (see bootFlagsFor for "boot from device X"). */
export function bootFlagsRequest(flags: BootFlags): SetSystemBootOptionsRequest {
  return { parameter: BootOptionParameter.BootFlags, data: encodeBootFlags(flags) }
}

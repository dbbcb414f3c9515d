/**
 * Activate Payload: IPMI v2.0 §24.1, Table 24-2. Starts a payload instance
 * (SOL) on the current session and reports the sizes and UDP port to use.
 * Pure codec: takeover (deactivate, then retry once on 0x80) is the SOL
 * layer's policy, made visible to users as an explicit "force" option.
 * Hazards: the port is LE; QUIRK(various): some BMCs send it byte-swapped
 * (pyghmi and ipmitool accept both; FreeIPMI "solport"), and some report
 * bogus payload sizes (FreeIPMI "solpayloadsize"; ipmi_sim says outbound
 * 0x4000). This decoder reports what was sent; the SOL layer clamps/corrects.
 */
import { NetFn, type IpmiCommand } from '../command.js'
import { Reader } from '../bytes.js'
import { PayloadType, bit, checkRange } from './common.js'

/** Aux byte 1 b3:2: what serial/modem alerts do while SOL is active (11b reserved). */
export const SerialAlertBehavior = { Fail: 0, Deferred: 1, Succeed: 2 } as const
export type SerialAlertBehavior = (typeof SerialAlertBehavior)[keyof typeof SerialAlertBehavior]

/** Auxiliary request data byte 1 for SOL (bytes 2-4 are reserved). */
export interface SolActivationOptions {
  /** b7: activate encryption (if the session has a confidentiality algorithm). */
  encrypt?: boolean
  /** b6: activate authentication (integrity) for the payload. */
  authenticate?: boolean
  /** b5: test mode, where the BMC loops data back (optional; rarely supported). */
  testMode?: boolean
  /** b3:2: default Fail (00b). ipmitool asks Deferred, i82571spt mode Succeed. */
  serialAlerts?: SerialAlertBehavior
  /**
   * b1: SOL startup handshake. false = BMC asserts CTS and DCD/DSR at
   * activation; true = they stay deasserted until the console sends a SOL
   * packet that clears the deassert bits. ipmitool sets it (0xC6), pyghmi not (0xC0).
   */
  holdHandshake?: boolean
}

export interface ActivatePayloadRequest {
  /** Payload type b5:0; default SOL (0x01). */
  payloadType?: number
  /** Payload instance b3:0, 1..15; SOL normally 1. */
  instance: number
  sol?: SolActivationOptions
}

export interface ActivatePayloadResponse {
  /** Aux response byte 1 b0 (SOL): test mode is active. */
  testMode: boolean
  /** The 4 auxiliary response bytes as sent. */
  auxData: Buffer
  /** Inbound payload size: the most payload bytes *we* may send per packet. */
  inboundPayloadSize: number
  /** Outbound payload size: the most payload bytes the BMC will send per packet. */
  outboundPayloadSize: number
  /** UDP port for the payload (normally 623, or the port of the session). */
  port: number
  /** Payload VLAN number, or null for 0xFFFF (VLAN addressing not used). */
  vlan: number | null
}

export function encodeSolActivationAux(o: SolActivationOptions): number {
  return bit(o.encrypt, 7) | bit(o.authenticate, 6) | bit(o.testMode, 5) | (checkRange('serialAlerts', o.serialAlerts ?? 0, 0, 2) << 2) | bit(o.holdHandshake, 1)
}

export const ActivatePayload: IpmiCommand<ActivatePayloadRequest, ActivatePayloadResponse> = {
  name: 'Activate Payload',
  netFn: NetFn.App,
  cmd: 0x48,
  ccMeanings: {
    0x80: 'payload already active on another session',
    0x81: 'payload type is disabled',
    0x82: 'payload activation limit reached',
    0x83: 'cannot activate payload with encryption',
    0x84: 'cannot activate payload without encryption',
  },
  encode(req) {
    return Buffer.from([
      checkRange('payloadType', req.payloadType ?? PayloadType.Sol, 0, 0x3f),
      checkRange('instance', req.instance, 1, 0x0f),
      encodeSolActivationAux(req.sol ?? {}),
      0x00,
      0x00,
      0x00,
    ])
  },
  decode(data) {
    const r = new Reader('Activate Payload response', data)
    const auxData = r.bytes(4)
    const inboundPayloadSize = r.u16()
    const outboundPayloadSize = r.u16()
    const port = r.u16()
    const vlan = r.u16()
    return {
      testMode: ((auxData[0] ?? 0) & 0x01) !== 0,
      auxData,
      inboundPayloadSize,
      outboundPayloadSize,
      port,
      vlan: vlan === 0xffff ? null : vlan,
    }
  },
}

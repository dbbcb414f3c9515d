/**
 * Activate Payload for SOL with takeover, and Deactivate Payload.
 * Spec: IPMI v2.0 §24.1 (Table 24-2), §24.2, §24.5; reference/ipmi-spec.md §4.1-§4.2.
 * Policy: encryption and authentication of the payload follow the session
 * (a session with AES asks for encrypted SOL). On 0x80 (active on another
 * session) we deactivate the holder and activate once more only when told to
 * (`force`), or when the holder is one of our own sessions that we lost
 * (the BMC still thinks it is alive, e.g. after a SIGSTOP): kicking our own
 * ghost hurts nobody. Never more than one retry (pyghmi `retriedpayload`).
 * Hazards: QUIRK(ipmi_sim, Supermicro): the payload port may come
 * byte-swapped; QUIRK(various): payload sizes may be nonsense (clamped).
 */
import { decodeResponse } from '../ipmi/command.js'
import { ActivatePayload, DeactivatePayload, GetPayloadInstanceInfo, SerialAlertBehavior } from '../ipmi/commands/index.js'
import { CIPHER_SUITES } from '../ipmi/crypto.js'
import { completionCodeMeaning } from '../ipmi/completion-codes.js'
import { CompletionCodeError } from '../ipmi/errors.js'
import type { RequestOptions } from '../session/request-table.js'
import { clampPayloadSize } from './engine.js'
import { activationRefused } from './errors.js'
import type { SolSessionPort } from './session-port.js'

export interface SolActivation {
  instance: number
  /** Character bytes per packet we send (the BMC's inbound size, clamped). */
  maxSendData: number
  /** Character bytes per packet the BMC says it sends (outbound size, clamped). */
  maxReceiveData: number
  /** The sizes and port as the BMC reported them. */
  reported: { inboundPayloadSize: number; outboundPayloadSize: number; port: number }
  /** True when the reported port is neither the session's port nor its byte swap; SOL still uses the session's port. */
  portMismatch: boolean
  encrypted: boolean
  authenticated: boolean
  /** Present when another session had to be deactivated first. */
  takeover?: { previousOwner: number | null; ownGhost: boolean }
}

export interface ActivateOptions {
  instance: number
  force: boolean
  /** managedSystemSessionIds of our own sessions that were lost with SOL active. */
  ownGhosts: ReadonlySet<number>
  /** Time left for each request. */
  requestOptions: () => RequestOptions
}

function swap16(v: number): number {
  return ((v & 0xff) << 8) | (v >> 8)
}

async function activateOnce(port: SolSessionPort, o: ActivateOptions, encrypt: boolean, authenticate: boolean) {
  const req = { instance: o.instance, sol: { encrypt, authenticate, serialAlerts: SerialAlertBehavior.Deferred } }
  const r = await port.request(ActivatePayload.netFn, ActivatePayload.cmd, ActivatePayload.encode(req), { idempotent: true, ...o.requestOptions() })
  return { cc: r.cc, data: r.data }
}

/** Who holds the instance (its managed system session ID), or null when the BMC does not say. */
export async function solOwner(port: SolSessionPort, instance: number, opts: RequestOptions): Promise<number | null> {
  try {
    const r = await port.request(GetPayloadInstanceInfo.netFn, GetPayloadInstanceInfo.cmd, GetPayloadInstanceInfo.encode({ instance }), opts)
    return decodeResponse(GetPayloadInstanceInfo, r.cc, r.data).managedSystemSessionId
  } catch {
    return null
  }
}

/** Deactivate Payload; resolves true when the BMC deactivated it or says it was not active (0x80). Never throws. */
export async function deactivateSol(port: SolSessionPort, instance: number, opts: RequestOptions): Promise<boolean> {
  try {
    const r = await port.request(DeactivatePayload.netFn, DeactivatePayload.cmd, DeactivatePayload.encode({ instance }), opts)
    return r.cc === 0x00 || r.cc === 0x80
  } catch {
    return false
  }
}

/** Activates SOL on the session; throws SolError (reason set) on refusal. */
export async function activateSol(port: SolSessionPort, o: ActivateOptions): Promise<SolActivation> {
  const suite = CIPHER_SUITES[port.cipherSuite]
  const encrypt = suite !== undefined && suite.confidentiality !== 0
  const authenticate = suite !== undefined && suite.integrity !== 0
  let r = await activateOnce(port, o, encrypt, authenticate)
  let takeover: SolActivation['takeover']
  if (r.cc === 0x80) {
    const owner = await solOwner(port, o.instance, o.requestOptions())
    const ownGhost = owner !== null && owner !== 0 && (o.ownGhosts.has(owner) || owner === port.managedSystemSessionId)
    if (o.force || ownGhost) {
      takeover = { previousOwner: owner, ownGhost }
      await deactivateSol(port, o.instance, o.requestOptions())
      r = await activateOnce(port, o, encrypt, authenticate)
    }
  }
  if (r.cc !== 0) {
    const { netFn, cmd, name } = ActivatePayload
    const meaning = completionCodeMeaning(r.cc, ActivatePayload.ccMeanings)
    throw activationRefused(new CompletionCodeError({ netFn, cmd, cc: r.cc, command: name, meaning }), o.instance)
  }
  const a = decodeResponse(ActivatePayload, r.cc, r.data)
  const portOk = a.port === port.bmcPort || swap16(a.port) === port.bmcPort
  const out: SolActivation = {
    instance: o.instance,
    maxSendData: clampPayloadSize(a.inboundPayloadSize),
    maxReceiveData: clampPayloadSize(a.outboundPayloadSize),
    reported: { inboundPayloadSize: a.inboundPayloadSize, outboundPayloadSize: a.outboundPayloadSize, port: a.port },
    portMismatch: !portOk,
    encrypted: encrypt,
    authenticated: authenticate,
  }
  if (takeover !== undefined) out.takeover = takeover
  return out
}

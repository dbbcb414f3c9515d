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
 * Profile (src/session/profile.ts): each adaptation that only a quirky BMC
 * needs is reported through the port's noteLearned: an inbound payload size
 * outside 5..259 (solpayloadsize; a huge outbound size is harmless and
 * ipmi_sim's 0x4000 is not reported), a byte-swapped port (solport-endian),
 * an alternate port (solport), a holder that is not ours taken over
 * (solactive-stale), and a Deactivate Payload that leaves SOL active
 * (soldeactivate-noop: once known, no more deactivating, SOL_BUSY at once
 * until the holder leaves). A known solactive-stale takes over as `force`.
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

/** Deactivate Payload's completion code for "payload already deactivated" (IPMI v2.0 §24.2). */
export const CC_ALREADY_DEACTIVATED = 0x80
/** Activate Payload's completion code for "payload already active on another session" (Table 24-2). */
export const CC_ALREADY_ACTIVE = 0x80

/** Deactivate Payload's completion code; undefined when it got no answer. Never throws. */
async function deactivateCode(port: SolSessionPort, instance: number, opts: RequestOptions): Promise<number | undefined> {
  try {
    const r = await port.request(DeactivatePayload.netFn, DeactivatePayload.cmd, DeactivatePayload.encode({ instance }), opts)
    return r.cc
  } catch {
    return undefined
  }
}

/** Deactivate Payload; resolves true when the BMC deactivated it or says it was not active (0x80). Never throws. */
export async function deactivateSol(port: SolSessionPort, instance: number, opts: RequestOptions): Promise<boolean> {
  const cc = await deactivateCode(port, instance, opts)
  return cc === 0x00 || cc === CC_ALREADY_DEACTIVATED
}

/** The smallest and largest SOL payload sizes that make sense (4-byte header + 1..255 data bytes). */
const SANE_PAYLOAD = { min: 5, max: 259 } as const
/** Data bytes per packet sent when the BMC's inbound size is nonsense (FreeIPMI's solpayloadsize assumes 32 too). */
const SAFE_SEND_DATA = 32

/** Activates SOL on the session; throws SolError (reason set) on refusal. */
export async function activateSol(port: SolSessionPort, o: ActivateOptions): Promise<SolActivation> {
  const suite = CIPHER_SUITES[port.cipherSuite]
  const encrypt = suite !== undefined && suite.confidentiality !== 0
  const authenticate = suite !== undefined && suite.integrity !== 0
  let r = await activateOnce(port, o, encrypt, authenticate)
  let takeover: SolActivation['takeover']
  if (r.cc === CC_ALREADY_ACTIVE) {
    const owner = await solOwner(port, o.instance, o.requestOptions())
    const ownGhost = owner !== null && owner !== 0 && (o.ownGhosts.has(owner) || owner === port.managedSystemSessionId)
    const holder = owner === null ? 'another session' : `session 0x${owner.toString(16)}`
    // QUIRK(soldeactivate-noop): deactivating from here is known to change nothing; wait for the holder instead.
    const futile = !ownGhost && port.hasWorkaround?.('soldeactivate-noop') === true
    if ((o.force || ownGhost || port.hasWorkaround?.('solactive-stale') === true) && !futile) {
      takeover = { previousOwner: owner, ownGhost }
      const dcc = await deactivateCode(port, o.instance, o.requestOptions())
      r = await activateOnce(port, o, encrypt, authenticate)
      if (r.cc === 0 && !ownGhost) port.noteLearned?.('solactive-stale', `SOL was active on ${holder}; deactivated and taken over`)
      if (r.cc === CC_ALREADY_ACTIVE && dcc === CC_ALREADY_DEACTIVATED) {
        port.noteLearned?.('soldeactivate-noop', `Deactivate Payload for SOL held by ${holder} answered 80h (already deactivated) and SOL stayed active`)
      }
    }
  }
  if (r.cc !== 0) {
    const { netFn, cmd, name } = ActivatePayload
    const meaning = completionCodeMeaning(r.cc, ActivatePayload.ccMeanings)
    throw activationRefused(new CompletionCodeError({ netFn, cmd, cc: r.cc, command: name, meaning }), o.instance)
  }
  const a = decodeResponse(ActivatePayload, r.cc, r.data)
  const portOk = a.port === port.bmcPort || swap16(a.port) === port.bmcPort
  // QUIRK(solpayloadsize): a nonsense inbound size says nothing of what the BMC takes: send the small safe size.
  const inboundSane = a.inboundPayloadSize >= SANE_PAYLOAD.min && a.inboundPayloadSize <= SANE_PAYLOAD.max
  const maxSendData = inboundSane ? clampPayloadSize(a.inboundPayloadSize) : SAFE_SEND_DATA
  if (!inboundSane) {
    port.noteLearned?.('solpayloadsize', `Activate Payload reported inbound size ${a.inboundPayloadSize} (outside ${SANE_PAYLOAD.min}..${SANE_PAYLOAD.max}); sending ${maxSendData} bytes per packet`)
  }
  if (a.port !== port.bmcPort && swap16(a.port) === port.bmcPort) {
    port.noteLearned?.('solport-endian', `Activate Payload reported port ${a.port}, port ${port.bmcPort} byte-swapped`)
  }
  if (!portOk) port.noteLearned?.('solport', `Activate Payload named port ${a.port}; SOL stays on port ${port.bmcPort}`)
  const out: SolActivation = {
    instance: o.instance,
    maxSendData,
    maxReceiveData: clampPayloadSize(a.outboundPayloadSize),
    reported: { inboundPayloadSize: a.inboundPayloadSize, outboundPayloadSize: a.outboundPayloadSize, port: a.port },
    portMismatch: !portOk,
    encrypted: encrypt,
    authenticated: authenticate,
  }
  if (takeover !== undefined) out.takeover = takeover
  return out
}

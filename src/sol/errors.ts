/**
 * Why a SOL console failed, as one stable `reason` string next to the
 * IpmiError `code` (DESIGN lesson 5: an error with a reason, never
 * "connected" then "disconnected"). The reason travels in `details.reason`
 * too, so it survives the trip across a thread as a plain object.
 * Activate Payload completion codes: IPMI v2.0 §24.1, Table 24-2.
 */
import { IpmiError, type CompletionCodeError, type IpmiErrorCode } from '../ipmi/errors.js'

export type SolFailureReason =
  /** No answer from the BMC (login, activation, keepalive or SOL ACKs). */
  | 'unreachable'
  /** Wrong user name, password or K_G, or a privilege the user does not have. */
  | 'bad_credentials'
  /** Activate Payload 0x80: another session holds SOL (use force to take over). */
  | 'sol_busy'
  /** Activate Payload 0x81: SOL is disabled on the BMC. */
  | 'sol_disabled'
  /** Activate Payload 0x82: the BMC's payload activation limit is reached. */
  | 'sol_limit_reached'
  /** Activate Payload 0x83/0x84: the BMC wants the other encryption setting than this session has. */
  | 'sol_encryption_mismatch'
  /** Activate Payload 0xD4: the session's privilege is too low for SOL. */
  | 'insufficient_privilege'
  /** Any other refusal of Activate Payload (details carry the completion code). */
  | 'sol_refused'
  /** SOL stopped on the BMC side: deactivated, or taken over by another session. */
  | 'sol_deactivated'
  /** The console was still connecting when its deadline passed. */
  | 'timeout'
  /** The BMC answered something we cannot work with. */
  | 'protocol'

/** An IpmiError that also says why the console failed. Compare `reason`/`code`, not the class. */
export class SolError extends IpmiError {
  readonly reason: SolFailureReason

  constructor(reason: SolFailureReason, code: IpmiErrorCode, message: string, opts: { retryable?: boolean; details?: IpmiError['details']; cause?: unknown } = {}) {
    super(code, message, { ...opts, details: { ...opts.details, reason } })
    this.name = 'SolError'
    this.reason = reason
  }
}

/** The failure reason of any error seen while opening or running a console. */
export function solFailureReason(e: unknown): SolFailureReason {
  if (e instanceof SolError) return e.reason
  if (!(e instanceof IpmiError)) return 'protocol'
  switch (e.code) {
    case 'BMC_UNREACHABLE':
      return 'unreachable'
    case 'BMC_AUTH_FAILED':
    case 'BMC_KG_MISMATCH':
    case 'BMC_PRIVILEGE_REFUSED':
      return 'bad_credentials'
    case 'SOL_BUSY':
      return 'sol_busy'
    case 'SOL_DISABLED':
      return 'sol_disabled'
    case 'SOL_REFUSED':
      return 'sol_refused'
    case 'BMC_SESSION_CLOSED':
      return 'sol_deactivated' // the session carrying SOL ended (as console.ts reports it)
    default:
      return 'protocol'
  }
}

/** Wraps any error as a SolError with its reason, keeping its code and details. */
export function toSolError(e: unknown): SolError {
  if (e instanceof SolError) return e
  const reason = solFailureReason(e)
  if (e instanceof IpmiError) return new SolError(reason, e.code, e.message, { retryable: e.retryable, details: e.details, cause: e })
  return new SolError(reason, 'BMC_PROTOCOL_ERROR', `SOL console failed: ${(e as Error)?.message ?? String(e)}`, { cause: e })
}

/** The SolError for an Activate Payload completion code other than 0x00. */
export function activationRefused(err: CompletionCodeError, instance: number): SolError {
  const details = { ...err.details, instance }
  switch (err.cc) {
    case 0x80:
      return new SolError('sol_busy', 'SOL_BUSY', `SOL instance ${instance} is active on another session (use force to take it over)`, { details, cause: err })
    case 0x81:
      return new SolError('sol_disabled', 'SOL_DISABLED', 'SOL is disabled on this BMC', { details, cause: err })
    case 0x82:
      return new SolError('sol_limit_reached', 'SOL_REFUSED', 'BMC payload activation limit reached', { details, cause: err })
    case 0x83:
    case 0x84:
      return new SolError('sol_encryption_mismatch', 'SOL_REFUSED', `BMC ${err.cc === 0x83 ? 'cannot activate SOL with' : 'requires'} encryption`, { details, cause: err })
    case 0xd4:
      return new SolError('insufficient_privilege', 'SOL_REFUSED', 'the session privilege is too low to activate SOL', { details, cause: err })
    default:
      return new SolError('sol_refused', 'SOL_REFUSED', err.message, { retryable: err.retryable, details, cause: err })
  }
}

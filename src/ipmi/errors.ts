/**
 * Errors raised by the IPMI protocol layers (codec, session, SOL).
 *
 * Owns: the error classes a caller of the IPMI library can see, each with a
 * stable `code`, a `retryable` flag and a small plain `details` object.
 * Does not own: HTTP mapping or documentation of codes (src/errors.ts holds
 * the service-wide registry and checks every code here has an entry).
 * Invariant: messages and details never carry passwords, keys or HMACs.
 * Compare `err.code`, never `instanceof`, once an error crossed a thread.
 */

export type IpmiErrorCode =
  | 'IPMI_DECODE_ERROR'
  | 'BMC_COMMAND_FAILED'
  | 'BMC_PROTOCOL_ERROR'
  | 'BMC_AUTH_FAILED'
  | 'BMC_KG_MISMATCH'
  | 'BMC_PRIVILEGE_REFUSED'
  | 'BMC_NO_CIPHER_SUITE'
  | 'BMC_INSECURE_CIPHER_SUITE'
  | 'BMC_UNREACHABLE'
  | 'BMC_BUSY'
  | 'BMC_SESSION_CLOSED'
  | 'SOL_BUSY'
  | 'SOL_DISABLED'
  | 'SOL_REFUSED'

export type ErrorDetails = Record<string, string | number | boolean | null>

export class IpmiError extends Error {
  readonly code: IpmiErrorCode
  readonly retryable: boolean
  readonly details: ErrorDetails

  constructor(code: IpmiErrorCode, message: string, opts: { retryable?: boolean; details?: ErrorDetails; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.name = 'IpmiError'
    this.code = code
    this.retryable = opts.retryable ?? false
    this.details = opts.details ?? {}
  }
}

/** A packet or field too short or malformed to decode. */
export class IpmiDecodeError extends IpmiError {
  constructor(what: string, offset: number, need: number, got: number, reason?: string) {
    super('IPMI_DECODE_ERROR', `cannot decode ${what}: ${reason ?? `need ${need} bytes at offset ${offset}, got ${got}`}`, {
      details: { what, offset, need, got },
    })
    this.name = 'IpmiDecodeError'
  }
}

/** A BMC answered a command with a non-zero completion code. */
export class CompletionCodeError extends IpmiError {
  readonly cc: number
  constructor(opts: { netFn: number; cmd: number; cc: number; command: string; meaning: string }) {
    const hex = (n: number) => `0x${n.toString(16).padStart(2, '0')}`
    // 0xC0 node busy and 0xC3 timeout are worth retrying; the rest are answers.
    const retryable = opts.cc === 0xc0 || opts.cc === 0xc3 || opts.cc === 0xce
    super(opts.cc === 0xc0 ? 'BMC_BUSY' : 'BMC_COMMAND_FAILED', `${opts.command} failed: completion code ${hex(opts.cc)} (${opts.meaning})`, {
      retryable,
      details: { netFn: opts.netFn, cmd: opts.cmd, completionCode: opts.cc, command: opts.command, meaning: opts.meaning },
    })
    this.name = 'CompletionCodeError'
    this.cc = opts.cc
  }
}

/** Open Session or RAKP answered with a non-zero RMCP+ status code (IPMI v2.0 §13.24, Table 13-15). */
export class RmcpPlusStatusError extends IpmiError {
  readonly status: number
  constructor(stage: string, status: number, meaning: string, code: IpmiErrorCode = 'BMC_PROTOCOL_ERROR') {
    super(code, `${stage} refused by BMC: status 0x${status.toString(16).padStart(2, '0')} (${meaning})`, {
      retryable: status === 0x01,
      details: { stage, status, meaning },
    })
    this.name = 'RmcpPlusStatusError'
    this.status = status
  }
}

/**
 * The shape every IPMI command in commands/ exports: its network function and
 * command number (IPMI v2.0 §5.1 and Appendix G), a pure request encoder and a
 * pure response decoder. Decoders receive the response data *after* the
 * completion code, and are only called when the completion code is 0x00 (or a
 * code listed in `okCodes`).
 */
import { CompletionCodeError } from './errors.js'
import { completionCodeMeaning } from './completion-codes.js'

/** Network function codes for requests; responses are netFn + 1 (IPMI v2.0 Table 5-1). */
export const NetFn = {
  Chassis: 0x00,
  Bridge: 0x02,
  SensorEvent: 0x04,
  App: 0x06,
  Firmware: 0x08,
  Storage: 0x0a,
  Transport: 0x0c,
} as const

export interface IpmiCommand<Req, Res> {
  readonly name: string
  readonly netFn: number
  readonly cmd: number
  /** Command-specific completion code meanings (0x80-0xBE), overriding the generic table. */
  readonly ccMeanings?: Readonly<Record<number, string>>
  /** Completion codes other than 0x00 that still carry a decodable answer. */
  readonly okCodes?: readonly number[]
  /** False for commands that must not be sent twice (Chassis Control, Cold Reset): a retransmit keeps the rqSeq so the BMC can answer 0xCF. */
  readonly idempotent?: boolean
  encode(req: Req): Buffer
  decode(data: Buffer, cc: number): Res
}

/** Throws CompletionCodeError unless cc is 0 or allowed; otherwise decodes. */
export function decodeResponse<Req, Res>(command: IpmiCommand<Req, Res>, cc: number, data: Buffer): Res {
  if (cc !== 0 && !(command.okCodes?.includes(cc) ?? false)) {
    throw new CompletionCodeError({
      netFn: command.netFn,
      cmd: command.cmd,
      cc,
      command: command.name,
      meaning: completionCodeMeaning(cc, command.ccMeanings),
    })
  }
  return command.decode(data, cc)
}

/**
 * The BMC's SOL character accumulate interval (SOL configuration parameter 3,
 * IPMI v2.0 Table 26-5: byte 1 the interval in 5 ms units, 1-based; byte 2 the
 * send threshold in characters), set when the operator asks for one
 * (`serve --sol-accumulate-ms`). A BMC sends a partial SOL packet once its
 * oldest character is this old, so a longer interval means fewer, fuller
 * packets from a host that prints a little at a time, at the price of up to
 * that much added latency; a full packet (the threshold) still goes at once.
 *
 * The setting belongs to the BMC, not to our session: it is usually kept
 * across BMC restarts and applies to every SOL client of that BMC.
 * Set-in-progress (parameter 0) is not used: it is optional, and a BMC left
 * "in progress" by a client that failed half-way refuses the next writer.
 */
import { CompletionCodeError } from '../ipmi/errors.js'
import { GetSolConfigurationParameters } from '../ipmi/commands/get-sol-configuration-parameters.js'
import { SetSolConfigurationParameters } from '../ipmi/commands/set-sol-configuration-parameters.js'
import { SolParameter } from '../ipmi/commands/sol-configuration-parameters.js'
import type { CommandRunner } from './runner.js'
import type { RequestOptions } from '../session/request-table.js'

/** Parameter 3's unit, and the longest interval its one byte can say. */
export const SOL_ACCUMULATE_STEP_MS = 5
export const SOL_ACCUMULATE_MAX_MS = 0xff * SOL_ACCUMULATE_STEP_MS
/** Completion codes that mean "this BMC will not take it from us": parameter not supported, read-only, privilege too low. */
const WILL_NOT = [0x80, 0x82, 0xd4] as const

export type AccumulateOutcome =
  /** The BMC already had it. */
  | { kind: 'kept'; ms: number }
  /** Written: `fromMs` is what the BMC had. */
  | { kind: 'set'; ms: number; fromMs: number }
  /** The BMC does not support, or will not let us change, the parameter: leave it alone from now on. */
  | { kind: 'refused'; detail: string }

/** Parameter 3's interval byte for `ms` (rounded up to the 5 ms unit, at least one unit). */
export function accumulateUnits(ms: number): number {
  if (!Number.isFinite(ms) || ms < SOL_ACCUMULATE_STEP_MS || ms > SOL_ACCUMULATE_MAX_MS) throw new RangeError(`accumulate interval ${ms} ms is outside ${SOL_ACCUMULATE_STEP_MS}..${SOL_ACCUMULATE_MAX_MS}`)
  return Math.ceil(ms / SOL_ACCUMULATE_STEP_MS)
}

function refusal(e: unknown): string | undefined {
  if (!(e instanceof CompletionCodeError) || !(WILL_NOT as readonly number[]).includes(e.cc)) return undefined
  return e.message
}

/**
 * Makes the BMC's accumulate interval `ms` (see accumulateUnits), keeping its
 * send threshold. Other failures (timeouts, a lost session) are thrown: the
 * caller tries again at its next console start.
 */
export async function ensureSolAccumulate(r: CommandRunner, ms: number, opts: RequestOptions = {}): Promise<AccumulateOutcome> {
  const want = accumulateUnits(ms)
  let current: Buffer
  try {
    current = (await r.run(GetSolConfigurationParameters, { parameter: SolParameter.CharacterAccumulate }, opts)).data
  } catch (e) {
    const detail = refusal(e)
    if (detail !== undefined) return { kind: 'refused', detail }
    throw e
  }
  if (current.length < 2) return { kind: 'refused', detail: `Get SOL Configuration Parameters 3 answered ${current.length} bytes, not 2` }
  const [units, threshold] = [current[0]!, current[1]!]
  if (units === want) return { kind: 'kept', ms: want * SOL_ACCUMULATE_STEP_MS }
  try {
    // A threshold of 0 is reserved (Table 26-5): a BMC that reports one gets 1, the least it can mean.
    await r.run(SetSolConfigurationParameters, { parameter: SolParameter.CharacterAccumulate, data: Uint8Array.from([want, Math.max(1, threshold)]) }, opts)
  } catch (e) {
    const detail = refusal(e)
    if (detail !== undefined) return { kind: 'refused', detail }
    throw e
  }
  return { kind: 'set', ms: want * SOL_ACCUMULATE_STEP_MS, fromMs: units * SOL_ACCUMULATE_STEP_MS }
}

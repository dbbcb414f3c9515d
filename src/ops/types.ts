/**
 * The shape of one operation of the registry (registry.ts): what a caller
 * may run on a BMC, defined once. The worker validates and dispatches from
 * it, the REST routes, the OpenAPI document, the metrics label set and the
 * CLI are derived from it; nothing else names an operation.
 * Owns no I/O: `run` gets a CommandRunner on the worker's current IPMI
 * session, `redfish` the current Redfish service of a Redfish node.
 */
import type { Static, TSchema } from 'typebox'
import type { CommandRunner } from '../bmc/runner.js'
import type { SdrCache } from '../bmc/sdr.js'
import type { CallOptions } from '../redfish/client.js'
import type { RedfishService } from '../redfish/service.js'
import type { Role } from '../store/types.js'

/** Per-BMC state an op may use; owned by the worker's current connection. */
export interface OpContext {
  /** The BMC's SDR cache: sensors, health, inventory and event text share one walk. */
  sdr: SdrCache
}

export type HttpMethod = 'GET' | 'PUT' | 'POST' | 'DELETE'

/** How an op is reached over REST: `/nodes/{node}/PATH` and `/noderange/{expr}/PATH`. */
export interface RestBinding {
  method: HttpMethod
  /** Below the node or range, e.g. `power`, `bmc/users/:uid`. */
  path: string
  /** The audit log's action name. */
  action: string
  body?: TSchema
  /** Path parameters besides node / expr. */
  params?: Record<string, TSchema>
  /** Query parameters besides timeoutMs. */
  query?: Record<string, TSchema>
  /** The worker's arguments from the request (default: none). */
  toArgs?(body: Record<string, unknown>, params: Record<string, string>, query: Record<string, unknown>): unknown
  /** The REST value from the worker's result (default: as is). */
  fromResult?(value: unknown): unknown
  /** Many BMC round trips (SDR walks, FRU, SEL): the per-node route is counted against the token's rate (api/rate-limit.ts). Range forms always are. */
  expensive?: true
}

/** One column of the CLI's table: a node's cell from its value. */
export interface CliColumn {
  header: string
  cell(value: unknown): string
}

/** One op option: `--name VALUE` (string) or `--flag` (boolean), and what it puts in the REST body. */
export interface CliOption {
  type: 'string' | 'boolean'
  /** VALUE's name in the usage text (string options). */
  value?: string
  help: string
  /** Sets the body field(s) from the option's value; throws a ServiceError (VALIDATION_FAILED) on a bad one. */
  apply(body: Record<string, unknown>, value: string | boolean, env: NodeJS.ProcessEnv): void
}

/**
 * How an op is reached from the command line: `bmcvisor VERB RANGE [WORD]`.
 * Ops sharing a verb are told apart by WORD (`power n1 status`, `power n1 off`).
 */
export interface CliBinding {
  verb: string
  /** The words that pick this op; the first op of a verb with `default` answers when none is given. */
  words: readonly string[]
  default?: boolean
  /** The REST body for a word (PUT, POST). */
  body?(word: string): Record<string, unknown>
  /** Positional arguments after the word, in order: each fills the REST path's `:name` (`users n1 set 3`). */
  params?: readonly string[]
  /** This op's own options beyond the common ones (--json, --timeout, ...), each setting a body field. */
  options?: Readonly<Record<string, CliOption>>
  /** Arguments after the word that make a complete, harmless example (usage text and tests). */
  example?: readonly string[]
  columns: readonly CliColumn[]
  /** One line for `bmcvisor help`. */
  help: string
}

export interface OpSpec<A extends TSchema = TSchema> {
  summary: string
  /** The least role that may run it. */
  role: Role
  /** Deadline when the caller names none. */
  timeoutMs: number
  /** It changes the machine (power, boot, accounts, logs), not just reads it. */
  mutating: boolean
  /** The worker's arguments, checked on the worker's side before run. */
  args: A
  /** What a caller gets back (the REST value). */
  result: TSchema
  run(r: CommandRunner, args: Static<A>, ctx: OpContext): Promise<unknown>
  /** The same op over Redfish (src/redfish/ops.ts), answering the same shape; without it a Redfish node answers BMC_NOT_SUPPORTED. */
  redfish?(s: RedfishService, args: Static<A>, o: CallOptions): Promise<unknown>
  rest?: RestBinding
  cli?: CliBinding
}

/** Keeps each entry's argument type for its run (a plain record would widen it). */
export function op<A extends TSchema>(spec: OpSpec<A>): OpSpec<A> {
  return spec
}

/**
 * The worker's side of the op registry (src/ops): arguments arrive from
 * another thread as plain objects, are checked against the op's own args
 * schema (VALIDATION_FAILED naming the field otherwise), then the op runs on
 * the current session, in the form of the node's management protocol.
 * Nothing here names an operation.
 */
import { Compile } from 'typebox/compile'
import { assertNever } from '../src/bridge/messages.js'
import { ServiceError } from '../src/errors.js'
import type { CommandRunner } from '../src/bmc/runner.js'
import type { OpContext, OpSpec } from '../src/ops/types.js'
import type { OpRegistry } from '../src/ops/registry.js'
import type { ManagementPlugin } from './engine/plugins.js'

type Checker = ReturnType<typeof Compile>
const checkers = new WeakMap<OpSpec, Checker>()

function checker(spec: OpSpec): Checker {
  let c = checkers.get(spec)
  if (c === undefined) {
    c = Compile(spec.args)
    checkers.set(spec, c)
  }
  return c
}

/** The field an argument error is about: the offending property, or the missing one. */
function fieldOf(issue: { instancePath: string; params?: unknown }): string {
  const path = issue.instancePath.replace(/^\//, '').replaceAll('/', '.')
  if (path !== '') return path
  const p = issue.params as { requiredProperties?: string[]; additionalProperties?: string[] } | undefined
  return p?.requiredProperties?.[0] ?? p?.additionalProperties?.[0] ?? 'args'
}

/** Checks the arguments of a registered op; throws VALIDATION_FAILED for an unknown op or bad arguments. */
export function validateOp(registry: OpRegistry, name: string, args: unknown): OpSpec {
  const spec = Object.hasOwn(registry, name) ? registry[name] : undefined
  if (spec === undefined) throw new ServiceError('VALIDATION_FAILED', `unknown operation ${name}`, { details: { field: 'op' } })
  const c = checker(spec)
  if (!c.Check(args)) {
    const issue = c.Errors(args)[0]
    const field = issue === undefined ? 'args' : fieldOf(issue)
    throw new ServiceError('VALIDATION_FAILED', `${name}: ${field} ${issue?.message ?? 'is invalid'}`, { details: { field } })
  }
  return spec
}

export function runOp(spec: OpSpec, r: CommandRunner, args: unknown, ctx: OpContext): Promise<unknown> {
  return spec.run(r, args as never, ctx)
}

/** Runs an op on a management plugin in its protocol's form; an op without a Redfish form is BMC_NOT_SUPPORTED there. */
export async function runOpOn(name: string, spec: OpSpec, m: ManagementPlugin, args: unknown, remainingMs: () => number): Promise<unknown> {
  switch (m.protocol) {
    case 'ipmi':
      return runOp(spec, m.runner(remainingMs), args, m.opContext)
    case 'redfish':
      if (spec.redfish === undefined || m.redfish === undefined) {
        throw new ServiceError('BMC_NOT_SUPPORTED', `${name} has no Redfish form (the node is managed over Redfish)`, { details: { op: name, protocol: 'redfish' } })
      }
      return spec.redfish(m.redfish, args as never, { deadline: Date.now() + remainingMs() })
    default:
      return assertNever(m.protocol)
  }
}

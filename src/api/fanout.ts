/**
 * Runs one operation on many nodes: each node has its own deadline and its
 * own result, so one dead BMC never holds the others beyond its own
 * timeout (confluent#106). Results are yielded as they complete, which is
 * what the NDJSON stream sends; the JSON reply collects them all.
 *
 * Owns no timers beyond one per node in flight; the supervisor (and, behind
 * it, the worker) enforce the real timeouts, and the hard deadline here only
 * guards against a supervisor that never answers.
 */
import type { OpName } from '../bridge/messages.js'
import { ServiceError, toWire, type WireError } from '../errors.js'
import type { SupervisorPort } from './ports.js'

export type NodeResult = { ok: true; value: unknown } | { ok: false; error: Omit<WireError, 'retryable'> }

export interface CallOptions {
  timeoutMs: number
  /** Extra time the supervisor may take past timeoutMs before the API gives up (its own grace is 2 s). */
  graceMs?: number
}

/** One node, one call: a result or a typed error, never a hang past timeoutMs + graceMs. */
export async function callNode(sup: SupervisorPort, node: string, op: OpName, args: unknown, o: CallOptions): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined
  const hardMs = o.timeoutMs + (o.graceMs ?? 3000)
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ServiceError('WORKER_UNAVAILABLE', `no answer from the worker for ${node} within ${hardMs} ms`, { details: { node } })), hardMs)
  })
  try {
    return await Promise.race([sup.run(node, op, args, { timeoutMs: o.timeoutMs }), deadline])
  } finally {
    clearTimeout(timer)
  }
}

export function errorResult(e: unknown): NodeResult {
  const w = toWire(e)
  return { ok: false, error: { code: w.code, message: w.message, ...(w.details !== undefined ? { details: w.details } : {}) } }
}

/**
 * Yields `[node, result]` in completion order. `call` runs one node; at most
 * `concurrency` run at once (each worker is its own thread, so this only
 * bounds the main thread's bookkeeping).
 */
export async function* fanOut(
  nodes: readonly string[],
  call: (node: string) => Promise<unknown>,
  concurrency = 512,
): AsyncGenerator<[string, NodeResult]> {
  const done: [string, NodeResult][] = []
  let wake: (() => void) | undefined
  let next = 0
  let running = 0
  const launch = () => {
    while (running < concurrency && next < nodes.length) {
      const node = nodes[next++]!
      running++
      void call(node).then(
        (value): NodeResult => ({ ok: true, value }),
        (e: unknown) => errorResult(e),
      ).then((r) => {
        running--
        done.push([node, r])
        wake?.()
      })
    }
  }
  launch()
  let yielded = 0
  while (yielded < nodes.length) {
    if (done.length === 0) await new Promise<void>((resolve) => (wake = resolve))
    wake = undefined
    while (done.length > 0) {
      const item = done.shift()!
      yielded++
      yield item
    }
    launch()
  }
}

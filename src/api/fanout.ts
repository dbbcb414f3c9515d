/**
 * Runs one operation on many nodes: each node has its own deadline and its
 * own result, so one dead BMC never holds the others beyond its own
 * timeout (confluent#106). Results are yielded as they complete, which is
 * what the NDJSON stream sends; the JSON reply collects them all.
 *
 * One timer per request, not per node: the supervisor (and, behind it, the
 * worker) enforce the real per-node timeouts, and the hard deadline here
 * only guards against a supervisor that never answers.
 */
import { ServiceError, toWire, type WireError } from '../errors.js'

export type NodeResult = { ok: true; value: unknown } | { ok: false; error: Omit<WireError, 'retryable'> }

/** Extra time the supervisor may take past a call's timeout before the API gives up (its own grace is 2 s). */
const API_GRACE_MS = 3000

/** The API's own limit on a call of `timeoutMs`. */
export function hardDeadlineMs(timeoutMs: number): number {
  return timeoutMs + API_GRACE_MS
}

function noAnswer(node: string, hardMs: number): ServiceError {
  return new ServiceError('WORKER_UNAVAILABLE', `no answer from the worker for ${node} within ${hardMs} ms`, { details: { node } })
}

/** One node's call: its result or typed error, never a hang past timeoutMs + the grace. */
export async function withHardDeadline<T>(call: Promise<T>, node: string, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const hardMs = hardDeadlineMs(timeoutMs)
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(noAnswer(node, hardMs)), hardMs)
  })
  try {
    return await Promise.race([call, deadline])
  } finally {
    clearTimeout(timer)
  }
}

export function errorResult(e: unknown): NodeResult {
  const w = toWire(e)
  return { ok: false, error: { code: w.code, message: w.message, ...(w.details !== undefined ? { details: w.details } : {}) } }
}

/**
 * Yields `[node, result]` in completion order, every node called at once
 * (each worker is its own thread; a range holds at most MAX_RANGE_NODES).
 * `call` runs one node; a node that has not settled `hardMs` after the start
 * is WORKER_UNAVAILABLE (one timer for the whole batch) and its late answer
 * is dropped.
 */
export async function* fanOut(nodes: readonly string[], call: (node: string) => Promise<unknown>, hardMs: number): AsyncGenerator<[string, NodeResult]> {
  const done: [string, NodeResult][] = []
  const open = new Set(nodes)
  let wake: (() => void) | undefined
  const settle = (node: string, r: NodeResult) => {
    if (!open.delete(node)) return // after the batch deadline
    done.push([node, r])
    wake?.()
  }
  const timer = setTimeout(() => {
    for (const node of open) settle(node, errorResult(noAnswer(node, hardMs)))
  }, hardMs)
  try {
    for (const node of [...open]) {
      let p: Promise<unknown>
      try {
        p = call(node)
      } catch (e) {
        p = Promise.reject(e)
      }
      p.then((value) => settle(node, { ok: true, value }), (e: unknown) => settle(node, errorResult(e)))
    }
    while (open.size > 0 || done.length > 0) {
      if (done.length === 0) await new Promise<void>((resolve) => (wake = resolve))
      wake = undefined
      for (const item of done.splice(0)) yield item
    }
  } finally {
    clearTimeout(timer)
  }
}

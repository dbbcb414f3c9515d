/**
 * The narrow view of the supervisor that the API uses (DESIGN.md: api ->
 * supervisor through a narrow interface). The real Supervisor satisfies it
 * structurally; API tests pass a fake.
 */
import type { BmcConfig, FaultKind, OpName } from '../bridge/messages.js'
import type { WatchPattern } from '../bridge/watch.js'
import type { ChildStatus } from '../supervisor/supervisor.js'

export type { ChildStatus } from '../supervisor/supervisor.js'

export interface SupervisorPort {
  has(node: string): boolean
  add(node: string, config: BmcConfig): void
  update(node: string, config: BmcConfig): number
  /** New console watch patterns for the node's worker (no reconnect). */
  setWatch(node: string, patterns: readonly WatchPattern[]): void
  remove(node: string, deadlineMs?: number): Promise<void>
  /** A typed ServiceError for that node only (NODE_NOT_FOUND, WORKER_UNAVAILABLE, BMC_*), never a hang past timeoutMs + grace. */
  run(node: string, op: OpName, args?: unknown, opts?: { timeoutMs?: number }): Promise<unknown>
  status(node?: string): ChildStatus[]
  injectFault(node: string, kind: FaultKind): void
  /** Starts a parked (or backing-off) worker now; CONFLICT for a running one. */
  restartWorker(node: string): ChildStatus['state']
  /** Forgets what the node's worker learned about its BMC; it logs in again from the configured workarounds. */
  resetProfile(node: string): number
}

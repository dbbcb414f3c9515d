/**
 * The one mapping from a stored node to the supervisor's BmcConfig. Keep it
 * the only place that knows both shapes: a new node field that the worker
 * needs (exec console fields, say) is a change here and nowhere else.
 */
import type { BmcConfig } from '../bridge/messages.js'
import { bmcConsoleFields } from '../console/index.js'
import type { NodeRecord } from '../store/types.js'

/** Fields that come from the service's configuration, not from the node (timing, reconnect backoff). */
export type BmcDefaults = Pick<BmcConfig, 'timing' | 'reconnect' | 'consoleLivenessMs' | 'consoleForce' | 'allowExecConsole' | 'consoleInputLimitBytes'>

export function toBmcConfig(node: NodeRecord, defaults: Partial<BmcDefaults> = {}): BmcConfig {
  return {
    ...defaults,
    host: node.bmc.host,
    port: node.bmc.port,
    credentials: { username: node.bmc.username, password: node.bmc.password, ...(node.bmc.kg !== undefined ? { kgHex: node.bmc.kg } : {}) },
    cipherSuite: node.bmc.cipherSuite,
    privilege: node.bmc.privilege,
    // SOL or an exec command; on-demand logging modes start closed (the ConsoleSession opens them).
    ...bmcConsoleFields(node.console),
  }
}

/** True when two configurations would make a worker do the same thing (no reconfigure needed). */
export function sameBmcConfig(a: BmcConfig, b: BmcConfig): boolean {
  // consoleOnDemand only matters when a worker starts; later the ConsoleSession
  // tells the worker (console-control), so a logging change never drops the session.
  return JSON.stringify({ ...a, consoleOnDemand: undefined }) === JSON.stringify({ ...b, consoleOnDemand: undefined })
}

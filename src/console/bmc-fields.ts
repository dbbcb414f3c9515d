/**
 * The worker's side of a node's console configuration: which BmcConfig
 * fields the node model's `console` object turns into. The API's
 * toBmcConfig (src/api/node-config.ts) spreads this, so the worker opens SOL
 * or runs the command, and on-demand modes start closed.
 */
import type { BmcConfig } from '../bridge/messages.js'
import { isOnDemand, type NodeConsoleConfig } from './types.js'

export type BmcConsoleFields = Pick<BmcConfig, 'console' | 'consoleMethod' | 'consoleExec' | 'consoleOnDemand'>

export function bmcConsoleFields(c: NodeConsoleConfig): BmcConsoleFields {
  const method = c.method ?? 'ipmi'
  const out: BmcConsoleFields = { console: true, consoleMethod: method, consoleOnDemand: isOnDemand(c.logging ?? 'full') }
  if (method === 'exec') {
    out.consoleExec = {
      command: c.command ?? [],
      ...(c.connectedPattern !== undefined && c.connectedPattern !== '' ? { connectedPattern: c.connectedPattern } : {}),
      ...(c.env !== undefined ? { credentialEnv: { ...c.env } } : {}),
    }
  }
  return out
}

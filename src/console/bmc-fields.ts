/**
 * The worker's side of a node's console configuration: which BmcConfig
 * fields the node model's `console` object turns into. The API's
 * toBmcConfig (src/api/node-config.ts) spreads this, so the worker opens SOL
 * or runs the command, and on-demand modes start closed.
 */
import { DEFAULT_SSH_PORT, type BmcConfig } from '../bridge/messages.js'
import { isOnDemand, type NodeConsoleConfig } from './types.js'

export type BmcConsoleFields = Pick<BmcConfig, 'console' | 'consoleMethod' | 'consoleExec' | 'consoleSsh' | 'consoleOnDemand'>

/** `bmcHost`: where an ssh console connects unless the node names its own console.host. */
export function bmcConsoleFields(c: NodeConsoleConfig, bmcHost: string): BmcConsoleFields {
  const method = c.method ?? 'ipmi'
  // No console: the worker runs commands only.
  if (method === 'none') return { console: false }
  const out: BmcConsoleFields = { console: true, consoleMethod: method, consoleOnDemand: isOnDemand(c.logging ?? 'full') }
  if (method === 'ssh') {
    const command = typeof c.command === 'string' ? c.command : c.command?.join(' ')
    // hostKey last: a pin the worker learned is appended there (Supervisor.adoptTrust), so the stored one compares equal.
    out.consoleSsh = {
      host: c.host ?? bmcHost, port: c.port ?? DEFAULT_SSH_PORT,
      ...(command !== undefined && command !== '' ? { command } : {}),
      ...(c.hostKey !== undefined ? { hostKey: c.hostKey } : {}),
    }
  }
  if (method === 'exec') {
    out.consoleExec = {
      command: c.command ?? [],
      ...(c.connectedPattern !== undefined && c.connectedPattern !== '' ? { connectedPattern: c.connectedPattern } : {}),
      ...(c.env !== undefined ? { credentialEnv: { ...c.env } } : {}),
    }
  }
  return out
}

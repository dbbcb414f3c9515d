/**
 * The one mapping from a stored node to the supervisor's BmcConfig. Keep it
 * the only place that knows both shapes: a new node field that the worker
 * needs (exec console fields, say) is a change here and nowhere else.
 */
import { mayUseRedfish, type BmcConfig } from '../bridge/messages.js'
import { parseWorkarounds, profileIsEmpty, type LearnedProfile } from '../bridge/profile.js'
import { checkWatchOverride, resolveWatch, type WatchOverride, type WatchPattern } from '../bridge/watch.js'
import { bmcConsoleFields } from '../console/index.js'
import type { NodeRecord, NodeRepo, WatchOverrideDoc } from '../store/types.js'

/** Fields that come from the service's configuration, not from the node (timing, reconnect backoff). */
export type BmcDefaults = Pick<BmcConfig, 'timing' | 'reconnect' | 'consoleLivenessMs' | 'consoleForce' | 'allowExecConsole' | 'consoleInputLimitBytes' | 'solAccumulateMs'>

/** A group's console watch override, if it has one (the store's groupWatch). */
export type GroupWatch = (group: string) => WatchOverrideDoc | undefined

const noGroupWatch: GroupWatch = () => undefined

/** A GroupWatch over the store's group overrides as they are now (one read). */
export async function loadGroupWatch(nodes: Pick<NodeRepo, 'groupWatches'>): Promise<GroupWatch> {
  const byGroup = new Map((await nodes.groupWatches()).map((g) => [g.group, g.watch]))
  return (group) => byGroup.get(group)
}

/** The overrides that apply to a node, in order: each of its groups' (by name), then its own. */
export function watchOverrides(node: Pick<NodeRecord, 'groups' | 'console'>, groupWatch: GroupWatch): WatchOverride[] {
  const docs = [...[...node.groups].sort().map((g) => groupWatch(g)), node.console.watch]
  return docs.filter((d): d is WatchOverrideDoc => d !== undefined).map((d) => checkWatchOverride(d, 'console.watch'))
}

/** The node's console watch patterns: the defaults, its groups' overrides, its own. */
export function nodeWatch(node: Pick<NodeRecord, 'groups' | 'console'>, groupWatch: GroupWatch = noGroupWatch): WatchPattern[] {
  return resolveWatch(watchOverrides(node, groupWatch))
}

/** Redfish and auto nodes only: the protocol, the IPMI port (SOL, auto's fallback), the certificate trust ({mode, ca?, fingerprint?}, the order the supervisor adopts a learned pin in) and the system. */
function redfishFields(node: NodeRecord): Pick<BmcConfig, 'protocol' | 'ipmiPort' | 'tls' | 'systemId'> {
  const protocol = node.bmc.protocol
  if (protocol === undefined || !mayUseRedfish(protocol)) return {}
  const tls = node.bmc.tls ?? { mode: 'verify' }
  return {
    protocol,
    ...(node.bmc.ipmiPort !== undefined ? { ipmiPort: node.bmc.ipmiPort } : {}),
    tls: { mode: tls.mode, ...(tls.ca !== undefined ? { ca: tls.ca } : {}), ...(tls.fingerprint !== undefined ? { fingerprint: tls.fingerprint } : {}) },
    ...(node.bmc.systemId !== undefined ? { systemId: node.bmc.systemId } : {}),
  }
}

/**
 * `profile`: what was learned about the node's BMC before (the store's
 * bmc_profiles row), so a worker started after a serve restart begins from it.
 */
export function toBmcConfig(node: NodeRecord, defaults: Partial<BmcDefaults> = {}, groupWatch: GroupWatch = noGroupWatch, profile?: LearnedProfile): BmcConfig {
  const workarounds = parseWorkarounds(node.bmc.workarounds ?? []).names
  return {
    ...defaults,
    host: node.bmc.host,
    port: node.bmc.port,
    credentials: { username: node.bmc.username, password: node.bmc.password, ...(node.bmc.kg !== undefined ? { kgHex: node.bmc.kg } : {}) },
    cipherSuite: node.bmc.cipherSuite,
    privilege: node.bmc.privilege,
    // SOL or an exec command; on-demand logging modes start closed (the ConsoleSession opens them).
    ...redfishFields(node),
    ...bmcConsoleFields(node.console, node.bmc.host),
    watch: nodeWatch(node, groupWatch),
    ...(workarounds.length > 0 ? { workarounds } : {}),
    ...(profile !== undefined && !profileIsEmpty(profile) ? { profile } : {}),
  }
}

/** True when two configurations would make a worker do the same thing (no reconfigure needed). */
export function sameBmcConfig(a: BmcConfig, b: BmcConfig): boolean {
  // consoleOnDemand only matters when a worker starts; later the ConsoleSession
  // tells the worker (console-control), so a logging change never drops the session.
  // Watch patterns reach a running worker on their own (Supervisor.setWatch): never a reconnect.
  // A learned profile reaches the worker from the worker itself; a change of it alone is no new configuration.
  const strip = (c: BmcConfig) => JSON.stringify({ ...c, consoleOnDemand: undefined, watch: undefined, profile: undefined })
  return strip(a) === strip(b)
}

export function sameWatch(a: BmcConfig, b: BmcConfig): boolean {
  return JSON.stringify(a.watch ?? []) === JSON.stringify(b.watch ?? [])
}

/**
 * Keeps each node's learned BMC profile: what its worker reports (the
 * supervisor's 'bmc:profile') is stored (store.profiles, so it survives a
 * serve restart) and shown in bmcvisor_bmc_profile_entry together with the
 * node's configured workarounds; a newly learned entry is logged, at warn
 * when it relaxes a security check or lowers the cipher suite (issue 13's
 * rule: never weaker silently).
 */
import { parseWorkarounds, profileRows, reviveProfile, workaroundInfo, type LearnedEntry, type LearnedProfile } from '../bridge/profile.js'
import type { Logger } from '../log.js'
import type { NodeRecord, NodeRepo, ProfileRepo } from '../store/types.js'

export interface ProfileSource {
  on(event: 'bmc:profile', listener: (node: string, profile: LearnedProfile, entry: LearnedEntry | undefined) => void): unknown
  off(event: 'bmc:profile', listener: (node: string, profile: LearnedProfile, entry: LearnedEntry | undefined) => void): unknown
}

export interface ProfileGauge {
  setProfile(node: string, entries: readonly { workaround: string; source: string }[]): void
}

export interface ProfileSync {
  /** The node's learned profile as last stored or reported: what a worker started now begins from. */
  current(node: string): LearnedProfile | undefined
  /** Resolves once every report taken so far is stored. */
  idle(): Promise<void>
  stop(): void
}

/** Resolves once the stored profiles are read (a store that cannot list them rejects, subscribing nothing). */
export async function syncProfiles(sup: ProfileSource, nodes: NodeRepo, profiles: ProfileRepo, gauge: ProfileGauge, logger: Logger): Promise<ProfileSync> {
  const known = new Map<string, LearnedProfile>()
  for (const p of await profiles.list()) known.set(p.node, reviveProfile(p.profile))
  const show = (n: NodeRecord) => {
    const rows = profileRows(known.get(n.name), parseWorkarounds(n.bmc.workarounds ?? []).names)
    gauge.setProfile(n.name, rows.map((r) => ({ workaround: r.name, source: r.source })))
  }
  const store = async (node: string, profile: LearnedProfile, entry: LearnedEntry | undefined, prior: LearnedProfile | undefined) => {
    const n = await nodes.get(node)
    if (n === undefined) return // removed while its worker reported
    await profiles.put(node, {
      entries: profile.entries.map((e) => ({ ...e })),
      ...(profile.cipherSuite !== undefined ? { cipherSuite: profile.cipherSuite } : {}),
      ...(profile.protocol !== undefined ? { protocol: profile.protocol } : {}),
    })
    show(n)
    if (profile.protocol !== undefined && n.bmc.protocol === 'auto' && prior?.protocol !== profile.protocol) logger.info({ node, protocol: profile.protocol }, 'BMC protocol probed: the node is managed over it from now on')
    if (entry === undefined) return
    const w = workaroundInfo(entry.name)
    const fields = { node, workaround: entry.name, detail: entry.detail, changes: w.changes }
    if (w.relaxesSecurity) logger.warn(fields, 'BMC quirk learned: a security check is relaxed or the cipher suite lowered for this BMC')
    else logger.info(fields, 'BMC quirk learned')
  }
  // Reports are stored one at a time, in order: the last one stored is the last one made.
  let tail: Promise<void> = Promise.resolve()
  const onProfile = (node: string, profile: LearnedProfile, entry: LearnedEntry | undefined) => {
    const prior = known.get(node)
    known.set(node, profile)
    tail = tail.then(() => store(node, profile, entry, prior)).catch((err: unknown) => logger.error({ err, node }, 'storing the learned BMC profile failed'))
  }
  const onNode = (n: NodeRecord) => show(n)
  const onRemoved = (n: NodeRecord) => known.delete(n.name)
  sup.on('bmc:profile', onProfile)
  nodes.on('node:added', onNode)
  nodes.on('node:updated', onNode)
  nodes.on('node:removed', onRemoved)
  const stop = () => {
    sup.off('bmc:profile', onProfile)
    nodes.off('node:added', onNode)
    nodes.off('node:updated', onNode)
    nodes.off('node:removed', onRemoved)
  }
  try {
    for (const n of await nodes.list()) show(n)
  } catch (e) {
    stop()
    throw e
  }
  return { current: (node) => known.get(node), idle: () => tail, stop }
}

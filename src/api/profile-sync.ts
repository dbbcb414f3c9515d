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

export function syncProfiles(sup: ProfileSource, nodes: NodeRepo, profiles: ProfileRepo, gauge: ProfileGauge, logger: Logger): { stop(): void } {
  const show = (n: NodeRecord) => {
    const rows = profileRows(reviveProfile(profiles.get(n.name)?.profile), parseWorkarounds(n.bmc.workarounds ?? []).names)
    gauge.setProfile(n.name, rows.map((r) => ({ workaround: r.name, source: r.source })))
  }
  const onProfile = (node: string, profile: LearnedProfile, entry: LearnedEntry | undefined) => {
    const n = nodes.get(node)
    if (n === undefined) return // removed while its worker reported
    profiles.put(node, { entries: profile.entries.map((e) => ({ ...e })), ...(profile.cipherSuite !== undefined ? { cipherSuite: profile.cipherSuite } : {}) })
    show(n)
    if (entry === undefined) return
    const w = workaroundInfo(entry.name)
    const fields = { node, workaround: entry.name, detail: entry.detail, changes: w.changes }
    if (w.relaxesSecurity) logger.warn(fields, 'BMC quirk learned: a security check is relaxed or the cipher suite lowered for this BMC')
    else logger.info(fields, 'BMC quirk learned')
  }
  const onNode = (n: NodeRecord) => show(n)
  for (const n of nodes.list()) show(n)
  sup.on('bmc:profile', onProfile)
  nodes.on('node:added', onNode)
  nodes.on('node:updated', onNode)
  return {
    stop() {
      sup.off('bmc:profile', onProfile)
      nodes.off('node:added', onNode)
      nodes.off('node:updated', onNode)
    },
  }
}

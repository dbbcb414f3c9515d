/**
 * What our client learns about a BMC from what it does, with no flag set:
 * each adaptation the session, login or SOL code makes reports itself here
 * once, by name, with a detail an operator can read. This is the one seam
 * for that report until the profile mechanism (src/session/profile.ts on
 * branch wt-profile: WORKAROUNDS, IpmiClient.noteLearned) is merged: the
 * names here are the ones its WORKAROUNDS list gives these quirks, and
 * IpmiClient.noteLearned(name, detail) has its signature, so the merge
 * replaces LearnedName with WorkaroundName and drops this file.
 * Invariant: a detail never carries a password, key or HMAC.
 */

export const LEARNED_NAMES = [
  /** Answers with a wrong integrity pad, taken because their AuthCode verified (QUIRK(integritypad)). */
  'integrity-pad',
  /** Set Session Privilege Level refused while the level was granted (QUIRK(setpriv-refused), Cisco UCS). */
  'privilege-refused',
  /** SOL input stuck on one sequence number, unstuck by a fresh one (FreeIPMI solpacketseq). */
  'solpacketseq',
  /** Sessions dropped while idle: keepalives sent more often (QUIRK(idletimeout-short)). */
  'idle-timeout',
  /** Open Session answered "insufficient resources"; retried with back-off (QUIRK(sessiontable-full)). */
  'session-table-full',
  /** The BMC hashes only the first 16 bytes of a 17-20 byte password (QUIRK(password16)). */
  'password16',
  /** SOL silent after a host power change: deactivated and activated again (QUIRK(solsilent-reboot)). */
  'sol-silent-after-reboot',
] as const

export type LearnedName = (typeof LEARNED_NAMES)[number]

export interface Learned {
  readonly name: LearnedName
  readonly detail: string
}

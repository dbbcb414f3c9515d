/**
 * The workaround list and the profile types as the main thread sees them:
 * one re-export of src/session/profile.ts (pure data and functions, no I/O),
 * so the supervisor, the API and the metrics use the same list as the
 * client without importing the session layer. The one seam from bridge to
 * session (test/unit/layering.test.ts allows exactly this file).
 */
export {
  EMPTY_PROFILE, MANAGEMENT_PROTOCOLS, profileIsEmpty, withProtocol, type ManagementProtocol, isWorkaroundName, parseWorkarounds, profileRows, reviveProfile, WORKAROUND_NAMES, WORKAROUNDS, workaroundInfo,
  type LearnedEntry, type LearnedProfile, type ParsedWorkarounds, type ProfileRow, type ProfileSource, type WorkaroundHandling,
  type WorkaroundInfo, type WorkaroundName,
} from '../session/profile.js'

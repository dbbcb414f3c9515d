// What our client learns from each simulated quirk (src/sim/quirks.ts), for
// the tests that check it (test/integration/sim/profile.test.ts, the fleet
// behind serve in test/api/fleet-profile.test.ts). Typed by QuirkName: a new
// quirk must say what it teaches.
import type { WorkaroundName } from '../../src/session/profile.js'
import type { QuirkName } from '../../src/sim/quirks.js'

/** What our client learns from each quirk (and from none). Typed by QuirkName: a new quirk must say what it teaches. */
export const LEARNS: Record<QuirkName, readonly WorkaroundName[]> = {
  opensesspriv: [],
  authcap: [],
  nochecksumcheck: ['nochecksumcheck'],
  integritycheckvalue: [],
  solpayloadsize: ['solpayloadsize'],
  solport: ['solport'],
  'solport-endian': ['solport-endian'],
  solstatus: [],
  solchannelsupport: [],
  serialalertsdeferred: [],
  'solactive-stale': ['solactive-stale'],
  'soldeactivate-noop': [],
  'cipher-suites-silent': ['cipher-suites-silent'],
  'suite17-only': [],
  'suite3-only': ['cipher-suite'],
  integritypad: ['integrity-pad'],
  'setpriv-refused': ['privilege-refused'],
  // Learned only when typed input sticks (test/integration/sim/client-quirks.test.ts types).
  solpacketseq: [],
  'idletimeout-short': ['idle-timeout'],
  'sessiontable-full': ['session-table-full'],
  'coldreset-console': [],
  'solsilent-reboot': ['sol-silent-after-reboot'],
  // The lab password is 8 bytes: its 16- and 20-byte keys are the same (client-quirks.test.ts uses a 20-byte one).
  password16: [],
}

/**
 * Quirks that show only with their own timing or event (an idle session
 * timing out, leaked sessions expiring, a cold reset, a host power change):
 * test/integration/sim/client-quirks.test.ts drives each with short
 * simulator timings; the steady-state tests (every quirk over UDP, the
 * mixed fleet behind serve) leave them out.
 */
export const EXERCISED_APART: ReadonlySet<QuirkName> = new Set(['idletimeout-short', 'sessiontable-full', 'coldreset-console', 'solsilent-reboot'])

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
}

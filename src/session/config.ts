/**
 * Configuration of one RMCP+ session, with the defaults the references agree
 * on (reference/ipmi-spec.md §3.2-§3.3): 1 s per try growing by 1 s, four
 * retransmits, a keepalive after 20 s of silence.
 */
import type { PrivilegeName } from '../ipmi/rakp.js'
import type { LearnedProfile, WorkaroundName } from './profile.js'

export interface SessionTiming {
  /** First retransmit timeout of a request. */
  retransmitMs: number
  /** Added to the timeout on each retransmit. */
  backoffMs: number
  /** Random extra share of each timeout (0.2 = up to +20%), so a fleet does not retransmit in step. */
  jitterRatio: number
  /** Retransmits per request before it fails with BMC_UNREACHABLE. */
  retries: number
  /** Per-try wait for pre-session probes that some BMCs ignore (Get Channel Cipher Suites). */
  probeMs: number
  /** The whole login, probes and fallbacks included. */
  connectTimeoutMs: number
  /** Open Session .. RAKP4 restarts (each with a new console session ID). */
  handshakeAttempts: number
  /** Idle time before a keepalive command; 0 disables keepalives. */
  keepaliveMs: number
  /** Time a keepalive may take (with its retransmits) before the session counts as lost. */
  keepaliveTimeoutMs: number
  /** Wait for the Close Session answer; it is sent once, never retried. */
  closeTimeoutMs: number
  /** Inbound sequence window (IPMI v2.0 Appendix A; FreeIPMI uses 8). */
  windowSize: number
  /** Requests outstanding at once on one session. */
  maxInFlight: number
}

export const DEFAULT_TIMING: SessionTiming = {
  retransmitMs: 1000,
  backoffMs: 1000,
  jitterRatio: 0.2,
  retries: 4,
  probeMs: 400,
  connectTimeoutMs: 10_000,
  handshakeAttempts: 3,
  keepaliveMs: 20_000,
  keepaliveTimeoutMs: 6_000,
  closeTimeoutMs: 1000,
  windowSize: 8,
  maxInFlight: 4,
}

export interface SessionConfig {
  username: string
  /** The user's password (Kuid): at most 20 bytes. */
  password: string | Buffer
  /** The BMC key K_G, when the BMC has one set (two-key login). */
  kg?: Buffer | undefined
  /** Requested privilege; default administrator, falling back to operator when refused. */
  privilege?: PrivilegeName | undefined
  /** Fall back from administrator to operator when refused. Default: true unless privilege is set. */
  privilegeFallback?: boolean | undefined
  /** A fixed cipher suite; when absent, the best one the BMC accepts (17, then 3, ...). */
  cipherSuite?: number | undefined
  /** Suite 0 (no authentication at all) is refused unless this is true. */
  allowInsecureSuite0?: boolean | undefined
  /** RAKP1 name-only lookup bit (default true, as ipmitool and pyghmi). Some BMCs need false. */
  nameOnlyLookup?: boolean | undefined
  timing?: Partial<SessionTiming> | undefined
  /** Workarounds the operator configured (node field bmc.workarounds, `ipmi -W`): applied from the first login. */
  workarounds?: readonly WorkaroundName[] | undefined
  /** What was learned about this BMC before (stored per node): the client starts from it. */
  profile?: LearnedProfile | undefined
}

export function sessionTiming(c: SessionConfig): SessionTiming {
  return { ...DEFAULT_TIMING, ...c.timing }
}

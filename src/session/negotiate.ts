/**
 * Choosing how to log in: Get Channel Authentication Capabilities (IPMI 1.5
 * framing, pre-session), the cipher suite (Get Channel Cipher Suites when the
 * BMC answers it, else 17 then 3), the privilege (administrator, falling back
 * to operator when refused, as pyghmi does) and Set Session Privilege Level.
 *
 * QUIRK(ipmi_sim): it never answers Get Channel Cipher Suites before a
 * session, and ipmitool then waits 10 s. We give that probe `probeMs` per try
 * and go on with our own preference order.
 * A BMC that leaves the probe unanswered is reported (cipher-suites-silent)
 * with the suite that worked, and a later login that knows it (`skipSuiteProbe`)
 * does not ask again. A login on a weaker suite than our first preference
 * that we did not ask for is reported as a downgrade (cipher-suite).
 * QUIRK(ipmi_sim): Open Session with privilege 0 ("highest matching") is
 * refused, so we always ask for an explicit level.
 */
import { IpmiError } from '../ipmi/errors.js'
import { decodeResponse } from '../ipmi/command.js'
import { CIPHER_SUITES, isSupportedSuite, SUPPORTED_SUITES_BY_PREFERENCE } from '../ipmi/crypto.js'
import { decodeLanResponse, encodeLanRequest } from '../ipmi/lan-message.js'
import { encodeRmcpPlusPacket, encodeV15Packet, PayloadType } from '../ipmi/packet.js'
import { Privilege } from '../ipmi/rakp.js'
import { GetChannelAuthCapabilities, type GetChannelAuthCapabilitiesResponse } from '../ipmi/commands/get-channel-auth-capabilities.js'
import { GetChannelCipherSuites, isLastCipherSuitePage, parseCipherSuiteRecords } from '../ipmi/commands/get-channel-cipher-suites.js'
import type { SessionConfig, SessionTiming } from './config.js'
import { login, V15_PASSWORD_BYTES, type HandshakeLink, type LoginParams, type LoginResult } from './handshake.js'
import type { LearnedEntry, WorkaroundName } from './profile.js'

/** -2 marks an IPMI 1.5 framed packet offered by the session dispatcher. */
export const V15_PACKET = -2

export interface NegotiateDeps {
  config: SessionConfig
  timing: SessionTiming
  /** A suite that worked before with this BMC: tried first. */
  preferredSuite: number | undefined
  /** The BMC is known not to answer Get Channel Cipher Suites: do not wait for it. */
  skipSuiteProbe?: boolean | undefined
  remainingMs(): number
  random(n: number): Buffer
  sendPreSession(datagram: Buffer): void
  awaitPacket<T>(accept: (payloadType: number, payload: Buffer, sessionId: number) => T | undefined, timeoutMs: number): Promise<T | undefined>
  /**
   * The session's IDs and keys: from RAKP 3 on (the BMC may hold the session
   * from then), again once RAKP 4 checked out. A close or a failed login
   * after the first call sends Close Session with them.
   */
  activate(r: LoginResult & { suite: number }): void
  /** The activated session got no RAKP 4: send Close Session for it without waiting, and forget it. */
  release(): void
  /** An adaptation made during login (src/session/learned.ts). */
  learn(name: WorkaroundName, detail: string): void
  /** Sends Set Session Privilege Level inside the new session; resolves with its completion code and answer data. */
  setPrivilege(privilege: number): Promise<{ cc: number; data: Buffer }>
}

const PRIVILEGES: Record<string, number> = { callback: 1, user: 2, operator: 3, administrator: 4, oem: 5 }

/** Set Session Privilege Level 0: no change, report the level in force (IPMI v2.0 §22.18). */
const PRESENT_LEVEL = 0
/** QUIRK(sessiontable-full): longest wait between Open Session tries while the BMC answers "insufficient resources". */
const BUSY_MAX_WAIT_MS = 4000

/**
 * login(), tried again with doubling waits (from retransmitMs, up to
 * BUSY_MAX_WAIT_MS) while Open Session answers 01h "insufficient resources"
 * (BMC_BUSY) and the login deadline leaves room: a full session table frees
 * as leaked sessions time out. Reported once it worked after a refusal.
 */
async function loginPatiently(d: NegotiateDeps, link: HandshakeLink, p: LoginParams): Promise<LoginResult> {
  let wait = d.timing.retransmitMs
  for (let refusals = 0; ; refusals++) {
    try {
      const r = await login(link, p)
      if (refusals > 0) d.learn('session-table-full', `BMC had no free session slot (Open Session: insufficient resources) ${refusals} time(s); logged in after waiting`)
      return r
    } catch (e) {
      if (!(e instanceof IpmiError) || e.code !== 'BMC_BUSY' || d.remainingMs() <= wait) throw e
    }
    await d.awaitPacket(() => undefined, wait) // a wait that a closed session cuts short
    wait = Math.min(wait * 2, BUSY_MAX_WAIT_MS)
  }
}

export interface NegotiateResult {
  suite: number
  privilege: number
  /** What this login found out about the BMC (the suite rides with the suite entries). */
  learned: LearnedEntry[]
}

/** Our first choice of suite: a login on anything else that we did not ask for is a downgrade. */
const BEST_SUITE = SUPPORTED_SUITES_BY_PREFERENCE[0]!

export async function negotiate(d: NegotiateDeps): Promise<NegotiateResult> {
  const c = d.config
  const username = Buffer.from(c.username, 'utf8')
  const password = Buffer.isBuffer(c.password) ? c.password : Buffer.from(c.password, 'utf8')
  if (username.length > 16) throw new IpmiError('BMC_AUTH_FAILED', 'user name is longer than 16 bytes')
  if (password.length > 20) throw new IpmiError('BMC_AUTH_FAILED', 'password is longer than 20 bytes')
  if (c.cipherSuite !== undefined) {
    if (c.cipherSuite === 0 && c.allowInsecureSuite0 !== true) {
      throw new IpmiError('BMC_INSECURE_CIPHER_SUITE', 'cipher suite 0 has no authentication; refused unless the node explicitly allows it')
    }
    if (!isSupportedSuite(c.cipherSuite)) throw new IpmiError('BMC_NO_CIPHER_SUITE', `cipher suite ${c.cipherSuite} is not supported (supported: ${SUPPORTED_SUITES_BY_PREFERENCE.join(', ')})`)
  }
  const wanted = PRIVILEGES[c.privilege ?? 'administrator'] ?? Privilege.Administrator
  const fallback = c.privilegeFallback ?? c.privilege === undefined
  const privileges = fallback && wanted === Privilege.Administrator ? [Privilege.Administrator, Privilege.Operator] : [wanted]

  const caps = await authCapabilities(d, privileges[0]!)
  if (!caps.ipmiV20ExtendedData || !caps.supportsIpmiV20) {
    throw new IpmiError('BMC_PROTOCOL_ERROR', 'BMC does not offer IPMI 2.0 (RMCP+) on this channel', { details: { stage: 'Get Channel Authentication Capabilities' } })
  }
  const plan = c.cipherSuite !== undefined ? { order: [c.cipherSuite], silent: false, offered: undefined } : await candidateSuites(d)
  const suites = plan.order
  const refused: number[] = []
  const learnedWith = (suite: number): LearnedEntry[] => {
    if (c.cipherSuite !== undefined) return []
    const out: LearnedEntry[] = []
    if (plan.silent) out.push({ name: 'cipher-suites-silent', detail: `Get Channel Cipher Suites unanswered within ${d.timing.probeMs} ms; suite ${suite} worked` })
    if (suite !== BEST_SUITE) {
      const why = refused.length > 0 ? `the BMC refused ${refused.join(', ')}` : `the BMC offers only ${plan.offered?.join(', ') ?? 'it'}`
      out.push({ name: 'cipher-suite', detail: `suite ${suite} instead of ${BEST_SUITE}: ${why}` })
    }
    return out
  }

  let currentSuite = -1
  const link: HandshakeLink = {
    sendSetup: (pt, payload) => d.sendPreSession(encodeRmcpPlusPacket({ payloadType: pt, sessionId: 0, sessionSeq: 0, payload })),
    awaitSetup: (pt, accept, ms) => d.awaitPacket((got, payload) => (got === pt ? accept(payload) : undefined), ms),
    random: d.random,
    remainingMs: d.remainingMs,
    mayHold: (r) => d.activate({ ...r, suite: currentSuite }),
    release: d.release,
  }
  let last: IpmiError | undefined
  for (const privilege of privileges) {
    for (const suite of suites) {
      let r: LoginResult
      currentSuite = suite
      try {
        r = await loginPatiently(d, link, {
          suite, privilege, username, password, kg: c.kg, nameOnlyLookup: c.nameOnlyLookup ?? true,
          attempts: d.timing.handshakeAttempts, stepTimeoutMs: d.timing.retransmitMs,
        })
      } catch (e) {
        if (!(e instanceof IpmiError)) throw e
        last = e
        if (e.code === 'BMC_NO_CIPHER_SUITE') {
          refused.push(suite)
          continue
        }
        if (e.code === 'BMC_PRIVILEGE_REFUSED' || (e.code === 'BMC_AUTH_FAILED' && e.details.status === 0x0d)) break
        throw e
      }
      d.activate({ ...r, suite })
      if (r.passwordCutTo16) {
        d.learn('password16', `BMC keeps only the first ${V15_PASSWORD_BYTES} bytes of this ${password.length}-byte password (RAKP 2 verified with them); the session is keyed with those`)
      }
      const { cc, data } = await d.setPrivilege(privilege)
      // The answer carries the level now in force (IPMI v2.0 §22.18); trust it over our request.
      if (cc === 0) return { suite, privilege: (data[0] ?? privilege) & 0x0f, learned: learnedWith(suite) }
      // QUIRK(setpriv-refused): a refusal is believed only once the BMC says which level is in force
      // (level 0 = "no change, report the present level"); a BMC that granted it anyway says so.
      const present = await d.setPrivilege(PRESENT_LEVEL)
      if (present.cc === 0 && ((present.data[0] ?? 0) & 0x0f) === privilege) {
        d.learn('privilege-refused', `BMC answered Set Session Privilege Level ${privilege} with 0x${cc.toString(16)} but reports level ${privilege} in force`)
        return { suite, privilege, learned: learnedWith(suite) }
      }
      // 0x80/0x81: level not available for this user or channel.
      last = new IpmiError('BMC_PRIVILEGE_REFUSED', `BMC refused privilege ${privilege} (Set Session Privilege Level completion code 0x${cc.toString(16)})`, { details: { privilege, completionCode: cc } })
      if (privileges.length > 1 && privilege === Privilege.Administrator) {
        const second = await d.setPrivilege(Privilege.Operator)
        if (second.cc === 0) return { suite, privilege: (second.data[0] ?? Privilege.Operator) & 0x0f, learned: learnedWith(suite) }
      }
      throw last
    }
    if (last?.code === 'BMC_NO_CIPHER_SUITE') break
  }
  if (last === undefined || last.code === 'BMC_NO_CIPHER_SUITE') {
    throw new IpmiError('BMC_NO_CIPHER_SUITE', `BMC accepted none of the cipher suites tried (${suites.join(', ')})`, { details: { tried: suites.join(',') } })
  }
  throw last
}

async function authCapabilities(d: NegotiateDeps, privilege: number): Promise<GetChannelAuthCapabilitiesResponse> {
  const cmd = GetChannelAuthCapabilities
  for (let attempt = 0; d.remainingMs() > 0; attempt++) {
    const rqSeq = (attempt + 1) & 0x3f
    const msg = encodeLanRequest({ netFn: cmd.netFn, cmd: cmd.cmd, rqSeq, data: cmd.encode({ maxPrivilege: privilege as 4 }) })
    d.sendPreSession(encodeV15Packet(msg))
    const wait = Math.min(d.timing.retransmitMs + attempt * d.timing.backoffMs, d.remainingMs())
    const res = await d.awaitPacket((pt, payload) => {
      if (pt !== V15_PACKET) return undefined
      const r = decodeLanResponse(payload)
      return r.cmd === cmd.cmd && r.rqSeq === rqSeq ? r : undefined
    }, wait)
    if (res !== undefined) return decodeResponse(cmd, res.cc, res.data)
  }
  throw new IpmiError('BMC_UNREACHABLE', 'no answer from BMC (Get Channel Authentication Capabilities)', {
    retryable: true,
    details: { stage: 'Get Channel Authentication Capabilities' },
  })
}

/** Suites tried when the BMC's own list is not known: the modern 17 and the mandatory 3 (reference §2.2). */
const UNLISTED_ORDER: readonly number[] = [17, 3]

interface SuitePlan {
  order: number[]
  /** The probe went unanswered (not asked because skipped counts as not silent: nothing new learned). */
  silent: boolean
  offered: number[] | undefined
}

/** Suites to try, best first. Uses the BMC's list when it answers quickly; skips asking when the BMC is known not to. */
async function candidateSuites(d: NegotiateDeps): Promise<SuitePlan> {
  const skip = d.skipSuiteProbe === true
  const offered = skip ? undefined : await listCipherSuites(d).catch(() => undefined)
  let order: number[]
  if (offered === undefined) order = [...UNLISTED_ORDER]
  else order = SUPPORTED_SUITES_BY_PREFERENCE.filter((s) => offered.includes(s))
  if (d.preferredSuite !== undefined && (order.includes(d.preferredSuite) || (offered === undefined && isSupportedSuite(d.preferredSuite) && d.preferredSuite !== 0))) {
    order = [d.preferredSuite, ...order.filter((s) => s !== d.preferredSuite)]
  }
  if (order.length === 0) throw new IpmiError('BMC_NO_CIPHER_SUITE', `BMC offers no cipher suite we support (offered: ${offered?.join(', ') ?? 'unknown'})`)
  return { order, silent: !skip && offered === undefined, offered }
}

async function listCipherSuites(d: NegotiateDeps): Promise<number[] | undefined> {
  const cmd = GetChannelCipherSuites
  let data = Buffer.alloc(0)
  for (let index = 0; index <= 0x3f; index++) {
    const rqSeq = (0x20 + index) & 0x3f
    const msg = encodeLanRequest({ netFn: cmd.netFn, cmd: cmd.cmd, rqSeq, data: cmd.encode({ listIndex: index }) })
    d.sendPreSession(encodeRmcpPlusPacket({ payloadType: PayloadType.Ipmi, sessionId: 0, sessionSeq: 0, payload: msg }))
    const res = await d.awaitPacket((pt, payload) => {
      if (pt !== PayloadType.Ipmi) return undefined
      const r = decodeLanResponse(payload)
      return r.cmd === cmd.cmd && r.rqSeq === rqSeq ? r : undefined
    }, Math.min(d.timing.probeMs, d.remainingMs()))
    if (res === undefined) return undefined
    const page = decodeResponse(cmd, res.cc, res.data)
    data = Buffer.concat([data, page.recordData])
    if (isLastCipherSuitePage(page)) break
  }
  return parseCipherSuiteRecords(data).filter((r) => r.oemIana === undefined && CIPHER_SUITES[r.id] !== undefined).map((r) => r.id)
}

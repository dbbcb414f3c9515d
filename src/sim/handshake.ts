/**
 * The BMC half of RMCP+ session setup: Open Session Request -> Response,
 * RAKP 1 -> RAKP 2, RAKP 3 -> RAKP 4 (IPMI v2.0 §13.17-§13.23; status codes
 * Table 13-15, digest §2.10).
 *
 * Owns the checks a BMC makes at each step and which status code each
 * failure earns; payloads are decoded/encoded with src/ipmi/rakp.ts, keys
 * come from ./keys.ts. Replies are payloads only: the caller frames them
 * (session ID 0, sequence 0, in clear) and sends them.
 * Choices where BMCs differ (each is a config knob or a fault):
 * - unknown or disabled user: RAKP 2 status 0x0D (ipmi_sim sends 0x12);
 * - role above the user's limit: SimBmcConfig.roleRefusal (default 0x09);
 * - an identical RAKP 1 retransmit gets the same RAKP 2 again; any other
 *   RAKP 1 or a RAKP 3 out of turn gets status 0x02 (pyghmi: a retried RAKP 3
 *   answered 0x02 means the BMC had already finished);
 * - quirk opensesspriv (quirks.ts): RAKP 2/3 and the SIK hash the Open
 *   Session privilege, not the RAKP 1 role;
 * - "wrong credentials" fault: RAKP 2 is keyed with a password the console
 *   cannot know, which is what a changed password looks like on the wire.
 * A failed step frees the session slot at once.
 */
import {
  decodeOpenSessionRequest, decodeRakp1, decodeRakp3, encodeOpenSessionResponse, encodeRakp2, encodeRakp4,
} from '../ipmi/rakp.js'
import { codesEqual } from '../ipmi/crypto.js'
import type { SimContext } from './context.js'
import { bmcRakp2Code, bmcRakp4Icv, bmcSessionKeys, bmcSik, expectedRakp3Code, type BmcHandshake } from './keys.js'
import type { Prng } from './prng.js'
import { hashedRole, rakp4Icv } from './quirks.js'
import { Priv, type SimUser } from './state.js'

/** Suites the simulator can run: [auth, integrity, confidentiality] (IPMI v2.0 Table 22-20). */
export const SIM_SUITES: Readonly<Record<number, readonly [number, number, number]>> = {
  0: [0, 0, 0], 1: [1, 0, 0], 2: [1, 1, 0], 3: [1, 1, 1], 15: [3, 0, 0], 16: [3, 4, 0], 17: [3, 4, 1],
}

const S = {
  InsufficientResources: 0x01, InvalidSessionId: 0x02, InvalidAuthAlg: 0x04, InvalidIntegrityAlg: 0x05,
  InvalidRole: 0x09, UnauthorizedRole: 0x0a, InvalidNameLength: 0x0c, UnauthorizedName: 0x0d,
  InvalidIntegrityCheck: 0x0f, InvalidConfidentialityAlg: 0x10, NoCipherSuiteMatch: 0x11, IllegalParameter: 0x12,
} as const

export interface HandshakeEnv {
  bmc: SimContext
  prng: Prng
  /** Fault: every login fails as if the password had changed. */
  wrongCredentials: boolean
}

/** Open Session Request: returns the Open Session Response payload, or undefined to stay silent. */
export function handleOpenSession(env: HandshakeEnv, b: Buffer): Buffer | undefined {
  if (b.length < 1) return undefined
  const tag = b[0]!
  const sidm = b.length >= 8 ? b.readUInt32LE(4) : 0
  const refuse = (status: number) => encodeOpenSessionResponse({
    messageTag: tag, status, maxPrivilege: 0, remoteConsoleSessionId: sidm, managedSystemSessionId: 0, auth: 0, integrity: 0, confidentiality: 0,
  })
  if (b.length < 32) return refuse(S.IllegalParameter)
  let req
  try {
    req = decodeOpenSessionRequest(b)
  } catch {
    return refuse(S.IllegalParameter) // proposal with a wrong type or length
  }
  if (req.requestedPrivilege > Priv.Oem) return refuse(S.InvalidRole)
  if (req.remoteConsoleSessionId === 0) return refuse(S.InvalidSessionId)
  const offered = env.bmc.config.cipherSuites.map((id) => SIM_SUITES[id]).filter((s) => s !== undefined)
  if (!offered.some((s) => s[0] === req.auth)) return refuse(S.InvalidAuthAlg)
  if (!offered.some((s) => s[1] === req.integrity)) return refuse(S.InvalidIntegrityAlg)
  if (!offered.some((s) => s[2] === req.confidentiality)) return refuse(S.InvalidConfidentialityAlg)
  const suite = env.bmc.config.cipherSuites.find((id) => {
    const s = SIM_SUITES[id]
    return s !== undefined && s[0] === req.auth && s[1] === req.integrity && s[2] === req.confidentiality
  })
  if (suite === undefined) return refuse(S.NoCipherSuiteMatch)
  const limit = env.bmc.config.channelPrivilegeLimit
  if (req.requestedPrivilege > limit) return refuse(S.UnauthorizedRole)
  const s = env.bmc.sessions.open({
    consoleSessionId: req.remoteConsoleSessionId, auth: req.auth, integrity: req.integrity, confidentiality: req.confidentiality,
    suite, requestedMaxPrivilege: req.requestedPrivilege, nowMs: env.bmc.nowMs(),
  })
  if (s === undefined) return refuse(S.InsufficientResources)
  return encodeOpenSessionResponse({
    messageTag: tag, status: 0, maxPrivilege: req.requestedPrivilege === 0 ? limit : req.requestedPrivilege,
    remoteConsoleSessionId: s.consoleSessionId, managedSystemSessionId: s.bmcSessionId,
    auth: req.auth, integrity: req.integrity, confidentiality: req.confidentiality,
  })
}

/** RAKP Message 1: returns the RAKP 2 payload, or undefined to stay silent. */
export function handleRakp1(env: HandshakeEnv, b: Buffer): Buffer | undefined {
  if (b.length < 28) return undefined
  const tag = b[0]!
  const session = env.bmc.sessions.get(b.readUInt32LE(4))
  const refuse = (status: number, sidm = session?.consoleSessionId ?? 0) => {
    if (session !== undefined && session.state !== 'active') env.bmc.closeSession(session.bmcSessionId, 'handshake-failed')
    return encodeRakp2({ messageTag: tag, status, remoteConsoleSessionId: sidm, bmcRandom: Buffer.alloc(0), bmcGuid: Buffer.alloc(0), authCode: Buffer.alloc(0) })
  }
  if (session === undefined) return refuse(S.InvalidSessionId, 0)
  if (session.state !== 'opened') {
    if (session.lastRakp1 !== undefined && session.lastRakp2 !== undefined && session.lastRakp1.equals(b)) return session.lastRakp2
    // A different RAKP 1 for a session past this step: refuse, but leave an active session alone.
    return encodeRakp2({ messageTag: tag, status: S.InvalidSessionId, remoteConsoleSessionId: session.consoleSessionId, bmcRandom: Buffer.alloc(0), bmcGuid: Buffer.alloc(0), authCode: Buffer.alloc(0) })
  }
  if (b[27]! > 16) return refuse(S.InvalidNameLength)
  let m
  try {
    m = decodeRakp1(b)
  } catch {
    return refuse(S.IllegalParameter) // name length runs past the payload
  }
  const priv = m.role & 0x0f
  const nameOnly = (m.role & 0x10) !== 0
  if (priv < Priv.Callback || priv > Priv.Oem) return refuse(S.InvalidRole)
  if (session.requestedMaxPrivilege !== 0 && priv > session.requestedMaxPrivilege) return refuse(S.UnauthorizedRole)
  const user = findUser(env.bmc.users, m.username, nameOnly ? undefined : priv)
  if (user === undefined) return refuse(S.UnauthorizedName)
  let maxPrivilege = priv
  if (priv > user.privilege) {
    const how = env.bmc.config.roleRefusal
    if (how !== 'set-privilege') return refuse(how)
    maxPrivilege = user.privilege // logs in; Set Session Privilege Level refuses the higher level later
  }
  const h: BmcHandshake = {
    auth: session.auth, consoleSessionId: session.consoleSessionId, bmcSessionId: session.bmcSessionId,
    consoleRandom: m.consoleRandom, bmcRandom: env.prng.bytes(16), guid: env.bmc.guid,
    // QUIRK(opensesspriv): a quirky BMC hashes the Open Session privilege instead of the RAKP 1 role.
    role: hashedRole(env.bmc.config.quirks, m.role, session.requestedMaxPrivilege), username: m.username,
  }
  const kuid = env.wrongCredentials ? env.prng.bytes(20) : user.password
  const reply = encodeRakp2({
    messageTag: tag, status: 0, remoteConsoleSessionId: session.consoleSessionId, bmcRandom: h.bmcRandom, bmcGuid: h.guid, authCode: bmcRakp2Code(h, kuid),
  })
  session.user = user
  session.handshake = h
  session.maxPrivilege = maxPrivilege
  session.state = 'rakp2-sent'
  session.lastRakp1 = Buffer.from(b)
  session.lastRakp2 = reply
  session.lastActivityMs = env.bmc.nowMs()
  return reply
}

/** RAKP Message 3: returns the RAKP 4 payload, or undefined to stay silent. */
export function handleRakp3(env: HandshakeEnv, b: Buffer): Buffer | undefined {
  if (b.length < 8) return undefined
  const m = decodeRakp3(b)
  const session = env.bmc.sessions.get(m.managedSystemSessionId)
  const answer = (status: number, sidm: number, icv: Buffer = Buffer.alloc(0)) => encodeRakp4({ messageTag: m.messageTag, status, remoteConsoleSessionId: sidm, icv })
  if (session === undefined) return answer(S.InvalidSessionId, 0)
  if (session.state === 'active') return answer(S.InvalidSessionId, session.consoleSessionId)
  const h = session.handshake
  const user = session.user
  if (session.state !== 'rakp2-sent' || h === undefined || user === undefined) {
    env.bmc.closeSession(session.bmcSessionId, 'handshake-failed')
    return answer(S.InvalidSessionId, session.consoleSessionId)
  }
  if (m.status !== 0) {
    // The console refused our RAKP 2 (e.g. it computed a different code): give up quietly.
    env.bmc.closeSession(session.bmcSessionId, 'handshake-failed')
    return undefined
  }
  if (env.wrongCredentials || !codesEqual(expectedRakp3Code(h, user.password), m.authCode)) {
    env.bmc.closeSession(session.bmcSessionId, 'handshake-failed')
    return answer(S.InvalidIntegrityCheck, session.consoleSessionId)
  }
  const kg = env.bmc.kg ?? user.password
  const sik = bmcSik(h, kg)
  const { k1, k2 } = bmcSessionKeys(h.auth, sik)
  session.crypto = { integrity: session.integrity, confidentiality: session.confidentiality, k1, k2 }
  session.state = 'active'
  // RMCP+ sessions start at User (or lower when the ceiling is lower), IPMI v2.0 §22.18.
  session.privilege = Math.min(Priv.User, session.maxPrivilege)
  session.lastActivityMs = env.bmc.nowMs()
  // QUIRK(integritycheckvalue): a non-empty value where suite 0 wants none.
  return answer(0, session.consoleSessionId, rakp4Icv(env.bmc.config.quirks, h.auth, bmcRakp4Icv(h, sik)))
}

/**
 * Name-only lookup (privilege undefined): the first enabled user with this
 * name. Name+privilege lookup: the user whose limit is exactly that level
 * (IPMI v2.0 §13.31; ipmi_sim matches the same way). A user needs IPMI
 * messaging enabled and some access to log in over LAN.
 */
export function findUser(users: readonly SimUser[], name: Buffer, privilege: number | undefined): SimUser | undefined {
  for (const u of users) {
    if (u === undefined || u.id === 0 || !u.enabled || !u.ipmiMessaging || u.privilege === Priv.NoAccess) continue
    if (!u.name.equals(name)) continue
    if (privilege === undefined || u.privilege === privilege) return u
  }
  return undefined
}

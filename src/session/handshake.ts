/**
 * RMCP+ login for one cipher suite and privilege: Open Session, RAKP 1-4
 * (IPMI v2.0 §13.17-§13.23, reference/ipmi-spec.md §2.4-§2.9).
 *
 * Owns the order of the four exchanges and the checks on each answer; sends
 * and waits only through the HandshakeLink the session gives it. A timeout at
 * any step restarts from Open Session with a fresh console session ID, never
 * by resending RAKP1 or RAKP3 ("BMCs do not take kindly to receiving RAKP1 or
 * RAKP3 twice", pyghmi). Errors name what failed: a RAKP2 HMAC mismatch is a
 * wrong password (BMC_AUTH_FAILED), a RAKP4 mismatch a wrong K_G.
 */
import { IpmiError, RmcpPlusStatusError } from '../ipmi/errors.js'
import {
  CIPHER_SUITES, codesEqual, deriveK1, deriveK2, rakp2AuthCode, rakp3AuthCode, rakp4Icv, rakp4IcvLength, rakpAuthCodeLength, sessionIntegrityKey, type RakpInputs,
} from '../ipmi/crypto.js'
import {
  decodeOpenSessionResponse, decodeRakp2, decodeRakp4, encodeOpenSessionRequest, encodeRakp1, encodeRakp3,
  rmcpPlusStatusMeaning, ROLE_NAME_ONLY_LOOKUP, type OpenSessionResponse, type Rakp2, type Rakp4,
} from '../ipmi/rakp.js'
import { PayloadType, type SessionCrypto } from '../ipmi/packet.js'

export interface HandshakeLink {
  /** Sends a session-setup payload (session ID 0, sequence 0, in clear). */
  sendSetup(payloadType: number, payload: Buffer): void
  /** Waits for a setup payload of this type that `accept` takes, or undefined on timeout. */
  awaitSetup<T>(payloadType: number, accept: (payload: Buffer) => T | undefined, timeoutMs: number): Promise<T | undefined>
  random(n: number): Buffer
  /** Milliseconds left until the login deadline. */
  remainingMs(): number
  /**
   * RAKP 3 is about to go out: from now on the BMC may hold an active
   * session under these IDs and keys (it activates on RAKP 3, before we
   * see RAKP 4), so a close from here on must send Close Session for it.
   */
  mayHold(r: LoginResult): void
  /** No RAKP 4 came for what mayHold announced: close it on the BMC (without waiting) before the next attempt. */
  release(): void
}

export interface LoginParams {
  suite: number
  privilege: number
  username: Buffer
  password: Buffer
  kg: Buffer | undefined
  nameOnlyLookup: boolean
  attempts: number
  stepTimeoutMs: number
}

export interface LoginResult {
  remoteConsoleSessionId: number
  managedSystemSessionId: number
  crypto: SessionCrypto
  /** The highest privilege the BMC said this session may reach. */
  maxPrivilege: number
  /** QUIRK(password16): the BMC's RAKP 2 checked out only with the first 16 bytes of the (longer) password, and the login used those. */
  passwordCutTo16: boolean
}

/** QUIRK(password16): what an IPMI 1.5-style BMC keeps of a password (the 16-byte form of Set User Password). */
export const V15_PASSWORD_BYTES = 16

/** RAKP 3 status that abandons a handshake whose RAKP 2 code did not check out: "invalid integrity check value" (Table 13-15). */
const RAKP3_ABORT_STATUS = 0x0f

/** Status codes meaning "not this algorithm": try the next cipher suite. */
export const ALGORITHM_REFUSED = new Set([0x03, 0x04, 0x05, 0x06, 0x07, 0x10, 0x11])
/** Status codes meaning "not at this role": retry at a lower privilege. */
export const ROLE_REFUSED = new Set([0x09, 0x0a, 0x0b])

class StepTimeout extends Error {}

export async function login(link: HandshakeLink, p: LoginParams): Promise<LoginResult> {
  const suite = CIPHER_SUITES[p.suite]
  if (suite === undefined) throw new IpmiError('BMC_NO_CIPHER_SUITE', `unknown cipher suite ${p.suite}`)
  let lastTimeout = 'Open Session'
  for (let attempt = 0; attempt < p.attempts && link.remainingMs() > 0; attempt++) {
    try {
      return await attemptLogin(link, p, suite.auth, suite.integrity, suite.confidentiality, attempt)
    } catch (e) {
      if (!(e instanceof StepTimeout)) throw e
      lastTimeout = e.message
    }
  }
  throw new IpmiError('BMC_UNREACHABLE', `no answer to ${lastTimeout} (cipher suite ${p.suite})`, {
    retryable: true,
    details: { stage: lastTimeout, cipherSuite: p.suite },
  })
}

async function attemptLogin(link: HandshakeLink, p: LoginParams, auth: number, integrity: number, confidentiality: number, attempt: number): Promise<LoginResult> {
  const timeout = Math.min(p.stepTimeoutMs * (attempt + 1), Math.max(1, link.remainingMs()))
  // A fresh non-zero console session ID per attempt: a late answer to an
  // abandoned attempt then matches nothing.
  const remoteConsoleSessionId = (link.random(4).readUInt32LE(0) | 1) >>> 0
  const tag = link.random(1)[0]!

  link.sendSetup(PayloadType.OpenSessionRequest, encodeOpenSessionRequest({
    messageTag: tag, requestedPrivilege: p.privilege, remoteConsoleSessionId, auth, integrity, confidentiality,
  }))
  const open = await link.awaitSetup(PayloadType.OpenSessionResponse, (b): OpenSessionResponse | undefined => {
    const r = decodeOpenSessionResponse(b)
    return ours(r, tag, remoteConsoleSessionId) ? r : undefined
  }, timeout)
  if (open === undefined) throw new StepTimeout('Open Session')
  if (open.status !== 0) throw statusError('Open Session', open.status)
  if (open.auth !== auth || open.integrity !== integrity || open.confidentiality !== confidentiality) {
    throw new IpmiError('BMC_NO_CIPHER_SUITE', 'BMC answered Open Session with algorithms other than those proposed', {
      details: { auth: open.auth, integrity: open.integrity, confidentiality: open.confidentiality },
    })
  }
  const managedSystemSessionId = open.managedSystemSessionId

  const consoleRandom = link.random(16)
  const role = (p.privilege & 0x0f) | (p.nameOnlyLookup ? ROLE_NAME_ONLY_LOOKUP : 0)
  link.sendSetup(PayloadType.Rakp1, encodeRakp1({ messageTag: tag, managedSystemSessionId, consoleRandom, role, username: p.username }))
  const r2 = await link.awaitSetup(PayloadType.Rakp2, (b): Rakp2 | undefined => {
    // A code shorter than the suite's is malformed (dropped), not a wrong password.
    const r = decodeRakp2(b, rakpAuthCodeLength(auth))
    return ours(r, tag, remoteConsoleSessionId) ? r : undefined
  }, timeout)
  if (r2 === undefined) throw new StepTimeout('RAKP Message 1')
  if (r2.status !== 0) throw statusError('RAKP Message 2', r2.status)

  const inputs: RakpInputs = {
    auth, remoteConsoleSessionId, managedSystemSessionId, consoleRandom, bmcRandom: r2.bmcRandom, bmcGuid: r2.bmcGuid, role, username: p.username,
  }
  // QUIRK(password16): Kuid is the password zero-padded to 20 bytes, and HMAC
  // zero-pads its key anyway, so a password of up to 16 bytes is the same key
  // whether the BMC stored it in 16 or 20 bytes: nothing to try. A 17-20 byte
  // password on a BMC that keeps 16 bytes is hashed by it as its first 16;
  // RAKP 2's code proves which key the BMC holds without another exchange.
  let password = p.password
  const cut = password.length > V15_PASSWORD_BYTES ? password.subarray(0, V15_PASSWORD_BYTES) : undefined
  if (!codesEqual(rakp2AuthCode(inputs, password), r2.authCode) && cut !== undefined && codesEqual(rakp2AuthCode(inputs, cut), r2.authCode)) password = cut
  if (!codesEqual(rakp2AuthCode(inputs, password), r2.authCode)) {
    // The BMC hashed with a different key than ours: the password is wrong. RAKP 3 with an error
    // status (and no code) tells the BMC to drop the half-open session now instead of holding its
    // slot until the setup timeout (IPMI v2.0 §13.22): a wrong password must not fill the table.
    link.sendSetup(PayloadType.Rakp3, encodeRakp3({ messageTag: tag, status: RAKP3_ABORT_STATUS, managedSystemSessionId, authCode: Buffer.alloc(0) }))
    throw new IpmiError('BMC_AUTH_FAILED', 'BMC rejected the credentials (RAKP 2 check failed: wrong password)', { details: { stage: 'RAKP Message 2' } })
  }
  const sik = sessionIntegrityKey(inputs, p.kg ?? password)
  const result: LoginResult = {
    remoteConsoleSessionId,
    managedSystemSessionId,
    maxPrivilege: open.maxPrivilege,
    passwordCutTo16: password !== p.password,
    crypto: { integrity, confidentiality, k1: deriveK1(auth, sik), k2: deriveK2(auth, sik) },
  }
  link.mayHold(result)
  link.sendSetup(PayloadType.Rakp3, encodeRakp3({ messageTag: tag, status: 0, managedSystemSessionId, authCode: rakp3AuthCode(inputs, password) }))
  const r4 = await link.awaitSetup(PayloadType.Rakp4, (b): Rakp4 | undefined => {
    const r = decodeRakp4(b, rakp4IcvLength(auth))
    return ours(r, tag, remoteConsoleSessionId) ? r : undefined
  }, timeout)
  if (r4 === undefined) {
    link.release()
    throw new StepTimeout('RAKP Message 3')
  }
  if (r4.status !== 0) throw statusError('RAKP Message 4', r4.status)
  if (!codesEqual(rakp4Icv(inputs, sik), r4.icv)) {
    throw new IpmiError('BMC_KG_MISMATCH', 'BMC session keys do not match ours (RAKP 4 check failed: wrong or missing BMC key K_G)', { details: { stage: 'RAKP Message 4' } })
  }
  return result
}

/** An answer is ours when tag and console session ID match; a short error answer carries no ID. */
function ours(r: { messageTag: number; status: number; remoteConsoleSessionId: number }, tag: number, id: number): boolean {
  return r.messageTag === tag && (r.remoteConsoleSessionId === id || (r.status !== 0 && r.remoteConsoleSessionId === 0))
}

function statusError(stage: string, status: number): RmcpPlusStatusError {
  const meaning = rmcpPlusStatusMeaning(status)
  if (ALGORITHM_REFUSED.has(status)) return new RmcpPlusStatusError(stage, status, meaning, 'BMC_NO_CIPHER_SUITE')
  if (ROLE_REFUSED.has(status)) return new RmcpPlusStatusError(stage, status, meaning, 'BMC_PRIVILEGE_REFUSED')
  // 0x0D unauthorized name: the user does not exist (or may not log in over LAN).
  if (status === 0x0d || status === 0x0c) return new RmcpPlusStatusError(stage, status, meaning, 'BMC_AUTH_FAILED')
  if (status === 0x01) return new RmcpPlusStatusError(stage, status, meaning, 'BMC_BUSY')
  return new RmcpPlusStatusError(stage, status, meaning)
}

/**
 * Vendor quirks the simulated BMC can imitate: each a named mode that makes
 * one part of the BMC deviate the way a documented real BMC does. QUIRKS is
 * the one list (name, the FreeIPMI -W flag that works around it, what it
 * does, where it is documented); everything else (the CLI's --quirk and
 * --list-quirks, docs/quirks.md, SimBmcConfig.quirks) derives from it.
 * The deviations themselves live beside the code they bend (handshake.ts,
 * app-commands.ts, sol-commands.ts, sol.ts, sim-bmc.ts), each marked
 * `QUIRK(name)`, and the pure parts are the helpers below.
 * Sources are FreeIPMI's ipmipower(8)/ipmiconsole(8) WORKAROUNDS sections
 * and doc/freeipmi-bugs-issues-and-workarounds.txt (FreeIPMI 1.6.x), cited
 * by issue number; the behaviour is described here in our own words.
 * Invariant: with no quirks a SimBmc behaves exactly as it did before quirks
 * existed.
 */
import { RAKP_NONE as RAKP_AUTH_NONE } from './keys.js'

export interface QuirkInfo {
  readonly name: string
  /** The FreeIPMI -W workaround flag for it; undefined when FreeIPMI has none. */
  readonly freeipmiFlag: string | undefined
  readonly description: string
  /** Where the real behaviour is documented. */
  readonly source: string
}

export const QUIRKS = [
  {
    name: 'opensesspriv',
    freeipmiFlag: 'opensesspriv',
    description: 'RAKP 2, RAKP 3 and the session keys (SIK) are computed with the privilege from Open Session instead of the role byte of RAKP 1',
    source: 'FreeIPMI bugs doc, LAN Authentication Issue #13 (Supermicro X8DTH/X8DTG/X8DTU, Intel S5500WBV, Intel S2600JF, Quanta QSSC-S4R, Dell C5220); ipmipower(8) opensesspriv',
  },
  {
    name: 'authcap',
    freeipmiFlag: 'authcap',
    description: 'Get Channel Authentication Capabilities does not report non-null user names as enabled although named users can log in',
    source: 'FreeIPMI bugs doc, LAN Authentication Issue #5 (Asus P5M2/P5MT-R/RS162-E4/RX4, Intel SR1520ML/X38ML, Sun Fire X4150/X4450); ipmipower(8) authcap',
  },
  {
    name: 'nochecksumcheck',
    freeipmiFlag: 'nochecksumcheck',
    description: 'every in-session IPMI response carries a wrong second checksum (over the response data); the packet is otherwise valid',
    source: 'FreeIPMI ipmipower(8)/ipmiconsole(8) nochecksumcheck (Supermicro X9SCM-iiF, X9DRi-F, X9DRFR)',
  },
  {
    name: 'integritycheckvalue',
    freeipmiFlag: 'integritycheckvalue',
    description: 'cipher suite 0 is offered, and with it RAKP 4 carries a 12-byte integrity check value where the spec says it is empty',
    source: 'FreeIPMI ipmipower(8)/ipmiconsole(8) integritycheckvalue (Supermicro X8DTG/X8DTU, Intel S5500WBV/Penguin Relion 700, Intel S2600JF/Appro 512X)',
  },
  {
    name: 'solpayloadsize',
    freeipmiFlag: 'solpayloadsize',
    description: 'Activate Payload reports the inbound and outbound SOL payload sizes in the wrong byte order (outside 5..259)',
    source: 'FreeIPMI bugs doc, Serial-Over-LAN Issue #2 (Asus P5M2, Intel SR1520ML/X38ML, Inventec 5441/Dell Xanadu II, Supermicro X8DTH/X8DTG/X8DTU, Quanta QSSC-S4R); ipmiconsole(8) solpayloadsize',
  },
  {
    name: 'solport',
    freeipmiFlag: 'solport',
    description: 'Activate Payload names an alternate SOL port that nothing answers on; SOL works only on the port the session uses',
    source: 'FreeIPMI bugs doc, Serial-Over-LAN Issue #3 (Asus P5M2, Asus P5MT-R); ipmiconsole(8) solport',
  },
  {
    name: 'solport-endian',
    freeipmiFlag: undefined,
    description: 'Activate Payload reports the SOL port in the wrong byte order (623 reads as 28418); SOL works on the real port',
    source: 'FreeIPMI bugs doc, Serial-Over-LAN Issue #12 (Supermicro X8DTH-iF); FreeIPMI maps 28418 back to 623 with no flag',
  },
  {
    name: 'solstatus',
    freeipmiFlag: 'solstatus',
    description: 'Get Payload Activation Status is not supported (completion code C1h, invalid command)',
    source: 'FreeIPMI ipmiconsole(8) solstatus (Supermicro X8SIL-F)',
  },
  {
    name: 'solchannelsupport',
    freeipmiFlag: 'solchannelsupport',
    description: 'Get Channel Payload Support is not supported (completion code C1h, invalid command)',
    source: 'FreeIPMI bugs doc, Serial-Over-LAN Issue #4 (Sun Fire 4100 ILOM, Intel Windmill, Quanta Winterfell, Wiwynn Windmill); ipmiconsole(8) solchannelsupport',
  },
  {
    name: 'serialalertsdeferred',
    freeipmiFlag: 'serialalertsdeferred',
    description: 'SOL activated with serial alerts set to "fail" (Activate Payload aux b3:2 = 00b) never accepts console input (neither delivered nor ACKed: our reading of the documented "excess retransmissions"); "deferred" works',
    source: 'FreeIPMI ipmiconsole(8) serialalertsdeferred (Intel Windmill, Quanta Winterfell, Wiwynn Windmill: IPMI over serial beside SOL)',
  },
  {
    name: 'solactive-stale',
    freeipmiFlag: undefined,
    description: 'SOL is left active by a client that died: Activate Payload answers 0x80 (already active) until someone sends Deactivate Payload',
    source: 'IPMI v2.0 Table 24-2 completion 80h; ipmitool lanplus "SOL payload already active on another session"; ipmiconsole(8) --deactivate',
  },
  {
    name: 'soldeactivate-noop',
    freeipmiFlag: undefined,
    description: 'Deactivate Payload from any session but the one that activated SOL answers 80h (already deactivated) and leaves SOL active',
    source: 'FreeIPMI bugs doc, Serial-Over-LAN Issue #17 (Dell PowerEdge M605, M610, M915)',
  },
  {
    name: 'cipher-suites-silent',
    freeipmiFlag: undefined,
    description: 'Get Channel Cipher Suites outside a session gets no answer at all (a client that asks first waits for its timeout)',
    source: 'OpenIPMI ipmi_sim (lanserv) as installed here; issue 13 (ipmitool waits 10 s without -C)',
  },
  {
    name: 'suite17-only',
    freeipmiFlag: undefined,
    description: 'only cipher suite 17 (HMAC-SHA256, AES-CBC-128) is offered; suite 3 is refused at Open Session',
    source: 'newer Intel and Dell iDRAC9 firmware (suite 17 only by default); issue 13',
  },
  {
    name: 'suite3-only',
    freeipmiFlag: undefined,
    description: 'only cipher suite 3 (HMAC-SHA1, AES-CBC-128) is offered; suite 17 is refused at Open Session',
    source: 'older Dell and Supermicro firmware without SHA-256 (IPMI v2.0 predates errata suites 15-17); issue 13',
  },
  {
    name: 'integritypad',
    freeipmiFlag: undefined,
    description: 'in-session answers carry an integrity pad of the wrong length (counted without the pad length and next header bytes), its length byte saying so; the AuthCode is computed over the bytes sent and verifies',
    source: 'issue 13 ("a wrong integrity check value or pad on responses", Supermicro X9); IPMI v2.0 §13.28.4 (pad to a multiple of 4 over auth type .. next header); the exact firmware mistake is not documented, this is one reading',
  },
  {
    name: 'setpriv-refused',
    freeipmiFlag: undefined,
    description: 'Set Session Privilege Level above User answers 81h (above the limit) but raises the session to the level asked anyway',
    source: 'issue 13 (Cisco UCS); pyghmi ipmi/private/session.py _req_priv_level ("some implementations will let us get this far, but suddenly get skiddish": it retries at operator after 80h/81h at administrator)',
  },
  {
    name: 'solpacketseq',
    freeipmiFlag: 'solpacketseq',
    description: 'the BMC gets stuck on the first console input packet of an activation: neither ACKs nor delivers it, nor any resend with the same SOL sequence number; a packet with another sequence number unsticks it',
    source: 'FreeIPMI ipmiconsole(8) solpacketseq (Intel Windmill, Quanta Winterfell, Wiwynn Windmill: "excess retransmissions sent" on input; the flag moves the SOL sequence number on once after too many resends)',
  },
  {
    name: 'idletimeout-short',
    freeipmiFlag: undefined,
    description: 'sessions are dropped after 10 s without a packet from the console (or the configured idleTimeoutMs when shorter), where most BMCs wait 60 s',
    source: 'issue 13; IPMI v2.0 §6.12.15 leaves the session inactivity timeout to the implementation (Get/Set Session Timeout is OEM); ipmiconsole(8) --session-timeout, ipmitool lanplus keepalive every 30 s',
  },
  {
    name: 'sessiontable-full',
    freeipmiFlag: undefined,
    description: 'every session slot starts held by sessions that clients leaked; Open Session answers 01h (insufficient resources) until they expire with the idle timeout',
    source: 'issue 13; IPMI v2.0 Table 13-15 status 01h; ipmitool lanplus "Insufficient resources to create a session", ipmipower "BMC busy"',
  },
  {
    name: 'coldreset-console',
    freeipmiFlag: undefined,
    description: 'the BMC cold-resets itself once, coldResetAfterSolMs (default 10 s) after the first SOL activation: every session is gone and nothing is answered for coldResetDowntimeMs (default 60 s under this quirk)',
    source: 'issue 13 (a BMC cold reset in the middle of a console: all sessions gone for a minute); IPMI v2.0 §20.2 Cold Reset',
  },
  {
    name: 'solsilent-reboot',
    freeipmiFlag: undefined,
    description: 'after a host power on, cycle or reset, SOL stays active but carries nothing more either way (no output, typed input dropped) until it is deactivated and activated again',
    source: 'issue 13 (SOL that goes silent after a host reboot while the session lives); ipmiconsole(8) --deactivate and ipmitool "sol deactivate" as the operators\' cure',
  },
  {
    name: 'password16',
    freeipmiFlag: undefined,
    description: 'user passwords are stored as IPMI 1.5 16-byte keys: Set User Password\'s 20-byte form answers CCh, and a configured 17-20 byte password is kept (and hashed in RAKP) as its first 16 bytes',
    source: 'IPMI v2.0 §22.29 (Set User Password: 16-byte and 20-byte forms; 20-byte support is optional); ipmitool "user set password <id> <pw> [16|20]"; issue 13 (16 versus 20 byte passwords)',
  },
] as const satisfies readonly QuirkInfo[]

export type QuirkName = (typeof QUIRKS)[number]['name']

export const QUIRK_NAMES: readonly QuirkName[] = QUIRKS.map((q) => q.name)

/** Quirks that cannot both be on: each pair contradicts itself. */
const EXCLUSIVE: readonly (readonly [QuirkName, QuirkName])[] = [
  ['suite17-only', 'suite3-only'], ['solport', 'solport-endian'], ['integritycheckvalue', 'suite17-only'], ['integritycheckvalue', 'suite3-only'],
]

export function isQuirkName(s: string): s is QuirkName {
  return (QUIRK_NAMES as readonly string[]).includes(s)
}

export function quirkInfo(name: QuirkName): QuirkInfo {
  const q = QUIRKS.find((x) => x.name === name)
  if (q === undefined) throw new RangeError(`no quirk ${name}`) // unreachable: QuirkName comes from QUIRKS
  return q
}

/** Checks a BMC's quirk list: known names, no duplicates, no contradictions; throws RangeError naming the problem. */
export function validateQuirks(quirks: readonly string[]): QuirkName[] {
  const out: QuirkName[] = []
  for (const q of quirks) {
    if (!isQuirkName(q)) throw new RangeError(`quirk "${q}" is not one of ${QUIRK_NAMES.join(', ')}`)
    if (!out.includes(q)) out.push(q)
  }
  for (const [a, b] of EXCLUSIVE) {
    if (out.includes(a) && out.includes(b)) throw new RangeError(`quirks ${a} and ${b} cannot both be set on one BMC`)
  }
  return out
}

/** Parses the CLI's "INDEX[-LAST]:NAME[,NAME]" (BMC indexes as --fault takes them), e.g. "0:authcap", "2-5:solport,opensesspriv". */
export function parseQuirkSpec(spec: string, count: number): { index: number; quirks: QuirkName[] }[] {
  const m = /^(\d+)(?:-(\d+))?:([a-z0-9,-]+)$/.exec(spec.trim())
  if (m === null) throw new RangeError(`quirk "${spec}" is not INDEX[-LAST]:NAME[,NAME]`)
  const first = Number(m[1])
  const last = m[2] === undefined ? first : Number(m[2])
  if (last < first || last >= count) throw new RangeError(`quirk "${spec}" names BMCs outside 0..${count - 1}`)
  const quirks = validateQuirks(m[3]!.split(',').filter((s) => s !== ''))
  if (quirks.length === 0) throw new RangeError(`quirk "${spec}" names no quirk`)
  const out: { index: number; quirks: QuirkName[] }[] = []
  for (let i = first; i <= last; i++) out.push({ index: i, quirks })
  return out
}

/** Merges several specs' results into one list per BMC index (a BMC named twice gets both lists). */
export function quirksByIndex(entries: readonly { index: number; quirks: readonly QuirkName[] }[]): Map<number, QuirkName[]> {
  const map = new Map<number, QuirkName[]>()
  for (const e of entries) map.set(e.index, validateQuirks([...(map.get(e.index) ?? []), ...e.quirks]))
  return map
}

/**
 * The configured cipher suites, the one suite a suite-only quirk leaves, or
 * (QUIRK(integritycheckvalue)) the configured ones plus suite 0, which the
 * quirk needs and which the boards it was seen on offer.
 */
export function quirkCipherSuites(quirks: ReadonlySet<QuirkName>, configured: number[]): number[] {
  if (quirks.has('suite17-only')) return [17]
  if (quirks.has('suite3-only')) return [3]
  if (quirks.has('integritycheckvalue') && !configured.includes(0)) return [...configured, 0]
  return configured
}

/** QUIRK(integritycheckvalue): length of the value sent where suite 0 wants none (HMAC-SHA1-96's; FreeIPMI discards it unread). */
export const BOGUS_RAKP4_ICV_LENGTH = 12

/** The RAKP 4 integrity check value sent: the compliant one, or for RAKP-none sessions of a quirky BMC, 12 zero bytes (the content is not documented). */
export function rakp4Icv(quirks: ReadonlySet<QuirkName>, auth: number, compliant: Buffer): Buffer {
  if (auth === RAKP_AUTH_NONE && quirks.has('integritycheckvalue')) return Buffer.alloc(BOGUS_RAKP4_ICV_LENGTH)
  return compliant
}

/**
 * QUIRK(opensesspriv): the ROLEm byte the BMC hashes. A compliant BMC uses
 * the RAKP 1 role byte as received; the quirky one keeps its lookup bit but
 * puts the Open Session requested privilege (0 = "highest") in b3:0.
 */
export function hashedRole(quirks: ReadonlySet<QuirkName>, rakp1Role: number, openSessionPrivilege: number): number {
  if (!quirks.has('opensesspriv')) return rakp1Role
  return (rakp1Role & 0xf0) | (openSessionPrivilege & 0x0f)
}

/** QUIRK(authcap): Get Channel Authentication Capabilities byte 3 (b2 non-null user names, b1 null name, b0 anonymous, b5 K_G). */
export function authCapsStatusByte(quirks: ReadonlySet<QuirkName>, compliant: number): number {
  return quirks.has('authcap') ? compliant & ~0x04 : compliant
}

/** A 16-bit value in the wrong byte order (what firmware writing big-endian into a little-endian field sends). */
export function swap16(n: number): number {
  return ((n & 0xff) << 8) | ((n >> 8) & 0xff)
}

/** QUIRK(solport): the alternate port the quirky BMC names; nothing of ours listens there. */
export const DEAD_ALTERNATE_SOL_PORT = 6230

/** The SOL port Activate Payload reports for a BMC serving SOL on `port`. */
export function reportedSolPort(quirks: ReadonlySet<QuirkName>, port: number): number {
  if (quirks.has('solport')) return port === DEAD_ALTERNATE_SOL_PORT ? DEAD_ALTERNATE_SOL_PORT + 1 : DEAD_ALTERNATE_SOL_PORT
  if (quirks.has('solport-endian')) return swap16(port)
  return port
}

/** QUIRK(solpayloadsize): the inbound/outbound payload sizes Activate Payload reports. */
export function reportedPayloadSize(quirks: ReadonlySet<QuirkName>, size: number): number {
  return quirks.has('solpayloadsize') ? swap16(size) : size
}

/** Commands a quirk makes the BMC not support, and which quirk. */
const UNSUPPORTED_BY: Readonly<Record<'activation-status' | 'channel-payload-support', QuirkName>> = {
  'activation-status': 'solstatus',
  'channel-payload-support': 'solchannelsupport',
}

/** QUIRK(solstatus), QUIRK(solchannelsupport): true when this BMC answers the command C1h (not supported). */
export function unsupportedCommand(quirks: ReadonlySet<QuirkName>, command: keyof typeof UNSUPPORTED_BY): boolean {
  return quirks.has(UNSUPPORTED_BY[command])
}

/**
 * QUIRK(nochecksumcheck): an encoded IPMI LAN response with its last byte
 * (checksum 2, over rqSA..data, IPMI v2.0 §13.8) off by one; unchanged
 * without the quirk.
 */
export function responseChecksum(quirks: ReadonlySet<QuirkName>, lanResponse: Buffer): Buffer {
  if (!quirks.has('nochecksumcheck') || lanResponse.length === 0) return lanResponse
  const out = Buffer.from(lanResponse)
  out[out.length - 1] = (out[out.length - 1]! + 1) & 0xff
  return out
}

/** Activate Payload aux byte 1 b3:2 value "serial/modem alerts fail while SOL is active" (IPMI v2.0 Table 24-2). */
const SERIAL_ALERTS_FAIL = 0

/** QUIRK(serialalertsdeferred): whether SOL activated with this aux byte 1 ignores console input. */
export function deafToSolInput(quirks: ReadonlySet<QuirkName>, aux: number): boolean {
  return quirks.has('serialalertsdeferred') && ((aux >> 2) & 0x03) === SERIAL_ALERTS_FAIL
}

/** QUIRK(idletimeout-short): the idle timeout of the quirky BMC, unless the configured one is shorter. */
export const SHORT_IDLE_TIMEOUT_MS = 10_000

/** The session idle timeout: the configured one, or for idletimeout-short at most SHORT_IDLE_TIMEOUT_MS. */
export function quirkIdleTimeoutMs(quirks: ReadonlySet<QuirkName>, configured: number): number {
  return quirks.has('idletimeout-short') ? Math.min(configured, SHORT_IDLE_TIMEOUT_MS) : configured
}

/** QUIRK(coldreset-console): defaults for when the reset comes and how long the BMC stays silent. */
export const COLD_RESET_AFTER_SOL_MS = 10_000
export const CONSOLE_COLD_RESET_DOWNTIME_MS = 60_000

/** QUIRK(password16): what an IPMI 1.5-style BMC keeps of a password: its first 16 bytes (16-byte passwords are zero-padded, which HMAC keys ignore). */
export const V15_PASSWORD_BYTES = 16

export function storedPassword(quirks: ReadonlySet<QuirkName>, password: Buffer): Buffer {
  return quirks.has('password16') && password.length > V15_PASSWORD_BYTES ? Buffer.from(password.subarray(0, V15_PASSWORD_BYTES)) : password
}

/** QUIRK(setpriv-refused): the completion code the quirky BMC answers while granting the level (81h: above the limit). */
export const SETPRIV_REFUSED_CC = 0x81

/**
 * QUIRK(integritypad): re-frames an encoded, authenticated RMCP+ packet with
 * the pad a BMC computes when it forgets the pad length and next header
 * bytes: (4 - (header + payload) % 4) % 4 instead of (4 - (header + payload
 * + 2) % 4) % 4, so the pad is always 2 bytes off. The pad length byte says
 * what was sent and the AuthCode (from `sign`) covers it, so a receiver that
 * locates the AuthCode from the packet's end can verify it. Other packets are
 * returned unchanged.
 */
export function wrongIntegrityPad(packet: Buffer, authCodeLength: number, sign: (signed: Buffer) => Buffer): Buffer {
  const RMCP = 4
  const HEADER = 12
  if (packet.length < RMCP + HEADER || (packet[RMCP + 1]! & 0x40) === 0) return packet
  const payloadLen = packet.readUInt16LE(RMCP + 10)
  const bodyEnd = RMCP + HEADER + payloadLen
  const pad = (4 - ((HEADER + payloadLen) % 4)) % 4
  const out = Buffer.alloc(bodyEnd + pad + 2 + authCodeLength)
  packet.copy(out, 0, 0, bodyEnd)
  out.fill(0xff, bodyEnd, bodyEnd + pad)
  out[bodyEnd + pad] = pad
  out[bodyEnd + pad + 1] = 0x07
  sign(out.subarray(RMCP, bodyEnd + pad + 2)).copy(out, bodyEnd + pad + 2)
  return out
}

/**
 * QUIRK(solpacketseq): where a BMC is in getting stuck on console input.
 * 'waiting' until the first input packet with data, whose sequence number it
 * then sticks on (a number); 'never' (no quirk, or unstuck).
 */
export type StuckInput = 'waiting' | 'never' | number

/** One inbound SOL packet (its sequence number, data length) against the stuck state: drop its data and ACK nothing, or take it. */
export function stuckOnInput(state: StuckInput, seq: number, dataLength: number): { drop: boolean; next: StuckInput } {
  if (state === 'never' || seq === 0 || dataLength === 0) return { drop: false, next: state }
  if (state === 'waiting') return { drop: true, next: seq }
  if (seq === state) return { drop: true, next: state }
  return { drop: false, next: 'never' }
}

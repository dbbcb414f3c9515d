/**
 * BMC profiles: the workarounds a BMC needs, learned by the client from what
 * the BMC does or configured by the operator (node field `bmc.workarounds`,
 * `bmcvisor ipmi -W`). WORKAROUNDS is the one list of names; the node schema,
 * the CLI, the conserver importer, the profile endpoint, the metrics and
 * docs/quirks.md derive from it.
 *
 * Names are FreeIPMI's -W names where FreeIPMI has one (ipmiconsole(8) and
 * ipmipower(8), WORKAROUNDS sections), so a conserver `ipmiworkaround` line
 * ports over unchanged; the others are ours, for what FreeIPMI has no flag for.
 *
 * `handling` says what bmcvisor does with a name:
 * - 'detected': the client notices the quirk by itself, adapts and reports a
 *   learned entry; configuring it (or a stored profile holding it) applies
 *   the adaptation from the first login on.
 * - 'built-in': bmcvisor always behaves the way the workaround asks (for
 *   example it never trusts the authentication capability bits), so the name
 *   is accepted and has no further effect.
 * - 'ignored': a FreeIPMI name for something bmcvisor does not do at all
 *   (IPMI 1.5 sessions, RMCP ping) or does not implement; accepted, reported
 *   as "no effect in bmcvisor", never an error.
 *
 * Pure: no I/O, no module state. Invariant: a relaxed security check or a
 * cipher suite downgrade is only ever reported through an entry whose
 * workaround has `relaxesSecurity: true`, so it is logged, counted and shown.
 */

export type WorkaroundHandling = 'detected' | 'built-in' | 'ignored'

export interface WorkaroundInfo {
  readonly name: string
  /** True when the name is one of FreeIPMI's -W flags. */
  readonly freeipmi: boolean
  /** What it changes in bmcvisor's client, in one sentence. */
  readonly changes: string
  /** True when honouring it relaxes a security check or lowers the cipher suite. */
  readonly relaxesSecurity: boolean
  readonly handling: WorkaroundHandling
}

export const WORKAROUNDS = [
  // FreeIPMI's names (ipmiconsole(8), ipmipower(8)).
  { name: 'authcap', freeipmi: true, relaxesSecurity: false, handling: 'built-in',
    changes: 'none: bmcvisor never trusts the user name and K_G bits of Get Channel Authentication Capabilities, it tries the login' },
  { name: 'opensesspriv', freeipmi: true, relaxesSecurity: false, handling: 'built-in',
    changes: 'none: bmcvisor always asks for the same explicit privilege in Open Session and RAKP 1, so a BMC that hashes either one agrees' },
  { name: 'nochecksumcheck', freeipmi: true, relaxesSecurity: true, handling: 'detected',
    changes: 'an in-session answer with a wrong data checksum is taken when its packet passed the integrity check (HMAC over the same bytes), and counted' },
  { name: 'integritycheckvalue', freeipmi: true, relaxesSecurity: false, handling: 'built-in',
    changes: 'none: it concerns cipher suite 0 only, which bmcvisor refuses unless the node allows it; there the handshake reads no RAKP 4 value, so bytes in it are ignored' },
  { name: 'solpayloadsize', freeipmi: true, relaxesSecurity: false, handling: 'detected',
    changes: 'SOL payload sizes outside 5..259 reported by Activate Payload are replaced by safe defaults instead of failing' },
  { name: 'solport', freeipmi: true, relaxesSecurity: false, handling: 'detected',
    changes: 'an alternate SOL port named by Activate Payload is ignored and SOL stays on the session\'s port' },
  { name: 'solstatus', freeipmi: true, relaxesSecurity: false, handling: 'built-in',
    changes: 'none: bmcvisor never sends Get Payload Activation Status before activating SOL' },
  { name: 'solchannelsupport', freeipmi: true, relaxesSecurity: false, handling: 'built-in',
    changes: 'none: bmcvisor never sends Get Channel Payload Support before activating SOL' },
  { name: 'serialalertsdeferred', freeipmi: true, relaxesSecurity: false, handling: 'built-in',
    changes: 'none: bmcvisor always activates SOL with serial alerts deferred' },
  { name: 'solpacketseq', freeipmi: true, relaxesSecurity: false, handling: 'detected',
    changes: 'a SOL packet the BMC keeps failing to acknowledge is resent with the next sequence number to get the BMC unstuck' },
  { name: 'intel20', freeipmi: true, relaxesSecurity: false, handling: 'ignored',
    changes: 'none: the Intel SE7520AF2 user name padding and HMAC-MD5 password truncation handling is not implemented in bmcvisor' },
  { name: 'supermicro20', freeipmi: true, relaxesSecurity: false, handling: 'ignored',
    changes: 'none: the Supermicro H8QME (Peppercon) invalid-length authentication code handling is not implemented in bmcvisor' },
  { name: 'sun20', freeipmi: true, relaxesSecurity: false, handling: 'ignored',
    changes: 'none: the Sun ILOM key length and cipher suite record handling is not implemented in bmcvisor (its opensesspriv part is built in)' },
  { name: 'idzero', freeipmi: true, relaxesSecurity: false, handling: 'ignored',
    changes: 'none: it concerns IPMI 1.5 sessions, which bmcvisor does not use' },
  { name: 'unexpectedauth', freeipmi: true, relaxesSecurity: false, handling: 'ignored',
    changes: 'none: it concerns IPMI 1.5 sessions, which bmcvisor does not use' },
  { name: 'forcepermsg', freeipmi: true, relaxesSecurity: false, handling: 'ignored',
    changes: 'none: it concerns IPMI 1.5 sessions, which bmcvisor does not use' },
  { name: 'endianseq', freeipmi: true, relaxesSecurity: false, handling: 'ignored',
    changes: 'none: it concerns IPMI 1.5 sessions, which bmcvisor does not use' },
  { name: 'noauthcodecheck', freeipmi: true, relaxesSecurity: false, handling: 'ignored',
    changes: 'none: it concerns IPMI 1.5 sessions, which bmcvisor does not use' },
  { name: 'ipmiping', freeipmi: true, relaxesSecurity: false, handling: 'ignored',
    changes: 'none: bmcvisor sends no RMCP ping' },
  // Ours: what FreeIPMI has no flag for.
  { name: 'solport-endian', freeipmi: false, relaxesSecurity: false, handling: 'detected',
    changes: 'a SOL port reported in the wrong byte order (623 as 28418) is read as the session\'s port' },
  { name: 'solactive-stale', freeipmi: false, relaxesSecurity: false, handling: 'detected',
    changes: 'SOL found active on a session that is not ours is deactivated and activated again (taken over)' },
  { name: 'soldeactivate-noop', freeipmi: false, relaxesSecurity: false, handling: 'detected',
    changes: 'when Deactivate Payload from our session leaves SOL active, the console waits for the holder to leave and retries instead of taking over' },
  { name: 'cipher-suites-silent', freeipmi: false, relaxesSecurity: false, handling: 'detected',
    changes: 'Get Channel Cipher Suites is not asked before login (the BMC does not answer it); the learned suite is used at once' },
  { name: 'cipher-suite', freeipmi: false, relaxesSecurity: true, handling: 'detected',
    changes: 'a weaker cipher suite than bmcvisor prefers is used because the BMC offers or accepts no better one' },
  { name: 'integrity-pad', freeipmi: false, relaxesSecurity: true, handling: 'detected',
    changes: 'an answer whose integrity pad is wrong is taken when its authentication code verifies, and counted' },
  { name: 'privilege-refused', freeipmi: false, relaxesSecurity: false, handling: 'detected',
    changes: 'a refused Set Session Privilege Level is ignored when the session already has the level asked for' },
  { name: 'idle-timeout', freeipmi: false, relaxesSecurity: false, handling: 'detected',
    changes: 'keepalives are sent within the BMC\'s short idle session timeout' },
  { name: 'session-table-full', freeipmi: false, relaxesSecurity: false, handling: 'detected',
    changes: 'Open Session answered "insufficient resources" is retried with back-off until old sessions expire' },
  { name: 'sol-silent-after-reboot', freeipmi: false, relaxesSecurity: false, handling: 'detected',
    changes: 'SOL that stays active but silent after a host power change is deactivated and activated again' },
  { name: 'password16', freeipmi: false, relaxesSecurity: false, handling: 'detected',
    changes: 'a password of at most 16 bytes that fails as a 20-byte key is tried as a 16-byte key' },
  { name: 'sol-accumulate-fixed', freeipmi: false, relaxesSecurity: false, handling: 'detected',
    changes: 'the SOL character accumulate interval of serve --sol-accumulate-ms is not written to this BMC (it does not support or refuses SOL configuration parameter 3): its own interval stays' },
] as const satisfies readonly WorkaroundInfo[]

export type WorkaroundName = (typeof WORKAROUNDS)[number]['name']

export const WORKAROUND_NAMES: readonly WorkaroundName[] = WORKAROUNDS.map((w) => w.name)

export function isWorkaroundName(s: string): s is WorkaroundName {
  return (WORKAROUND_NAMES as readonly string[]).includes(s)
}

export function workaroundInfo(name: WorkaroundName): WorkaroundInfo {
  const w = WORKAROUNDS.find((x) => x.name === name)
  if (w === undefined) throw new RangeError(`no workaround ${name}`) // unreachable: WorkaroundName comes from WORKAROUNDS
  return w
}

/** One thing the client detected about a BMC and adapted to. */
export interface LearnedEntry {
  name: WorkaroundName
  /** What was seen, in one line (no secrets): e.g. "suite 3: the BMC refused 17". */
  detail: string
}

/**
 * How a worker manages a BMC: IPMI 2.0 over LAN, or Redfish over HTTPS
 * (src/redfish). Defined here because a profile remembers which one a
 * protocol `auto` node's probe found; bridge/messages.ts re-exports it.
 */
export const MANAGEMENT_PROTOCOLS = ['ipmi', 'redfish'] as const
export type ManagementProtocol = (typeof MANAGEMENT_PROTOCOLS)[number]

/** What was learned about one BMC before, kept per node; the client starts from it. */
export interface LearnedProfile {
  /** Each name at most once; the first detection wins. */
  entries: readonly (LearnedEntry & { learnedAt: string })[]
  /** The cipher suite that worked, kept when an entry (cipher-suites-silent, cipher-suite) made it worth remembering. */
  cipherSuite?: number | undefined
  /** A protocol auto node: what its probe found (workers/engine/auto-plugin.ts), so a restarted worker does not probe again. */
  protocol?: ManagementProtocol | undefined
}

export const EMPTY_PROFILE: LearnedProfile = { entries: [] }

/** The result of reading a workaround list (a node's `bmc.workarounds`, `-W a,b`). */
export interface ParsedWorkarounds {
  /** Known names, each once, in the order given (ignored ones included). */
  names: WorkaroundName[]
  /** Names that are not workarounds at all: the caller reports VALIDATION_FAILED naming its field. */
  unknown: string[]
  /** Known names that change nothing in bmcvisor ('built-in' and 'ignored'): reported, not refused. */
  noEffect: WorkaroundName[]
}

/** FreeIPMI's "none" means no workarounds; it is accepted and dropped. */
const FREEIPMI_NONE = 'none'

/** Reads a list of names (already split) or one comma separated string. Pure. */
export function parseWorkarounds(input: string | readonly string[]): ParsedWorkarounds {
  const raw = typeof input === 'string' ? input.split(',') : input
  const names: WorkaroundName[] = []
  const unknown: string[] = []
  for (const r of raw) {
    const s = r.trim().toLowerCase()
    if (s === '' || s === FREEIPMI_NONE) continue
    if (!isWorkaroundName(s)) unknown.push(r.trim())
    else if (!names.includes(s)) names.push(s)
  }
  return { names, unknown, noEffect: names.filter((n) => workaroundInfo(n).handling !== 'detected') }
}

/** Adds an entry unless its name is already there; returns the same object when nothing changed. */
export function addLearned(p: LearnedProfile, e: LearnedEntry, at: Date, cipherSuite?: number): LearnedProfile {
  const suite = cipherSuite ?? p.cipherSuite
  if (p.entries.some((x) => x.name === e.name) && suite === p.cipherSuite) return p
  const entries = p.entries.some((x) => x.name === e.name) ? p.entries : [...p.entries, { ...e, learnedAt: at.toISOString() }]
  return withProtocol(suite === undefined ? { entries } : { entries, cipherSuite: suite }, p.protocol)
}

/** The profile with `protocol` set (undefined: none); the same object when nothing changed. */
export function withProtocol(p: LearnedProfile, protocol: ManagementProtocol | undefined): LearnedProfile {
  if (p.protocol === protocol) return p
  const { protocol: _old, ...rest } = p
  return protocol === undefined ? rest : { ...rest, protocol }
}

/** True when the profile holds anything worth handing a worker or storing. */
export function profileIsEmpty(p: LearnedProfile): boolean {
  return p.entries.length === 0 && p.cipherSuite === undefined && p.protocol === undefined
}

/** True when the profile or the configured list holds `name`: the adaptation applies from the start. */
export function profileHas(name: WorkaroundName, profile: LearnedProfile | undefined, configured: readonly WorkaroundName[] | undefined): boolean {
  return (configured?.includes(name) ?? false) || (profile?.entries.some((e) => e.name === name) ?? false)
}

/** Where a profile entry came from (the metrics' `source` label). */
export type ProfileSource = 'learned' | 'configured'

export interface ProfileRow {
  name: WorkaroundName
  source: ProfileSource
  changes: string
  relaxesSecurity: boolean
  handling: WorkaroundHandling
  /** False for 'built-in' and 'ignored' names: "no effect in bmcvisor". */
  effective: boolean
  detail?: string
  learnedAt?: string
}

/** The rows an operator sees: configured names first, then learned ones. Pure. */
export function profileRows(profile: LearnedProfile | undefined, configured: readonly WorkaroundName[] | undefined): ProfileRow[] {
  const row = (name: WorkaroundName, source: ProfileSource): ProfileRow => {
    const w = workaroundInfo(name)
    return { name, source, changes: w.changes, relaxesSecurity: w.relaxesSecurity, handling: w.handling, effective: w.handling === 'detected' }
  }
  const rows = (configured ?? []).map((n) => row(n, 'configured'))
  for (const e of profile?.entries ?? []) rows.push({ ...row(e.name, 'learned'), detail: e.detail, learnedAt: e.learnedAt })
  return rows
}

/** Reads a stored profile back (JSON from the store or the bridge); unknown names are dropped, never thrown. */
export function reviveProfile(v: unknown): LearnedProfile {
  if (typeof v !== 'object' || v === null) return EMPTY_PROFILE
  const o = v as { entries?: unknown; cipherSuite?: unknown; protocol?: unknown }
  const entries: (LearnedEntry & { learnedAt: string })[] = []
  if (Array.isArray(o.entries)) {
    for (const e of o.entries as unknown[]) {
      if (typeof e !== 'object' || e === null) continue
      const { name, detail, learnedAt } = e as Record<string, unknown>
      if (typeof name !== 'string' || !isWorkaroundName(name) || entries.some((x) => x.name === name)) continue
      entries.push({ name, detail: typeof detail === 'string' ? detail : '', learnedAt: typeof learnedAt === 'string' ? learnedAt : new Date(0).toISOString() })
    }
  }
  const suite = typeof o.cipherSuite === 'number' && Number.isInteger(o.cipherSuite) ? o.cipherSuite : undefined
  const protocol = MANAGEMENT_PROTOCOLS.find((m) => m === o.protocol)
  return withProtocol(suite === undefined ? { entries } : { entries, cipherSuite: suite }, protocol)
}

/**
 * TypeBox schemas shared by the routes: the node document (what clients
 * write, secrets included), its public view (what they read back: no
 * password, no K_G, ever; replies are serialized through these schemas, so
 * an extra field cannot slip out), the merge patch, and the error envelope.
 * Route-local bodies live beside their routes.
 */
import { Type, type Static, type TOptional, type TSchema } from 'typebox'
import {
  CONFIGURED_PROTOCOLS, CONSOLE_METHODS, CREDENTIAL_ENV_FIELDS, DEFAULT_IPMI_PORT, DEFAULT_REDFISH_PORT, NODE_NAME_PATTERN, CREDENTIAL_ENV_NAME_PATTERN, SSH_HOST_KEY_PATTERN, type ConfiguredProtocol, type ConsoleMethodName, type CredentialEnvField,
} from '../bridge/messages.js'
import type { BmcProtocol as StoredProtocol, ConsoleMethod as StoredConsoleMethod } from '../store/types.js'
import { WORKAROUND_NAMES } from '../bridge/profile.js'
import { MAX_WATCH_PATTERNS, MAX_WATCH_REGEX_LENGTH, WATCH_NAME_PATTERN, WATCH_SEVERITIES } from '../bridge/watch.js'

export const NAME_PATTERN = NODE_NAME_PATTERN
export const NodeName = Type.String({ pattern: NAME_PATTERN, description: 'Node name: letters, digits, ".", "_", "-"; 1 to 63 characters.' })
export const GroupName = Type.String({ pattern: NAME_PATTERN })
export const NodeParams = Type.Object({ node: NodeName }, { additionalProperties: false })

export const Role = Type.Enum(['viewer', 'operator', 'admin'])

const Host = Type.String({ minLength: 1, maxLength: 253, pattern: '^[A-Za-z0-9:._\\[\\]%-]+$', description: 'BMC address: hostname, IPv4 or IPv6.' })
const Port = Type.Integer({ minimum: 1, maximum: 65535 })
const Username = Type.String({ maxLength: 64, description: 'BMC user name (IPMI: at most 16 bytes; empty for the anonymous user).' })
const Password = Type.String({ minLength: 1, maxLength: 128, writeOnly: true, description: 'Write-only. IPMI: at most 20 bytes (IPMI 2.0).' })
const Kg = Type.String({ pattern: '^([0-9a-fA-F]{2}){1,20}$', writeOnly: true, description: 'Write-only. The BMC key K_G as hex, 1 to 20 bytes.' })
const CipherSuite = Type.Integer({ minimum: 1, maximum: 17, description: 'RMCP+ cipher suite, fixed (suite 0 is never used); absent: negotiated, 17 first.' })
const Privilege = Type.Enum(['administrator', 'operator', 'user'])
const ConsoleMethod = Type.Enum([...CONSOLE_METHODS], { description: 'ipmi: Serial-over-LAN; exec: a command the service runs; ssh: the BMC\'s SSH console; none: no console.' })
// The store spells the methods out (it imports no bridge): the two lists must agree.
const _sameMethods: [ConsoleMethodName, StoredConsoleMethod] = ['ipmi', 'ipmi'] as [StoredConsoleMethod, ConsoleMethodName]
void _sameMethods
const _sameProtocols: [ConfiguredProtocol, StoredProtocol] = ['auto', 'auto'] as [StoredProtocol, ConfiguredProtocol]
void _sameProtocols
const ConsolePort = Type.Integer({ minimum: 1, maximum: 65535, description: 'ssh only: the SSH server\'s port (default 22; OpenBMC\'s console is on 2200).' })
const ConsoleHost = Type.String({ minLength: 1, maxLength: 253, pattern: '^[A-Za-z0-9:._\\[\\]%-]+$', description: 'ssh only: where the SSH server listens, if not at bmc.host.' })
const HostKey = Type.String({ pattern: SSH_HOST_KEY_PATTERN, description: 'ssh only: the pinned host key, as `ssh-keygen -lf` prints it (SHA256:...). Unset, the first key seen is trusted and stored here.' })
const Protocol = Type.Enum([...CONFIGURED_PROTOCOLS], {
  description: 'How the BMC is managed: ipmi (default), redfish (HTTPS), or auto (probe the Redfish service root at bmc.port, else IPMI at bmc.ipmiPort; the answer is kept in the node\'s profile).',
})
const IpmiPort = Type.Integer({
  minimum: 1, maximum: 65535,
  description: 'redfish and auto nodes: the BMC\'s IPMI port (default 623; bmc.port is the Redfish one), for console.method ipmi (SOL) and auto\'s fallback.',
})
const TlsMode = Type.Enum(['verify', 'pin', 'insecure'])
const Fingerprint = Type.String({ pattern: '^(?:sha256:)?(?:[0-9A-Fa-f]{2}:?){31}[0-9A-Fa-f]{2}$', description: "SHA-256 of the BMC's certificate, 64 hex digits (colons allowed)." })
const CaBundle = Type.String({ minLength: 1, maxLength: 65536, description: 'PEM CA bundle that signs the BMC certificate (verify).' })
const SystemId = Type.String({ minLength: 1, maxLength: 128, description: 'Redfish: the ComputerSystem Id to manage (default: the first the BMC lists).' })
const Tls = Type.Object({ mode: TlsMode, ca: Type.Optional(CaBundle), fingerprint: Type.Optional(Fingerprint) }, {
  additionalProperties: false,
  description: 'Redfish: verify (default; the CA bundle or the system roots), pin (the fingerprint; none: trusted on first use and stored), or insecure.',
})
const TlsPatch = Type.Object({ mode: Type.Optional(TlsMode), ca: Type.Optional(Type.Union([CaBundle, Type.Null()])), fingerprint: Type.Optional(Type.Union([Fingerprint, Type.Null()])) }, { additionalProperties: false })
const Workarounds = Type.Array(Type.Enum([...WORKAROUND_NAMES]), {
  maxItems: WORKAROUND_NAMES.length, uniqueItems: true,
  description: 'Workarounds applied from the first login, by FreeIPMI\'s -W names where it has one (docs/quirks.md); names bmcvisor needs no flag for are accepted and have no effect.',
})
const ConsoleLogging = Type.Enum(['full', 'memory', 'interactive', 'none'])
const Command = Type.String({ minLength: 1, maxLength: 4096 })
const Pattern = Type.String({ minLength: 1, maxLength: 1024, description: 'A regular expression; its first match in exec console output means connected.' })
const Groups = Type.Array(GroupName, { maxItems: 64, uniqueItems: true })
const EnvName = Type.String({ pattern: CREDENTIAL_ENV_NAME_PATTERN, description: 'An environment variable name (letters, digits, "_"; not starting with a digit; at most 64).' })

/** `console.env`: one optional variable name per credential (CREDENTIAL_ENV_FIELDS); `value` is the schema of a name. */
function credentialEnvSchema<T extends TSchema>(value: T) {
  const fields = Object.fromEntries(CREDENTIAL_ENV_FIELDS.map((f) => [f, Type.Optional(value)])) as Record<CredentialEnvField, TOptional<T>>
  return Type.Object(fields, {
    additionalProperties: false,
    description: 'exec only: the environment variables that carry the BMC username, password and K_G (hex) to the command; a credential not named is not passed.',
  })
}
const ConsoleEnv = credentialEnvSchema(EnvName)

const WatchName = Type.String({ pattern: WATCH_NAME_PATTERN, description: 'A watch pattern name: lower case letters, digits, "_"; 1 to 32 characters (the pattern label of bmcvisor_console_matches_total).' })
export const WatchPatternSchema = Type.Object({
  name: WatchName,
  regex: Type.String({ minLength: 1, maxLength: MAX_WATCH_REGEX_LENGTH, description: 'A JavaScript regular expression, matched against each console line (ANSI sequences and CR removed).' }),
  severity: Type.Enum([...WATCH_SEVERITIES]),
}, { additionalProperties: false })
/** `console.watch` of a node or a group: patterns added (or replacing a default of the same name) and names turned off. */
export const WatchOverrideSchema = Type.Object({
  add: Type.Optional(Type.Array(WatchPatternSchema, { maxItems: MAX_WATCH_PATTERNS })),
  disable: Type.Optional(Type.Array(WatchName, { maxItems: MAX_WATCH_PATTERNS, uniqueItems: true })),
}, {
  additionalProperties: false,
  description: 'Console watch patterns: the defaults (panic, call_trace, mce, oom, hung_task), then each group\'s override, then the node\'s.',
})

/** What a Redfish node gets instead (HTTPS; no SOL without IPMI). */
export const REDFISH_DEFAULTS = { port: DEFAULT_REDFISH_PORT, tls: { mode: 'verify' }, console: { method: 'none' } } as const
/**
 * No cipherSuite: a node without one negotiates (17, then what the BMC
 * offers; a fallback below 17 is reported in its BMC profile as cipher-suite),
 * so a suite-17-only or suite-3-only BMC works with nothing configured.
 */
export const NODE_DEFAULTS = { port: DEFAULT_IPMI_PORT, privilege: 'administrator', protocol: 'ipmi', console: { method: 'ipmi', logging: 'full' } } as const

/** POST /nodes: defaults fill what is left out. */
export const NodeCreate = Type.Object({
  name: NodeName,
  bmc: Type.Object({
    host: Host,
    port: Type.Optional(Port),
    username: Username,
    password: Password,
    kg: Type.Optional(Kg),
    cipherSuite: Type.Optional(CipherSuite),
    privilege: Type.Optional(Privilege),
    protocol: Type.Optional(Protocol),
    ipmiPort: Type.Optional(IpmiPort),
    tls: Type.Optional(Tls),
    systemId: Type.Optional(SystemId),
    workarounds: Type.Optional(Workarounds),
  }, { additionalProperties: false }),
  console: Type.Optional(Type.Object({
    method: Type.Optional(ConsoleMethod),
    command: Type.Optional(Command),
    connectedPattern: Type.Optional(Pattern),
    env: Type.Optional(ConsoleEnv),
    host: Type.Optional(ConsoleHost),
    port: Type.Optional(ConsolePort),
    hostKey: Type.Optional(HostKey),
    logging: Type.Optional(ConsoleLogging),
    watch: Type.Optional(WatchOverrideSchema),
  }, { additionalProperties: false })),
  groups: Type.Optional(Groups),
}, { additionalProperties: false })
export type NodeCreate = Static<typeof NodeCreate>

/** The complete document, checked after defaults or a merge patch were applied. */
export const NodeDocSchema = Type.Object({
  name: NodeName,
  bmc: Type.Object({
    host: Host, port: Port, username: Username, password: Password, kg: Type.Optional(Kg), cipherSuite: Type.Optional(CipherSuite), privilege: Privilege,
    protocol: Type.Optional(Protocol), ipmiPort: Type.Optional(IpmiPort), tls: Type.Optional(Tls), systemId: Type.Optional(SystemId),
    workarounds: Type.Optional(Workarounds),
  }, { additionalProperties: false }),
  console: Type.Object({
    method: ConsoleMethod, command: Type.Optional(Command), connectedPattern: Type.Optional(Pattern), env: Type.Optional(ConsoleEnv),
    host: Type.Optional(ConsoleHost), port: Type.Optional(ConsolePort), hostKey: Type.Optional(HostKey), logging: ConsoleLogging,
    watch: Type.Optional(WatchOverrideSchema),
  }, { additionalProperties: false }),
  groups: Groups,
}, { additionalProperties: false })

/** PATCH /nodes/{node}: an RFC 7396 merge patch; null removes an optional field. */
export const NodePatch = Type.Object({
  name: Type.Optional(NodeName),
  bmc: Type.Optional(Type.Object({
    host: Type.Optional(Host),
    port: Type.Optional(Port),
    username: Type.Optional(Username),
    password: Type.Optional(Password),
    kg: Type.Optional(Type.Union([Kg, Type.Null()])),
    cipherSuite: Type.Optional(Type.Union([CipherSuite, Type.Null()])),
    privilege: Type.Optional(Privilege),
    protocol: Type.Optional(Protocol),
    ipmiPort: Type.Optional(Type.Union([IpmiPort, Type.Null()])),
    tls: Type.Optional(Type.Union([TlsPatch, Type.Null()])),
    systemId: Type.Optional(Type.Union([SystemId, Type.Null()])),
    workarounds: Type.Optional(Type.Union([Workarounds, Type.Null()])),
  }, { additionalProperties: false })),
  console: Type.Optional(Type.Object({
    method: Type.Optional(ConsoleMethod),
    command: Type.Optional(Type.Union([Command, Type.Null()])),
    connectedPattern: Type.Optional(Type.Union([Pattern, Type.Null()])),
    env: Type.Optional(Type.Union([credentialEnvSchema(Type.Union([EnvName, Type.Null()])), Type.Null()])),
    host: Type.Optional(Type.Union([ConsoleHost, Type.Null()])),
    port: Type.Optional(Type.Union([ConsolePort, Type.Null()])),
    hostKey: Type.Optional(Type.Union([HostKey, Type.Null()])),
    logging: Type.Optional(ConsoleLogging),
    watch: Type.Optional(Type.Union([WatchOverrideSchema, Type.Null()])),
  }, { additionalProperties: false })),
  groups: Type.Optional(Groups),
}, { additionalProperties: false })
export type NodePatch = Static<typeof NodePatch>

/** What clients read: never a password or K_G. */
export const NodeView = Type.Object({
  name: Type.String(),
  bmc: Type.Object({
    host: Type.String(),
    port: Type.Integer(),
    username: Type.String(),
    cipherSuite: Type.Optional(Type.Integer({ description: 'Absent: negotiated.' })),
    privilege: Type.String(),
    workarounds: Type.Optional(Type.Array(Type.String())),
    kgSet: Type.Boolean({ description: 'Whether a K_G is stored (its value is never returned).' }),
    protocol: Type.String(),
    ipmiPort: Type.Optional(Type.Integer()),
    learnedProtocol: Type.Optional(Type.String({ description: 'protocol auto: what the probe found (ipmi or redfish), kept in the node\'s profile; absent until the first probe answered.' })),
    tls: Type.Optional(Type.Object({
      mode: Type.String(),
      fingerprint: Type.Optional(Type.String({ description: 'The pinned certificate fingerprint: configured, or learned on first use.' })),
      caSet: Type.Boolean(),
    }, { additionalProperties: false })),
    systemId: Type.Optional(Type.String()),
  }, { additionalProperties: false }),
  console: Type.Object({
    method: Type.String(),
    command: Type.Optional(Type.String()),
    connectedPattern: Type.Optional(Type.String()),
    env: Type.Optional(credentialEnvSchema(Type.String())),
    host: Type.Optional(Type.String()),
    port: Type.Optional(Type.Integer()),
    hostKey: Type.Optional(Type.String({ description: 'ssh: the pinned host key, set by the operator or learned on first use.' })),
    logging: Type.String(),
    watch: Type.Optional(WatchOverrideSchema),
  }, { additionalProperties: false }),
  groups: Type.Array(Type.String()),
  revision: Type.Integer(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
}, { additionalProperties: false })
export type NodeView = Static<typeof NodeView>

export const ErrorBody = Type.Object({
  error: Type.Object({
    code: Type.String(),
    message: Type.String(),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  }),
})

/** Error replies every route may give (documented once, used in every route's response map). */
export function withErrors<T extends Record<number, TSchema>>(ok: T): T & Record<400 | 401 | 403 | 404 | 409 | 413 | 415 | 500 | 502 | 503 | 504, typeof ErrorBody> {
  return { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody, 413: ErrorBody, 415: ErrorBody, 500: ErrorBody, 502: ErrorBody, 503: ErrorBody, 504: ErrorBody, ...ok }
}

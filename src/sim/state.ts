/**
 * What one simulated BMC knows and remembers: its configuration (users,
 * K_G, GUID, device identity, cipher suites, session slots, quirks) and the
 * mutable state that commands change (user table, chassis power, identify,
 * boot options). Plain data plus constructors; no I/O and no protocol logic.
 * Spec: IPMI v2.0 §22.26-§22.30 (users), §28 (chassis), Table 28-14 (boot
 * options), Table 22-20 (cipher suites).
 * Invariant: user IDs are 1..maxUsers; user 1 is the fixed null-name user,
 * disabled unless configured, as on most BMCs.
 */
import type { QuirkName } from './quirks.js'

/** Privilege levels (IPMI v2.0 §6.8); 0x0F as a user limit means "no access". */
export const Priv = { Callback: 1, User: 2, Operator: 3, Administrator: 4, Oem: 5, NoAccess: 0x0f } as const

/** The LAN channel this BMC answers on; 0x0E in a request means "this channel". */
export const LAN_CHANNEL = 1
export const THIS_CHANNEL = 0x0e

export interface SimUserConfig {
  /** 2..maxUsers (user 1 is the null-name user; configure it with name ''). */
  id: number
  name: string
  password: string | Buffer
  /** Privilege limit on the LAN channel (default administrator). */
  privilege?: number
  /** Default true. */
  enabled?: boolean
  /** IPMI messaging enabled on the channel; a LAN login needs it (default true). */
  ipmiMessaging?: boolean
}

export interface SimUser {
  id: number
  /** Up to 16 bytes, exactly as the user logs in with (no padding). */
  name: Buffer
  /** Kuid: the stored password without trailing NULs (HMAC treats both alike). */
  password: Buffer
  /** Which Set User Password form stored it (16 or 20 bytes); test-password must match. */
  passwordSize: 16 | 20
  enabled: boolean
  /** Limit on the LAN channel, Priv.*. */
  privilege: number
  ipmiMessaging: boolean
  linkAuth: boolean
  callbackOnly: boolean
  /** True when Set User Password last enabled (true) or disabled (false) it; undefined when never set. */
  enabledByCommand: boolean | undefined
}

export interface DeviceIdentity {
  deviceId: number
  deviceRevision: number
  firmwareMajor: number
  /** BCD, as on the wire (0x23 = x.23). */
  firmwareMinorBcd: number
  manufacturerId: number
  productId: number
  auxFirmwareRevision: Buffer
  /** Get Device ID byte 6 (Table 20-2): 80h chassis device; attachHardware adds sensor, SDR, SEL and FRU bits. */
  additionalDeviceSupport: number
}

/**
 * How the BMC refuses a RAKP 1 role above the user's limit (name-only lookup).
 * Real BMCs differ: a status code in RAKP 2 (0x09 invalid role is the spec's
 * answer; some vendors send 0x0D unauthorized name), or ipmi_sim's way, which
 * logs the user in and refuses Set Session Privilege Level with 0x81.
 */
export type RoleRefusal = 0x09 | 0x0a | 0x0d | 'set-privilege'

/** 'resend' answers a duplicate request with the cached response; 'cc-cf' answers 0xCF (IPMI v2.0 Table 5-2). */
export type DuplicateMode = 'resend' | 'cc-cf'

export interface SimBmcConfig {
  users?: SimUserConfig[]
  /** The BMC key K_G; absent or all-zero means none (SIK keyed by the password). */
  kg?: Buffer
  /** 16 bytes; hashed raw in RAKP 2 and RAKP 4. */
  guid?: Buffer
  device?: Partial<DeviceIdentity>
  /** Cipher suites offered, in Get Channel Cipher Suites order. Default [3, 17]. */
  cipherSuites?: number[]
  /** Session slots, pending handshakes included (default 4). */
  maxSessions?: number
  maxUsers?: number
  /** Answer Get Channel Cipher Suites before a session (default true; ipmi_sim does not). */
  answerCipherSuitesPreSession?: boolean
  roleRefusal?: RoleRefusal
  duplicateMode?: DuplicateMode
  /** An active session idle this long is closed (default 60 s, a common BMC value; quirk idletimeout-short: at most 10 s). */
  idleTimeoutMs?: number
  /** A handshake not finished within this is abandoned and its slot freed (default 10 s). */
  setupTimeoutMs?: number
  /** Silence after Cold Reset while the BMC "reboots" (default 2 s; 60 s under quirk coldreset-console). */
  coldResetDowntimeMs?: number
  /** With quirk coldreset-console: the BMC cold-resets itself this long after the first SOL activation (default 10 s). */
  coldResetAfterSolMs?: number
  /** Seed for session IDs and random numbers (default 1). Fault decisions use their own seed. */
  seed?: number
  powerOn?: boolean
  /** Vendor quirks to imitate (src/sim/quirks.ts); none by default. */
  quirks?: QuirkName[]
}

export interface BootOptionsState {
  /** Parameter 0, data b1:0. */
  setInProgress: number
  /** Parameter 3. */
  validBitClearing: number
  /** Parameter 4 data 2 (acknowledge bits; 0 = handled). */
  bootInfoAck: number
  /** Parameter 5, 5 data bytes. */
  bootFlags: Buffer
  /** When the valid bit was last set, for the 60 s auto-clear (spec §28.12). */
  bootFlagsSetAtMs: number
  /** Selector b7 "marked invalid" per parameter. */
  invalid: Set<number>
}

export interface ChassisState {
  powerOn: boolean
  /** Byte 2 of Get Chassis Status. */
  lastPowerEvent: number
  /** 0 always off, 1 previous, 2 always on. */
  restorePolicy: number
  /** Identify: off, on until a time, or on until turned off. */
  identifyUntilMs: number | 'forever' | undefined
  /** How often each Chassis Control action ran: tests check non-idempotent ones ran once. */
  actions: { powerDown: number; powerUp: number; powerCycle: number; hardReset: number; diagnosticInterrupt: number; softShutdown: number }
  boot: BootOptionsState
}

export const DEFAULT_GUID = Buffer.from('a123456789abcdefa123456789abcdef', 'hex')

export function makeUser(c: SimUserConfig): SimUser {
  const password = Buffer.isBuffer(c.password) ? Buffer.from(c.password) : Buffer.from(c.password, 'utf8')
  const name = Buffer.from(c.name, 'utf8')
  if (name.length > 16) throw new RangeError(`user name ${c.name} is longer than 16 bytes`)
  if (password.length > 20) throw new RangeError(`password of user ${c.id} is longer than 20 bytes`)
  return {
    id: c.id,
    name,
    password: stripNuls(password),
    passwordSize: password.length > 16 ? 20 : 16,
    enabled: c.enabled ?? true,
    privilege: c.privilege ?? Priv.Administrator,
    ipmiMessaging: c.ipmiMessaging ?? true,
    linkAuth: false,
    callbackOnly: false,
    enabledByCommand: undefined,
  }
}

/** An unset user slot: empty name, no password, disabled, no access. */
export function emptyUser(id: number): SimUser {
  return {
    id, name: Buffer.alloc(0), password: Buffer.alloc(0), passwordSize: 16, enabled: false, privilege: Priv.NoAccess,
    ipmiMessaging: false, linkAuth: false, callbackOnly: false, enabledByCommand: undefined,
  }
}

export function makeChassis(powerOn: boolean): ChassisState {
  return {
    powerOn,
    lastPowerEvent: 0,
    restorePolicy: 1,
    identifyUntilMs: undefined,
    actions: { powerDown: 0, powerUp: 0, powerCycle: 0, hardReset: 0, diagnosticInterrupt: 0, softShutdown: 0 },
    boot: { setInProgress: 0, validBitClearing: 0, bootInfoAck: 0, bootFlags: Buffer.alloc(5), bootFlagsSetAtMs: 0, invalid: new Set() },
  }
}

export function defaultDevice(d: Partial<DeviceIdentity> = {}): DeviceIdentity {
  return {
    deviceId: d.deviceId ?? 0x20,
    deviceRevision: d.deviceRevision ?? 0x01,
    firmwareMajor: d.firmwareMajor ?? 0x01,
    firmwareMinorBcd: d.firmwareMinorBcd ?? 0x23,
    manufacturerId: d.manufacturerId ?? 0x0000,
    productId: d.productId ?? 0x0001,
    auxFirmwareRevision: d.auxFirmwareRevision ?? Buffer.alloc(4),
    additionalDeviceSupport: d.additionalDeviceSupport ?? 0x80,
  }
}

export function stripNuls(b: Buffer): Buffer {
  let end = b.length
  while (end > 0 && b[end - 1] === 0) end--
  return Buffer.from(b.subarray(0, end))
}

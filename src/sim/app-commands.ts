/**
 * The simulated BMC's App-netFn commands (netFn 0x06) other than user
 * management: Get Device ID (§20.1), Cold Reset (§20.2), Get System GUID
 * (§22.14), Get Channel Authentication Capabilities (§22.13, also before a
 * session), Get Channel Cipher Suites (§22.15, also before a session), Set
 * Session Privilege Level (§22.18), Close Session (§22.19).
 * Each handler validates the request the way a BMC must (0xC7 for a wrong
 * length, 0xCC for a bad field) and touches only the state in SimContext.
 */
import { CC, fail, isOurChannel, ok, type SimCommand } from './context.js'
import { SIM_SUITES } from './handshake.js'
import { authCapsStatusByte, SETPRIV_REFUSED_CC } from './quirks.js'
import { LAN_CHANNEL, Priv } from './state.js'

const APP = 0x06

export const GetDeviceIdHandler: SimCommand = {
  name: 'Get Device ID', netFn: APP, cmd: 0x01, privilege: Priv.User,
  handle(data, bmc) {
    if (data.length !== 0) return fail(CC.RequestLengthInvalid)
    const d = bmc.device
    const out = Buffer.alloc(15)
    out[0] = d.deviceId
    out[1] = d.deviceRevision & 0x0f // b7 clear: no device SDRs
    out[2] = d.firmwareMajor & 0x7f // b7 clear: device available
    out[3] = d.firmwareMinorBcd
    out[4] = 0x02 // IPMI 2.0, BCD
    out[5] = d.additionalDeviceSupport // b7 chassis; b3 FRU, b2 SEL, b1 SDR repository, b0 sensor device (with hardware)
    out.writeUIntLE(d.manufacturerId & 0x0fffff, 6, 3)
    out.writeUInt16LE(d.productId & 0xffff, 9)
    d.auxFirmwareRevision.copy(out, 11, 0, 4)
    return ok(out)
  },
}

export const ColdResetHandler: SimCommand = {
  name: 'Cold Reset', netFn: APP, cmd: 0x02, privilege: Priv.Administrator,
  handle(data, bmc) {
    if (data.length !== 0) return fail(CC.RequestLengthInvalid)
    // Answer first, then "reboot": sessions vanish and the BMC falls silent.
    return { cc: CC.Ok, after: () => bmc.coldReset() }
  },
}

export const GetSystemGuidHandler: SimCommand = {
  name: 'Get System GUID', netFn: APP, cmd: 0x37, privilege: Priv.User,
  handle(data, bmc) {
    if (data.length !== 0) return fail(CC.RequestLengthInvalid)
    return ok(Buffer.from(bmc.guid))
  },
}

export const GetChannelAuthCapabilitiesHandler: SimCommand = {
  name: 'Get Channel Authentication Capabilities', netFn: APP, cmd: 0x38, privilege: 0, preSession: true,
  handle(data, bmc) {
    if (data.length !== 2) return fail(CC.RequestLengthInvalid)
    const v20 = (data[0]! & 0x80) !== 0
    const priv = data[1]! & 0x0f
    if (!isOurChannel(data[0]!, LAN_CHANNEL) || priv < Priv.Callback || priv > Priv.Oem) return fail(CC.InvalidDataField)
    const users = bmc.users.filter((u) => u.id !== 0 && u.enabled && u.ipmiMessaging)
    const named = users.some((u) => u.name.length > 0)
    const nullName = users.some((u) => u.name.length === 0 && u.password.length > 0)
    const anonymous = users.some((u) => u.name.length === 0 && u.password.length === 0)
    const out = Buffer.alloc(8)
    out[0] = LAN_CHANNEL
    // b5:0 would list IPMI 1.5 auth types; this BMC runs RMCP+ sessions only.
    out[1] = v20 ? 0x80 : 0x00
    // QUIRK(authcap): the quirky BMC leaves b2 (non-null user names) clear although named users log in.
    out[2] = authCapsStatusByte(bmc.config.quirks, (bmc.kg !== undefined ? 0x20 : 0) | (named ? 0x04 : 0) | (nullName ? 0x02 : 0) | (anonymous ? 0x01 : 0))
    // Extended capabilities are meaningful only in a v2.0 answer: b1 = IPMI 2.0 connections.
    out[3] = v20 ? 0x02 : 0x00
    return ok(out) // OEM IANA and aux data: 0
  },
}

/**
 * Record data of every offered suite, in order: C0h, ID, auth (00b tag),
 * integrity (01b tag), confidentiality (10b tag); Table 22-18.
 */
function suiteRecords(suites: readonly number[]): Buffer {
  const bytes: number[] = []
  for (const id of suites) {
    const s = SIM_SUITES[id]
    if (s === undefined) continue
    bytes.push(0xc0, id, s[0], 0x40 | s[1], 0x80 | s[2])
  }
  return Buffer.from(bytes)
}

/** "List supported algorithms": each algorithm once, with its tag. */
function algorithmRecords(suites: readonly number[]): Buffer {
  const tags = new Set<number>()
  for (const id of suites) {
    const s = SIM_SUITES[id]
    if (s === undefined) continue
    tags.add(s[0]).add(0x40 | s[1]).add(0x80 | s[2])
  }
  return Buffer.from([...tags].sort((a, b) => a - b))
}

export const GetChannelCipherSuitesHandler: SimCommand = {
  name: 'Get Channel Cipher Suites', netFn: APP, cmd: 0x54, privilege: 0, preSession: true,
  handle(data, bmc) {
    if (data.length !== 3) return fail(CC.RequestLengthInvalid)
    if (!isOurChannel(data[0]!, LAN_CHANNEL)) return fail(CC.InvalidDataField)
    const payloadType = data[1]! & 0x3f
    if (payloadType !== 0x00 && payloadType !== 0x01) return fail(CC.InvalidDataField)
    const index = data[2]! & 0x3f
    const all = (data[2]! & 0x80) !== 0 ? suiteRecords(bmc.config.cipherSuites) : algorithmRecords(bmc.config.cipherSuites)
    // 16 bytes per index; an index past the end returns no record data (a short page ends the list).
    const page = all.subarray(Math.min(all.length, index * 16), Math.min(all.length, index * 16 + 16))
    return ok(Buffer.concat([Buffer.from([LAN_CHANNEL]), page]))
  },
}

export const SetSessionPrivilegeLevelHandler: SimCommand = {
  name: 'Set Session Privilege Level', netFn: APP, cmd: 0x3b, privilege: Priv.Callback,
  handle(data, bmc, session) {
    if (session === undefined) return fail(CC.InsufficientPrivilege)
    if (data.length !== 1) return fail(CC.RequestLengthInvalid)
    const want = data[0]! & 0x0f
    if (want === 0) return ok(Buffer.from([session.privilege])) // 0: report the present level
    if (want > Priv.Oem) return fail(CC.InvalidDataField)
    // 0x80: level not available to this user; 0x81: above the user's or channel's limit.
    if (want === Priv.Callback && session.maxPrivilege > Priv.Callback) return fail(0x80)
    if (want > session.maxPrivilege) return fail(0x81)
    session.privilege = want
    // QUIRK(setpriv-refused): the level is granted, the answer says it was not.
    if (want > Priv.User && bmc.config.quirks.has('setpriv-refused')) return fail(SETPRIV_REFUSED_CC)
    return ok(Buffer.from([want]))
  },
}

export const CloseSessionHandler: SimCommand = {
  name: 'Close Session', netFn: APP, cmd: 0x3c, privilege: Priv.Callback,
  handle(data, bmc, session) {
    if (session === undefined) return fail(CC.InsufficientPrivilege)
    if (data.length !== 4 && data.length !== 5) return fail(CC.RequestLengthInvalid)
    const id = data.readUInt32LE(0)
    if (id === 0) return fail(data.length === 5 ? 0x88 : CC.InvalidDataField) // handle form: this BMC has no handles
    const target = bmc.sessions.get(id)
    if (target === undefined || target.state !== 'active') return fail(0x87)
    // Closing someone else's session takes Administrator (IPMI v2.0 §22.19).
    if (target !== session && session.privilege < Priv.Administrator) return fail(CC.InsufficientPrivilege)
    // The answer still goes out under the closing session's keys; the slot frees after.
    return { cc: CC.Ok, after: () => bmc.closeSession(id, 'close-session') }
  },
}

export const APP_COMMANDS: readonly SimCommand[] = [
  GetDeviceIdHandler, ColdResetHandler, GetSystemGuidHandler, GetChannelAuthCapabilitiesHandler,
  GetChannelCipherSuitesHandler, SetSessionPrivilegeLevelHandler, CloseSessionHandler,
]

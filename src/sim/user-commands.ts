/**
 * The simulated BMC's user management (App netFn): Set/Get User Access
 * (§22.26, §22.27), Set/Get User Name (§22.28, §22.29) and Set User Password
 * (§22.30: disable, enable, set, test). Changes apply at once to later
 * logins (the RAKP lookup reads the same table).
 * Choices: user 1 has the fixed null name and cannot be renamed (0xCC);
 * passwords are stored without trailing NULs and remember whether the 16- or
 * 20-byte form set them, because "test password" must use the same form
 * (0x81 otherwise) and answers 0x80 on a wrong password (unlike ipmi_sim).
 */
import { CC, fail, isOurChannel, ok, type SimCommand, type SimContext } from './context.js'
import { LAN_CHANNEL, Priv, stripNuls, type SimUser } from './state.js'

const APP = 0x06

function userAt(bmc: SimContext, idByte: number): SimUser | undefined {
  const id = idByte & 0x3f
  if (id < 1 || id > bmc.config.maxUsers) return undefined
  return bmc.users[id]
}

export const SetUserAccessHandler: SimCommand = {
  name: 'Set User Access', netFn: APP, cmd: 0x43, privilege: Priv.Administrator,
  handle(data, bmc) {
    if (data.length !== 3 && data.length !== 4) return fail(CC.RequestLengthInvalid)
    const user = userAt(bmc, data[1]!)
    const priv = data[2]! & 0x0f
    const validPriv = (priv >= Priv.Callback && priv <= Priv.Oem) || priv === Priv.NoAccess
    if (!isOurChannel(data[0]!, LAN_CHANNEL) || user === undefined || !validPriv) return fail(CC.InvalidDataField)
    // The access bits change only with b7 ("change bits") set; the limit always does.
    if ((data[0]! & 0x80) !== 0) {
      user.callbackOnly = (data[0]! & 0x40) !== 0
      user.linkAuth = (data[0]! & 0x20) !== 0
      user.ipmiMessaging = (data[0]! & 0x10) !== 0
    }
    user.privilege = priv
    return ok()
  },
}

export const GetUserAccessHandler: SimCommand = {
  name: 'Get User Access', netFn: APP, cmd: 0x44, privilege: Priv.Operator,
  handle(data, bmc) {
    if (data.length !== 2) return fail(CC.RequestLengthInvalid)
    const user = userAt(bmc, data[1]!)
    if (!isOurChannel(data[0]!, LAN_CHANNEL) || user === undefined) return fail(CC.InvalidDataField)
    const enabledCount = bmc.users.filter((u) => u.id !== 0 && u.enabled).length
    const status = user.enabledByCommand === undefined ? 0 : user.enabledByCommand ? 1 : 2
    return ok(Buffer.from([
      bmc.config.maxUsers & 0x3f,
      (status << 6) | (enabledCount & 0x3f),
      1, // fixed names: user 1
      (user.callbackOnly ? 0x40 : 0) | (user.linkAuth ? 0x20 : 0) | (user.ipmiMessaging ? 0x10 : 0) | (user.privilege & 0x0f),
    ]))
  },
}

export const SetUserNameHandler: SimCommand = {
  name: 'Set User Name', netFn: APP, cmd: 0x45, privilege: Priv.Administrator,
  handle(data, bmc) {
    if (data.length !== 17) return fail(CC.RequestLengthInvalid)
    const user = userAt(bmc, data[0]!)
    if (user === undefined || user.id === 1) return fail(CC.InvalidDataField)
    user.name = stripNuls(data.subarray(1))
    return ok()
  },
}

export const GetUserNameHandler: SimCommand = {
  name: 'Get User Name', netFn: APP, cmd: 0x46, privilege: Priv.Operator,
  handle(data, bmc) {
    if (data.length !== 1) return fail(CC.RequestLengthInvalid)
    const user = userAt(bmc, data[0]!)
    if (user === undefined) return fail(CC.InvalidDataField)
    const out = Buffer.alloc(16)
    user.name.copy(out)
    return ok(out)
  },
}

export const SetUserPasswordHandler: SimCommand = {
  name: 'Set User Password', netFn: APP, cmd: 0x47, privilege: Priv.Administrator,
  handle(data, bmc) {
    if (data.length < 2) return fail(CC.RequestLengthInvalid)
    const size = (data[0]! & 0x80) !== 0 ? 20 : 16
    const op = data[1]! & 0x03
    const needsPassword = op === 2 || op === 3
    // Enable/disable may carry a (ignored) password field; set/test must.
    if (needsPassword ? data.length !== 2 + size : data.length !== 2 && data.length !== 2 + size) return fail(CC.RequestLengthInvalid)
    const user = userAt(bmc, data[0]!)
    if (user === undefined) return fail(CC.InvalidDataField)
    // QUIRK(password16): an IPMI 1.5-style BMC has no 20-byte form.
    if (size === 20 && bmc.config.quirks.has('password16')) return fail(CC.InvalidDataField)
    const field = stripNuls(data.subarray(2))
    switch (op) {
      case 0:
        user.enabled = false
        user.enabledByCommand = false
        return ok()
      case 1:
        user.enabled = true
        user.enabledByCommand = true
        return ok()
      case 2:
        user.password = field
        user.passwordSize = size
        return ok()
      default:
        if (size !== user.passwordSize) return fail(0x81) // wrong password size
        if (!field.equals(user.password)) return fail(0x80) // wrong password
        return ok()
    }
  },
}

export const USER_COMMANDS: readonly SimCommand[] = [
  SetUserAccessHandler, GetUserAccessHandler, SetUserNameHandler, GetUserNameHandler, SetUserPasswordHandler,
]

/**
 * The simulated BMC's payload and SOL commands, answered from a SolControl
 * (SimSol): Activate Payload (§24.1, Table 24-2), Deactivate Payload (§24.2),
 * Get Payload Activation Status (§24.4), Get Payload Instance Info (§24.5),
 * Get Channel Payload Support (§24.8) and Version (§24.9), Get/Set User
 * Payload Access (§24.6, §24.7) and Get/Set SOL Configuration Parameters
 * (§26.2, §26.3, Table 26-5).
 * Choices: one SOL instance (instance 1); Deactivate Payload works from any
 * session (what `ipmitool sol deactivate` relies on); payload encryption
 * follows the session (suites 3 and 17 always encrypt); users all have SOL
 * payload access.
 */
import { CC, fail, isOurChannel, ok, type SimCommand } from './context.js'
import { reportedPayloadSize, reportedSolPort, unsupportedCommand } from './quirks.js'
import type { SimSession } from './sessions.js'
import { LAN_CHANNEL, Priv } from './state.js'

const APP = 0x06
const TRANSPORT = 0x0c
const SOL_PAYLOAD = 0x01
const SOL_INSTANCE = 1

/** What the commands need from the SOL side of one BMC. */
export interface SolControl {
  /** Session ID of the instance's holder; 0 when inactive. */
  ownerSessionId(): number
  enabled: boolean
  /** Privilege needed to activate (parameter 2 b3:0). */
  privilege: number
  forceEncryption: boolean
  forceAuthentication: boolean
  /** Parameter 3: accumulate interval (ms) and send threshold. */
  accumulateMs: number
  sendThreshold: number
  /** Parameter 4: retry count and interval (ms). */
  retryCount: number
  retryIntervalMs: number
  /** Parameters 5 and 6 (bit rate codes). */
  bitRate: number
  readonly payloadPort: number
  /** Sizes reported in Activate Payload (header included). */
  readonly inboundPayloadSize: number
  readonly outboundPayloadSize: number
  /** 0x80 when busy, else activates for the session. */
  activate(session: SimSession, aux: number): number
  /** 0x80 when nothing was active, else deactivates (kicking another holder if need be). */
  deactivate(by: SimSession): number
}

function solOnly(type: number, instance: number): boolean {
  return (type & 0x3f) === SOL_PAYLOAD && (instance & 0x0f) === SOL_INSTANCE
}

export function solCommands(sol: SolControl): SimCommand[] {
  const activate: SimCommand = {
    name: 'Activate Payload', netFn: APP, cmd: 0x48, privilege: Priv.User,
    handle(data, bmc, session) {
      if (session === undefined) return fail(CC.InsufficientPrivilege)
      if (data.length !== 6) return fail(CC.RequestLengthInvalid)
      if ((data[0]! & 0x3f) !== SOL_PAYLOAD) return fail(CC.InvalidDataField)
      if ((data[1]! & 0x0f) !== SOL_INSTANCE) return fail(0x82) // one instance: the limit is reached
      if (!sol.enabled) return fail(0x81)
      if (session.privilege < sol.privilege) return fail(CC.InsufficientPrivilege)
      const aux = data[2]!
      if (sol.forceEncryption && (aux & 0x80) === 0 && session.confidentiality !== 0) return fail(0x84)
      const cc = sol.activate(session, aux)
      if (cc !== CC.Ok) return fail(cc)
      const out = Buffer.alloc(12)
      // Aux bytes 1-4: test mode off. Then inbound size, outbound size, port, VLAN (none), all LE.
      // QUIRK(solpayloadsize), QUIRK(solport), QUIRK(solport-endian): what a quirky BMC reports instead.
      const quirks = bmc.config.quirks
      out.writeUInt16LE(reportedPayloadSize(quirks, sol.inboundPayloadSize), 4)
      out.writeUInt16LE(reportedPayloadSize(quirks, sol.outboundPayloadSize), 6)
      out.writeUInt16LE(reportedSolPort(quirks, sol.payloadPort), 8)
      out.writeUInt16LE(0xffff, 10)
      return ok(out)
    },
  }
  const deactivate: SimCommand = {
    name: 'Deactivate Payload', netFn: APP, cmd: 0x49, privilege: Priv.User,
    handle(data, _bmc, session) {
      if (session === undefined) return fail(CC.InsufficientPrivilege)
      if (data.length !== 6) return fail(CC.RequestLengthInvalid)
      if (!solOnly(data[0]!, data[1]!)) return fail(CC.InvalidDataField)
      return fail(sol.deactivate(session))
    },
  }
  const activationStatus: SimCommand = {
    name: 'Get Payload Activation Status', netFn: APP, cmd: 0x4a, privilege: Priv.User,
    handle(data, bmc) {
      if (unsupportedCommand(bmc.config.quirks, 'activation-status')) return fail(CC.InvalidCommand) // QUIRK(solstatus)
      if (data.length !== 1) return fail(CC.RequestLengthInvalid)
      if ((data[0]! & 0x3f) !== SOL_PAYLOAD) return fail(CC.InvalidDataField)
      return ok(Buffer.from([0x01, sol.ownerSessionId() !== 0 ? 0x01 : 0x00, 0x00]))
    },
  }
  const instanceInfo: SimCommand = {
    name: 'Get Payload Instance Info', netFn: APP, cmd: 0x4b, privilege: Priv.User,
    handle(data) {
      if (data.length !== 2) return fail(CC.RequestLengthInvalid)
      if (!solOnly(data[0]!, data[1]!)) return fail(CC.InvalidDataField)
      const out = Buffer.alloc(12)
      const owner = sol.ownerSessionId()
      out.writeUInt32LE(owner >>> 0, 0)
      out[4] = owner !== 0 ? 0x01 : 0x00 // payload-specific byte 1: the system serial port redirected
      return ok(out)
    },
  }
  const payloadSupport: SimCommand = {
    name: 'Get Channel Payload Support', netFn: APP, cmd: 0x4e, privilege: Priv.User,
    handle(data, bmc) {
      if (unsupportedCommand(bmc.config.quirks, 'channel-payload-support')) return fail(CC.InvalidCommand) // QUIRK(solchannelsupport)
      if (data.length !== 1) return fail(CC.RequestLengthInvalid)
      if (!isOurChannel(data[0]!, LAN_CHANNEL)) return fail(CC.InvalidDataField)
      // Standard payloads: IPMI message (0) and SOL (1); session setup payloads 10h-15h.
      return ok(Buffer.from([0x03, 0x00, 0x3f, 0x00, 0x00, 0x00, 0x00, 0x00]))
    },
  }
  const payloadVersion: SimCommand = {
    name: 'Get Channel Payload Version', netFn: APP, cmd: 0x4f, privilege: Priv.User,
    handle(data) {
      if (data.length !== 2) return fail(CC.RequestLengthInvalid)
      if (!isOurChannel(data[0]!, LAN_CHANNEL)) return fail(CC.InvalidDataField)
      if ((data[1]! & 0x3f) > SOL_PAYLOAD) return fail(0x80) // payload type not available
      return ok(Buffer.from([0x10])) // format version 1.0
    },
  }
  const getUserPayloadAccess: SimCommand = {
    name: 'Get User Payload Access', netFn: APP, cmd: 0x4d, privilege: Priv.Operator,
    handle(data, bmc) {
      if (data.length !== 2) return fail(CC.RequestLengthInvalid)
      const id = data[1]! & 0x3f
      if (!isOurChannel(data[0]!, LAN_CHANNEL) || id < 1 || id > bmc.config.maxUsers) return fail(CC.InvalidDataField)
      return ok(Buffer.from([0x02, 0x00, 0x00, 0x00])) // b1: SOL
    },
  }
  const setUserPayloadAccess: SimCommand = {
    name: 'Set User Payload Access', netFn: APP, cmd: 0x4c, privilege: Priv.Administrator,
    handle(data, bmc) {
      if (data.length !== 6) return fail(CC.RequestLengthInvalid)
      const id = data[1]! & 0x3f
      if (!isOurChannel(data[0]!, LAN_CHANNEL) || id < 1 || id > bmc.config.maxUsers) return fail(CC.InvalidDataField)
      return ok() // every user keeps SOL access: nothing to store
    },
  }
  const getConfig: SimCommand = {
    name: 'Get SOL Configuration Parameters', netFn: TRANSPORT, cmd: 0x22, privilege: Priv.User,
    handle(data) {
      if (data.length !== 4) return fail(CC.RequestLengthInvalid)
      if (!isOurChannel(data[0]!, LAN_CHANNEL)) return fail(CC.InvalidDataField)
      const value = readParameter(sol, data[1]!)
      if (value === undefined) return fail(0x80) // parameter not supported
      return ok(Buffer.concat([Buffer.from([0x11]), (data[0]! & 0x80) !== 0 ? Buffer.alloc(0) : value]))
    },
  }
  const setConfig: SimCommand = {
    name: 'Set SOL Configuration Parameters', netFn: TRANSPORT, cmd: 0x21, privilege: Priv.Administrator,
    handle(data) {
      if (data.length < 3) return fail(CC.RequestLengthInvalid)
      if (!isOurChannel(data[0]!, LAN_CHANNEL)) return fail(CC.InvalidDataField)
      return fail(writeParameter(sol, data[1]!, data.subarray(2)))
    },
  }
  return [activate, deactivate, activationStatus, instanceInfo, payloadSupport, payloadVersion, getUserPayloadAccess, setUserPayloadAccess, getConfig, setConfig]
}

function readParameter(sol: SolControl, param: number): Buffer | undefined {
  switch (param) {
    case 0: return Buffer.from([0x00])
    case 1: return Buffer.from([sol.enabled ? 0x01 : 0x00])
    case 2: return Buffer.from([(sol.forceEncryption ? 0x80 : 0) | (sol.forceAuthentication ? 0x40 : 0) | (sol.privilege & 0x0f)])
    case 3: return Buffer.from([Math.min(0xff, Math.max(1, Math.round(sol.accumulateMs / 5))), Math.min(0xff, sol.sendThreshold)])
    case 4: return Buffer.from([sol.retryCount & 0x07, Math.min(0xff, Math.round(sol.retryIntervalMs / 10))])
    case 5:
    case 6: return Buffer.from([sol.bitRate])
    case 7: return Buffer.from([LAN_CHANNEL])
    case 8: {
      const b = Buffer.alloc(2)
      b.writeUInt16LE(sol.payloadPort)
      return b
    }
    default: return undefined
  }
}

/** Completion code of a parameter write (Table 26-4: 80h not supported, 82h read-only). */
function writeParameter(sol: SolControl, param: number, d: Buffer): number {
  const need: Readonly<Record<number, number>> = { 0: 1, 1: 1, 2: 1, 3: 2, 4: 2, 5: 1, 6: 1 }
  if (param === 7 || param === 8) return 0x82
  const len = need[param]
  if (len === undefined) return 0x80
  if (d.length !== len) return CC.RequestLengthInvalid
  switch (param) {
    case 1: sol.enabled = (d[0]! & 0x01) !== 0; break
    case 2: {
      const priv = d[0]! & 0x0f
      if (priv < Priv.User || priv > Priv.Oem) return CC.InvalidDataField
      sol.forceEncryption = (d[0]! & 0x80) !== 0
      sol.forceAuthentication = (d[0]! & 0x40) !== 0
      sol.privilege = priv
      break
    }
    case 3:
      if (d[0] === 0 || d[1] === 0) return CC.InvalidDataField
      sol.accumulateMs = d[0]! * 5
      sol.sendThreshold = d[1]!
      break
    case 4:
      sol.retryCount = d[0]! & 0x07
      sol.retryIntervalMs = d[1]! * 10
      break
    case 5:
    case 6: {
      const rate = d[0]! & 0x0f
      if (rate !== 0 && (rate < 6 || rate > 0x0a)) return CC.InvalidDataField
      sol.bitRate = rate
      break
    }
    default: break // 0: set in progress has nothing to commit here
  }
  return CC.Ok
}

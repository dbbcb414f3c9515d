/**
 * `bmcvisor ipmi`: talk to one BMC directly, no server (DESIGN.md, CLI
 * contract). Options follow ipmitool where they overlap (-H -p -U -P -E -C -L
 * -k -y), so operators can switch without relearning. Every failure prints
 * one line `bmcvisor: CODE: message` to stderr and exits non-zero.
 * The client detects BMC quirks as the service does (src/session/profile.ts);
 * `-W NAME[,NAME]` applies workarounds from the start (FreeIPMI's names), and
 * what was learned is printed to stderr: always when it relaxes a security
 * check or lowers the cipher suite, every entry with --profile.
 */
import { parseArgs } from 'node:util'
import { IpmiClient } from '../session/client.js'
import type { SessionConfig } from '../session/config.js'
import { parseWorkarounds, WORKAROUND_NAMES, workaroundInfo, type LearnedEntry } from '../session/profile.js'
import { ServiceError, toWire } from '../errors.js'
import { chassisStatus, getBootDevice, identify, POWER_ACTIONS, powerControl, powerStatus, setBootDevice, type PowerAction } from '../bmc/chassis.js'
import { coldReset, mcInfo, systemGuid } from '../bmc/mc.js'
import { listUsers, setUser, testPassword, USER_PRIVILEGES, type UserChange, type UserPrivilege } from '../bmc/users.js'
import { BOOT_DEVICE_BY_NAME, type BootDeviceName } from '../ipmi/commands/boot-option-parameters.js'
import type { PrivilegeName } from '../ipmi/rakp.js'
import { formatResult } from './format.js'
import { HARDWARE_USAGE, hardwareCommand } from './ipmi-hardware.js'

export const IPMI_USAGE = `usage: bmcvisor ipmi -H HOST [-p PORT] -U USER [-P PASS | -E] [-C SUITE] [-L PRIV] [-k KG | -y HEXKG] [-W NAME[,NAME]] [--profile] [--json] CMD...
commands:
  power status|on|off|cycle|reset|soft|diag
  chassis status
  mc info | mc guid | mc reset cold
  bootdev [none|pxe|disk|safe|diag|cdrom|bios|floppy] [--persistent] [--uefi]
${HARDWARE_USAGE}
  identify [SECONDS|off] [--force]
  user list [--channel N]
  user set ID [--name NAME] [--new-password PASS | --new-password-env VAR] [--priv PRIV] [--enable|--disable] [--sol] [--channel N]
  user test ID (--new-password PASS | --new-password-env VAR)
  sol activate [--force]   (~. ends, ~B sends a break, ~? help)
-E reads the password from the environment variable IPMI_PASSWORD.
-W applies workarounds from the start (FreeIPMI's -W names and ours: docs/quirks.md); --profile prints what was learned.`

const OPTIONS = {
  host: { type: 'string', short: 'H' },
  port: { type: 'string', short: 'p' },
  user: { type: 'string', short: 'U' },
  password: { type: 'string', short: 'P' },
  'password-from-env': { type: 'boolean', short: 'E' },
  cipher: { type: 'string', short: 'C' },
  privilege: { type: 'string', short: 'L' },
  kg: { type: 'string', short: 'k' },
  'kg-hex': { type: 'string', short: 'y' },
  interface: { type: 'string', short: 'I' },
  workarounds: { type: 'string', short: 'W', multiple: true },
  profile: { type: 'boolean' },
  json: { type: 'boolean' },
  timeout: { type: 'string' },
  persistent: { type: 'boolean' },
  uefi: { type: 'boolean' },
  force: { type: 'boolean' },
  channel: { type: 'string' },
  name: { type: 'string' },
  'new-password': { type: 'string' },
  'new-password-env': { type: 'string' },
  priv: { type: 'string' },
  enable: { type: 'boolean' },
  disable: { type: 'boolean' },
  sol: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const

function invalid(message: string, field?: string): ServiceError {
  return new ServiceError('VALIDATION_FAILED', message, field ? { details: { field } } : {})
}

function int(v: string | undefined, field: string, min: number, max: number): number | undefined {
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isInteger(n) || n < min || n > max) throw invalid(`${field} must be an integer from ${min} to ${max}`, field)
  return n
}

export interface CliIo {
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream
  env: NodeJS.ProcessEnv
  stdin?: NodeJS.ReadStream
  ttyOut?: NodeJS.WriteStream
}

/** Runs `bmcvisor ipmi ...`; returns the exit code. */
export async function ipmiCommand(argv: string[], io: CliIo): Promise<number> {
  let client: IpmiClient | undefined
  try {
    const { values: o, positionals: cmd } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true })
    if (o.help === true || cmd.length === 0) {
      io.stdout.write(IPMI_USAGE + '\n')
      return o.help === true ? 0 : 2
    }
    if (o.host === undefined) throw invalid('-H HOST is required', 'host')
    if (o.user === undefined) throw invalid('-U USER is required', 'user')
    const password = o['password-from-env'] === true ? io.env.IPMI_PASSWORD : o.password
    if (password === undefined) throw invalid(o['password-from-env'] === true ? 'IPMI_PASSWORD is not set' : 'a password is required (-P PASS or -E)', 'password')
    const config: SessionConfig = {
      username: o.user,
      password,
      cipherSuite: int(o.cipher, 'cipher suite', 0, 255),
      kg: o['kg-hex'] !== undefined ? hexKey(o['kg-hex']) : o.kg !== undefined ? Buffer.from(o.kg) : undefined,
    }
    if (o.privilege !== undefined) config.privilege = privilegeArg(o.privilege)
    if (o.workarounds !== undefined) {
      const w = parseWorkarounds(o.workarounds.flatMap((s) => s.split(',')))
      if (w.unknown.length > 0) throw invalid(`unknown workaround ${w.unknown.join(', ')} (known: ${WORKAROUND_NAMES.join(', ')})`, 'workarounds')
      for (const n of w.noEffect) io.stderr.write(`bmcvisor: note: workaround ${n}: no effect in bmcvisor (${workaroundInfo(n).changes})\n`)
      config.workarounds = w.names
    }
    const timeoutMs = int(o.timeout, 'timeout', 1, 600)
    if (timeoutMs !== undefined) config.timing = { connectTimeoutMs: timeoutMs * 1000 }
    client = new IpmiClient({ host: o.host, port: int(o.port, 'port', 1, 65535) ?? 623 }, config)
    const showAll = o.profile === true
    client.on('learned', (e: LearnedEntry) => {
      if (showAll || workaroundInfo(e.name).relaxesSecurity) io.stderr.write(`bmcvisor: learned ${e.name}: ${e.detail}${workaroundInfo(e.name).relaxesSecurity ? ' (relaxes security)' : ''}\n`)
    })
    const result = await dispatch(client, cmd, o, io)
    if (typeof result === 'number') return result
    io.stdout.write((o.json === true ? JSON.stringify(result, null, 2) : formatResult(cmd, result)) + '\n')
    return 0
  } catch (e) {
    const w = toWire(e)
    const message = w.code === 'INTERNAL' && e instanceof Error && 'code' in e && typeof e.code === 'string' && e.code.startsWith('ERR_PARSE_ARGS')
      ? `VALIDATION_FAILED: ${e.message}`
      : `${w.code}: ${w.code === 'INTERNAL' && e instanceof Error ? e.message : w.message}`
    io.stderr.write(`bmcvisor: ${message}\n`)
    return message.startsWith('VALIDATION_FAILED') ? 2 : 1
  } finally {
    await client?.close()
  }
}

type Opts = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values']

async function dispatch(c: IpmiClient, cmd: string[], o: Opts, io: CliIo): Promise<unknown> {
  const [a, b, ...rest] = cmd
  switch (a) {
    case 'sdr':
    case 'sensors':
    case 'fru':
    case 'sel':
      return hardwareCommand(c, cmd)
    case 'power':
      if (b === undefined || b === 'status') return powerStatus(c)
      if (!POWER_ACTIONS.includes(b as PowerAction)) throw invalid(`power action must be one of status, ${POWER_ACTIONS.join(', ')}`, 'action')
      return powerControl(c, b as PowerAction)
    case 'chassis':
      if (b === 'status') return chassisStatus(c)
      if (b === 'power') return dispatch(c, ['power', ...rest], o, io)
      break
    case 'mc':
      if (b === 'info') return mcInfo(c)
      if (b === 'guid') return systemGuid(c)
      if (b === 'reset' && rest[0] === 'cold') return coldReset(c)
      break
    case 'bootdev':
      if (b === undefined) return getBootDevice(c)
      if (!(b in BOOT_DEVICE_BY_NAME)) throw invalid(`boot device must be one of ${Object.keys(BOOT_DEVICE_BY_NAME).join(', ')}`, 'device')
      return setBootDevice(c, b as BootDeviceName, { persistent: o.persistent ?? false, uefi: o.uefi ?? false })
    case 'identify':
      if (b === 'off') return identify(c, { seconds: 0 })
      return identify(c, { seconds: int(b, 'seconds', 0, 255) ?? 15, force: o.force ?? false })
    case 'user':
      return userCommand(c, b, rest, o, io)
    case 'sol':
      if (b === 'activate') {
        const { solActivate } = await import('./sol-activate.js')
        // A number is the exit code: the console wrote its own output.
        return solActivate(c, { force: o.force ?? false, stdin: io.stdin ?? process.stdin, stdout: io.ttyOut ?? process.stdout, stderr: io.stderr })
      }
      break
  }
  throw invalid(`unknown command: ${cmd.join(' ')} (see bmcvisor ipmi --help)`, 'command')
}

async function userCommand(c: IpmiClient, sub: string | undefined, rest: string[], o: Opts, io: CliIo): Promise<unknown> {
  const channel = int(o.channel, 'channel', 0, 15)
  if (sub === 'list') return listUsers(c, channel)
  const id = int(rest[0], 'user id', 1, 63)
  if (id === undefined) throw invalid('a user ID is required', 'id')
  const password = o['new-password-env'] !== undefined ? io.env[o['new-password-env']] : o['new-password']
  if (o['new-password-env'] !== undefined && password === undefined) throw invalid(`environment variable ${o['new-password-env']} is not set`, 'new-password-env')
  if (sub === 'test') {
    if (password === undefined) throw invalid('user test needs --new-password or --new-password-env', 'new-password')
    return { id, matches: await testPassword(c, id, password) }
  }
  if (sub !== 'set') throw invalid('user command must be list, set or test', 'command')
  if (o.enable === true && o.disable === true) throw invalid('--enable and --disable exclude each other', 'enable')
  const change: UserChange = {}
  if (o.name !== undefined) change.name = o.name
  if (password !== undefined) {
    if (Buffer.byteLength(password) > 20) throw invalid('a BMC password is at most 20 bytes', 'password')
    change.password = password
  }
  if (o.priv !== undefined) {
    if (!USER_PRIVILEGES.includes(o.priv as UserPrivilege)) throw invalid(`--priv must be one of ${USER_PRIVILEGES.join(', ')}`, 'priv')
    change.privilege = o.priv as UserPrivilege
  }
  if (o.enable === true) change.enabled = true
  if (o.disable === true) change.enabled = false
  if (o.sol === true) change.sol = true
  if (channel !== undefined) change.channel = channel
  if (Object.keys(change).length === 0 || (Object.keys(change).length === 1 && channel !== undefined)) throw invalid('user set needs at least one change', 'change')
  return setUser(c, id, change)
}

function privilegeArg(v: string): PrivilegeName {
  const p = v.toLowerCase()
  const map: Record<string, PrivilegeName> = { admin: 'administrator', administrator: 'administrator', operator: 'operator', user: 'user', callback: 'callback' }
  const r = map[p]
  if (r === undefined) throw invalid('privilege must be ADMINISTRATOR, OPERATOR, USER or CALLBACK', 'privilege')
  return r
}

function hexKey(v: string): Buffer {
  const h = v.startsWith('0x') ? v.slice(2) : v
  if (!/^([0-9a-fA-F]{2}){1,20}$/.test(h)) throw invalid('-y takes 1 to 20 bytes of hex', 'kg')
  return Buffer.from(h, 'hex')
}

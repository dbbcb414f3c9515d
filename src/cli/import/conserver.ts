/**
 * Nodes from a conserver.cf: every `console` block of type `ipmi` (host,
 * username, password, ipmiprivlevel, ipmikg, ipmiciphersuite) or of type
 * `exec` whose command is `ipmitool ... sol activate` or FreeIPMI's
 * `ipmiconsole`. Defaults apply as conserver applies them (`default *` first,
 * then each `include` where it stands); the names of the default blocks a
 * console includes become its groups. `logfile` set means console logging
 * `full`, unset `memory`; `options ondemand` means `interactive` (or `none`
 * without a log). bmcvisor keeps its own log file names (consoles/NODE.log
 * under --data): conserver's are shown in the notes. `ipmiworkaround`
 * (conserver's option names, conserver.cf(5), mapped to FreeIPMI's) and an
 * ipmiconsole `-W` become the node's `bmc.workarounds`; a name that changes
 * nothing in bmcvisor is kept and noted. Other console types are skipped, noted.
 */
import { basename } from 'node:path'
import { readFileSync } from 'node:fs'
import { parseConserver, type Block, type Item } from './conserver-syntax.js'
import { parseWorkarounds, workaroundInfo, type WorkaroundName } from '../../session/profile.js'
import { checkName, cipherSuite, host as checkHost, importError, kgHex, port, privilege, type Imported, type ImportedBmc, type ImportedNode, type Logging } from './types.js'

const ALL_DEFAULTS = '*'

/**
 * conserver.cf(5)'s ipmiworkaround options and the FreeIPMI workaround each
 * sets (conserver passes them to libipmiconsole); `default` is FreeIPMI's
 * default set, which changes nothing here. "auth-capabilites" is conserver's
 * own spelling; the corrected one is accepted too.
 */
const CONSERVER_WORKAROUNDS: Readonly<Record<string, WorkaroundName | null>> = {
  'activation-status': 'solstatus',
  'auth-capabilites': 'authcap',
  'auth-capabilities': 'authcap',
  'channel-payload': 'solchannelsupport',
  checksum: 'nochecksumcheck',
  default: null,
  'ignore-payload-size': 'solpayloadsize',
  'ignore-port': 'solport',
  integrity: 'integritycheckvalue',
  'intel-session': 'intel20',
  'packet-sequence': 'solpacketseq',
  privilege: 'opensesspriv',
  'serial-alerts': 'serialalertsdeferred',
  'sun-session': 'sun20',
  'supermicro-session': 'supermicro20',
}

/** A node's workarounds from conserver names or FreeIPMI -W names; `!name` (turned off) is dropped and noted. */
export function importWorkarounds(list: string, at: string, notes: string[], what: string): WorkaroundName[] {
  const names: string[] = []
  for (const raw of list.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    if (raw.startsWith('!')) {
      notes.push(`${at}: ${what}: workaround ${raw} turns one off: bmcvisor has none on by default, nothing to turn off`)
      continue
    }
    const mapped = Object.hasOwn(CONSERVER_WORKAROUNDS, raw) ? CONSERVER_WORKAROUNDS[raw] : raw
    if (mapped !== null && mapped !== undefined) names.push(mapped)
  }
  const p = parseWorkarounds(names)
  if (p.unknown.length > 0) throw importError(at, `${what}: unknown workaround ${p.unknown.join(', ')} (conserver's ipmiworkaround options or FreeIPMI's -W names)`)
  for (const n of p.noEffect) notes.push(`${at}: ${what}: workaround ${n} kept, no effect in bmcvisor (${workaroundInfo(n).changes})`)
  return p.names
}
/** conserver.cf(5)'s console types. */
const CONSOLE_TYPES = ['device', 'ipmi', 'exec', 'host', 'noop', 'uds'] as const

/** Shell words of an exec command (quotes and backslashes; no expansion). */
export function shellWords(cmd: string): string[] {
  const words: string[] = []
  let cur: string | undefined
  for (let i = 0; i < cmd.length; i++) {
    const c = cmd[i]!
    if (/\s/.test(c)) {
      if (cur !== undefined) words.push(cur)
      cur = undefined
    } else if (c === "'" || c === '"') {
      const end = cmd.indexOf(c, i + 1)
      cur = (cur ?? '') + cmd.slice(i + 1, end < 0 ? cmd.length : end)
      i = end < 0 ? cmd.length : end
    } else if (c === '\\') {
      cur = (cur ?? '') + (cmd[++i] ?? '')
    } else {
      cur = (cur ?? '') + c
    }
  }
  if (cur !== undefined) words.push(cur)
  return words
}

/** Options of a command line: `-H host`, `-Hhost`, `--port=623`; flags in `flags` take no value. */
function options(args: string[], flags: Set<string>): Map<string, string> {
  const out = new Map<string, string>()
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!
    if (a.startsWith('--')) {
      const eq = a.indexOf('=')
      if (eq > 0) out.set(a.slice(0, eq), a.slice(eq + 1))
      else if (flags.has(a)) out.set(a, '')
      else out.set(a, args[++i] ?? '')
    } else if (a.startsWith('-') && a.length >= 2) {
      const opt = a.slice(0, 2)
      if (flags.has(opt)) out.set(opt, '')
      else out.set(opt, a.length > 2 ? a.slice(2) : (args[++i] ?? ''))
    }
  }
  return out
}

function passwordFile(path: string, at: string): string {
  try {
    return readFileSync(path, 'utf8').split('\n')[0]!
  } catch (e) {
    throw importError(at, `cannot read the password file ${path} (${(e as NodeJS.ErrnoException).code ?? String(e)})`)
  }
}

/** The BMC of an `ipmitool ... sol activate` or `ipmiconsole` command line, or undefined for any other command. */
export function bmcFromCommand(cmd: string, at: string, notes: string[]): ImportedBmc | undefined {
  const [prog, ...args] = shellWords(cmd)
  const tool = basename(prog ?? '')
  if (tool === 'ipmitool' && args.includes('sol') && args.includes('activate')) {
    const o = options(args, new Set(['-E', '-v', '-c', '-h']))
    if (o.has('-E')) throw importError(at, 'ipmitool -E takes the password from the environment of conserver: give it with --password-env VAR')
    if (o.get('-I') === 'lan') notes.push(`${at}: ipmitool -I lan is IPMI 1.5; bmcvisor speaks IPMI 2.0 (lanplus)`)
    const host = o.get('-H')
    if (host === undefined || host === '') throw importError(at, 'ipmitool command without -H HOST')
    const kg = o.get('-y') ?? (o.has('-k') ? kgHex(o.get('-k')!) : undefined)
    return {
      host: checkHost(host, at),
      username: o.get('-U') ?? '',
      ...(o.has('-P') ? { password: o.get('-P')! } : o.has('-f') ? { password: passwordFile(o.get('-f')!, at) } : {}),
      ...(o.has('-p') ? { port: port(o.get('-p')!, at) } : {}),
      ...(kg !== undefined && kg !== '' ? { kg } : {}),
      ...(o.has('-C') ? optionalSuite(o.get('-C')!, at) : {}),
      ...(o.has('-L') ? { privilege: privilege(o.get('-L')!, at) } : {}),
    }
  }
  if (tool === 'ipmiconsole') {
    const o = options(args, new Set(['--debug', '-D']))
    const host = o.get('-h') ?? o.get('--hostname')
    if (host === undefined || host === '') throw importError(at, 'ipmiconsole command without -h HOST')
    const workaround = o.get('-W') ?? o.get('--workaround-flags')
    const workarounds = workaround === undefined ? [] : importWorkarounds(workaround, at, notes, 'ipmiconsole -W')
    const pass = o.get('-p') ?? o.get('--password')
    const kg = o.get('-k') ?? o.get('--k-g')
    const suite = o.get('-I') ?? o.get('--cipher-suite-id')
    const priv = o.get('-l') ?? o.get('--privilege-level')
    return {
      host: checkHost(host, at),
      username: o.get('-u') ?? o.get('--username') ?? '',
      ...(pass !== undefined ? { password: pass } : {}),
      ...(kg !== undefined && kg !== '' ? { kg: kgHex(kg) } : {}),
      ...(suite !== undefined ? optionalSuite(suite, at) : {}),
      ...(priv !== undefined ? { privilege: privilege(priv, at) } : {}),
      ...(workarounds.length > 0 ? { workarounds } : {}),
    }
  }
  return undefined
}

function optionalSuite(v: string, at: string): { cipherSuite?: number } {
  const s = cipherSuite(v, at)
  return s === undefined ? {} : { cipherSuite: s }
}

/** conserver's K_g escapes: `\\`, `\ooo` (octal), `\c`. */
function kgText(v: string): string {
  return v.replace(/\\([0-7]{1,3}|.)/g, (_, e: string) => (/^[0-7]+$/.test(e) ? String.fromCharCode(parseInt(e, 8)) : e))
}

interface Resolved { settings: Map<string, Item>; groups: string[] }

function resolveBlock(block: Block, defaults: Map<string, Item[]>, withStar: boolean): { items: Item[]; includes: string[] } {
  const items: Item[] = withStar ? [...(defaults.get(ALL_DEFAULTS) ?? [])] : []
  const includes: string[] = []
  for (const item of block.items) {
    if (item.keyword !== 'include') {
      items.push(item)
      continue
    }
    const included = defaults.get(item.value)
    if (included === undefined) throw importError(item.at, `include ${item.value}: no default block of that name is defined before`)
    items.push(...included)
    if (item.value !== ALL_DEFAULTS) includes.push(item.value)
  }
  return { items, includes }
}

function settingsOf(block: Block, defaults: Map<string, Item[]>): Resolved {
  const { items, includes } = resolveBlock(block, defaults, true)
  const settings = new Map<string, Item>()
  for (const item of items) settings.set(item.keyword, item)
  return { settings, groups: [...new Set(includes)] }
}

function nodeOf(block: Block, r: Resolved, notes: string[]): ImportedNode | undefined {
  const get = (k: string) => r.settings.get(k)
  const type = get('type')?.value ?? (get('exec') !== undefined ? 'exec' : '')
  if (type !== '' && !(CONSOLE_TYPES as readonly string[]).includes(type)) {
    throw importError(get('type')!.at, `console ${block.name}: type ${JSON.stringify(type)} is not one of ${CONSOLE_TYPES.join(', ')}${/\s/.test(type) ? ' (a missing ";"?)' : ''}`)
  }
  let bmc: ImportedBmc | undefined
  if (type === 'ipmi') {
    const host = get('host')
    if (host === undefined || host.value === '') throw importError(block.at, `console ${block.name}: type ipmi needs host`)
    const kg = get('ipmikg')?.value
    const suite = get('ipmiciphersuite')
    const workaround = get('ipmiworkaround')
    const workarounds = workaround === undefined ? [] : importWorkarounds(workaround.value, workaround.at, notes, `console ${block.name}: ipmiworkaround`)
    bmc = {
      host: checkHost(host.value, host.at),
      username: get('username')?.value ?? '',
      ...(get('password') !== undefined && get('password')!.value !== '' ? { password: get('password')!.value } : {}),
      ...(kg !== undefined && kg !== '' ? { kg: kgHex(kgText(kg)) } : {}),
      ...(suite !== undefined ? optionalSuite(suite.value, suite.at) : {}),
      ...(get('ipmiprivlevel') !== undefined ? { privilege: privilege(get('ipmiprivlevel')!.value, get('ipmiprivlevel')!.at) } : {}),
      ...(workarounds.length > 0 ? { workarounds } : {}),
    }
  } else if (type === 'exec') {
    const exec = get('exec')
    bmc = exec === undefined ? undefined : bmcFromCommand(exec.value, exec.at, notes)
    if (bmc === undefined) {
      notes.push(`${exec?.at ?? block.at}: console ${block.name}: skipped, its exec command is neither ipmitool ... sol activate nor ipmiconsole`)
      return undefined
    }
  } else {
    notes.push(`${block.at}: console ${block.name}: skipped, type ${type === '' ? '(none)' : type} is not an IPMI console`)
    return undefined
  }
  const logfile = get('logfile')?.value.replace(/&/g, block.name) ?? ''
  const ondemand = (get('options')?.value ?? '').split(',').map((s) => s.trim()).includes('ondemand')
  const logging: Logging = ondemand ? (logfile === '' ? 'none' : 'interactive') : logfile === '' ? 'memory' : 'full'
  if (logfile !== '') notes.push(`${get('logfile')!.at}: console ${block.name}: conserver logged to ${logfile}; bmcvisor logs to consoles/${block.name}.log under its data directory`)
  return { name: checkName(block.name, block.at, 'console name'), bmc, console: { method: 'ipmi', logging }, ...(r.groups.length > 0 ? { groups: r.groups.map((g) => checkName(g, block.at, 'default block (group) name')) } : {}), at: block.at }
}

export function importConserver(file: string): Imported {
  const defaults = new Map<string, Item[]>()
  const nodes: ImportedNode[] = []
  const notes: string[] = []
  for (const block of parseConserver(file)) {
    if (block.type === 'default') defaults.set(block.name, resolveBlock(block, defaults, false).items)
    else if (block.type === 'console') {
      const node = nodeOf(block, settingsOf(block, defaults), notes)
      if (node !== undefined) nodes.push(node)
    }
  }
  return { nodes, notes }
}

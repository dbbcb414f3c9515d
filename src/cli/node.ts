/**
 * `bmcvisor node add|list|show|set|rm|import` against a running server
 * (BMCVISOR_URL, BMCVISOR_TOKEN). Passwords come from the environment
 * (--password-env VAR, or -E for IPMI_PASSWORD) or -P, never echoed back.
 * `set` takes KEY=VALUE pairs and sends them as one JSON merge patch
 * (`bmc.port=624 groups=rack1,rack2 bmc.kg=` where an empty value removes).
 * `import [--from yaml|conserver|confluent|csv] FILE` shows what it would
 * create or change (src/cli/import/); `--apply` writes it.
 * `show` prints the node's BMC profile too (GET nodes/{node}/bmc/profile);
 * `reset-profile` forgets what was learned. `--workarounds a,b` (add, set)
 * takes src/session/profile.ts names; unknown ones are refused here already,
 * names that change nothing in bmcvisor are accepted with a note.
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { CONFIGURED_PROTOCOLS, CONSOLE_METHODS, DEFAULT_IPMI_PORT, DEFAULT_SSH_PORT } from '../bridge/messages.js'
import { ServiceError } from '../errors.js'
import type { NodeView } from '../api/schemas.js'
import type { ProfileView } from '../api/routes/profile.js'
import { parseWorkarounds, WORKAROUND_NAMES } from '../session/profile.js'
import { clientFromEnv, seg, type ApiClient } from './client.js'
import { reportError } from './errors-out.js'
import { applyPlan, describePlan, planImport, readImport } from './import/plan.js'
import { IMPORT_FORMATS, type ImportFormat } from './import/types.js'

export const NODE_USAGE = `usage: bmcvisor node add NAME --host HOST [--port P] --user USER (--password-env VAR | -E | -P PASS)
                        [--kg-hex HEX] [--cipher N] [--priv administrator|operator|user] [--group G]...
                        [--console ${CONSOLE_METHODS.join('|')}] [--console-command CMD] [--connected-pattern RE] [--logging full|memory|interactive|none]
                        [--console-host HOST] [--console-port N] [--host-key SHA256:...]   (ssh consoles)
                        [--protocol ${CONFIGURED_PROTOCOLS.join('|')}] [--ipmi-port N] [--tls verify|pin|insecure] [--fingerprint SHA256] [--ca-file PEM] [--system ID]
                        [--workarounds NAME[,NAME]] (FreeIPMI -W names and ours: docs/quirks.md)
       bmcvisor node list [--group G] [--json]
       bmcvisor node show NAME [--json]      (with the BMC profile: workarounds learned and configured)
       bmcvisor node set NAME KEY=VALUE... [--password-env VAR] [--workarounds NAME[,NAME]]   (keys: bmc.host bmc.port bmc.username bmc.kg
                        bmc.cipherSuite bmc.privilege bmc.workarounds bmc.protocol bmc.ipmiPort bmc.systemId bmc.tls.mode bmc.tls.fingerprint console.method
                        console.command console.connectedPattern console.host console.port console.hostKey console.logging groups; empty value removes)
       bmcvisor node reset-profile NAME      (forget what was learned about the BMC; it is learned again)
       bmcvisor node rm NAME
       bmcvisor node import [--from ${IMPORT_FORMATS.join('|')}] FILE [--apply] [--password-env VAR] [--set-passwords]
                        (default yaml: YAML or JSON, a list of nodes or { nodes: [...] }; conserver: conserver.cf;
                        confluent: nodeattrib output or JSON; csv: a header line of columns. Shows what would change;
                        --apply writes it; --password-env gives entries without a password one)`

const OPTIONS = {
  host: { type: 'string' },
  port: { type: 'string' },
  user: { type: 'string', short: 'U' },
  password: { type: 'string', short: 'P' },
  'password-env': { type: 'string' },
  'password-from-env': { type: 'boolean', short: 'E' },
  'kg-hex': { type: 'string' },
  cipher: { type: 'string', short: 'C' },
  priv: { type: 'string' },
  group: { type: 'string', multiple: true },
  console: { type: 'string' },
  'console-command': { type: 'string' },
  'console-host': { type: 'string' },
  'console-port': { type: 'string' },
  'host-key': { type: 'string' },
  'connected-pattern': { type: 'string' },
  logging: { type: 'string' },
  protocol: { type: 'string' },
  'ipmi-port': { type: 'string' },
  tls: { type: 'string' },
  fingerprint: { type: 'string' },
  'ca-file': { type: 'string' },
  system: { type: 'string' },
  workarounds: { type: 'string', short: 'W' },
  json: { type: 'boolean' },
  from: { type: 'string' },
  apply: { type: 'boolean' },
  'set-passwords': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const

type Opts = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values']
export interface NodeIo { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream; env: NodeJS.ProcessEnv }

function invalid(message: string, field: string): ServiceError {
  return new ServiceError('VALIDATION_FAILED', message, { details: { field } })
}

function int(v: string | undefined, field: string): number | undefined {
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isInteger(n)) throw invalid(`${field} must be an integer`, field)
  return n
}

function password(o: Opts, env: NodeJS.ProcessEnv): string | undefined {
  if (o['password-env'] !== undefined) {
    const v = env[o['password-env']]
    if (v === undefined) throw invalid(`environment variable ${o['password-env']} is not set`, 'password-env')
    return v
  }
  if (o['password-from-env'] === true) {
    if (env.IPMI_PASSWORD === undefined) throw invalid('IPMI_PASSWORD is not set', 'password')
    return env.IPMI_PASSWORD
  }
  return o.password
}

/** A comma separated workaround list: unknown names are VALIDATION_FAILED naming `field`; FreeIPMI's "none" is an empty list. */
export function workaroundList(raw: string, field: string, notes?: NodeJS.WritableStream): string[] {
  const p = parseWorkarounds(raw)
  if (p.unknown.length > 0) throw invalid(`unknown workaround ${p.unknown.join(', ')} (known: ${WORKAROUND_NAMES.join(', ')})`, field)
  if (p.noEffect.length > 0) notes?.write(`note: workaround ${p.noEffect.join(', ')}: no effect in bmcvisor (see docs/quirks.md)\n`)
  return p.names
}

function groups(list: string[] | undefined): string[] | undefined {
  return list?.flatMap((g) => g.split(',')).map((g) => g.trim()).filter((g) => g !== '')
}

export function nodeFromOptions(name: string, o: Opts, env: NodeJS.ProcessEnv, notes?: NodeJS.WritableStream): Record<string, unknown> {
  if (o.host === undefined) throw invalid('--host is required', 'host')
  if (o.user === undefined) throw invalid('--user is required', 'user')
  const pass = password(o, env)
  if (pass === undefined) throw invalid('a password is required (--password-env VAR, -E or -P)', 'password')
  const bmc: Record<string, unknown> = { host: o.host, username: o.user, password: pass }
  if (o.port !== undefined) bmc.port = int(o.port, 'port')
  if (o['kg-hex'] !== undefined) bmc.kg = o['kg-hex']
  if (o.cipher !== undefined) bmc.cipherSuite = int(o.cipher, 'cipher')
  if (o.priv !== undefined) bmc.privilege = o.priv
  if (o.protocol !== undefined) bmc.protocol = o.protocol
  if (o['ipmi-port'] !== undefined) bmc.ipmiPort = int(o['ipmi-port'], 'ipmi-port')
  if (o.system !== undefined) bmc.systemId = o.system
  const tls = tlsFromOptions(o)
  if (tls !== undefined) bmc.tls = tls
  if (o.workarounds !== undefined) bmc.workarounds = workaroundList(o.workarounds, 'workarounds', notes)
  const console: Record<string, unknown> = {}
  if (o.console !== undefined) console.method = o.console
  if (o['console-command'] !== undefined) console.command = o['console-command']
  if (o['connected-pattern'] !== undefined) console.connectedPattern = o['connected-pattern']
  if (o['console-host'] !== undefined) console.host = o['console-host']
  if (o['console-port'] !== undefined) console.port = int(o['console-port'], 'console-port')
  if (o['host-key'] !== undefined) console.hostKey = o['host-key']
  if (o.logging !== undefined) console.logging = o.logging
  return { name, bmc, ...(Object.keys(console).length > 0 ? { console } : {}), ...(o.group !== undefined ? { groups: groups(o.group) } : {}) }
}

/** `--tls MODE [--fingerprint SHA256] [--ca-file PEM]`: a Redfish node's certificate trust (the server checks the rest). */
function tlsFromOptions(o: Opts): Record<string, unknown> | undefined {
  if (o.tls === undefined) {
    if (o.fingerprint !== undefined || o['ca-file'] !== undefined) throw invalid('--fingerprint and --ca-file go with --tls pin or --tls verify', 'tls')
    return undefined
  }
  const tls: Record<string, unknown> = { mode: o.tls }
  if (o.fingerprint !== undefined) tls.fingerprint = o.fingerprint
  if (o['ca-file'] !== undefined) {
    try {
      tls.ca = readFileSync(o['ca-file'], 'utf8')
    } catch (e) {
      throw invalid(`--ca-file ${o['ca-file']}: ${(e as NodeJS.ErrnoException).code ?? 'unreadable'}`, 'ca-file')
    }
  }
  return tls
}

const NUMERIC = new Set(['bmc.port', 'bmc.ipmiPort', 'bmc.cipherSuite', 'console.port'])
const SETTABLE = new Set([
  'bmc.host', 'bmc.port', 'bmc.username', 'bmc.kg', 'bmc.cipherSuite', 'bmc.privilege', 'bmc.workarounds', 'bmc.protocol', 'bmc.ipmiPort', 'bmc.systemId', 'bmc.tls.mode', 'bmc.tls.fingerprint',
  'console.method', 'console.command', 'console.connectedPattern', 'console.host', 'console.port', 'console.hostKey', 'console.logging', 'groups',
])

/** KEY=VALUE pairs as one merge patch. */
export function patchFromPairs(pairs: string[]): Record<string, unknown> {
  const patch: Record<string, Record<string, unknown> | unknown> = {}
  for (const pair of pairs) {
    const eq = pair.indexOf('=')
    if (eq <= 0) throw invalid(`expected KEY=VALUE, got ${pair}`, 'set')
    const key = pair.slice(0, eq)
    const raw = pair.slice(eq + 1)
    if (key === 'bmc.password') throw invalid('set the password with --password-env VAR (never on the command line)', 'bmc.password')
    if (!SETTABLE.has(key)) throw invalid(`unknown key ${key}`, key)
    const value = raw === '' ? null : key === 'groups' ? groups([raw]) : key === 'bmc.workarounds' ? workaroundList(raw, key) : NUMERIC.has(key) ? int(raw, key) : raw
    const [head, leaf, sub] = key.split('.') as [string, string | undefined, string | undefined]
    if (leaf === undefined) patch[head] = value
    else if (sub === undefined) patch[head] = { ...((patch[head] ?? {}) as Record<string, unknown>), [leaf]: value }
    else {
      const outer = (patch[head] ?? {}) as Record<string, unknown>
      patch[head] = { ...outer, [leaf]: { ...((outer[leaf] ?? {}) as Record<string, unknown>), [sub]: value } }
    }
  }
  return patch
}

function table(nodes: NodeView[]): string {
  const rows = [['NAME', 'BMC', 'USER', 'SUITE', 'CONSOLE', 'GROUPS'], ...nodes.map((n) => [
    n.name, `${n.bmc.host}:${n.bmc.port}`, n.bmc.username, n.bmc.cipherSuite === undefined ? 'auto' : String(n.bmc.cipherSuite), `${n.console.method}/${n.console.logging}`, n.groups.join(','),
  ])]
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n')
}

/** An ssh console's server and pin, as `show` prints them. */
function sshShown(c: NodeView['console']): string {
  if (c.method !== 'ssh') return ''
  const at = `${c.host ?? 'bmc host'}:${c.port ?? DEFAULT_SSH_PORT}`
  return `, ssh ${at}, host key ${c.hostKey ?? 'not pinned yet (trusted on first use)'}`
}

/** The profile lines of `node show`: one per entry, learned ones with when and what was seen. */
export function showProfile(p: ProfileView): string[] {
  if (p.entries.length === 0) return ['profile:   - (nothing learned or configured)']
  const lines = [`profile:   ${p.entries.length} entr${p.entries.length === 1 ? 'y' : 'ies'}${p.cipherSuite !== null ? `, cipher suite ${p.cipherSuite} known` : ''}`]
  for (const e of p.entries) {
    const flags = [e.source, ...(e.relaxesSecurity ? ['relaxes security'] : []), ...(e.effective ? [] : ['no effect in bmcvisor'])].join(', ')
    lines.push(`  ${e.name} (${flags})${e.learnedAt !== undefined ? ` since ${e.learnedAt}` : ''}`)
    if (e.detail !== undefined) lines.push(`    seen:    ${e.detail}`)
    lines.push(`    changes: ${e.changes}`)
  }
  return lines
}

function show(n: NodeView, p: ProfileView): string {
  return [
    `name:      ${n.name}`,
    n.bmc.protocol === 'auto'
      ? `bmc:       ${n.bmc.username}@${n.bmc.host}:${n.bmc.port} (auto: ${n.bmc.learnedProtocol ?? 'not probed yet'}; else IPMI at port ${n.bmc.ipmiPort ?? DEFAULT_IPMI_PORT}, tls ${n.bmc.tls?.mode ?? 'verify'})`
      : n.bmc.protocol === 'redfish'
      ? `bmc:       ${n.bmc.username}@${n.bmc.host}:${n.bmc.port} (redfish, tls ${n.bmc.tls?.mode ?? 'verify'}${n.bmc.tls?.fingerprint !== undefined ? ` ${n.bmc.tls.fingerprint}` : ''}${n.bmc.systemId !== undefined ? `, system ${n.bmc.systemId}` : ''})`
      : `bmc:       ${n.bmc.username}@${n.bmc.host}:${n.bmc.port} (cipher suite ${n.bmc.cipherSuite ?? 'negotiated'}, ${n.bmc.privilege}${n.bmc.kgSet ? ', K_G set' : ''})`,
    `console:   ${n.console.method}, logging ${n.console.logging}${n.console.command !== undefined ? `, command ${n.console.command}` : ''}${sshShown(n.console)}`,
    `groups:    ${n.groups.join(', ') || '-'}`,
    `revision:  ${n.revision} (updated ${n.updatedAt})`,
    ...showProfile(p),
  ].join('\n')
}

async function importNodes(c: ApiClient, file: string, o: Opts, io: NodeIo): Promise<number> {
  const from = o.from ?? 'yaml'
  if (!(IMPORT_FORMATS as readonly string[]).includes(from)) throw invalid(`--from takes ${IMPORT_FORMATS.join(', ')}`, 'from')
  const imported = readImport(from as ImportFormat, file)
  const steps = await planImport(c, imported, { defaultPassword: password(o, io.env), setPasswords: o['set-passwords'] === true })
  io.stdout.write(describePlan(steps, imported.notes, o.apply === true))
  if (o.apply !== true) return 0
  return (await applyPlan(c, steps, io.stdout)) === 0 ? 0 : 1
}

export async function nodeCommand(argv: string[], io: NodeIo, client?: ApiClient): Promise<number> {
  try {
    const { values: o, positionals: [sub, name, ...rest] } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true })
    if (o.help === true || sub === undefined) {
      io.stdout.write(NODE_USAGE + '\n')
      return o.help === true ? 0 : 2
    }
    const needName = () => {
      if (name === undefined) throw invalid(`node ${sub} needs a NAME`, 'name')
      return name
    }
    const c = client ?? clientFromEnv(io.env)
    switch (sub) {
      case 'add': {
        const n = await c.request<NodeView>('POST', '/nodes', nodeFromOptions(needName(), o, io.env, io.stderr))
        io.stdout.write(o.json === true ? JSON.stringify(n, null, 2) + '\n' : `${n.name}: added\n`)
        return 0
      }
      case 'list': {
        const { nodes } = await c.request<{ nodes: NodeView[] }>('GET', `/nodes${o.group?.[0] !== undefined ? `?group=${seg(o.group[0])}` : ''}`)
        io.stdout.write((o.json === true ? JSON.stringify(nodes, null, 2) : table(nodes)) + '\n')
        return 0
      }
      case 'show': {
        const n = await c.request<NodeView>('GET', `/nodes/${seg(needName())}`)
        const p = await c.request<ProfileView>('GET', `/nodes/${seg(needName())}/bmc/profile`)
        io.stdout.write((o.json === true ? JSON.stringify({ ...n, profile: p }, null, 2) : show(n, p)) + '\n')
        return 0
      }
      case 'reset-profile':
        await c.request('DELETE', `/nodes/${seg(needName())}/bmc/profile`)
        io.stdout.write(`${name}: BMC profile reset\n`)
        return 0
      case 'set': {
        const patch = patchFromPairs(rest)
        if (o.workarounds !== undefined) patch.bmc = { ...((patch.bmc ?? {}) as object), workarounds: workaroundList(o.workarounds, 'workarounds', io.stderr) }
        const pass = password(o, io.env)
        if (pass !== undefined) patch.bmc = { ...((patch.bmc ?? {}) as object), password: pass }
        if (Object.keys(patch).length === 0) throw invalid('node set needs KEY=VALUE pairs or --password-env', 'set')
        const n = await c.request<NodeView>('PATCH', `/nodes/${seg(needName())}`, patch)
        io.stdout.write(o.json === true ? JSON.stringify(n, null, 2) + '\n' : `${n.name}: revision ${n.revision}\n`)
        return 0
      }
      case 'rm':
        await c.request('DELETE', `/nodes/${seg(needName())}`)
        io.stdout.write(`${name}: removed\n`)
        return 0
      case 'import':
        return await importNodes(c, needName(), o, io)
      default:
        throw invalid(`unknown node command ${sub}`, 'command')
    }
  } catch (e) {
    return reportError(e, io.stderr)
  }
}

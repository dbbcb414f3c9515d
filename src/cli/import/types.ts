/**
 * What every importer (conserver.cf, a confluent export, CSV, our own YAML
 * or JSON) produces: nodes in the shape of POST /nodes, each with the line it
 * came from, and notes (entries skipped or settings without an equivalent).
 * A line that cannot be used throws IMPORT_INVALID naming file and line.
 */
import { ServiceError } from '../../errors.js'
import { NAME_PATTERN, type NodeCreate } from '../../api/schemas.js'

export type ImportedBmc = Omit<NodeCreate['bmc'], 'password'> & { password?: string }
export interface ImportedNode {
  name: string
  /** Every importer but YAML gives it; a YAML entry for an existing node may leave it out. */
  bmc?: ImportedBmc
  console?: NonNullable<NodeCreate['console']>
  groups?: string[]
  /** Where it was defined (`file:line`). */
  at: string
}

export interface Imported {
  nodes: ImportedNode[]
  /** `file:line: ...` lines shown with the plan. */
  notes: string[]
}

export const IMPORT_FORMATS = ['yaml', 'conserver', 'confluent', 'csv'] as const
export type ImportFormat = (typeof IMPORT_FORMATS)[number]

export type Privilege = NonNullable<ImportedBmc['privilege']>
export type Logging = NonNullable<NonNullable<NodeCreate['console']>['logging']>

const NAME = new RegExp(NAME_PATTERN)

export function importError(at: string, problem: string): ServiceError {
  return new ServiceError('IMPORT_INVALID', `${at}: ${problem}`, { details: { at } })
}

export function checkName(name: string, at: string, what = 'node name'): string {
  if (!NAME.test(name)) throw importError(at, `${what} ${JSON.stringify(name)} is not a bmcvisor name (letters, digits, ".", "_", "-"; 1 to 63 characters)`)
  return name
}

/** A K_G given as text (conserver's ipmikg, ipmitool -k) as the hex the API takes. */
export function kgHex(text: string): string {
  return Buffer.from(text, 'latin1').toString('hex')
}

export function cipherSuite(v: string, at: string): number | undefined {
  const n = Number(v)
  if (!Number.isInteger(n) || n < -1 || n > 17) throw importError(at, `cipher suite ${JSON.stringify(v)} is not one from 1 to 17`)
  if (n === 0) throw importError(at, 'cipher suite 0 (no authentication) is refused by bmcvisor')
  return n === -1 ? undefined : n
}

const PRIVILEGES: Record<string, Privilege> = { admin: 'administrator', administrator: 'administrator', operator: 'operator', user: 'user' }
export function privilege(v: string, at: string): Privilege {
  const p = PRIVILEGES[v.toLowerCase()]
  if (p === undefined) throw importError(at, `privilege ${JSON.stringify(v)} is not one of ${Object.keys(PRIVILEGES).join(', ')}`)
  return p
}

export function port(v: string, at: string): number {
  const n = Number(v)
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw importError(at, `port ${JSON.stringify(v)} is not one from 1 to 65535`)
  return n
}

export const LOGGINGS: readonly Logging[] = ['full', 'memory', 'interactive', 'none']
export function logging(v: string, at: string): Logging {
  const l = LOGGINGS.find((x) => x === v)
  if (l === undefined) throw importError(at, `console logging ${JSON.stringify(v)} is not one of ${LOGGINGS.join(', ')}`)
  return l
}

export function groupList(v: string, at: string): string[] {
  return [...new Set(v.split(/[\s,;]+/).filter((g) => g !== ''))].map((g) => checkName(g, at, 'group name'))
}

const HOST = /^[A-Za-z0-9:._[\]%-]{1,253}$/
export function host(v: string, at: string): string {
  if (!HOST.test(v)) throw importError(at, `host ${JSON.stringify(v)} is not a host name or address${/\s/.test(v) ? ' (a missing ";"?)' : ''}`)
  return v
}

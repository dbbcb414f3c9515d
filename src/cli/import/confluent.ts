/**
 * Nodes from a confluent export of node attributes, in either form:
 * - the text `nodeattrib NODERANGE all` (or a list of attributes) prints,
 *   one `node: attribute: value` per line (`--blame` annotations are
 *   dropped);
 * - JSON, `{ "n1": { "attribute": value or { "value": value } } }` (also under
 *   a top-level "nodes"), as the REST API and confluentdbutil give them.
 * hardwaremanagement.manager is the BMC (a /prefix suffix is dropped);
 * secret.hardwaremanagementuser and secret.hardwaremanagementpassword its
 * credentials (a masked or encrypted password counts as absent: give it
 * with --password-env); secret.ipmikg its K_G; console.method ipmi and
 * console.logging the console (no console.method: logging none, connected
 * only while someone watches); groups the groups.
 */
import { readFileSync } from 'node:fs'
import { LineCounter, isMap, isScalar, parseDocument } from 'yaml'
import { checkName, groupList, host, importError, kgHex, logging, type Imported, type ImportedNode } from './types.js'

const MASKED = /^\*+$/
const BLAME = /\s+\((?:inherited from group [^)]*|will derive from expression .*)\)$/

type Attrs = Map<string, string | undefined>

function toNode(name: string, attrs: Attrs, at: string, notes: string[]): ImportedNode | undefined {
  const a = (k: string) => attrs.get(k)
  const manager = a('hardwaremanagement.manager')
  if (manager === undefined || manager === '') {
    notes.push(`${at}: node ${name}: skipped, no hardwaremanagement.manager`)
    return undefined
  }
  const method = a('hardwaremanagement.method')
  if (method !== undefined && method !== '' && method !== 'ipmi') notes.push(`${at}: node ${name}: hardwaremanagement.method ${method}; bmcvisor manages it over IPMI`)
  const consoleMethod = a('console.method') ?? ''
  if (consoleMethod !== '' && consoleMethod !== 'ipmi') notes.push(`${at}: node ${name}: console.method ${consoleMethod}; bmcvisor uses IPMI Serial-over-LAN`)
  const password = a('secret.hardwaremanagementpassword')
  const kg = a('secret.ipmikg')
  const groups = a('groups')
  const log = a('console.logging')
  const logged = log === undefined || log === '' ? 'full' : logging(log, at)
  return {
    name: checkName(name, at),
    bmc: {
      host: host(manager.replace(/\/\d+$/, ''), at),
      username: a('secret.hardwaremanagementuser') ?? '',
      ...(password !== undefined && password !== '' && !MASKED.test(password) ? { password } : {}),
      ...(kg !== undefined && kg !== '' && !MASKED.test(kg) ? { kg: kgHex(kg) } : {}),
    },
    console: { method: 'ipmi', logging: consoleMethod === '' ? 'none' : logged },
    ...(groups !== undefined && groups !== '' ? { groups: groupList(groups, at) } : {}),
    at,
  }
}

function fromText(file: string, text: string, notes: string[]): ImportedNode[] {
  const byNode = new Map<string, { at: string; attrs: Attrs }>()
  text.split('\n').forEach((raw, i) => {
    const line = raw.trimEnd()
    const at = `${file}:${i + 1}`
    if (line.trim() === '' || line.trimStart().startsWith('#')) return
    const m = /^([^:\s]+): ([^:\s]+):(?: (.*))?$/.exec(line)
    if (m === null) throw importError(at, 'expected "node: attribute: value" (as nodeattrib prints)')
    const [, node, attr, value] = m as unknown as [string, string, string, string | undefined]
    const entry = byNode.get(node) ?? { at, attrs: new Map() }
    entry.attrs.set(attr, (value ?? '').replace(BLAME, '').trim())
    byNode.set(node, entry)
  })
  return [...byNode].flatMap(([name, e]) => toNode(name, e.attrs, e.at, notes) ?? [])
}

function fromJson(file: string, text: string, notes: string[]): ImportedNode[] {
  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines })
  const bad = doc.errors[0]
  if (bad !== undefined) throw importError(`${file}:${lines.linePos(bad.pos[0]).line}`, `not JSON: ${bad.message.split('\n')[0]}`)
  let root = doc.contents
  if (isMap(root) && root.items.length === 1 && isScalar(root.items[0]!.key) && root.items[0]!.key.value === 'nodes') root = root.items[0]!.value as typeof root
  if (!isMap(root)) throw importError(`${file}:1`, 'expected an object of nodes and their attributes')
  return root.items.flatMap((pair) => {
    const key = pair.key as { value?: unknown; range?: [number, number, number] } | null
    const at = `${file}:${lines.linePos(key?.range?.[0] ?? 0).line}`
    const name = String(key?.value)
    const value: unknown = (pair.value as { toJSON?: () => unknown } | null)?.toJSON?.()
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw importError(at, `node ${name}: expected an object of attributes`)
    const attrs: Attrs = new Map()
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const inner = v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as { value?: unknown }).value : v
      attrs.set(k, Array.isArray(inner) ? inner.join(',') : inner === undefined || inner === null ? undefined : String(inner))
    }
    return toNode(name, attrs, at, notes) ?? []
  })
}

export function importConfluent(file: string): Imported {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (e) {
    throw importError(file, `cannot read the file (${(e as NodeJS.ErrnoException).code ?? String(e)})`)
  }
  const notes: string[] = []
  const nodes = text.trimStart().startsWith('{') ? fromJson(file, text, notes) : fromText(file, text, notes)
  return { nodes, notes }
}

/**
 * `bmcvisor node import [--from FORMAT] FILE [--apply]`: what an import would
 * change on the running server, then (with --apply) the change. A node not on
 * the server is created; one that is gets a merge patch of the fields that
 * differ; fields the file does not give are left alone. Passwords and K_G
 * are write-only, so they cannot be compared: an existing node gets them
 * only with --set-passwords (a K_G also when it has none). Secrets are never
 * printed. Importing the same file again plans no change.
 */
import type { NodeView } from '../../api/schemas.js'
import { assertNever } from '../../bridge/messages.js'
import { toWire } from '../../errors.js'
import { seg, type ApiClient } from '../client.js'
import { importConfluent } from './confluent.js'
import { importConserver } from './conserver.js'
import { importCsv } from './csv.js'
import { importYaml } from './yaml.js'
import { importError, type Imported, type ImportFormat, type ImportedNode } from './types.js'

/** The fields an import compares, as dotted paths into a node. */
const COMPARED = ['bmc.host', 'bmc.port', 'bmc.username', 'bmc.cipherSuite', 'bmc.privilege', 'bmc.workarounds', 'console.method', 'console.command', 'console.connectedPattern', 'console.logging', 'groups'] as const
const SECRET = '(not shown)'

export function readImport(format: ImportFormat, file: string): Imported {
  switch (format) {
    case 'yaml': return importYaml(file)
    case 'conserver': return importConserver(file)
    case 'confluent': return importConfluent(file)
    case 'csv': return importCsv(file)
    default: return assertNever(format)
  }
}

export interface Step {
  name: string
  at: string
  action: 'create' | 'update' | 'unchanged'
  /** Human-readable changes, secrets as SECRET. */
  changes: string[]
  /** The POST body or the PATCH merge patch. */
  body: Record<string, unknown>
}

export interface PlanOptions {
  /** For entries without one (a masked confluent export, ipmitool -E). */
  defaultPassword?: string | undefined
  setPasswords?: boolean
}

function get(o: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), o)
}

function set(o: Record<string, unknown>, path: string, value: unknown): void {
  const [head, leaf] = path.split('.') as [string, string | undefined]
  if (leaf === undefined) o[head] = value
  else o[head] = { ...((o[head] as Record<string, unknown> | undefined) ?? {}), [leaf]: value }
}

const show = (v: unknown) => (Array.isArray(v) ? v.join(',') : String(v))
const same = (a: unknown, b: unknown) => (Array.isArray(a) && Array.isArray(b) ? [...a].sort().join('\n') === [...b].sort().join('\n') : a === b)

function stepFor(n: ImportedNode, existing: NodeView | undefined, o: PlanOptions): Step {
  const password = n.bmc?.password ?? o.defaultPassword
  if (existing === undefined) {
    if (n.bmc === undefined) throw importError(n.at, `node ${n.name}: not on the server, and the entry has no bmc`)
    if (password === undefined) throw importError(n.at, `node ${n.name}: no password (the file has none: give one with --password-env VAR)`)
    const body: Record<string, unknown> = { name: n.name, bmc: { ...n.bmc, password }, ...(n.console !== undefined ? { console: n.console } : {}), ...(n.groups !== undefined ? { groups: n.groups } : {}) }
    const changes = COMPARED.filter((p) => get(body, p) !== undefined).map((p) => `${p}=${show(get(body, p))}`)
    changes.push(`bmc.password=${SECRET}`, ...(n.bmc.kg !== undefined ? [`bmc.kg=${SECRET}`] : []))
    return { name: n.name, at: n.at, action: 'create', changes, body }
  }
  const patch: Record<string, unknown> = {}
  const changes: string[] = []
  for (const p of COMPARED) {
    const want = get(n, p)
    if (want === undefined || same(want, get(existing, p))) continue
    set(patch, p, want)
    changes.push(`${p} ${show(get(existing, p) ?? '(none)')} -> ${show(want)}`)
  }
  if (o.setPasswords === true && password !== undefined) {
    set(patch, 'bmc.password', password)
    changes.push(`bmc.password -> ${SECRET}`)
  }
  const kg = n.bmc?.kg
  if (kg !== undefined && kg !== null && (o.setPasswords === true || !existing.bmc.kgSet)) {
    set(patch, 'bmc.kg', kg)
    changes.push(`bmc.kg -> ${SECRET}`)
  }
  return { name: n.name, at: n.at, action: changes.length === 0 ? 'unchanged' : 'update', changes, body: patch }
}

export async function planImport(c: ApiClient, imported: Imported, o: PlanOptions): Promise<Step[]> {
  const seen = new Map<string, string>()
  for (const n of imported.nodes) {
    const first = seen.get(n.name)
    if (first !== undefined) throw importError(n.at, `node ${n.name} is defined twice (first at ${first})`)
    seen.set(n.name, n.at)
  }
  const { nodes } = await c.request<{ nodes: NodeView[] }>('GET', '/nodes')
  const byName = new Map(nodes.map((n) => [n.name, n]))
  return imported.nodes.map((n) => stepFor(n, byName.get(n.name), o))
}

export function describePlan(steps: Step[], notes: string[], applying: boolean): string {
  const lines = steps.map((s) => `${s.action} ${s.name} (${s.at})${s.changes.length > 0 ? `: ${s.changes.join(', ')}` : ''}`)
  const count = (a: Step['action']) => steps.filter((s) => s.action === a).length
  const summary = `${count('create')} to create, ${count('update')} to update, ${count('unchanged')} unchanged`
  return [...lines, ...notes.map((n) => `note: ${n}`), applying ? summary : `dry run: ${summary}; --apply writes them`].join('\n') + '\n'
}

/** Writes the steps; returns how many failed (each printed with its code). */
export async function applyPlan(c: ApiClient, steps: Step[], out: NodeJS.WritableStream): Promise<number> {
  let failed = 0
  for (const s of steps) {
    if (s.action === 'unchanged') continue
    try {
      if (s.action === 'create') await c.request('POST', '/nodes', s.body)
      else await c.request('PATCH', `/nodes/${seg(s.name)}`, s.body)
      out.write(`${s.name}: ${s.action === 'create' ? 'created' : 'updated'}\n`)
    } catch (e) {
      failed++
      const w = toWire(e)
      out.write(`${s.name}: ${w.code}: ${w.message}\n`)
    }
  }
  return failed
}

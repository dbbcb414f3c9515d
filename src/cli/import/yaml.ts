/**
 * Nodes from our own YAML or JSON: a list of nodes, or `{ nodes: [...] }`,
 * each in the shape of POST /nodes (for an existing node, only the fields
 * that change).
 */
import { readFileSync } from 'node:fs'
import { LineCounter, isMap, isSeq, parseDocument } from 'yaml'
import { checkName, importError, type Imported, type ImportedNode } from './types.js'

export function importYaml(file: string): Imported {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (e) {
    throw importError(file, `cannot read the file (${(e as NodeJS.ErrnoException).code ?? String(e)})`)
  }
  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines }) // YAML 1.2 is a superset of JSON
  const lineOf = (offset: number | undefined) => `${file}:${lines.linePos(offset ?? 0).line}`
  const bad = doc.errors[0]
  if (bad !== undefined) throw importError(lineOf(bad.pos[0]), `neither YAML nor JSON: ${bad.message.split('\n')[0]}`)
  const root: unknown = doc.contents
  const list: unknown = isMap(root) ? root.get('nodes', true) : root
  if (!isSeq(list)) throw importError(lineOf(0), 'must hold a list of nodes or { nodes: [...] }')
  const nodes = list.items.map((item): ImportedNode => {
    const at = lineOf((item as { range?: [number, number, number] } | null)?.range?.[0])
    const n: unknown = (item as { toJSON?: () => unknown } | null)?.toJSON?.()
    if (n === null || typeof n !== 'object' || typeof (n as { name?: unknown }).name !== 'string') throw importError(at, 'entry has no name')
    const { name, ...rest } = n as Record<string, unknown> & { name: string }
    return { ...(rest as Omit<ImportedNode, 'name' | 'at'>), name: checkName(name, at), at }
  })
  return { nodes, notes: [] }
}

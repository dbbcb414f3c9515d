/**
 * Nodes from CSV: a header line naming the columns, then one node per line.
 * Columns: name, host, username (required), password, port, kg (hex),
 * cipher, privilege, logging, groups (separated by spaces, commas or
 * semicolons, in a quoted field for commas). Fields follow RFC 4180: double
 * quotes around a field, "" for a quote inside one.
 */
import { readFileSync } from 'node:fs'
import { checkName, cipherSuite, groupList, host, importError, logging, port, privilege, type Imported, type ImportedNode } from './types.js'

export const CSV_COLUMNS = ['name', 'host', 'username', 'password', 'port', 'kg', 'cipher', 'privilege', 'logging', 'groups'] as const
const REQUIRED = ['name', 'host', 'username'] as const
type Column = (typeof CSV_COLUMNS)[number]

/** Records with the line each starts on (a quoted field may hold a newline). */
export function csvRecords(text: string, file: string): { fields: string[]; line: number }[] {
  const out: { fields: string[]; line: number }[] = []
  let fields: string[] = []
  let field = ''
  let quoted = false
  let line = 1
  let start = 1
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++ } else if (c === '"') quoted = false
      else { if (c === '\n') line++; field += c }
    } else if (c === '"' && field === '') quoted = true
    else if (c === ',') { fields.push(field); field = '' } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++
      fields.push(field)
      if (fields.some((f) => f !== '')) out.push({ fields, line: start })
      fields = []
      field = ''
      start = ++line
    } else field += c
  }
  if (quoted) throw importError(`${file}:${start}`, 'a quoted field is not closed')
  fields.push(field)
  if (fields.some((f) => f !== '')) out.push({ fields, line: start })
  return out
}

export function importCsv(file: string): Imported {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (e) {
    throw importError(file, `cannot read the file (${(e as NodeJS.ErrnoException).code ?? String(e)})`)
  }
  const [header, ...rows] = csvRecords(text, file)
  if (header === undefined) return { nodes: [], notes: [] }
  const cols = header.fields.map((h) => h.trim().toLowerCase())
  for (const c of cols) if (!(CSV_COLUMNS as readonly string[]).includes(c)) throw importError(`${file}:${header.line}`, `unknown column ${JSON.stringify(c)} (columns: ${CSV_COLUMNS.join(', ')})`)
  for (const c of REQUIRED) if (!cols.includes(c)) throw importError(`${file}:${header.line}`, `no ${c} column (required: ${REQUIRED.join(', ')})`)
  const nodes = rows.map(({ fields, line }): ImportedNode => {
    const at = `${file}:${line}`
    if (fields.length !== cols.length) throw importError(at, `${fields.length} fields where the header has ${cols.length}`)
    const f = new Map(cols.map((c, i) => [c as Column, fields[i]!.trim()]))
    const v = (c: Column) => (f.get(c) === '' ? undefined : f.get(c))
    if (v('host') === undefined) throw importError(at, 'no host')
    const kg = v('kg')
    if (kg !== undefined && !/^([0-9a-fA-F]{2}){1,20}$/.test(kg)) throw importError(at, 'kg must be 1 to 20 bytes in hex')
    const suite = v('cipher') === undefined ? undefined : cipherSuite(v('cipher')!, at)
    return {
      name: checkName(f.get('name') ?? '', at),
      bmc: {
        host: host(v('host')!, at),
        username: f.get('username') ?? '',
        ...(v('password') !== undefined ? { password: v('password')! } : {}),
        ...(v('port') !== undefined ? { port: port(v('port')!, at) } : {}),
        ...(kg !== undefined ? { kg: kg.toLowerCase() } : {}),
        ...(suite !== undefined ? { cipherSuite: suite } : {}),
        ...(v('privilege') !== undefined ? { privilege: privilege(v('privilege')!, at) } : {}),
      },
      ...(v('logging') !== undefined ? { console: { logging: logging(v('logging')!, at) } } : {}),
      ...(v('groups') !== undefined ? { groups: groupList(v('groups')!, at) } : {}),
      at,
    }
  })
  return { nodes, notes: [] }
}

/**
 * Options defined once, read from three places: command-line flags, the
 * environment and a YAML configuration file. A table of OptionSpec entries
 * (src/cli/serve-options.ts holds serve's) is the only list: parseArgs'
 * options, the usage text, the file's validation, the documented defaults
 * (docs/config.md) and the example file all derive from it.
 *
 * Precedence: flag, then environment variable, then file, then default. Each
 * resolved value remembers where it came from, so that an error names the
 * flag, the variable, or the file, line and key. File errors are one line:
 * `FILE:LINE: KEY: problem` (code CONFIG_INVALID); flag and environment
 * errors are VALIDATION_FAILED.
 */
import { readFileSync } from 'node:fs'
import { LineCounter, isMap, isNode, isScalar, parseDocument, stringify, type Node as YamlNode } from 'yaml'
import { ServiceError } from './errors.js'

interface Common {
  /** Dotted path in the file (`tls.cert` is `tls: { cert: ... }`). */
  key: string
  help: string
  env?: string
  /** Name of the value in the usage text (`--listen HOST:PORT`). */
  metavar?: string
  /** A boolean option this one is useless without: an error if that one was never set at all. */
  requires?: string
}
export interface StringSpec extends Common {
  type: 'string'; default: string | undefined; example: string; check?: (v: string) => string | undefined
  /** The value may hold a secret (a URL's password): a problem with it never repeats it. */
  sensitive?: boolean
}
export interface BooleanSpec extends Common {
  type: 'boolean'; default: boolean; example: boolean
  /** Also a `--no-FLAG`, which wins over `--FLAG`. */
  negatable?: boolean
  /** An off value in the environment variable wins even over the flag. */
  envOffWins?: boolean
}
export interface IntegerSpec extends Common { type: 'integer'; default: number; example: number; min: number; max: number }
/** A number that may have a fraction (seconds, rates). */
export interface NumberSpec extends Common { type: 'number'; default: number; example: number; min: number; max: number }
export interface ChoiceSpec<C extends string = string> extends Common { type: 'choice'; default: C; example: C; choices: readonly C[] }
export interface ListSpec<C extends string = string> extends Common { type: 'list'; default: readonly C[]; example: readonly C[]; choices: readonly C[] }
export type OptionSpec = StringSpec | BooleanSpec | IntegerSpec | NumberSpec | ChoiceSpec | ListSpec
/** Flag name (without --) -> spec. */
export type OptionTable = Record<string, OptionSpec>

export type ValueOf<S> = S extends { type: 'string'; default: string } ? string
  : S extends { type: 'string' } ? string | undefined
  : S extends { type: 'boolean' } ? boolean
  : S extends { type: 'integer' } ? number
  : S extends { type: 'number' } ? number
  : S extends { type: 'choice'; choices: readonly (infer C)[] } ? C
  : S extends { type: 'list'; choices: readonly (infer C)[] } ? C[]
  : never
export type Values<T extends OptionTable> = { -readonly [K in keyof T]: ValueOf<T[K]> }

export type Source = { from: 'flag' } | { from: 'env'; name: string } | { from: 'file'; file: string; line: number } | { from: 'default' }

export interface Resolved<T extends OptionTable> {
  values: Values<T>
  sources: Record<keyof T, Source>
}

/** The end of a switch over a union (config may import only errors, so not bridge's assertNever). */
function unreachable(x: never): never {
  throw new Error(`unexpected ${JSON.stringify(x)}`)
}

const TRUE_WORDS = ['1', 'true', 'yes', 'on']
const FALSE_WORDS = ['0', 'false', 'no', 'off']

type Coerced = { ok: true; value: unknown } | { ok: false; problem: string }

function describe(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : Array.isArray(v) ? 'a list' : v === null ? 'nothing' : typeof v === 'object' ? 'a mapping' : String(v)
}

/** A raw value to the option's type. `text` is a flag or environment string; otherwise a YAML value. */
function coerce(spec: OptionSpec, raw: unknown, text: boolean): Coerced {
  const bad = (want: string): Coerced => ({ ok: false, problem: `must be ${want}, not ${describe(raw)}` })
  switch (spec.type) {
    case 'string': {
      if (typeof raw !== 'string' || raw === '') return bad('a non-empty string')
      const problem = spec.check?.(raw)
      if (problem === undefined) return { ok: true, value: raw }
      return { ok: false, problem: spec.sensitive === true ? problem : `${problem}, not ${describe(raw)}` }
    }
    case 'boolean': {
      if (typeof raw === 'boolean') return { ok: true, value: raw }
      if (text && typeof raw === 'string' && TRUE_WORDS.includes(raw.toLowerCase())) return { ok: true, value: true }
      if (text && typeof raw === 'string' && FALSE_WORDS.includes(raw.toLowerCase())) return { ok: true, value: false }
      return bad(text ? `one of ${[...TRUE_WORDS, ...FALSE_WORDS].join(', ')}` : 'true or false')
    }
    case 'integer': {
      const n = text && typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw
      if (typeof n !== 'number' || !Number.isInteger(n) || n < spec.min || n > spec.max) return bad(`an integer from ${spec.min} to ${spec.max}`)
      return { ok: true, value: n }
    }
    case 'number': {
      const n = text && typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw
      if (typeof n !== 'number' || !Number.isFinite(n) || n < spec.min || n > spec.max) return bad(`a number from ${spec.min} to ${spec.max}`)
      return { ok: true, value: n }
    }
    case 'choice':
      if (typeof raw !== 'string' || !spec.choices.includes(raw)) return bad(`one of ${spec.choices.join(', ')}`)
      return { ok: true, value: raw }
    case 'list': {
      const items = text && typeof raw === 'string' ? raw.split(',').map((s) => s.trim()).filter((s) => s !== '') : raw
      const want = `a list of ${spec.choices.join(', ')}`
      if (!Array.isArray(items)) return bad(want)
      for (const item of items) if (typeof item !== 'string' || !spec.choices.includes(item)) return { ok: false, problem: `must be ${want}, not ${describe(item)}` }
      return { ok: true, value: [...new Set(items as string[])] }
    }
    default:
      return unreachable(spec)
  }
}

function configError(file: string, line: number | undefined, key: string | undefined, problem: string): ServiceError {
  const where = line === undefined ? file : `${file}:${line}`
  return new ServiceError('CONFIG_INVALID', `${where}: ${key === undefined ? '' : `${key}: `}${problem}`, { details: { file, ...(line !== undefined ? { line } : {}), ...(key !== undefined ? { key } : {}) } })
}

export interface FileValues {
  file: string
  /** Flag name -> value and the line of its key. */
  entries: Map<string, { value: unknown; line: number }>
}

/** Reads and validates a YAML configuration file against the table. */
export function loadConfigFile(table: OptionTable, file: string): FileValues {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (e) {
    throw configError(file, undefined, undefined, `cannot read the file (${(e as NodeJS.ErrnoException).code ?? String(e)})`)
  }
  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false })
  const lineOf = (offset: number) => lines.linePos(offset).line
  const byKey = new Map(Object.entries(table).map(([flag, spec]) => [spec.key, flag]))
  const sections = new Set(Object.values(table).flatMap((s) => s.key.split('.').slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join('.'))))
  const entries = new Map<string, { value: unknown; line: number }>()
  const walk = (node: unknown, prefix: string): void => {
    if (!isMap(node)) {
      const at = isNode(node) && node.range !== null && node.range !== undefined ? lineOf(node.range[0]) : 1
      throw configError(file, at, prefix === '' ? undefined : prefix, prefix === '' ? 'the file must be a mapping of keys (listen: ..., data: ...)' : 'must be a mapping of keys')
    }
    for (const pair of node.items) {
      const keyNode = pair.key as YamlNode | null
      const offset = keyNode?.range?.[0] ?? 0
      const name = isScalar(keyNode) ? String(keyNode.value) : undefined
      const key = prefix === '' ? (name ?? '?') : `${prefix}.${name ?? '?'}`
      const flag = byKey.get(key)
      if (flag !== undefined) {
        const spec = table[flag]!
        const raw: unknown = isNode(pair.value) ? (pair.value.toJSON() as unknown) : pair.value
        const c = coerce(spec, raw, false)
        if (!c.ok) throw configError(file, lineOf(offset), key, c.problem)
        entries.set(flag, { value: c.value, line: lineOf(offset) })
      } else if (name !== undefined && sections.has(key)) {
        walk(pair.value, key)
      } else {
        const known = [...byKey.keys()].filter((k) => prefix === '' || k.startsWith(`${prefix}.`))
        throw configError(file, lineOf(offset), key, `unknown key (known: ${known.join(', ')})`)
      }
    }
  }
  const syntax = doc.errors[0]
  if (syntax !== undefined) {
    // The key is the last one that starts before the error, when the parser got that far.
    // An error found at the end of the text (an unclosed quote) belongs to the last line with content.
    const at = Math.min(syntax.pos[0], Math.max(text.trimEnd().length - 1, 0))
    const before = collectKeys(doc.contents, '').filter((k) => k.offset <= at).pop()
    throw configError(file, lineOf(at), before?.key, `YAML syntax error: ${syntax.message.split('\n')[0]}`)
  }
  if (doc.contents === null) return { file, entries }
  walk(doc.contents, '')
  return { file, entries }
}

/** Every key of a (possibly partial) document with its offset, in order. */
function collectKeys(node: unknown, prefix: string): { offset: number; key: string }[] {
  if (!isMap(node)) return []
  return node.items.flatMap((pair) => {
    const k = pair.key as YamlNode | null
    const key = `${prefix}${isScalar(k) ? String(k.value) : '?'}`
    return [{ offset: k?.range?.[0] ?? 0, key }, ...collectKeys(pair.value, `${key}.`)]
  })
}

export interface Inputs {
  /** parseArgs values for the table's flags (and their --no- forms). */
  flags: Record<string, string | boolean | undefined>
  env: NodeJS.ProcessEnv
  file?: FileValues | undefined
}

function flagError(flag: string, problem: string): ServiceError {
  return new ServiceError('VALIDATION_FAILED', `--${flag} ${problem}`, { details: { field: flag } })
}

/** Flags over environment over file over defaults; every value checked. */
export function resolveOptions<T extends OptionTable>(table: T, inputs: Inputs): Resolved<T> {
  const values: Record<string, unknown> = {}
  const sources: Record<string, Source> = {}
  for (const [flag, spec] of Object.entries(table)) {
    const envName = spec.env
    const envRaw = envName === undefined ? undefined : inputs.env[envName]
    const envValue = (): unknown => {
      const c = coerce(spec, envRaw, true)
      if (!c.ok) throw new ServiceError('VALIDATION_FAILED', `${envName} ${c.problem}`, { details: { field: envName ?? flag } })
      return c.value
    }
    const flagRaw = inputs.flags[flag]
    const fromFile = inputs.file?.entries.get(flag)
    if (spec.type === 'boolean' && spec.negatable === true && inputs.flags[`no-${flag}`] === true) {
      values[flag] = false
      sources[flag] = { from: 'flag' }
    } else if (flagRaw !== undefined) {
      const c = coerce(spec, flagRaw, true)
      if (!c.ok) throw flagError(flag, c.problem)
      values[flag] = c.value
      sources[flag] = { from: 'flag' }
    } else if (envRaw !== undefined && envRaw !== '' && envName !== undefined) {
      values[flag] = envValue()
      sources[flag] = { from: 'env', name: envName }
    } else if (fromFile !== undefined && inputs.file !== undefined) {
      values[flag] = fromFile.value
      sources[flag] = { from: 'file', file: inputs.file.file, line: fromFile.line }
    } else {
      values[flag] = Array.isArray(spec.default) ? [...(spec.default as readonly string[])] : spec.default
      sources[flag] = { from: 'default' }
    }
    if (spec.type === 'boolean' && spec.envOffWins === true && envRaw !== undefined && envRaw !== '' && envValue() === false) {
      values[flag] = false
      sources[flag] = { from: 'env', name: envName ?? flag }
    }
  }
  for (const [flag, spec] of Object.entries(table)) {
    const source = sources[flag]!
    if (spec.requires === undefined || source.from === 'default') continue
    const needed = table[spec.requires]
    if (needed === undefined || values[spec.requires] === true || sources[spec.requires]!.from !== 'default') continue
    throw errorAt(table, flag, source, `goes with ${describeOption(table, spec.requires, source)}`)
  }
  return { values: values as Values<T>, sources: sources as Record<keyof T, Source> }
}

function describeOption(table: OptionTable, flag: string, like: Source): string {
  return like.from === 'file' ? table[flag]!.key : `--${flag}`
}

/** An error about one resolved option, named the way its value was given. */
export function errorAt(table: OptionTable, flag: string, source: Source, problem: string): ServiceError {
  switch (source.from) {
    case 'file': return configError(source.file, source.line, table[flag]!.key, problem)
    case 'env': return new ServiceError('VALIDATION_FAILED', `${source.name} ${problem}`, { details: { field: source.name } })
    case 'flag':
    case 'default': return flagError(flag, problem)
    default: return unreachable(source)
  }
}

/** The parseArgs options of a table (plus its --no- forms). */
export function argsOptions(table: OptionTable): Record<string, { type: 'string' | 'boolean' }> {
  const out: Record<string, { type: 'string' | 'boolean' }> = {}
  for (const [flag, spec] of Object.entries(table)) {
    out[flag] = { type: spec.type === 'boolean' ? 'boolean' : 'string' }
    if (spec.type === 'boolean' && spec.negatable === true) out[`no-${flag}`] = { type: 'boolean' }
  }
  return out
}

export function showValue(v: unknown): string {
  return v === undefined ? '(none)' : Array.isArray(v) ? (v.length === 0 ? '(none)' : v.join(',')) : String(v)
}

/** One usage line per option: flag, value, help, default and environment variable. */
export function usageLines(table: OptionTable): string[] {
  const heads = Object.entries(table).map(([flag, s]) => `--${flag}${s.type === 'boolean' ? (s.negatable === true ? ` | --no-${flag}` : '') : ` ${s.metavar ?? 'VALUE'}`}`)
  const width = Math.max(...heads.map((h) => h.length))
  return Object.values(table).map((s, i) => {
    const extra = [...(s.type === 'choice' || s.type === 'list' ? [`${s.type === 'list' ? 'any of' : 'one of'} ${s.choices.join(', ')}`] : []), `default ${showValue(s.default)}`, ...(s.env !== undefined ? [`env ${s.env}`] : [])].join(', ')
    return `  ${heads[i]!.padEnd(width)}  ${s.help} (${extra})`
  })
}

/** The documentation table (docs/config.md holds it between markers; a test compares). */
export function markdownTable(table: OptionTable): string {
  const code = (s: string) => `\`${s}\``
  const type = (s: OptionSpec) => s.type === 'integer' || s.type === 'number' ? `${s.type} ${s.min}-${s.max}` : s.type === 'choice' ? s.choices.join(' \\| ') : s.type === 'list' ? `list of ${s.choices.join(', ')}` : s.type
  const rows = Object.entries(table).map(([flag, s]) =>
    `| ${code(s.key)} | ${code(`--${flag}`)}${s.type === 'boolean' && s.negatable === true ? `, ${code(`--no-${flag}`)}` : ''} | ${s.env !== undefined ? code(s.env) : ''} | ${type(s)} | ${s.default === undefined || (Array.isArray(s.default) && s.default.length === 0) ? '' : code(showValue(s.default))} | ${s.help} |`)
  return ['| key | flag | environment | type | default | meaning |', '|---|---|---|---|---|---|', ...rows].join('\n')
}

/** A YAML file holding these values, every key with its help as a comment; loadConfigFile reads it back. */
export function renderConfig(table: OptionTable, values: Record<string, unknown>): string {
  const tree: Record<string, unknown> = {}
  for (const [flag, spec] of Object.entries(table)) {
    const v = values[flag]
    if (v === undefined) continue
    const parts = spec.key.split('.')
    let at = tree
    for (const p of parts.slice(0, -1)) at = (at[p] ??= {}) as Record<string, unknown>
    at[parts[parts.length - 1]!] = v
  }
  const doc = parseDocument(stringify(tree))
  for (const spec of Object.values(table)) {
    const key = findKey(doc.contents, spec.key.split('.'))
    if (key !== undefined) key.commentBefore = ` ${spec.help}`
  }
  return doc.toString()
}

function findKey(node: unknown, path: string[]): YamlNode | undefined {
  if (!isMap(node) || path.length === 0) return undefined
  const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === path[0])
  if (pair === undefined) return undefined
  return path.length === 1 ? (pair.key as YamlNode) : findKey(pair.value, path.slice(1))
}

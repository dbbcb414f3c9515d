/**
 * `bmcvisor VERB RANGE [WORD] [--timeout SECONDS] [--json | --ndjson]` for every op of
 * the registry (src/ops) with a CLI binding: `power n[1-4] off` is op
 * power.set with body {state: off}. Against a running server: streams the
 * noderange results (NDJSON) of the op's REST route, draws a progress bar on
 * a terminal for large ranges, then prints one line per node in natural
 * order, the op's columns (`n07  on`, `n08  BMC_UNREACHABLE: ...`), the
 * error codes in red on a terminal unless NO_COLOR is set; `--json` prints
 * one object, `--ndjson` one line per node as results arrive. Exit 0 when
 * every node succeeded, 1 when any failed.
 */
import { parseArgs } from 'node:util'
import { naturalCompare } from '../api/noderange.js'
import { ServiceError } from '../errors.js'
import { REGISTRY, type OpRegistry } from '../ops/registry.js'
import type { CliBinding, CliOption, OpSpec, RestBinding } from '../ops/types.js'
import { clientFromEnv, seg, type ApiClient } from './client.js'
import { reportError } from './errors-out.js'

/** Ranges at least this large get a progress bar on a terminal whose height is unknown. */
export const PROGRESS_MIN_NODES = 10
const RED = '\x1b[31m'
const RESET = '\x1b[0m'
/** --timeout bounds, in seconds (the server takes 100 ms to 120 s). */
const MAX_TIMEOUT_S = 120
const MIN_TIMEOUT_MS = 100

const OPTIONS = { timeout: { type: 'string' }, json: { type: 'boolean' }, ndjson: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const

type Tty = NodeJS.WritableStream & { isTTY?: boolean; columns?: number; rows?: number }
export interface OpIo {
  stdout: Tty
  stderr: Tty
  env: NodeJS.ProcessEnv
}

/** Colour only on a terminal, and never when NO_COLOR is set to anything but the empty string (no-color.org). */
export function useColour(out: Tty, env: NodeJS.ProcessEnv): boolean {
  return out.isTTY === true && (env.NO_COLOR === undefined || env.NO_COLOR === '')
}

/** A range gets a progress bar when it is longer than the terminal is high. */
export function wantsProgress(err: Tty, total: number): boolean {
  return err.isTTY === true && total > (err.rows ?? PROGRESS_MIN_NODES)
}

interface Line { node: string; ok: boolean; value?: unknown; error?: { code: string; message: string } }

/** An op reachable from the command line: its spec with both bindings. */
export interface CliOp { name: string; spec: OpSpec; cli: CliBinding; rest: RestBinding }

/** The CLI verbs and their ops, in registry order. */
export function cliVerbs(registry: OpRegistry = REGISTRY): Map<string, CliOp[]> {
  const verbs = new Map<string, CliOp[]>()
  for (const [name, spec] of Object.entries(registry)) {
    if (spec.cli === undefined || spec.rest === undefined) continue
    verbs.set(spec.cli.verb, [...(verbs.get(spec.cli.verb) ?? []), { name, spec, cli: spec.cli, rest: spec.rest }])
  }
  return verbs
}

/** The options an op of the verb may take besides the common ones. */
function opOptions(ops: readonly CliOp[]): Map<string, { option: CliOption; ops: CliOp[] }> {
  const all = new Map<string, { option: CliOption; ops: CliOp[] }>()
  for (const op of ops) {
    for (const [name, option] of Object.entries(op.cli.options ?? {})) all.set(name, { option, ops: [...(all.get(name)?.ops ?? []), op] })
  }
  return all
}

export function usage(verb: string, ops: readonly CliOp[]): string {
  const words = ops.flatMap((o) => o.cli.words)
  const forms = ops.filter((o) => o.cli.params !== undefined || o.cli.options !== undefined).map((o) => {
    const params = (o.cli.params ?? []).map((p) => p.toUpperCase()).join(' ')
    const options = Object.entries(o.cli.options ?? {}).map(([n, opt]) => `[--${n}${opt.type === 'string' ? ` ${opt.value ?? 'VALUE'}` : ''}]`).join(' ')
    const lines = Object.entries(o.cli.options ?? {}).map(([n, opt]) => `    --${n.padEnd(14)} ${opt.help}`)
    const example = o.cli.example !== undefined ? [`    e.g. bmcvisor ${verb} n1 ${o.cli.words[0]} ${o.cli.example.join(' ')}`] : []
    return [`  bmcvisor ${verb} RANGE ${o.cli.words.join('|')} ${params} ${options}`.replace(/ +/g, ' '), ...lines, ...example].join('\n')
  })
  return `usage: bmcvisor ${verb} RANGE [${words.join('|')}] [--timeout SECONDS] [--json | --ndjson]
  ${ops[0]?.cli.help ?? ''}
${forms.length > 0 ? forms.join('\n') + '\n' : ''}  RANGE: n1,n2  n[01-40]  @group
  --json    one object {results: {node: {ok, value | error}}} at the end
  --ndjson  one line {node, ok, value | error} per node as results arrive
  exit status: 0 when every node succeeded, 1 when any failed, 2 on a usage error`
}

export class ProgressBar {
  private last = ''
  constructor(private readonly out: OpIo['stderr'], private readonly total: number) {}
  update(done: number, failed: number): void {
    const width = Math.max(10, Math.min(40, (this.out.columns ?? 80) - 40))
    const fill = Math.round((done / this.total) * width)
    const line = `\r[${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${done}/${this.total}${failed > 0 ? ` (${failed} failed)` : ''}`
    if (line !== this.last) this.out.write(line)
    this.last = line
  }
  end(): void {
    this.out.write('\r\x1b[K')
  }
}

/** One line per node in natural order: the op's cells, or the node's error (its code in red with colour). */
export function formatTable(lines: readonly Line[], cli: CliBinding, colour = false): string {
  const sorted = [...lines].sort((a, b) => naturalCompare(a.node, b.node))
  const w = Math.max(4, ...sorted.map((l) => l.node.length))
  const code = (c: string | undefined): string => (colour ? `${RED}${c}${RESET}` : String(c))
  return sorted.map((l) => `${l.node.padEnd(w)}  ${l.ok ? cli.columns.map((c) => c.cell(l.value)).join('  ') : `${code(l.error?.code)}: ${l.error?.message}`}`).join('\n')
}

function pick(verb: string, ops: readonly CliOp[], word: string | undefined): { op: CliOp; word: string } {
  const chosen = word === undefined ? ops.find((o) => o.cli.default === true) : ops.find((o) => o.cli.words.includes(word))
  if (chosen === undefined) {
    throw new ServiceError('VALIDATION_FAILED', `${verb} action must be one of ${ops.flatMap((o) => o.cli.words).join(', ')}`, { details: { field: 'action' } })
  }
  return { op: chosen, word: word ?? chosen.cli.words[0] ?? '' }
}

function timeoutQuery(timeout: string | undefined): string {
  if (timeout === undefined) return ''
  const s = Number(timeout)
  if (!(s > 0 && s <= MAX_TIMEOUT_S)) throw new ServiceError('VALIDATION_FAILED', `--timeout is 0.1 to ${MAX_TIMEOUT_S} seconds`, { details: { field: 'timeout' } })
  return `?timeoutMs=${Math.max(MIN_TIMEOUT_MS, Math.round(s * 1000))}`
}

export async function opCommand(verb: string, argv: string[], io: OpIo, client?: ApiClient, registry: OpRegistry = REGISTRY): Promise<number> {
  const ops = cliVerbs(registry).get(verb) ?? []
  try {
    if (ops.length === 0) throw new ServiceError('VALIDATION_FAILED', `unknown command ${verb}`, { details: { field: 'command' } })
    const own = opOptions(ops)
    const options = { ...Object.fromEntries([...own].map(([n, { option }]) => [n, { type: option.type }])), ...OPTIONS }
    const { values: o, positionals: [range, word, ...extra] } = parseArgs({ args: argv, options, allowPositionals: true, strict: true })
    if (o.help === true || range === undefined) {
      io.stdout.write(usage(verb, ops) + '\n')
      return o.help === true ? 0 : 2
    }
    const { op, word: w } = pick(verb, ops, word)
    const params = op.cli.params ?? []
    if (extra.length !== params.length) {
      throw new ServiceError('VALIDATION_FAILED', params.length === 0 ? `${verb} takes one action word` : `${verb} ${w} takes ${params.map((p) => p.toUpperCase()).join(' ')}`, { details: { field: params[extra.length] ?? 'action' } })
    }
    const body: Record<string, unknown> = { ...op.cli.body?.(w) }
    const values = o as Record<string, string | boolean | undefined>
    for (const [name, { option, ops: takers }] of own) {
      const v = values[name]
      if (v === undefined) continue
      if (!takers.includes(op)) throw new ServiceError('VALIDATION_FAILED', `--${name} does not go with ${verb} ${w}`, { details: { field: name } })
      option.apply(body, v, io.env)
    }
    if (op.cli.options !== undefined && Object.keys(body).length === 0) {
      throw new ServiceError('VALIDATION_FAILED', `${verb} ${w} needs at least one of ${Object.keys(op.cli.options).map((n) => `--${n}`).join(', ')}`, { details: { field: 'options' } })
    }
    if (o.json === true && o.ndjson === true) throw new ServiceError('VALIDATION_FAILED', '--json and --ndjson exclude each other', { details: { field: 'ndjson' } })
    const machine = o.json === true || o.ndjson === true
    const query = timeoutQuery(o.timeout)
    const c = client ?? clientFromEnv(io.env)
    const { nodes, missing } = await c.request<{ nodes: string[]; missing: string[] }>('GET', `/noderange/${seg(range)}`)
    const total = nodes.length + missing.length
    const bar = wantsProgress(io.stderr, total) && !machine ? new ProgressBar(io.stderr, total) : undefined
    const restPath = params.reduce((p, name, i) => p.replace(`:${name}`, seg(extra[i]!)), op.rest.path)
    const path = `/noderange/${seg(range)}/${restPath}${query}`
    const lines: Line[] = []
    let failed = 0
    for await (const msg of c.stream(op.rest.method, path, Object.keys(body).length > 0 ? body : undefined)) {
      if (msg.done === true) break
      const line = msg as unknown as Line
      lines.push(line)
      if (!line.ok) failed++
      if (o.ndjson === true) io.stdout.write(JSON.stringify(line.ok ? { node: line.node, ok: true, value: line.value } : { node: line.node, ok: false, error: line.error }) + '\n')
      bar?.update(lines.length, failed)
    }
    bar?.end()
    if (o.json === true) {
      const results: Record<string, unknown> = {}
      for (const l of [...lines].sort((a, b) => naturalCompare(a.node, b.node))) results[l.node] = l.ok ? { ok: true, value: l.value } : { ok: false, error: l.error }
      io.stdout.write(JSON.stringify({ results }, null, 2) + '\n')
    } else if (o.ndjson !== true && lines.length > 0) io.stdout.write(formatTable(lines, op.cli, useColour(io.stdout, io.env)) + '\n')
    return failed === 0 ? 0 : 1
  } catch (e) {
    return reportError(e, io.stderr)
  }
}

/** `bmcvisor power RANGE [status|on|off|...]`: the power ops' verb. */
export function powerCommand(argv: string[], io: OpIo, client?: ApiClient): Promise<number> {
  return opCommand('power', argv, io, client)
}

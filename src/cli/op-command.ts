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
import type { CliBinding, OpSpec, RestBinding } from '../ops/types.js'
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

export function usage(verb: string, ops: readonly CliOp[]): string {
  const words = ops.flatMap((o) => o.cli.words)
  return `usage: bmcvisor ${verb} RANGE [${words.join('|')}] [--timeout SECONDS] [--json | --ndjson]
  ${ops[0]?.cli.help ?? ''}
  RANGE: n1,n2  n[01-40]  @group
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
    const { values: o, positionals: [range, word, ...extra] } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true })
    if (o.help === true || range === undefined) {
      io.stdout.write(usage(verb, ops) + '\n')
      return o.help === true ? 0 : 2
    }
    const { op, word: w } = pick(verb, ops, word)
    if (extra.length > 0) throw new ServiceError('VALIDATION_FAILED', `${verb} takes one action word`, { details: { field: 'action' } })
    if (o.json === true && o.ndjson === true) throw new ServiceError('VALIDATION_FAILED', '--json and --ndjson exclude each other', { details: { field: 'ndjson' } })
    const machine = o.json === true || o.ndjson === true
    const query = timeoutQuery(o.timeout)
    const c = client ?? clientFromEnv(io.env)
    const { nodes, missing } = await c.request<{ nodes: string[]; missing: string[] }>('GET', `/noderange/${seg(range)}`)
    const total = nodes.length + missing.length
    const bar = wantsProgress(io.stderr, total) && !machine ? new ProgressBar(io.stderr, total) : undefined
    const path = `/noderange/${seg(range)}/${op.rest.path}${query}`
    const lines: Line[] = []
    let failed = 0
    for await (const msg of c.stream(op.rest.method, path, op.cli.body?.(w))) {
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

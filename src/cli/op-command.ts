/**
 * `bmcvisor VERB RANGE [WORD] [--timeout SECONDS] [--json]` for every op of
 * the registry (src/ops) with a CLI binding: `power n[1-4] off` is op
 * power.set with body {state: off}. Against a running server: streams the
 * noderange results (NDJSON) of the op's REST route, draws a progress bar on
 * a terminal for large ranges, then prints one line per node in natural
 * order, the op's columns (`n07  on`, `n08  BMC_UNREACHABLE: ...`). Exit 0
 * when every node succeeded, 1 when any failed.
 */
import { parseArgs } from 'node:util'
import { naturalCompare } from '../api/noderange.js'
import { ServiceError } from '../errors.js'
import { REGISTRY, type OpRegistry } from '../ops/registry.js'
import type { CliBinding, OpSpec, RestBinding } from '../ops/types.js'
import { clientFromEnv, seg, type ApiClient } from './client.js'
import { reportError } from './errors-out.js'

/** Ranges at least this large get a progress bar on a terminal. */
export const PROGRESS_MIN_NODES = 10
/** --timeout bounds, in seconds (the server takes 100 ms to 120 s). */
const MAX_TIMEOUT_S = 120
const MIN_TIMEOUT_MS = 100

const OPTIONS = { timeout: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const

export interface OpIo {
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number }
  env: NodeJS.ProcessEnv
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
  return `usage: bmcvisor ${verb} RANGE [${words.join('|')}] [--timeout SECONDS] [--json]
  RANGE: n1,n2  n[01-40]  @group`
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

/** One line per node in natural order: the op's cells, or the node's error. */
export function formatTable(lines: readonly Line[], cli: CliBinding): string {
  const sorted = [...lines].sort((a, b) => naturalCompare(a.node, b.node))
  const w = Math.max(4, ...sorted.map((l) => l.node.length))
  return sorted.map((l) => `${l.node.padEnd(w)}  ${l.ok ? cli.columns.map((c) => c.cell(l.value)).join('  ') : `${l.error?.code}: ${l.error?.message}`}`).join('\n')
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
    const query = timeoutQuery(o.timeout)
    const c = client ?? clientFromEnv(io.env)
    const { nodes, missing } = await c.request<{ nodes: string[]; missing: string[] }>('GET', `/noderange/${seg(range)}`)
    const total = nodes.length + missing.length
    const bar = io.stderr.isTTY === true && total >= PROGRESS_MIN_NODES && o.json !== true ? new ProgressBar(io.stderr, total) : undefined
    const path = `/noderange/${seg(range)}/${op.rest.path}${query}`
    const lines: Line[] = []
    let failed = 0
    for await (const msg of c.stream(op.rest.method, path, op.cli.body?.(w))) {
      if (msg.done === true) break
      const line = msg as unknown as Line
      lines.push(line)
      if (!line.ok) failed++
      bar?.update(lines.length, failed)
    }
    bar?.end()
    if (o.json === true) {
      const results: Record<string, unknown> = {}
      for (const l of [...lines].sort((a, b) => naturalCompare(a.node, b.node))) results[l.node] = l.ok ? { ok: true, value: l.value } : { ok: false, error: l.error }
      io.stdout.write(JSON.stringify({ results }, null, 2) + '\n')
    } else if (lines.length > 0) io.stdout.write(formatTable(lines, op.cli) + '\n')
    return failed === 0 ? 0 : 1
  } catch (e) {
    return reportError(e, io.stderr)
  }
}

/** `bmcvisor power RANGE [status|on|off|...]`: the power ops' verb. */
export function powerCommand(argv: string[], io: OpIo, client?: ApiClient): Promise<number> {
  return opCommand('power', argv, io, client)
}

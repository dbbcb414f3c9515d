/**
 * `bmcvisor power RANGE [status|on|off|cycle|reset|soft|diag]` against a
 * running server: streams the noderange results (NDJSON), draws a progress
 * bar on a terminal for large ranges, then prints one line per node in
 * natural order (`n07  on`, `n08  BMC_UNREACHABLE: ...`). Exit 0 when every
 * node succeeded, 1 when any failed.
 */
import { parseArgs } from 'node:util'
import { naturalCompare } from '../api/noderange.js'
import { ServiceError } from '../errors.js'
import { clientFromEnv, seg, type ApiClient } from './client.js'
import { reportError } from './errors-out.js'

export const POWER_USAGE = `usage: bmcvisor power RANGE [status|on|off|cycle|reset|soft|diag] [--timeout SECONDS] [--json]
  RANGE: n1,n2  n[01-40]  @group`
const ACTIONS = ['status', 'on', 'off', 'cycle', 'reset', 'soft', 'diag']
/** Ranges at least this large get a progress bar on a terminal. */
export const PROGRESS_MIN_NODES = 10

const OPTIONS = { timeout: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const

export interface PowerIo {
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number }
  env: NodeJS.ProcessEnv
}

interface Line { node: string; ok: boolean; value?: { state?: string; action?: string }; error?: { code: string; message: string } }

export class ProgressBar {
  private last = ''
  constructor(private readonly out: PowerIo['stderr'], private readonly total: number) {}
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

export function formatPowerTable(lines: Line[]): string {
  const sorted = [...lines].sort((a, b) => naturalCompare(a.node, b.node))
  const w = Math.max(4, ...sorted.map((l) => l.node.length))
  return sorted.map((l) => `${l.node.padEnd(w)}  ${l.ok ? (l.value?.state ?? l.value?.action ?? 'ok') : `${l.error?.code}: ${l.error?.message}`}`).join('\n')
}

export async function powerCommand(argv: string[], io: PowerIo, client?: ApiClient): Promise<number> {
  try {
    const { values: o, positionals: [range, action = 'status', ...extra] } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true })
    if (o.help === true || range === undefined) {
      io.stdout.write(POWER_USAGE + '\n')
      return o.help === true ? 0 : 2
    }
    if (!ACTIONS.includes(action) || extra.length > 0) throw new ServiceError('VALIDATION_FAILED', `power action must be one of ${ACTIONS.join(', ')}`, { details: { field: 'action' } })
    let query = ''
    if (o.timeout !== undefined) {
      const s = Number(o.timeout)
      if (!(s > 0 && s <= 120)) throw new ServiceError('VALIDATION_FAILED', '--timeout is 0.1 to 120 seconds', { details: { field: 'timeout' } })
      query = `?timeoutMs=${Math.max(100, Math.round(s * 1000))}`
    }
    const c = client ?? clientFromEnv(io.env)
    const { nodes, missing } = await c.request<{ nodes: string[]; missing: string[] }>('GET', `/noderange/${seg(range)}`)
    const total = nodes.length + missing.length
    const bar = io.stderr.isTTY === true && total >= PROGRESS_MIN_NODES && o.json !== true ? new ProgressBar(io.stderr, total) : undefined
    const path = `/noderange/${seg(range)}/power${query}`
    const lines: Line[] = []
    let failed = 0
    const stream = action === 'status' ? c.stream('GET', path) : c.stream('PUT', path, { state: action })
    for await (const msg of stream) {
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
    } else if (lines.length > 0) io.stdout.write(formatPowerTable(lines) + '\n')
    return failed === 0 ? 0 : 1
  } catch (e) {
    return reportError(e, io.stderr)
  }
}

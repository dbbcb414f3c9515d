/**
 * `bmcvisor worker restart RANGE` and `bmcvisor worker show RANGE` against a
 * running server: start parked workers now (operator), or show the
 * supervisor's view of them (state, restarts, last exit, when a parked one is
 * retried). One row per node in natural order, `--json` one object,
 * `--ndjson` one line per node; exit 0 when every node succeeded, 1 when any
 * failed. A single node name is asked directly, a range (`n[1-4]`, `a,b`,
 * `@group`) is resolved by the server first.
 */
import { parseArgs } from 'node:util'
import { naturalCompare } from '../api/noderange.js'
import { ServiceError, toWire } from '../errors.js'
import { clientFromEnv, seg, type ApiClient } from './client.js'
import { reportError } from './errors-out.js'

export const WORKER_USAGE = `usage: bmcvisor worker restart RANGE [--json | --ndjson]   start parked workers now (operator)
       bmcvisor worker show RANGE [--json | --ndjson]      state, restarts, last exit, when a parked worker is retried
  RANGE: n1  n1,n2  n[01-40]  @group`

/** What makes an argument a range rather than one node's name (api/noderange.ts). */
const RANGE_SYNTAX = /[[,@]/

export interface WorkerIo {
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream
  env: NodeJS.ProcessEnv
}

type Row = { node: string; ok: true; value: Record<string, unknown> } | { node: string; ok: false; error: { code: string; message: string } }

function cells(sub: 'restart' | 'show', v: Record<string, unknown>): string {
  if (sub === 'restart') return String(v.state)
  const exit = v.lastExit as { reason?: string } | null
  const retry = typeof v.retryAt === 'string' ? `  retry at ${v.retryAt}` : ''
  return `${String(v.state)}  restarts ${String(v.restarts)}  last exit ${exit?.reason ?? '-'}${retry}`
}

async function nodesOf(c: ApiClient, range: string): Promise<{ nodes: string[]; missing: string[] }> {
  if (!RANGE_SYNTAX.test(range)) return { nodes: [range], missing: [] }
  return c.request<{ nodes: string[]; missing: string[] }>('GET', `/noderange/${seg(range)}`)
}

export async function workerCommand(argv: string[], io: WorkerIo, client?: ApiClient): Promise<number> {
  try {
    const options = { help: { type: 'boolean', short: 'h' }, json: { type: 'boolean' }, ndjson: { type: 'boolean' } } as const
    const { values: o, positionals: [sub, range, ...extra] } = parseArgs({ args: argv, options, allowPositionals: true, strict: true })
    if (o.help === true || sub === undefined) {
      io.stdout.write(WORKER_USAGE + '\n')
      return o.help === true ? 0 : 2
    }
    if (sub !== 'restart' && sub !== 'show') throw new ServiceError('VALIDATION_FAILED', `worker subcommand must be restart or show, not ${sub}`, { details: { field: 'subcommand' } })
    if (range === undefined || extra.length > 0) throw new ServiceError('VALIDATION_FAILED', `worker ${sub} takes one RANGE`, { details: { field: 'node' } })
    if (o.json === true && o.ndjson === true) throw new ServiceError('VALIDATION_FAILED', '--json and --ndjson exclude each other', { details: { field: 'ndjson' } })
    const c = client ?? clientFromEnv(io.env)
    const { nodes, missing } = await nodesOf(c, range)
    const one = (node: string): Promise<Row> =>
      (sub === 'restart' ? c.request<Record<string, unknown>>('POST', `/nodes/${seg(node)}/worker/restart`) : c.request<Record<string, unknown>>('GET', `/nodes/${seg(node)}/worker`))
        .then((value): Row => ({ node, ok: true, value }), (e: unknown): Row => ({ node, ok: false, error: { code: toWire(e).code, message: toWire(e).message } }))
    const rows: Row[] = missing.map((node) => ({ node, ok: false, error: { code: 'NODE_NOT_FOUND', message: `no node named ${node}` } }))
    await Promise.all(nodes.map(async (n) => {
      const r = await one(n)
      rows.push(r)
      if (o.ndjson === true) io.stdout.write(JSON.stringify(r) + '\n')
    }))
    rows.sort((a, b) => naturalCompare(a.node, b.node))
    if (o.json === true) io.stdout.write(JSON.stringify({ results: Object.fromEntries(rows.map(({ node, ...r }) => [node, r])) }, null, 2) + '\n')
    else if (o.ndjson !== true) {
      const w = Math.max(...rows.map((r) => r.node.length))
      io.stdout.write(rows.map((r) => `${r.node.padEnd(w)}  ${r.ok ? cells(sub, r.value) : `${r.error.code}: ${r.error.message}`}`).join('\n') + '\n')
    }
    return rows.every((r) => r.ok) ? 0 : 1
  } catch (e) {
    return reportError(e, io.stderr)
  }
}

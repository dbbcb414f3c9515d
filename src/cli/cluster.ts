/**
 * `bmcvisor cluster status` and `bmcvisor cluster drain ID` against a running
 * server (any instance of the cluster answers): the members with their epoch,
 * address, lease age (the "lag" since their last renewal, on the database's
 * clock), lease left, node count and drain state, then how many nodes each
 * owns; `--json` prints GET /api/v1/cluster as it is, with the node -> owner
 * map. `drain` asks POST /api/v1/cluster/members/{id}/drain (admin) and says
 * whether the member has stopped its nodes yet (repeat it until it has).
 */
import { parseArgs } from 'node:util'
import { ServiceError } from '../errors.js'
import { clientFromEnv, seg, type ApiClient } from './client.js'
import { CLUSTER_SUBCOMMANDS } from './commands.js'
import { reportError } from './errors-out.js'

export const CLUSTER_USAGE = `usage: bmcvisor cluster status [--json]   members, leases, node counts (GET /api/v1/cluster)
       bmcvisor cluster drain ID [--json]  move member ID's nodes to the others (admin)`

export interface ClusterIo {
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream
  env: NodeJS.ProcessEnv
}

interface MemberView { id: string; epoch: number; address: string; self: boolean; leaseAgeMs: number; leaseLeftMs: number; draining: boolean; drained: boolean; nodes: number }
interface ClusterView { enabled: boolean; self: string | null; epoch: number | null; held: boolean; members: MemberView[]; owners: Record<string, string> }

/** The status table: one line per member, `*` marking the instance that answered. */
export function formatStatus(v: ClusterView): string {
  if (!v.enabled) return 'no cluster: this instance runs on the SQLite store and owns every node\n'
  const state = (m: MemberView) => (m.drained ? 'drained' : m.draining ? 'draining' : 'active')
  const rows = [['', 'MEMBER', 'EPOCH', 'STATE', 'NODES', 'LEASE AGE', 'LEASE LEFT', 'ADDRESS'],
    ...v.members.map((m) => [m.self ? '*' : '', m.id, String(m.epoch), state(m), String(m.nodes), `${(m.leaseAgeMs / 1000).toFixed(1)} s`, `${(m.leaseLeftMs / 1000).toFixed(1)} s`, m.address])]
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
  const lines = rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd())
  const nodes = Object.keys(v.owners).length
  return `${lines.join('\n')}\n${v.members.length} members, ${nodes} nodes${v.held ? '' : '; the answering instance holds no lease (it runs nothing)'}\n`
}

export async function clusterCommand(argv: string[], io: ClusterIo, client?: ApiClient): Promise<number> {
  try {
    const options = { help: { type: 'boolean', short: 'h' }, json: { type: 'boolean' } } as const
    const { values: o, positionals: [sub, id, ...extra] } = parseArgs({ args: argv, options, allowPositionals: true, strict: true })
    if (o.help === true || sub === undefined) {
      io.stdout.write(CLUSTER_USAGE + '\n')
      return o.help === true ? 0 : 2
    }
    if (!(CLUSTER_SUBCOMMANDS as readonly string[]).includes(sub)) throw new ServiceError('VALIDATION_FAILED', `cluster subcommand must be ${CLUSTER_SUBCOMMANDS.join(' or ')}, not ${sub}`, { details: { field: 'subcommand' } })
    const c = client ?? clientFromEnv(io.env)
    if (sub === 'status') {
      if (id !== undefined) throw new ServiceError('VALIDATION_FAILED', 'cluster status takes no argument', { details: { field: 'argv' } })
      const v = await c.request<ClusterView>('GET', '/cluster')
      io.stdout.write(o.json === true ? `${JSON.stringify(v, null, 2)}\n` : formatStatus(v))
      return 0
    }
    if (id === undefined || extra.length > 0) throw new ServiceError('VALIDATION_FAILED', 'cluster drain takes one member ID', { details: { field: 'member' } })
    const d = await c.request<{ id: string; draining: boolean; drained: boolean }>('POST', `/cluster/members/${seg(id)}/drain`)
    io.stdout.write(o.json === true ? `${JSON.stringify(d)}\n` : `${d.id}: ${d.drained ? 'drained: it runs no node and can be stopped' : 'draining: its nodes are moving (run again to see when it is drained)'}\n`)
    return 0
  } catch (e) {
    return reportError(e, io.stderr)
  }
}

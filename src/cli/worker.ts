/**
 * `bmcvisor worker restart NODE` and `bmcvisor worker show NODE` against a
 * running server: start a parked worker now (operator), or show the
 * supervisor's view of it (state, restarts, when a parked one is retried).
 */
import { parseArgs } from 'node:util'
import { ServiceError } from '../errors.js'
import { clientFromEnv, seg, type ApiClient } from './client.js'
import { reportError } from './errors-out.js'

export const WORKER_USAGE = `usage: bmcvisor worker restart NODE   start a parked worker now (operator)
       bmcvisor worker show NODE      state, restarts, last exit, when a parked worker is retried`

export interface WorkerIo {
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream
  env: NodeJS.ProcessEnv
}

export async function workerCommand(argv: string[], io: WorkerIo, client?: ApiClient): Promise<number> {
  try {
    const { values: o, positionals: [sub, node, ...extra] } = parseArgs({ args: argv, options: { help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true })
    if (o.help === true || sub === undefined) {
      io.stdout.write(WORKER_USAGE + '\n')
      return o.help === true ? 0 : 2
    }
    if (node === undefined || extra.length > 0) throw new ServiceError('VALIDATION_FAILED', `worker ${sub} takes one NODE`, { details: { field: 'node' } })
    const c = client ?? clientFromEnv(io.env)
    switch (sub) {
      case 'restart': {
        const r = await c.request<{ state: string }>('POST', `/nodes/${seg(node)}/worker/restart`)
        io.stdout.write(`${node}  ${r.state}\n`)
        return 0
      }
      case 'show': {
        const w = await c.request<Record<string, unknown>>('GET', `/nodes/${seg(node)}/worker`)
        io.stdout.write(JSON.stringify(w, null, 2) + '\n')
        return 0
      }
      default:
        throw new ServiceError('VALIDATION_FAILED', `worker subcommand must be restart or show, not ${sub}`, { details: { field: 'subcommand' } })
    }
  } catch (e) {
    return reportError(e, io.stderr)
  }
}

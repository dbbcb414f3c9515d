/**
 * The one thing BMC operations need from a session: run a typed command.
 * IpmiClient implements it; tests can pass anything that does.
 */
import type { IpmiCommand } from '../ipmi/command.js'
import type { RequestOptions } from '../session/request-table.js'

export interface CommandRunner {
  run<Req, Res>(command: IpmiCommand<Req, Res>, req: Req, opts?: RequestOptions): Promise<Res>
}

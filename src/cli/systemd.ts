/**
 * Readiness for systemd (Type=notify) without a native addon. sd_notify is a
 * datagram on the unix socket named by NOTIFY_SOCKET, and Node's dgram speaks
 * only UDP, so the message goes through systemd's own `systemd-notify`
 * binary. That process is a child of the service, so the unit says
 * NotifyAccess=all; systemd-notify (systemd 246 and later) waits until the
 * manager has read the message (its barrier) before it exits, so the message
 * is never lost because its sender was gone. Without NOTIFY_SOCKET nothing is
 * sent and nothing is spawned.
 */
import { execFile } from 'node:child_process'
import type { Logger } from '../log.js'

const NOTIFY_TIMEOUT_MS = 10_000
export const SYSTEMD_NOTIFY = 'systemd-notify'

export interface Notifier {
  /** READY=1 with a status line: the API listens and the store is open. */
  ready(status: string): Promise<void>
  /** STOPPING=1: shutdown has begun. */
  stopping(): Promise<void>
}

export function systemdNotifier(env: NodeJS.ProcessEnv, logger: Logger): Notifier | undefined {
  const socket = env.NOTIFY_SOCKET
  if (socket === undefined || socket === '') return undefined
  const send = (args: string[]) => new Promise<void>((resolve) => {
    execFile(SYSTEMD_NOTIFY, args, { env, timeout: NOTIFY_TIMEOUT_MS }, (err, _stdout, stderr) => {
      // Not fatal: systemd then times the start out (TimeoutStartSec=) and says why.
      if (err !== null) logger.warn({ err: { message: err.message }, stderr: stderr.trim() }, `${SYSTEMD_NOTIFY} failed: systemd was not told`)
      resolve()
    })
  })
  return {
    ready: (status) => send(['--ready', `--status=${status}`]),
    stopping: () => send(['STOPPING=1', '--status=stopping: closing BMC sessions']),
  }
}

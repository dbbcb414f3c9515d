// Lab tools: whether ipmi_sim and ipmitool are installed (skip or fail a test
// accordingly), the lab BMC's accounts, and ipmitool as the reference client.
// Spawns processes only through execFile; owns nothing long-lived.
import { execFile } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'
import type { TestContext } from 'node:test'

/** The lab BMC's accounts (lan.conf). Slots 5-10 are empty and disabled. */
export const LAB_USERS = {
  admin: { id: 2, user: 'admin', password: 'password', privilege: 'ADMINISTRATOR' },
  operator: { id: 3, user: 'operator', password: 'oppass', privilege: 'OPERATOR' },
  user: { id: 4, user: 'user', password: 'userpass', privilege: 'USER' },
} as const

export const LAB_TOOLS = ['ipmi_sim', 'sdrcomp', 'ipmitool'] as const

export function onPath(cmd: string): boolean {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue
    try {
      accessSync(join(dir, cmd), constants.X_OK)
      return true
    } catch {
      // not here
    }
  }
  return false
}

/** The lab tools that are not installed (empty when the lab can run). */
export function missingLabTools(): string[] {
  return LAB_TOOLS.filter((t) => !onPath(t))
}

export function ipmiSimAvailable(): boolean {
  return missingLabTools().length === 0
}

export function inCi(): boolean {
  const ci = process.env.CI
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false'
}

/**
 * Call first in a test that needs ipmi_sim: returns true when the lab can run.
 * Otherwise, under CI it throws (a CI run must not pass by skipping), and
 * elsewhere it marks the test skipped and returns false: `if (!requireIpmiSim(t)) return`.
 */
/** True when every tool is on PATH; else skips the test, or throws under CI (a missing tool is a failure there). */
export function requireTools(t: TestContext, tools: readonly string[], install: string): boolean {
  const missing = tools.filter((x) => !onPath(x))
  if (missing.length === 0) return true
  const msg = `${missing.join(', ')} not on PATH (${install})`
  if (inCi()) throw new Error(`${msg}; CI is set, so this is a failure, not a skip`)
  t.skip(msg)
  return false
}

export function requireIpmiSim(t: TestContext): boolean {
  return requireTools(t, LAB_TOOLS, 'ipmi_sim lab unavailable: apt-get install openipmi ipmitool')
}

export interface IpmitoolOptions {
  user?: string
  password?: string
  /** ipmitool -L: USER, OPERATOR or ADMINISTRATOR (ipmitool's default). */
  privilege?: string
  cipherSuite?: number
  timeoutMs?: number
}

/**
 * Runs `ipmitool -I lanplus -H 127.0.0.1 -p PORT -U .. -P .. -C 3 ARGS` against
 * the simulator and returns stdout; throws with stderr on a non-zero exit.
 * `-C` must be given: without it ipmitool waits 10 s for Get Channel Cipher
 * Suites, which ipmi_sim does not answer.
 */
export function ipmitool(sim: { host: string; port: number }, args: string[], opts: IpmitoolOptions = {}): Promise<string> {
  const argv = [
    '-I', 'lanplus', '-H', sim.host, '-p', String(sim.port),
    '-U', opts.user ?? LAB_USERS.admin.user, '-P', opts.password ?? LAB_USERS.admin.password,
    '-C', String(opts.cipherSuite ?? 3),
    ...(opts.privilege !== undefined ? ['-L', opts.privilege] : []),
    ...args,
  ]
  return new Promise((resolve, reject) => {
    execFile('ipmitool', argv, { timeout: opts.timeoutMs ?? 30_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`ipmitool ${args.join(' ')} failed: ${err.message.split('\n')[0]}\n${stderr}${stdout}`, { cause: err }))
      else resolve(stdout)
    })
  })
}

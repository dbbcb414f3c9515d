/**
 * The CLI options of ops that take more than a word (op-command.ts parses
 * them; the REST body they build is checked by the route's schema as any
 * other body). A password never comes from the command line, where `ps` and
 * shell history would keep it: `--password-env VAR` names the variable that
 * holds it.
 */
import { ServiceError } from '../errors.js'
import type { CliOption } from './types.js'

const invalid = (message: string, field: string): ServiceError => new ServiceError('VALIDATION_FAILED', message, { details: { field } })

const text = (field: string, value: string, help: string): CliOption => ({
  type: 'string', value, help,
  apply(body, v) {
    body[field] = v
  },
})
/** `--yes` / `--no` pairs setting one boolean field; both at once is a usage error. */
const flags = (field: string, yes: string, no: string, help: [string, string]): Record<string, CliOption> => {
  const one = (to: boolean, text: string): CliOption => ({
    type: 'boolean', help: text,
    apply(body, v) {
      if (v !== true) return
      if (body[field] !== undefined && body[field] !== to) throw invalid(`--${yes} and --${no} exclude each other`, field)
      body[field] = to
    },
  })
  return { [yes]: one(true, help[0]), [no]: one(false, help[1]) }
}

/** `bmcvisor users RANGE set UID ...`: the fields of PUT bmc/users/:uid. */
export function userSetOptions(privileges: readonly string[]): Record<string, CliOption> {
  return {
    name: text('name', 'NAME', 'account name (printable ASCII, at most 16)'),
    'password-env': {
      type: 'string', value: 'VAR', help: 'the new password is in environment variable VAR (1 to 20 bytes)',
      apply(body, v, env) {
        const pass = env[String(v)]
        if (pass === undefined || pass === '') throw invalid(`environment variable ${String(v)} is not set`, 'password-env')
        body.password = pass
      },
    },
    privilege: {
      type: 'string', value: privileges.join('|'), help: 'channel privilege limit',
      apply(body, v) {
        if (!privileges.includes(String(v))) throw invalid(`--privilege must be one of ${privileges.join(', ')}`, 'privilege')
        body.privilege = v
      },
    },
    ...flags('enabled', 'enable', 'disable', ['enable the account', 'disable the account']),
    ...flags('sol', 'sol', 'no-sol', ['grant Serial-over-LAN access', 'revoke Serial-over-LAN access']),
  }
}

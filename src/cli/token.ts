/**
 * `bmcvisor token create --role ROLE [--name NAME] [--expires 30d|ISO-TIME]
 * [--data DIR] [--store URL]` prints a new API token alone on stdout;
 * `token list`, `token set ID --role ROLE` and `token revoke ID`. These
 * work on the store directly, with or without a running server (SQLite WAL
 * and a busy timeout let both write; PostgreSQL is shared anyway). Each
 * change is audited with actor `cli`.
 */
import { parseArgs } from 'node:util'
import { ServiceError } from '../errors.js'
import { DEFAULT_DATA } from '../main.js'
import { openConfiguredStore } from '../store/open.js'
import { checkExpiry, parseDuration } from '../store/tokens.js'
import { ROLES, type Role } from '../store/types.js'
import { reportError } from './errors-out.js'

export const TOKEN_USAGE = `usage: bmcvisor token create --role viewer|operator|admin [--name NAME] [--expires 30d|ISO-TIME] [--data DIR] [--store URL]
       bmcvisor token list [--data DIR] [--store URL]
       bmcvisor token set ID --role viewer|operator|admin [--data DIR] [--store URL]
       bmcvisor token revoke ID [--data DIR] [--store URL]
  --expires  a lifetime (30d, 12h, 90m, 2w) or a time (2027-01-31T00:00:00Z); expired tokens are refused.
  --store    the PostgreSQL store the servers share (postgres://USER@HOST:PORT/DATABASE; or BMCVISOR_STORE); default: SQLite in --data.
  A running server closes or downgrades the revoked or lowered token's connections within its recheck period.`

const OPTIONS = {
  role: { type: 'string' },
  name: { type: 'string' },
  expires: { type: 'string' },
  data: { type: 'string' },
  store: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

export async function tokenCommand(argv: string[], io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream; env: NodeJS.ProcessEnv }): Promise<number> {
  try {
    const { values: o, positionals: [sub, ...rest] } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true })
    if (o.help === true || sub === undefined) {
      io.stdout.write(TOKEN_USAGE + '\n')
      return o.help === true ? 0 : 2
    }
    const dataDir = o.data ?? io.env.BMCVISOR_DATA ?? DEFAULT_DATA
    const store = await openConfiguredStore({ dataDir, secretKey: io.env.BMCVISOR_SECRET_KEY, url: o.store ?? io.env.BMCVISOR_STORE })
    try {
      switch (sub) {
        case 'create': {
          if (o.role === undefined || !ROLES.includes(o.role as Role)) throw new ServiceError('VALIDATION_FAILED', `--role must be one of ${ROLES.join(', ')}`, { details: { field: 'role' } })
          const name = o.name ?? `${o.role}-${new Date().toISOString().slice(0, 10)}`
          if (name.length > 64) throw new ServiceError('VALIDATION_FAILED', '--name is at most 64 characters', { details: { field: 'name' } })
          const expiresAt = o.expires === undefined ? undefined : expiryOf(o.expires)
          const { token, info } = await store.tokens.create({ name, role: o.role as Role, expiresAt })
          // The first start must not print a second admin token after this one.
          await store.claimMeta('initial_token_issued', new Date().toISOString())
          await store.audit.append({ actor: 'cli', tokenId: null, action: 'token.create', target: info.id, detail: { role: info.role, name: info.name, expiresAt: info.expiresAt }, outcome: 'ok' })
          io.stdout.write(token + '\n')
          return 0
        }
        case 'list':
          for (const t of await store.tokens.list()) {
            io.stdout.write(`${t.id}  ${t.role.padEnd(8)}  ${t.name}  created ${t.createdAt}  last used ${t.lastUsedAt ?? 'never'}  expires ${t.expiresAt ?? 'never'}\n`)
          }
          return 0
        case 'set': {
          const id = rest[0]
          if (id === undefined) throw new ServiceError('VALIDATION_FAILED', 'token set needs an ID (bmcvisor token list)', { details: { field: 'id' } })
          if (o.role === undefined || !ROLES.includes(o.role as Role)) throw new ServiceError('VALIDATION_FAILED', `--role must be one of ${ROLES.join(', ')}`, { details: { field: 'role' } })
          const info = await store.tokens.setRole(id, o.role as Role)
          await store.audit.append({ actor: 'cli', tokenId: null, action: 'token.update', target: id, detail: { role: info.role }, outcome: 'ok' })
          return 0
        }
        case 'revoke': {
          const id = rest[0]
          if (id === undefined) throw new ServiceError('VALIDATION_FAILED', 'token revoke needs an ID (bmcvisor token list)', { details: { field: 'id' } })
          await store.tokens.revoke(id)
          await store.audit.append({ actor: 'cli', tokenId: null, action: 'token.revoke', target: id, detail: null, outcome: 'ok' })
          return 0
        }
        default:
          throw new ServiceError('VALIDATION_FAILED', `unknown token command ${sub}\n${TOKEN_USAGE}`, { details: { field: 'command' } })
      }
    } finally {
      await store.close()
    }
  } catch (e) {
    return reportError(e, io.stderr)
  }
}

/** --expires: a duration from now (30d) or a time. */
function expiryOf(s: string): string {
  // Anything shaped like a duration is judged as one (so `30x` says what durations look like).
  if (/^\d+[a-z]$/i.test(s)) return new Date(Date.now() + parseDuration(s, 'expires')).toISOString()
  return checkExpiry(s, 'expires')
}

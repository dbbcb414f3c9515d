/**
 * The service logger: pino, JSON lines, one instance created by the
 * composition root (src/main.ts) and handed down (never a module global).
 *
 * Owns the redaction rules: BMC passwords and keys (K_G), API tokens and
 * Authorization headers are censored wherever they sit in the paths below,
 * and `access_token` query parameters (any spelling) are cut out of logged URLs. Redaction
 * is a second line of defence: code must not log secrets in the first place.
 */
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino'

export type { Logger } from 'pino'

const SECRET_KEYS = ['password', 'kg', 'token', 'secret', 'authorization', 'newPassword', 'accessToken', 'access_token']

/** pino paths for every secret key at the top level and up to three levels down (pino has no recursive wildcard). */
export const REDACT_PATHS: string[] = [
  ...SECRET_KEYS,
  ...SECRET_KEYS.map((k) => `*.${k}`),
  ...SECRET_KEYS.map((k) => `*.*.${k}`),
  ...SECRET_KEYS.map((k) => `*.*.*.${k}`),
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
]

/** Query parameter names whose values are never logged, compared after percent-decoding and case-folding. */
const SECRET_PARAMS = new Set(['access_token', 'token'])

function decodedName(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' ')).toLowerCase()
  } catch {
    return raw.toLowerCase()
  }
}

/**
 * A URL with the value of every secret query parameter replaced, whatever
 * spelling of its name (`access_token`, `ACCESS_TOKEN`, `access%5Ftoken`).
 */
export function redactUrl(url: string): string {
  const q = url.indexOf('?')
  if (q < 0) return url
  const hash = url.indexOf('#', q)
  const query = url.slice(q + 1, hash < 0 ? undefined : hash)
  const parts = query.split('&').map((part) => {
    const eq = part.indexOf('=')
    const name = eq < 0 ? part : part.slice(0, eq)
    return SECRET_PARAMS.has(decodedName(name)) ? `${name}=[redacted]` : part
  })
  return url.slice(0, q + 1) + parts.join('&') + (hash < 0 ? '' : url.slice(hash))
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export const LOG_FORMATS = ['auto', 'json', 'pretty'] as const
export type LogFormat = (typeof LOG_FORMATS)[number]

/** Fields every line has, left out of the readable form (time and level lead it, msg follows). */
const PRETTY_OMITTED = new Set(['time', 'level', 'msg', 'pid', 'hostname', 'service'])
const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' }

function prettyValue(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v)
  return JSON.stringify(v) ?? String(v)
}

/** One pino JSON line as `HH:MM:SS.mmm (UTC) LEVEL message key=value ...` (an error's stack on the lines below). */
export function prettyLine(json: string): string {
  let o: Record<string, unknown>
  try {
    o = JSON.parse(json) as Record<string, unknown>
  } catch {
    return json.endsWith('\n') ? json : json + '\n'
  }
  const time = typeof o.time === 'number' ? new Date(o.time).toISOString().slice(11, 23) : ''
  const level = (typeof o.level === 'number' ? LEVEL_NAMES[o.level] : undefined) ?? String(o.level)
  const fields: string[] = []
  let stack = ''
  for (const [k, v] of Object.entries(o)) {
    if (PRETTY_OMITTED.has(k)) continue
    if (k === 'err' && v !== null && typeof v === 'object') {
      const e = v as { message?: unknown; stack?: unknown }
      fields.push(`err=${prettyValue(e.message)}`)
      if (typeof e.stack === 'string') stack = '\n' + e.stack.split('\n').map((l) => `    ${l}`).join('\n')
      continue
    }
    fields.push(`${k}=${prettyValue(v)}`)
  }
  return `${time} ${level.padEnd(5)} ${typeof o.msg === 'string' ? o.msg : ''}${fields.length > 0 ? ' ' + fields.join(' ') : ''}${stack}\n`
}

/** A pino destination that writes readable lines to `out`. */
export function prettyDestination(out: { write(s: string): unknown }): DestinationStream {
  return { write: (line: string) => void out.write(prettyLine(line)) }
}

export interface CreateLoggerOptions {
  level?: string
  /** auto (default): pretty when stdout is a terminal, else JSON. */
  format?: LogFormat
  /** Where lines go (tests capture them); default stdout. */
  destination?: DestinationStream
  base?: Record<string, unknown>
}

export function createLogger(opts: CreateLoggerOptions = {}): Logger {
  const options: LoggerOptions = {
    level: opts.level ?? 'info',
    base: opts.base ?? { service: 'bmcvisor' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: {
      req: (req: { method?: string; url?: string; id?: unknown; ip?: string; headers?: Record<string, unknown> }) => ({
        id: req.id,
        method: req.method,
        url: typeof req.url === 'string' ? redactUrl(req.url) : undefined,
        remoteAddress: req.ip,
        userAgent: req.headers?.['user-agent'],
      }),
      err: pino.stdSerializers.err,
    },
  }
  const pretty = opts.format === 'pretty' || ((opts.format ?? 'auto') === 'auto' && opts.destination === undefined && process.stdout.isTTY === true)
  if (pretty) return pino(options, prettyDestination(opts.destination ?? process.stdout))
  return opts.destination === undefined ? pino(options) : pino(options, opts.destination)
}

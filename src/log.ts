/**
 * The service logger: pino, JSON lines, one instance created by the
 * composition root (src/main.ts) and handed down (never a module global).
 *
 * Owns the redaction rules: BMC passwords and keys (K_G), API tokens and
 * Authorization headers are censored wherever they sit in the paths below,
 * and `access_token` query parameters are cut out of logged URLs. Redaction
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

/** A URL with any access_token (or token) query parameter replaced. */
export function redactUrl(url: string): string {
  return url.replace(/([?&](?:access_token|token)=)[^&#]*/gi, '$1[redacted]')
}

export interface CreateLoggerOptions {
  level?: string
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
  return opts.destination === undefined ? pino(options) : pino(options, opts.destination)
}

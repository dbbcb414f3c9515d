/**
 * The CLI's REST client: BMCVISOR_URL (default http://127.0.0.1:8623) and
 * BMCVISOR_TOKEN. An error reply becomes a ServiceError with the server's
 * code, so the CLI prints `bmcvisor: CODE: message` like every other
 * command. For a private CA, set NODE_EXTRA_CA_CERTS.
 */
import { ServiceError, isErrorCode } from '../errors.js'
import type { ErrorDetails } from '../ipmi/errors.js'

export const DEFAULT_URL = 'http://127.0.0.1:8623'

export interface ApiClient {
  readonly url: string
  request<T = unknown>(method: string, path: string, body?: unknown): Promise<T>
  /** NDJSON lines as they arrive. */
  stream(method: string, path: string, body?: unknown): AsyncGenerator<Record<string, unknown>>
}

export interface ClientOptions {
  /** Each request's deadline (the whole exchange, body included); none by default. */
  timeoutMs?: number
}

export function clientFromEnv(env: NodeJS.ProcessEnv, opts: ClientOptions = {}): ApiClient {
  const url = (env.BMCVISOR_URL ?? DEFAULT_URL).replace(/\/+$/, '')
  const token = env.BMCVISOR_TOKEN
  if (token === undefined || token === '') {
    throw new ServiceError('UNAUTHORIZED', 'set BMCVISOR_TOKEN to an API token (bmcvisor token create --role operator)', { details: { field: 'BMCVISOR_TOKEN' } })
  }
  const headers = (accept: string, body: unknown): Record<string, string> => ({
    authorization: `Bearer ${token}`,
    accept,
    ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
  })
  const send = async (method: string, path: string, body: unknown, accept: string): Promise<Response> => {
    let res: Response
    try {
      res = await fetch(`${url}/api/v1${path}`, {
        method, headers: headers(accept, body), ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        ...(opts.timeoutMs !== undefined ? { signal: AbortSignal.timeout(opts.timeoutMs) } : {}),
      })
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause
      throw new ServiceError('WORKER_UNAVAILABLE', `cannot reach bmcvisor at ${url}: ${cause?.code ?? cause?.message ?? String(e)}`, { details: { url } })
    }
    if (res.ok) return res
    const text = await res.text()
    let err: { code?: unknown; message?: unknown; details?: unknown } | undefined
    try {
      err = (JSON.parse(text) as { error?: typeof err }).error
    } catch {
      // not our envelope
    }
    const code = isErrorCode(err?.code) ? err.code : res.status === 401 ? 'UNAUTHORIZED' : 'INTERNAL'
    const details = err?.details !== null && typeof err?.details === 'object' ? (err.details as ErrorDetails) : {}
    throw new ServiceError(code, typeof err?.message === 'string' ? err.message : `HTTP ${res.status}`, { details })
  }
  return {
    url,
    async request<T>(method: string, path: string, body?: unknown): Promise<T> {
      const res = await send(method, path, body, 'application/json')
      if (res.status === 204) return undefined as T
      return (await res.json()) as T
    },
    async *stream(method: string, path: string, body?: unknown) {
      const res = await send(method, path, body, 'application/x-ndjson')
      if (res.body === null) return
      const decoder = new TextDecoder()
      let buf = ''
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buf += decoder.decode(chunk, { stream: true })
        let nl: number
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim()
          buf = buf.slice(nl + 1)
          if (line !== '') yield JSON.parse(line) as Record<string, unknown>
        }
      }
      if (buf.trim() !== '') yield JSON.parse(buf) as Record<string, unknown>
    },
  }
}

/** A path segment, percent-encoded (noderange brackets, @, commas). */
export function seg(s: string): string {
  return encodeURIComponent(s)
}

// A bearer-token caller of a running server's REST API (/api/v1), for the
// tests that start a whole server: status and parsed JSON ({} for an empty body).
type Json = Record<string, unknown>

export type RestCall = (method: string, path: string, body?: unknown) => Promise<{ status: number; json: Json }>

/** `baseUrl` is read at each call: the server may be started (or restarted) after the caller is made. */
export function restClient(baseUrl: () => string, token: string): RestCall {
  return async (method, path, body) => {
    const res = await fetch(`${baseUrl()}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    })
    const text = await res.text()
    return { status: res.status, json: text === '' ? {} : (JSON.parse(text) as Json) }
  }
}

// The page's one way to the REST API: same origin, the session cookie goes by
// itself (HttpOnly: this script never sees it), and the CSRF token the sign-in
// answer gave is sent with every request that changes something.
export type Role = 'viewer' | 'operator' | 'admin'
export interface Me { signedIn: true; name: string; role: Role; expiresAt: string | null; csrf: string | null }

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 }
export const roleAllows = (have: Role, need: Role) => RANK[have] >= RANK[need]

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message)
  }
}

let csrf: string | null = null

export function setCsrf(token: string | null): void {
  csrf = token
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' }
  if (body !== undefined) headers['content-type'] = 'application/json'
  if (method !== 'GET' && csrf !== null) headers['x-csrf-token'] = csrf
  const res = await fetch(`/api/v1${path}`, { method, headers, credentials: 'same-origin', ...(body !== undefined ? { body: JSON.stringify(body) } : {}) })
  if (res.status === 204) return undefined as T
  const data = (await res.json().catch(() => ({}))) as { error?: { code: string; message: string } }
  if (!res.ok) throw new ApiError(res.status, data.error?.code ?? 'INTERNAL', data.error?.message ?? res.statusText)
  return data as T
}

/** A URL path segment: node names are plain, but never trust that. */
export const seg = (s: string) => encodeURIComponent(s)

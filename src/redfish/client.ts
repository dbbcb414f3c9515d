/**
 * A Redfish client for one BMC: login, requests, links, PATCH with ETags,
 * actions with task monitors, logout. Owns the BMC's session (one per
 * client) and its request slots; the sockets are the transport's.
 * Redfish DSP0266 §13.3 (sessions), §9.5 (ETags), §12.2 (tasks).
 *
 * - Login: POST {UserName, Password} to the service root's `Links.Sessions`;
 *   the `X-Auth-Token` rides every request and the session (`Location`) is
 *   DELETE'd on close, whatever happened before. A service without a
 *   session collection, or one that refuses the POST with 404/405/501, gets
 *   HTTP Basic instead. A 401 on a session request logs in again once.
 * - Requests: at most `maxInFlight` at once per BMC; each try has its own
 *   timeout within the caller's deadline; connection failures and 503 are
 *   retried with growing, jittered pauses like the IPMI side's retransmits
 *   (src/session/config.ts), but only for requests that are safe to repeat
 *   (GET, DELETE, PATCH with If-Match); an action is resent only when a
 *   kept-alive socket turned out to be stale before the BMC saw it.
 * - Links are followed from the service root; no resource path is assumed.
 * Credentials never appear in errors: requests are named by method and path.
 */
import { assertNever } from '../bridge/messages.js'
import { ServiceError } from '../errors.js'
import { DEFAULT_TIMING } from '../session/config.js'
import { httpError } from './http-errors.js'
import { Semaphore } from './semaphore.js'
import { connectionError, pathOnly, RedfishTransport, type HttpRequest, type HttpResponse, type TlsTrust } from './transport.js'

export type Doc = Record<string, unknown>

export interface Resource {
  path: string
  doc: Doc
  etag?: string | undefined
}

export interface RedfishTiming {
  /** One try of one request, connect and TLS handshake included. */
  requestTimeoutMs: number
  /** Tries after the first, for requests that are safe to repeat. */
  retries: number
  /** Pause before the first retry; each further one adds as much again. */
  backoffMs: number
  /** Random extra share of each pause, so a fleet does not retry in step. */
  jitterRatio: number
  /** Requests in flight at once to this BMC. */
  maxInFlight: number
  /** Pause between task monitor polls when the BMC names no Retry-After. */
  taskPollMs: number
  /** Deadline of a task when the caller gave none. */
  taskTimeoutMs: number
  /** The logout DELETE on close (sent once). */
  closeTimeoutMs: number
  /** Idle time between keepalive GETs (the worker's pace; the IPMI side's default). */
  keepaliveMs: number
  /**
   * How long a login POST that timed out is still listened to: a slow BMC makes
   * the session anyway, and one left behind per try fills its few session slots.
   * A late token is logged out at once; close() waits for these (closeTimeoutMs at most).
   */
  loginGraceMs: number
}

export const DEFAULT_REDFISH_TIMING: RedfishTiming = {
  requestTimeoutMs: 5000,
  retries: 2,
  backoffMs: 500,
  jitterRatio: DEFAULT_TIMING.jitterRatio,
  maxInFlight: 3,
  taskPollMs: 1000,
  taskTimeoutMs: 60_000,
  closeTimeoutMs: DEFAULT_TIMING.closeTimeoutMs,
  keepaliveMs: DEFAULT_TIMING.keepaliveMs,
  loginGraceMs: 30_000,
}

export interface RedfishConfig {
  host: string
  port: number
  username: string
  password: string
  tls: TlsTrust
  /** The ComputerSystem to manage by its Id (or last path segment); default the collection's first member. */
  systemId?: string | undefined
  timing?: Partial<RedfishTiming> | undefined
  onFingerprint?: ((fingerprint: string) => void) | undefined
}

export interface CallOptions {
  /** Epoch milliseconds after which the call fails with BMC_UNREACHABLE (or BMC_TASK_TIMEOUT for a task). */
  deadline?: number | undefined
}

interface SendOptions extends CallOptions {
  body?: unknown
  /** Values the body carries that must never reach an error (passwords). */
  secrets?: readonly string[]
  headers?: Record<string, string>
  /** Safe to send twice (GET, DELETE, a PATCH with If-Match). */
  idempotent: boolean
  /** Send credentials (false only for the login POST and the service root). */
  authenticate?: boolean
  /** An answer after the try's timeout (the login POST: the session it made is logged out). */
  lateAnswer?: (res: HttpResponse) => void
}

type Auth = { kind: 'none' } | { kind: 'basic' } | { kind: 'session'; token: string; uri: string | undefined }

export const SERVICE_ROOT = '/redfish/v1/'
/** TaskState values (Task.v1 schema) of a task that has not finished. */
const TASK_RUNNING = new Set(['New', 'Starting', 'Running', 'Suspended', 'Interrupted', 'Pending', 'Stopping', 'Service'])
const TASK_FAILED = new Set(['Exception', 'Killed', 'Cancelled'])
/** Collection pages followed through @odata.nextLink before the collection counts as broken. */
const MAX_PAGES = 64
const NOT_OFFERED = new Set([404, 405, 501])

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)))

/** A link target as a request path: absolute URLs lose scheme and host, fragments (`Thermal#/Fans/0`) are dropped. */
export function toPath(ref: string): string {
  let p = ref
  const m = /^https?:\/\/[^/]+(\/.*)?$/i.exec(p)
  if (m) p = m[1] ?? '/'
  const hash = p.indexOf('#')
  if (hash !== -1) p = p.slice(0, hash)
  return p.startsWith('/') ? p : `/${p}`
}

/** The `@odata.id` of a link property, or undefined. */
export function linkOf(v: unknown): string | undefined {
  if (v === null || typeof v !== 'object') return undefined
  const id = (v as Doc)['@odata.id']
  return typeof id === 'string' && id !== '' ? toPath(id) : undefined
}

function isOk(status: number): boolean {
  return status >= 200 && status < 300
}

function header(res: HttpResponse, name: string): string | undefined {
  const v = res.headers[name]
  return Array.isArray(v) ? v[0] : v
}

function asDoc(v: unknown): Doc {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Doc) : {}
}

export class RedfishClient {
  readonly timing: RedfishTiming
  private readonly transport: RedfishTransport
  private readonly slots: Semaphore
  private auth: Auth = { kind: 'none' }
  private relogin: Promise<void> | undefined
  private root: Doc | undefined
  private closed = false
  /** Sessions this client created and deleted (for tests and metrics). */
  /** lateSessionsDeleted: sessions of logins that timed out, made by the BMC anyway and logged out (loginGraceMs). */
  readonly stats = { sessionsCreated: 0, sessionsDeleted: 0, lateSessionsDeleted: 0, relogins: 0, retries: 0 }
  private readonly lateLogouts = new Set<Promise<void>>()

  constructor(private readonly cfg: RedfishConfig) {
    this.timing = { ...DEFAULT_REDFISH_TIMING, ...cfg.timing }
    this.slots = new Semaphore(this.timing.maxInFlight)
    this.transport = new RedfishTransport({ host: cfg.host, port: cfg.port, trust: cfg.tls, onFingerprint: cfg.onFingerprint, maxSockets: this.timing.maxInFlight })
  }

  /** How requests authenticate: a session token, HTTP Basic, or not yet logged in. */
  get authKind(): Auth['kind'] {
    return this.auth.kind
  }

  /** The certificate fingerprint `pin` holds (configured or learned), and the one last seen. */
  get fingerprints(): { pinned: string | undefined; seen: string | undefined } {
    return { pinned: this.transport.pinnedFingerprint, seen: this.transport.fingerprintSeen }
  }

  get systemId(): string | undefined {
    return this.cfg.systemId
  }

  /** Reads the service root and logs in; with a session already, proves it still works (a 401 logs in again). */
  async open(o: CallOptions = {}): Promise<void> {
    if (this.auth.kind === 'none') await this.login(o)
    else await this.ping(o)
  }

  async serviceRoot(o: CallOptions = {}): Promise<Doc> {
    if (this.root !== undefined) return this.root
    const res = await this.send('GET', SERVICE_ROOT, { ...o, idempotent: true, authenticate: false })
    if (!isOk(res.status)) throw this.failure('GET', SERVICE_ROOT, res, [])
    this.root = this.expectDoc('GET', SERVICE_ROOT, res)
    return this.root
  }

  private async login(o: CallOptions): Promise<void> {
    const root = await this.serviceRoot(o)
    const sessions = linkOf(asDoc(root.Links).Sessions) ?? (await this.sessionsFromService(root, o))
    if (sessions !== undefined) {
      const res = await this.send('POST', sessions, {
        ...o, idempotent: false, authenticate: false,
        body: { UserName: this.cfg.username, Password: this.cfg.password }, secrets: [this.cfg.password],
        lateAnswer: (late) => this.logoutLate(late),
      })
      const token = header(res, 'x-auth-token')
      if (isOk(res.status) && token !== undefined && token !== '') {
        const loc = header(res, 'location') ?? linkOf(res.json)
        this.auth = { kind: 'session', token, uri: loc === undefined ? undefined : toPath(loc) }
        this.stats.sessionsCreated++
        return
      }
      if (isOk(res.status)) throw new ServiceError('BMC_PROTOCOL_ERROR', `POST ${sessions}: the BMC created a session but sent no X-Auth-Token`)
      if (!NOT_OFFERED.has(res.status)) throw this.failure('POST', sessions, res, [this.cfg.password])
    }
    // No session service: HTTP Basic on every request. Prove the credentials now, not at the first op.
    this.auth = { kind: 'basic' }
    const systems = linkOf(root.Systems) ?? SERVICE_ROOT
    const res = await this.send('GET', systems, { ...o, idempotent: true })
    if (!isOk(res.status)) {
      this.auth = { kind: 'none' }
      throw this.failure('GET', systems, res, [])
    }
  }

  /** A session the BMC made for a login we had given up on: deleted at once (it was never ours to use). */
  private logoutLate(res: HttpResponse): void {
    const token = header(res, 'x-auth-token')
    const loc = header(res, 'location') ?? linkOf(res.json)
    if (!isOk(res.status) || token === undefined || token === '' || loc === undefined) return
    const done = this.transport.request({
      method: 'DELETE', path: toPath(loc), headers: { accept: 'application/json', 'x-auth-token': token }, timeoutMs: this.timing.closeTimeoutMs,
    }).then((r) => {
      if (isOk(r.status) || r.status === 404) this.stats.lateSessionsDeleted++
    }, () => undefined).finally(() => this.lateLogouts.delete(done))
    this.lateLogouts.add(done)
  }

  private async sessionsFromService(root: Doc, o: CallOptions): Promise<string | undefined> {
    const svc = linkOf(root.SessionService)
    if (svc === undefined) return undefined
    const res = await this.send('GET', svc, { ...o, idempotent: true, authenticate: false })
    return isOk(res.status) ? linkOf(asDoc(res.json).Sessions) : undefined
  }

  /** One login again after a 401, shared by every request that saw the same stale token. */
  private reauthenticate(staleToken: string, o: CallOptions): Promise<void> {
    if (this.auth.kind === 'session' && this.auth.token !== staleToken) return Promise.resolve()
    this.relogin ??= (async () => {
      try {
        this.stats.relogins++
        this.auth = { kind: 'none' }
        await this.login(o)
      } finally {
        this.relogin = undefined
      }
    })()
    return this.relogin
  }

  private authHeaders(): Record<string, string> {
    switch (this.auth.kind) {
      case 'session':
        return { 'x-auth-token': this.auth.token }
      case 'basic':
        return { authorization: `Basic ${Buffer.from(`${this.cfg.username}:${this.cfg.password}`).toString('base64')}` }
      case 'none':
        return {}
      default:
        return assertNever(this.auth)
    }
  }

  private tryTimeout(deadline: number | undefined, what: string): number {
    if (deadline === undefined) return this.timing.requestTimeoutMs
    const left = deadline - Date.now()
    if (left <= 0) throw new ServiceError('BMC_UNREACHABLE', `${what}: the deadline passed`)
    return Math.min(this.timing.requestTimeoutMs, left)
  }

  private pause(attempt: number, retryAfterS: number | undefined): number {
    if (retryAfterS !== undefined && Number.isFinite(retryAfterS)) return retryAfterS * 1000
    const base = this.timing.backoffMs * (attempt + 1)
    return base * (1 + Math.random() * this.timing.jitterRatio)
  }

  /** One request with the retry policy above; answers every status (the caller judges it), throws on no answer. */
  private async send(method: HttpRequest['method'], path: string, s: SendOptions): Promise<HttpResponse> {
    if (this.closed) throw new ServiceError('BMC_SESSION_CLOSED', `${method} ${pathOnly(path)}: the Redfish client is closed`)
    if (s.authenticate !== false && this.auth.kind === 'none') await this.login(s)
    const what = `${method} ${pathOnly(path)}`
    let reauthenticated = false
    for (let attempt = 0; ; attempt++) {
      const timeoutMs = this.tryTimeout(s.deadline, what)
      const auth = s.authenticate === false ? {} : this.authHeaders()
      const usedToken = this.auth.kind === 'session' ? this.auth.token : undefined
      const headers: Record<string, string> = { accept: 'application/json', 'odata-version': '4.0', ...auth, ...s.headers }
      let body: string | undefined
      if (s.body !== undefined) {
        headers['content-type'] = 'application/json'
        body = JSON.stringify(s.body)
      }
      let res: HttpResponse
      try {
        const late = s.lateAnswer === undefined ? undefined : { ms: this.timing.loginGraceMs, answer: s.lateAnswer }
        res = await this.slots.run(() => this.transport.request({ method, path, headers, body, timeoutMs, late }))
      } catch (e) {
        const err = connectionError(e, what)
        const again = err.code === 'BMC_UNREACHABLE' && (s.idempotent || err.details.staleSocket === true)
        if (!again || attempt >= this.timing.retries) throw err
        this.stats.retries++
        await this.wait(this.pause(attempt, undefined), s.deadline)
        continue
      }
      if (res.status === 401 && usedToken !== undefined && !reauthenticated) {
        reauthenticated = true
        await this.reauthenticate(usedToken, s)
        attempt--
        continue
      }
      if ((res.status === 503 || res.status === 429) && s.idempotent && attempt < this.timing.retries) {
        const ra = header(res, 'retry-after')
        const ms = this.pause(attempt, ra === undefined ? undefined : Number(ra))
        if (s.deadline === undefined || Date.now() + ms < s.deadline) {
          this.stats.retries++
          await sleep(ms)
          continue
        }
      }
      return res
    }
  }

  private async wait(ms: number, deadline: number | undefined): Promise<void> {
    await sleep(deadline === undefined ? ms : Math.min(ms, deadline - Date.now()))
  }

  private failure(method: string, path: string, res: HttpResponse, secrets: readonly string[]): ServiceError {
    return httpError({ method, path: pathOnly(path), status: res.status, body: res.json, secrets: [this.cfg.password, ...secrets] })
  }

  private expectDoc(method: string, path: string, res: HttpResponse): Doc {
    if (res.json === null || typeof res.json !== 'object' || Array.isArray(res.json)) {
      throw new ServiceError('BMC_PROTOCOL_ERROR', `${method} ${pathOnly(path)}: the answer is not a JSON object`, { details: { httpStatus: res.status } })
    }
    return res.json as Doc
  }

  async get(path: string, o: CallOptions = {}): Promise<Resource> {
    const res = await this.send('GET', path, { ...o, idempotent: true })
    if (!isOk(res.status)) throw this.failure('GET', path, res, [])
    const doc = this.expectDoc('GET', path, res)
    const tag = header(res, 'etag') ?? (typeof doc['@odata.etag'] === 'string' ? doc['@odata.etag'] : undefined)
    return { path, doc, etag: tag }
  }

  /** The resource a link property points at; BMC_NOT_SUPPORTED naming `what` when the link is absent. */
  async follow(from: Resource | Doc, property: string, o: CallOptions = {}): Promise<Resource> {
    const doc = 'doc' in from && 'path' in from ? (from as Resource).doc : (from as Doc)
    const link = linkOf(doc[property])
    if (link === undefined) throw new ServiceError('BMC_NOT_SUPPORTED', `the BMC's ${String(doc['@odata.id'] ?? 'resource')} has no ${property}`, { details: { missing: property } })
    return this.get(link, o)
  }

  /**
   * Every member of a collection, in order: pages joined through
   * @odata.nextLink, members already expanded in the page used as they are,
   * the others read (at most maxInFlight at once). A page that repeats
   * members adds none of them twice.
   */
  async members(path: string, o: CallOptions = {}): Promise<Resource[]> {
    const refs: (Resource | string)[] = []
    const seen = new Set<string>()
    let next: string | undefined = path
    for (let page = 0; next !== undefined; page++) {
      if (page >= MAX_PAGES) throw new ServiceError('BMC_PROTOCOL_ERROR', `GET ${pathOnly(path)}: more than ${MAX_PAGES} pages`)
      const { doc } = await this.get(next, o)
      const list = Array.isArray(doc.Members) ? doc.Members : []
      let added = 0
      for (const m of list) {
        const link = linkOf(m)
        if (link === undefined || seen.has(link)) continue
        seen.add(link)
        added++
        const md = asDoc(m)
        // More than the link itself: the BMC expanded the member in the collection (log entries often are).
        refs.push(Object.keys(md).some((k) => !k.startsWith('@odata.')) ? { path: link, doc: md } : link)
      }
      const nl: unknown = doc['Members@odata.nextLink'] ?? doc['@odata.nextLink']
      next = typeof nl === 'string' && added > 0 ? toPath(nl) : undefined
    }
    return Promise.all(refs.map((r) => (typeof r === 'string' ? this.get(r, o) : Promise.resolve(r))))
  }

  /** PATCH with If-Match from `current`; a 412 (changed meanwhile) reads the resource again and tries once more. */
  async patch(current: Resource, body: Doc, o: CallOptions = {}, secrets: readonly string[] = []): Promise<Doc | undefined> {
    let cur = current
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = cur.etag !== undefined ? { 'if-match': cur.etag } : {}
      const res = await this.send('PATCH', cur.path, { ...o, body, secrets, headers, idempotent: cur.etag !== undefined })
      if (res.status === 412 && attempt === 0) {
        cur = await this.get(cur.path, o)
        continue
      }
      if (res.status === 202) return this.awaitTask('PATCH', cur.path, res, o)
      if (!isOk(res.status)) throw this.failure('PATCH', cur.path, res, secrets)
      return res.json === undefined ? undefined : asDoc(res.json)
    }
  }

  /** POST to a collection (create a member): the new member's path and document. */
  async create(collection: string, body: Doc, o: CallOptions = {}, secrets: readonly string[] = []): Promise<{ path: string | undefined; doc: Doc | undefined }> {
    const res = await this.send('POST', collection, { ...o, body, secrets, idempotent: false })
    if (!isOk(res.status)) throw this.failure('POST', collection, res, secrets)
    const loc = header(res, 'location') ?? linkOf(res.json)
    return { path: loc === undefined ? undefined : toPath(loc), doc: res.json === undefined ? undefined : asDoc(res.json) }
  }

  /** POST an action; a 202 is a task, polled until it ends or the deadline passes. */
  async action(target: string, body: Doc, o: CallOptions = {}): Promise<Doc | undefined> {
    const path = toPath(target)
    const res = await this.send('POST', path, { ...o, body, idempotent: false })
    if (res.status === 202) return this.awaitTask('POST', path, res, o)
    if (!isOk(res.status)) throw this.failure('POST', path, res, [])
    return res.json === undefined ? undefined : asDoc(res.json)
  }

  private async awaitTask(method: string, path: string, accepted: HttpResponse, o: CallOptions): Promise<Doc | undefined> {
    const loc = header(accepted, 'location') ?? linkOf(accepted.json)
    // A 202 without a monitor is the BMC's "accepted, done later": nothing to poll.
    if (loc === undefined) return accepted.json === undefined ? undefined : asDoc(accepted.json)
    const monitor = toPath(loc)
    const deadline = o.deadline ?? Date.now() + this.timing.taskTimeoutMs
    const timedOut = () => new ServiceError('BMC_TASK_TIMEOUT', `${method} ${pathOnly(path)}: the task was still running at the deadline`, { details: { taskMonitor: monitor } })
    let last = accepted
    for (;;) {
      const ra = header(last, 'retry-after')
      const pauseMs = ra !== undefined && Number.isFinite(Number(ra)) ? Number(ra) * 1000 : this.timing.taskPollMs
      if (Date.now() + pauseMs >= deadline) throw timedOut()
      await sleep(pauseMs)
      try {
        last = await this.send('GET', monitor, { deadline, idempotent: true })
      } catch (e) {
        // The deadline ran out during the poll itself: still a running task, not an unreachable BMC.
        if (e instanceof ServiceError && e.code === 'BMC_UNREACHABLE' && Date.now() >= deadline) throw timedOut()
        throw e
      }
      if (last.status === 202) continue
      if (!isOk(last.status)) throw this.failure('GET', monitor, last, [])
      const doc = last.json === undefined ? undefined : asDoc(last.json)
      const state = doc?.TaskState
      if (typeof state === 'string' && TASK_RUNNING.has(state)) continue
      if (typeof state === 'string' && TASK_FAILED.has(state)) {
        const messages = Array.isArray(doc?.Messages) ? JSON.stringify(doc.Messages) : undefined
        throw new ServiceError('BMC_COMMAND_FAILED', `${method} ${pathOnly(path)}: the task ended ${state}`, { details: { taskState: state, taskMonitor: monitor, ...(messages !== undefined ? { messages } : {}) } })
      }
      return doc
    }
  }

  /** A cheap authenticated GET (the session itself, or the service root's Systems under Basic): the keepalive. */
  async ping(o: CallOptions = {}): Promise<void> {
    const target = this.auth.kind === 'session' && this.auth.uri !== undefined ? this.auth.uri : linkOf((await this.serviceRoot(o)).Systems) ?? SERVICE_ROOT
    await this.get(target, o)
  }

  /** Logs out (DELETE of the session, sent once, bounded by closeTimeoutMs), waits for late logins (closeTimeoutMs more at most) and closes the sockets. Never throws. */
  async close(): Promise<void> {
    if (this.closed) return
    const auth = this.auth
    this.auth = { kind: 'none' }
    if (auth.kind === 'session' && auth.uri !== undefined) {
      const deadline = Date.now() + this.timing.closeTimeoutMs
      try {
        const res = await this.transport.request({
          method: 'DELETE', path: auth.uri, headers: { accept: 'application/json', 'x-auth-token': auth.token }, timeoutMs: Math.max(1, deadline - Date.now()),
        })
        if (isOk(res.status) || res.status === 404) this.stats.sessionsDeleted++
      } catch {
        // The BMC is gone or slow: its session times out on its side (SessionService.SessionTimeout).
      }
    }
    // Logins given up on may still answer: their sessions are logged out before the sockets close.
    let bound: NodeJS.Timeout | undefined
    await Promise.race([
      (async () => {
        await this.transport.settled()
        await Promise.allSettled([...this.lateLogouts])
      })(),
      new Promise<void>((resolve) => {
        bound = setTimeout(resolve, this.timing.closeTimeoutMs)
      }),
    ])
    clearTimeout(bound)
    this.closed = true
    this.transport.close()
  }
}

// DMTF's Redfish mockup (../shared/redfish/public-rackmount1, see its README) served on loopback
// HTTPS for tests: GET returns the document, PATCH merges into an in-memory copy (RFC 7386, with
// ETag/If-Match), POST to an action answers 204 (or runs a task monitor when a test asks), POST to
// the session collection logs in (X-Auth-Token, Location; open sessions are counted), POST to
// another collection creates a member (accounts can then log in). Everything else needs a session
// token or HTTP Basic. Written for the tests from the Redfish spec (DSP0266), not from src/redfish:
// the mockup's documents are the independent half. Owns its server, its sockets and a temp dir.
import { execFileSync } from 'node:child_process'
import { createHash, randomBytes, X509Certificate } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, existsSync } from 'node:fs'
import { createServer, type Server } from 'node:https'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { TestContext } from 'node:test'
import { LOOPBACK } from './net.js'
import { inCi } from './tools.js'

type Doc = Record<string, unknown>

const HERE = dirname(fileURLToPath(import.meta.url))
const MOCKUP_REL = 'shared/redfish/public-rackmount1'
/** Where the workplace keeps shared/ beside its checkouts (a clone elsewhere, as CI's may be, still finds it there). */
const WORKPLACE_ROOT = '/work'

/** `dir` and each directory above it. */
function upward(dir: string): string[] {
  const out = [dir]
  for (let d = dir; dirname(d) !== d; d = dirname(d)) out.push(dirname(d))
  return out
}

/** The checkout this one was cloned from, when that is a local path (a CI clone of /work/main). */
function originPath(): string | undefined {
  try {
    const url = execFileSync('git', ['-C', HERE, 'config', '--get', 'remote.origin.url'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
    return url.startsWith('/') ? url : url.startsWith('file://') ? fileURLToPath(url) : undefined
  } catch {
    return undefined
  }
}

/**
 * The mockup tree: BMCVISOR_REDFISH_MOCKUP, else shared/redfish/public-rackmount1
 * beside the checkout (or beside any directory above it, or above the checkout
 * it was cloned from), else under the workplace root.
 */
function findMockup(): string {
  const env = process.env.BMCVISOR_REDFISH_MOCKUP
  if (env !== undefined && env !== '') return env
  const checkout = resolve(HERE, '../..')
  const origin = originPath()
  const roots = [...upward(dirname(checkout)), ...(origin !== undefined ? upward(dirname(resolve(origin))) : []), WORKPLACE_ROOT]
  for (const r of roots) {
    const d = join(r, MOCKUP_REL)
    if (existsSync(join(d, 'index.json'))) return d
  }
  return join(dirname(checkout), MOCKUP_REL)
}

export const MOCKUP_DIR = findMockup()
const PREFIX = '/redfish/v1'
const SESSIONS = `${PREFIX}/SessionService/Sessions`
const ACCOUNTS = `${PREFIX}/AccountService/Accounts`
const TASK_MONITORS = `${PREFIX}/TaskService/TaskMonitors`
/** Readable without credentials (DSP0266 §13.3.1: the service root and the OData documents). */
const PUBLIC = new Set(['/redfish', PREFIX, `${PREFIX}/odata`, `${PREFIX}/$metadata`])

/** True when the mockup tree is here; else skips the test, or throws under CI (a missing peer is a failure there). */
export function requireMockup(t: TestContext): boolean {
  if (existsSync(join(MOCKUP_DIR, 'index.json'))) return true
  const msg = `DMTF Redfish mockup not found at ${MOCKUP_DIR} (set BMCVISOR_REDFISH_MOCKUP)`
  if (inCi()) throw new Error(`${msg}; CI is set, so this is a failure, not a skip`)
  t.skip(msg)
  return false
}

/** Reads one mockup document by its Redfish path (for assertions: what the BMC holds). */
export function mockupDoc(path: string): Doc {
  const rel = path.replace(/\/+$/, '').replace(/^\/redfish\/v1/, '')
  return JSON.parse(readFileSync(join(MOCKUP_DIR, rel, 'index.json'), 'utf8')) as Doc
}

export interface TestCertificate {
  cert: string
  key: string
  /** SHA-256 of the certificate, as `AB:CD:...` (node:crypto's X509Certificate, not the code under test). */
  fingerprint: string
}

/** A fresh self-signed P-256 certificate for 127.0.0.1 (openssl). */
export function makeCertificate(): TestCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'bmcvisor-rf-cert-'))
  try {
    const key = join(dir, 'key.pem')
    const cert = join(dir, 'cert.pem')
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
      '-subj', `/CN=${LOOPBACK}`, '-addext', `subjectAltName=IP:${LOOPBACK}`, '-keyout', key, '-out', cert,
    ], { stdio: 'ignore' })
    const pem = readFileSync(cert, 'utf8')
    return { cert: pem, key: readFileSync(key, 'utf8'), fingerprint: new X509Certificate(pem).fingerprint256 }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

function loadTree(dir: string): Map<string, Doc> {
  const docs = new Map<string, Doc>()
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name)
      if (statSync(p).isDirectory()) walk(p)
      else if (name === 'index.json') {
        const rel = relative(dir, d).split('\\').join('/')
        docs.set(rel === '' ? PREFIX : `${PREFIX}/${rel}`, JSON.parse(readFileSync(p, 'utf8')) as Doc)
      }
    }
  }
  walk(dir)
  return docs
}

/** RFC 7386 JSON merge patch. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch
  const out: Doc = target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Doc) } : {}
  for (const [k, v] of Object.entries(patch as Doc)) {
    if (v === null) delete out[k]
    else out[k] = mergePatch(out[k], v)
  }
  return out
}

const etagOf = (d: Doc): string => `W/"${createHash('sha1').update(JSON.stringify(d)).digest('hex').slice(0, 16)}"`

function redfishError(status: number, messageId: string, message: string, args: string[] = []): { status: number; body: Doc } {
  return {
    status,
    body: { error: { code: `Base.1.5.0.${messageId}`, message, '@Message.ExtendedInfo': [{ MessageId: `Base.1.5.0.${messageId}`, Message: message, MessageArgs: args, Severity: 'Warning', Resolution: 'See the message.' }] } },
  }
}

export interface Fault {
  method?: string
  /** Matches the request path (no query). */
  path?: RegExp
  status: number
  body?: Doc
  /** Never answer (the request hangs until the client gives up). */
  hang?: boolean
  /** How many requests it answers (default 1). */
  times?: number
}

export interface MockupOptions {
  username?: string
  password?: string
  /** false: no session service (POST to Sessions answers 405), so clients fall back to HTTP Basic. */
  sessions?: boolean
  /** PATCH without If-Match answers 428 (Precondition Required). */
  requireIfMatch?: boolean
  certificate?: TestCertificate
}

export interface SeenRequest {
  method: string
  path: string
  /** `?$skiptoken=2`, or '' */
  query: string
  auth: 'token' | 'basic' | 'none'
  ifMatch: boolean
}

export class RedfishMockup {
  readonly username: string
  readonly password: string
  certificate: TestCertificate
  readonly docs: Map<string, Doc>
  /** Every request, in order. */
  readonly requests: SeenRequest[] = []
  /** POSTs to action targets: path and body. */
  readonly actions: { path: string; body: unknown }[] = []
  private readonly tokens = new Map<string, string>()
  private readonly passwords = new Map<string, string>()
  private readonly faults: Fault[] = []
  private readonly tasks = new Map<string, number>()
  private readonly taskActions = new Map<string, number>()
  private readonly sockets = new Set<Socket>()
  private nextId = 1
  private inFlight = 0
  /** The most requests the mockup was handling at once. */
  maxInFlight = 0
  private server: Server | undefined
  port = 0

  constructor(private readonly opts: MockupOptions = {}) {
    this.username = opts.username ?? 'Administrator'
    this.password = opts.password ?? 'mockup-secret'
    this.passwords.set(this.username, this.password)
    this.certificate = opts.certificate ?? makeCertificate()
    this.docs = loadTree(MOCKUP_DIR)
  }

  /** Sessions created and not yet deleted. */
  get openSessions(): number {
    return this.tokens.size
  }

  async start(): Promise<this> {
    const server = createServer({ cert: this.certificate.cert, key: this.certificate.key }, (req, res) => this.handle(req, res))
    server.on('secureConnection', (s) => {
      this.sockets.add(s)
      s.once('close', () => this.sockets.delete(s))
    })
    this.server = server
    await new Promise<void>((ok, fail) => {
      server.once('error', fail)
      server.listen(0, LOOPBACK, () => ok())
    })
    const addr = server.address()
    this.port = typeof addr === 'object' && addr !== null ? addr.port : 0
    return this
  }

  /** New connections get `cert`; open ones are closed so the next request handshakes again. */
  replaceCertificate(cert: TestCertificate = makeCertificate()): TestCertificate {
    this.certificate = cert
    this.server?.setSecureContext({ cert: cert.cert, key: cert.key })
    this.dropConnections()
    return cert
  }

  dropConnections(): void {
    for (const s of this.sockets) s.destroy()
  }

  /** The next matching request(s) answer `status` with `body`. */
  fail(f: Fault): void {
    this.faults.push({ times: 1, ...f })
  }

  /** POSTs to an action target ending in `suffix` answer 202 with a task monitor that answers 202 `polls` times, then 204. */
  runAsTask(suffix: string, polls: number): void {
    this.taskActions.set(suffix, polls)
  }

  /** Forgets every session token (as a BMC reboot does). */
  expireSessions(): void {
    for (const id of this.tokens.values()) this.removeSession(id)
  }

  async stop(): Promise<void> {
    this.dropConnections()
    await new Promise<void>((ok) => (this.server ? this.server.close(() => ok()) : ok()))
  }

  private removeSession(id: string): void {
    for (const [t, sid] of this.tokens) if (sid === id) this.tokens.delete(t)
    const path = `${SESSIONS}/${id}`
    this.docs.delete(path)
    const coll = this.docs.get(SESSIONS)
    if (coll && Array.isArray(coll.Members)) {
      coll.Members = (coll.Members as Doc[]).filter((m) => m['@odata.id'] !== path)
      coll['Members@odata.count'] = (coll.Members as Doc[]).length
    }
  }

  private authOf(req: IncomingMessage): SeenRequest['auth'] | 'bad' {
    const token = req.headers['x-auth-token']
    if (typeof token === 'string') return this.tokens.has(token) ? 'token' : 'bad'
    const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '')
    if (basic) {
      const [user, ...rest] = Buffer.from(basic[1]!, 'base64').toString('utf8').split(':')
      return this.passwords.get(user ?? '') === rest.join(':') ? 'basic' : 'bad'
    }
    return 'none'
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    this.inFlight++
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight)
    res.once('close', () => this.inFlight--)
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'https://mockup')
      const path = url.pathname.replace(/\/+$/, '') || '/'
      const method = req.method ?? 'GET'
      const auth = this.authOf(req)
      this.requests.push({ method, path, query: url.search, auth: auth === 'bad' ? 'none' : auth, ifMatch: req.headers['if-match'] !== undefined })
      const send = (status: number, body?: Doc, headers: Record<string, string> = {}): void => {
        const text = body === undefined ? '' : JSON.stringify(body)
        res.writeHead(status, { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), 'odata-version': '4.0', ...headers })
        res.end(text)
      }
      const fault = this.faults.find((f) => (f.method === undefined || f.method === method) && (f.path === undefined || f.path.test(path)))
      if (fault) {
        if (--fault.times! <= 0) this.faults.splice(this.faults.indexOf(fault), 1)
        if (fault.hang) return
        send(fault.status, fault.body)
        return
      }
      let body: unknown
      try {
        body = chunks.length > 0 ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined
      } catch {
        const e = redfishError(400, 'MalformedJSON', 'The request body submitted was malformed JSON and could not be parsed by the receiving service.')
        send(e.status, e.body)
        return
      }
      if (method === 'POST' && path === SESSIONS) {
        this.login(body, send)
        return
      }
      if (!PUBLIC.has(path) && auth !== 'token' && auth !== 'basic') {
        const e = redfishError(401, 'NoValidSession', 'There is no valid session established with the implementation.')
        send(e.status, e.body, { 'www-authenticate': 'Basic realm="mockup"' })
        return
      }
      this.route(method, path, url, body, req, send)
    })
  }

  private login(body: unknown, send: (s: number, b?: Doc, h?: Record<string, string>) => void): void {
    if (this.opts.sessions === false) {
      const e = redfishError(405, 'ActionNotSupported', 'The action Create Session is not supported by the resource.')
      send(e.status, e.body)
      return
    }
    const b = (body ?? {}) as Doc
    const user = typeof b.UserName === 'string' ? b.UserName : ''
    if (this.passwords.get(user) !== b.Password || user === '') {
      const e = redfishError(401, 'ResourceAtUriUnauthorized', 'While accessing the resource at /redfish/v1/SessionService/Sessions, the service received an authorization error.')
      send(e.status, e.body)
      return
    }
    const id = randomBytes(8).toString('hex').toUpperCase()
    const token = randomBytes(16).toString('hex')
    this.tokens.set(token, id)
    const path = `${SESSIONS}/${id}`
    const doc: Doc = { '@odata.id': path, '@odata.type': '#Session.v1_6_0.Session', Id: id, Name: 'User Session', UserName: user }
    this.docs.set(path, doc)
    const coll = this.docs.get(SESSIONS)!
    coll.Members = [...((coll.Members as Doc[] | undefined) ?? []), { '@odata.id': path }]
    coll['Members@odata.count'] = (coll.Members as Doc[]).length
    send(201, doc, { 'x-auth-token': token, location: path })
  }

  private route(method: string, path: string, url: URL, body: unknown, req: IncomingMessage, send: (s: number, b?: Doc, h?: Record<string, string>) => void): void {
    if (path === '/redfish' && method === 'GET') return send(200, { v1: `${PREFIX}/` })
    if (path.startsWith(`${TASK_MONITORS}/`) && method === 'GET') {
      const left = this.tasks.get(path)
      if (left === undefined) return send(404, redfishError(404, 'ResourceMissingAtURI', `The resource at the URI ${path} was not found.`).body)
      if (left > 0) {
        this.tasks.set(path, left - 1)
        return send(202, { '@odata.id': path, TaskState: 'Running' }, { location: path, 'retry-after': '0' })
      }
      this.tasks.delete(path)
      return send(204)
    }
    const doc = this.docs.get(path)
    if (method === 'POST' && path.includes('/Actions/')) {
      this.actions.push({ path, body })
      const suffix = [...this.taskActions.keys()].find((s) => path.endsWith(s))
      if (suffix !== undefined) {
        const monitor = `${TASK_MONITORS}/${this.nextId++}`
        this.tasks.set(monitor, this.taskActions.get(suffix)!)
        return send(202, undefined, { location: monitor })
      }
      return send(204)
    }
    if (doc === undefined) return send(404, redfishError(404, 'ResourceMissingAtURI', `The resource at the URI ${path} was not found.`, [path]).body)
    switch (method) {
      case 'GET': {
        const skip = url.searchParams.get('$skiptoken')
        if (skip !== null && Array.isArray(doc.Members)) {
          const { ['@odata.nextLink']: _next, ...rest } = doc
          void _next
          return send(200, { ...rest, Members: (doc.Members as unknown[]).slice(Number(skip)) })
        }
        return send(200, doc, { etag: etagOf(doc) })
      }
      case 'PATCH': {
        const ifMatch = req.headers['if-match']
        if (ifMatch === undefined && this.opts.requireIfMatch) return send(428, redfishError(428, 'PreconditionRequired', 'A precondition header or annotation is required to change the resource.').body)
        if (ifMatch !== undefined && ifMatch !== etagOf(doc)) return send(412, redfishError(412, 'PreconditionFailed', 'The ETag supplied did not match the ETag required to change this resource.').body)
        const { Password: password, ...rest } = (body ?? {}) as Doc
        if (typeof password === 'string' && typeof doc.UserName === 'string') this.passwords.set(typeof rest.UserName === 'string' ? rest.UserName : doc.UserName, password)
        const next = mergePatch(doc, rest) as Doc
        this.docs.set(path, next)
        return send(200, next, { etag: etagOf(next) })
      }
      case 'POST': {
        if (!Array.isArray(doc.Members)) return send(405, redfishError(405, 'ActionNotSupported', 'The resource does not support POST.').body)
        const { Password: password, ...fields } = (body ?? {}) as Doc
        const id = String((doc.Members as unknown[]).length + 1 + (path === ACCOUNTS ? 10 : 0))
        const member = `${path}/${id}`
        const created: Doc = { ...fields, Password: null, Id: id, '@odata.id': member }
        this.docs.set(member, created)
        doc.Members = [...(doc.Members as Doc[]), { '@odata.id': member }]
        doc['Members@odata.count'] = (doc.Members as Doc[]).length
        if (typeof password === 'string' && typeof fields.UserName === 'string') this.passwords.set(fields.UserName, password)
        return send(201, created, { location: member })
      }
      case 'DELETE': {
        if (path.startsWith(`${SESSIONS}/`)) {
          this.removeSession(path.slice(SESSIONS.length + 1))
          return send(204)
        }
        return send(405, redfishError(405, 'ActionNotSupported', 'The resource does not support DELETE.').body)
      }
      default:
        return send(405)
    }
  }
}

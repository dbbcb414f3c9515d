/**
 * Every URI the simulated Redfish service answers, with its methods, the
 * privilege each needs (DSP8011 standard privileges; 'None' = no
 * authentication) and the handler. One table: the service routes from it
 * and 405 answers list its methods in Allow.
 * Handlers are pure over the RedfishView and answer a Reply; writes go
 * through system.ts / accounts.ts into the shared BMC state. PATCH checks
 * If-Match against the resource's current ETag before changing anything.
 */
import {
  account, accountService, accountsCollection, accountUser, createAccount, deleteAccount, patchAccount,
  role, rolesCollection, session, sessionService, sessionsCollection, type Outcome,
} from './accounts.js'
import { checkPassword, type Principal, type Privilege } from './auth.js'
import { chassis, chassisCollection, power, sensor, sensorsCollection, thermal } from './chassis.js'
import { logServices, manager, MANAGER_RESET_TYPES, managersCollection, SEL_PARENTS, selEntries, selEntry, selService, type SelParent } from './manager.js'
import type { MessageName } from './messages.js'
import { collection, PATHS, SEL_ID, type Doc } from './odata.js'
import { RESET_TYPES, type ResetOutcome, type ResetType } from './power.js'
import { etagOf, ifMatchPasses } from './etag.js'
import {
  BOOT_ENABLED, BOOT_MODES, BOOT_TARGETS, computerSystem, memory, memoryCollection, processor, processorsCollection,
  readBoot, serviceRoot, systemsCollection, writeBoot, writeIdentify, type BootOverride,
} from './system.js'
import type { RedfishView } from './view.js'

export type Method = 'GET' | 'PATCH' | 'POST' | 'DELETE'

export type Reply =
  | { kind: 'doc'; doc: Doc; status?: number; headers?: Record<string, string> }
  | { kind: 'empty'; headers?: Record<string, string>; after?: () => void }
  | { kind: 'error'; message: MessageName; args: (string | number)[] }

export interface HandlerContext {
  view: RedfishView
  /** The request's path, normalised (for messages). */
  path: string
  /** The URI's captured segments. */
  params: string[]
  body: Record<string, unknown> | undefined
  /** Undefined only for privilege 'None'. */
  principal: Principal | undefined
  ifMatch: string | undefined
  can(p: Privilege): boolean
}

export interface Handler {
  privilege: Privilege | 'None'
  handle(ctx: HandlerContext): Reply
}

export interface Route {
  pattern: RegExp
  methods: Partial<Record<Method, Handler>>
}

const INDICATOR_LEDS = ['Lit', 'Blinking', 'Off'] as const

function err(message: MessageName, ...args: (string | number)[]): Reply {
  return { kind: 'error', message, args }
}

function doc(d: Doc, status?: number, headers?: Record<string, string>): Reply {
  return { kind: 'doc', doc: d, ...(status !== undefined ? { status } : {}), ...(headers !== undefined ? { headers } : {}) }
}

function fromOutcome<T>(o: Outcome<T>, then: (v: T) => Reply): Reply {
  return o.ok ? then(o.value) : err(o.message, ...o.args)
}

/** A GET of a resource that may not exist (404 names the URI). */
function get(build: (ctx: HandlerContext) => Doc | undefined, privilege: Privilege | 'None' = 'Login'): Handler {
  return {
    privilege,
    handle(ctx) {
      const d = build(ctx)
      return d === undefined ? err('ResourceMissingAtURI', ctx.path) : doc(d)
    },
  }
}

/** The checks every PATCH makes: a non-empty body, If-Match, and only known, writable properties. */
function patchPrelude(ctx: HandlerContext, current: Doc, writable: readonly string[]): Reply | undefined {
  const body = ctx.body
  if (body === undefined || Object.keys(body).length === 0) return err('EmptyJSON')
  const etag = etagOf(current)
  if (!ifMatchPasses(ctx.ifMatch, etag)) return err('PreconditionFailed', ctx.ifMatch ?? '', etag)
  for (const k of Object.keys(body)) {
    if (k.startsWith('@odata.') || writable.includes(k)) continue
    return k in current ? err('PropertyNotWritable', k) : err('PropertyUnknown', k)
  }
  return undefined
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], name: string): Reply | undefined {
  return typeof value === 'string' && (allowed as readonly string[]).includes(value) ? undefined : err('PropertyValueNotInList', String(value), name)
}

/** Identify from LocationIndicatorActive or IndicatorLED, checked; undefined when neither is in the body. */
function identifyChange(body: Record<string, unknown>): { on: boolean } | Reply | undefined {
  if ('LocationIndicatorActive' in body) {
    if (typeof body.LocationIndicatorActive !== 'boolean') return err('PropertyValueTypeError', String(body.LocationIndicatorActive), 'LocationIndicatorActive')
    return { on: body.LocationIndicatorActive }
  }
  if ('IndicatorLED' in body) return oneOf(body.IndicatorLED, INDICATOR_LEDS, 'IndicatorLED') ?? { on: body.IndicatorLED !== 'Off' }
  return undefined
}

function applyIdentify(ctx: HandlerContext, body: Record<string, unknown>): Reply | undefined {
  const change = identifyChange(body)
  if (change === undefined) return undefined
  if ('kind' in change) return change
  return writeIdentify(ctx.view, change.on) === 0 ? undefined : err('InternalError')
}

const BOOT_FIELDS = { BootSourceOverrideTarget: BOOT_TARGETS, BootSourceOverrideEnabled: BOOT_ENABLED, BootSourceOverrideMode: BOOT_MODES } as const

function bootChange(ctx: HandlerContext, boot: unknown, current: BootOverride): BootOverride | Reply {
  if (boot === null || typeof boot !== 'object' || Array.isArray(boot)) return err('PropertyValueTypeError', JSON.stringify(boot), 'Boot')
  const b = boot as Record<string, unknown>
  for (const k of Object.keys(b)) {
    if (!(k in BOOT_FIELDS)) return k in ((computerSystem(ctx.view).Boot as Doc | undefined) ?? {}) ? err('PropertyNotWritable', `Boot/${k}`) : err('PropertyUnknown', `Boot/${k}`)
    const bad = oneOf(b[k], BOOT_FIELDS[k as keyof typeof BOOT_FIELDS], `Boot/${k}`)
    if (bad !== undefined) return bad
  }
  // A new target alone while the override is Disabled means "boot it next time": Enabled becomes Once.
  return {
    target: (b.BootSourceOverrideTarget as BootOverride['target'] | undefined) ?? current.target,
    enabled: (b.BootSourceOverrideEnabled as BootOverride['enabled'] | undefined) ?? (b.BootSourceOverrideTarget !== undefined && current.enabled === 'Disabled' ? 'Once' : current.enabled),
    mode: (b.BootSourceOverrideMode as BootOverride['mode'] | undefined) ?? current.mode,
  }
}

const patchSystem: Handler = {
  privilege: 'ConfigureComponents',
  handle(ctx) {
    const current = computerSystem(ctx.view)
    const pre = patchPrelude(ctx, current, ['Boot', 'LocationIndicatorActive', 'IndicatorLED'])
    if (pre !== undefined) return pre
    const body = ctx.body!
    let boot: BootOverride | undefined
    if ('Boot' in body) {
      const b = bootChange(ctx, body.Boot, readBoot(ctx.view))
      if ('kind' in b) return b
      boot = b
    }
    const id = identifyChange(body)
    if (id !== undefined && 'kind' in id) return id
    if (boot !== undefined && writeBoot(ctx.view, boot) !== 0) return err('InternalError')
    return applyIdentify(ctx, body) ?? doc(computerSystem(ctx.view))
  },
}

const patchChassis: Handler = {
  privilege: 'ConfigureComponents',
  handle(ctx) {
    const pre = patchPrelude(ctx, chassis(ctx.view), ['LocationIndicatorActive', 'IndicatorLED'])
    if (pre !== undefined) return pre
    return applyIdentify(ctx, ctx.body!) ?? doc(chassis(ctx.view))
  },
}

/** Reads the one parameter of a reset action, checked against its allowable values. */
function resetType<T extends string>(ctx: HandlerContext, action: string, allowed: readonly T[]): T | Reply {
  const body = ctx.body ?? {}
  for (const k of Object.keys(body)) if (k !== 'ResetType') return err('ActionParameterUnknown', action, k)
  if (body.ResetType === undefined) return err('ActionParameterMissing', action, 'ResetType')
  return oneOf(body.ResetType, allowed, 'ResetType') ?? (body.ResetType as T)
}

function resetReply(outcome: ResetOutcome): Reply {
  switch (outcome) {
    case 'started':
    case 'done':
    case 'no-op':
      return { kind: 'empty' }
    case 'busy':
      return err('ResourceInUse')
    case 'standby':
      return err('ResourceInStandby')
    case 'refused':
      return err('InternalError')
    default: {
      const never: never = outcome
      throw new Error(`unknown reset outcome ${String(never)}`)
    }
  }
}

const resetSystem: Handler = {
  privilege: 'ConfigureComponents',
  handle(ctx) {
    const t = resetType<ResetType>(ctx, 'ComputerSystem.Reset', RESET_TYPES)
    return typeof t === 'string' ? resetReply(ctx.view.power.reset(t)) : t
  },
}

const resetManager: Handler = {
  privilege: 'ConfigureManager',
  handle(ctx) {
    const t = resetType(ctx, 'Manager.Reset', MANAGER_RESET_TYPES)
    // The BMC answers first, then reboots (as over IPMI, Cold Reset answers before it goes quiet).
    return typeof t === 'string' ? { kind: 'empty', after: () => ctx.view.bmc.coldReset() } : t
  },
}

const clearLog: Handler = {
  privilege: 'ConfigureManager',
  handle(ctx) {
    ctx.view.hardware.clearSel()
    return { kind: 'empty' }
  },
}

const login: Handler = {
  privilege: 'None',
  handle(ctx) {
    const { UserName: name, Password: password } = ctx.body ?? {}
    for (const [k, val] of [['UserName', name], ['Password', password]] as const) {
      if (val === undefined) return err('PropertyMissing', k)
      if (typeof val !== 'string') return err('PropertyValueTypeError', k === 'Password' ? '(hidden)' : String(val), k)
    }
    const v = ctx.view
    const user = v.bmc.faults.wrongCredentials ? undefined : checkPassword(v.bmc.users, name as string, password as string)
    if (user === undefined) return err('NoValidSession')
    const r = v.sessions.open(user, v.bmc.nowMs(), v.bmc.faults.sessionLimitReached)
    if (!r.ok) return err('SessionLimitExceeded')
    const path = `${PATHS.sessions}/${r.session.id}`
    return doc(session(r.session), 201, { 'X-Auth-Token': r.session.token, Location: path })
  },
}

const logout: Handler = {
  privilege: 'Login',
  handle(ctx) {
    const s = ctx.view.sessions.byId(ctx.params[0]!)
    if (s === undefined) return err('ResourceMissingAtURI', ctx.path)
    if (s.userId !== ctx.principal?.user.id && !ctx.can('ConfigureManager')) return err('InsufficientPrivilege')
    ctx.view.sessions.close(s)
    return { kind: 'empty' }
  },
}

/** Whether the caller may see or change this account: its own, or any with ConfigureUsers. */
function mayTouch(ctx: HandlerContext, id: string): boolean {
  return ctx.can('ConfigureUsers') || String(ctx.principal?.user.id) === id
}

const accountsGet: Handler = {
  privilege: 'Login',
  handle(ctx) {
    const all = accountsCollection(ctx.view)
    if (ctx.can('ConfigureUsers')) return doc(all)
    const own = `${PATHS.accounts}/${ctx.principal?.user.id}`
    return doc(collection('#ManagerAccountCollection.ManagerAccountCollection', PATHS.accounts, 'Accounts Collection', [own]))
  },
}

const accountCreate: Handler = {
  privilege: 'ConfigureUsers',
  handle(ctx) {
    return fromOutcome(createAccount(ctx.view, ctx.body ?? {}), (u) => doc(account(ctx.view, String(u.id))!, 201, { Location: `${PATHS.accounts}/${u.id}` }))
  },
}

const accountGet: Handler = {
  privilege: 'Login',
  handle(ctx) {
    const id = ctx.params[0]!
    if (!mayTouch(ctx, id)) return err('InsufficientPrivilege')
    const d = account(ctx.view, id)
    return d === undefined ? err('ResourceMissingAtURI', ctx.path) : doc(d)
  },
}

const accountPatch: Handler = {
  privilege: 'ConfigureSelf',
  handle(ctx) {
    const id = ctx.params[0]!
    if (!mayTouch(ctx, id)) return err('InsufficientPrivilege')
    const u = accountUser(ctx.view, id)
    if (u === undefined) return err('ResourceMissingAtURI', ctx.path)
    const pre = patchPrelude(ctx, account(ctx.view, id)!, ['UserName', 'Password', 'RoleId', 'Enabled'])
    if (pre !== undefined) return pre
    return fromOutcome(patchAccount(ctx.view, u, ctx.body!, !ctx.can('ConfigureUsers')), () => doc(account(ctx.view, id)!))
  },
}

const accountDelete: Handler = {
  privilege: 'ConfigureUsers',
  handle(ctx) {
    const u = accountUser(ctx.view, ctx.params[0]!)
    if (u === undefined) return err('ResourceMissingAtURI', ctx.path)
    deleteAccount(ctx.view, u)
    return { kind: 'empty' }
  },
}

function exact(path: string): RegExp {
  return new RegExp(`^${path.replace(/[.$]/g, (c) => `\\${c}`)}$`)
}

/** `path` followed by one member segment, captured. */
function member(path: string, suffix = ''): RegExp {
  return new RegExp(`^${path.replace(/[.$]/g, (c) => `\\${c}`)}/([^/]+)${suffix.replace(/[.$]/g, (c) => `\\${c}`)}$`)
}

function selRoutes(parent: SelParent): Route[] {
  const base = `${SEL_PARENTS[parent]}/${SEL_ID}`
  return [
    { pattern: exact(SEL_PARENTS[parent]), methods: { GET: get(() => logServices(parent)) } },
    { pattern: exact(base), methods: { GET: get((c) => selService(c.view, parent)) } },
    { pattern: exact(`${base}/Entries`), methods: { GET: get((c) => selEntries(c.view, parent)) } },
    { pattern: member(`${base}/Entries`), methods: { GET: get((c) => selEntry(c.view, parent, c.params[0]!)) } },
    { pattern: exact(`${base}/Actions/LogService.ClearLog`), methods: { POST: clearLog } },
  ]
}

export const ROUTES: readonly Route[] = [
  { pattern: exact(PATHS.root), methods: { GET: get((c) => serviceRoot(c.view), 'None') } },
  { pattern: exact(PATHS.systems), methods: { GET: get(() => systemsCollection()) } },
  { pattern: exact(PATHS.system), methods: { GET: get((c) => computerSystem(c.view)), PATCH: patchSystem } },
  { pattern: exact(PATHS.reset), methods: { POST: resetSystem } },
  { pattern: exact(PATHS.processors), methods: { GET: get(() => processorsCollection()) } },
  { pattern: member(PATHS.processors), methods: { GET: get((c) => processor(c.params[0]!)) } },
  { pattern: exact(PATHS.memory), methods: { GET: get(() => memoryCollection()) } },
  { pattern: member(PATHS.memory), methods: { GET: get((c) => memory(c.params[0]!)) } },
  ...selRoutes('system'),
  { pattern: exact(PATHS.chassisCollection), methods: { GET: get(() => chassisCollection()) } },
  { pattern: exact(PATHS.chassis), methods: { GET: get((c) => chassis(c.view)), PATCH: patchChassis } },
  { pattern: exact(PATHS.sensors), methods: { GET: get((c) => sensorsCollection(c.view)) } },
  { pattern: member(PATHS.sensors), methods: { GET: get((c) => sensor(c.view, c.params[0]!)) } },
  { pattern: exact(PATHS.thermal), methods: { GET: get((c) => thermal(c.view)) } },
  { pattern: exact(PATHS.power), methods: { GET: get((c) => power(c.view)) } },
  { pattern: exact(PATHS.managers), methods: { GET: get(() => managersCollection()) } },
  { pattern: exact(PATHS.manager), methods: { GET: get((c) => manager(c.view)) } },
  { pattern: exact(PATHS.managerReset), methods: { POST: resetManager } },
  ...selRoutes('manager'),
  { pattern: exact(PATHS.accountService), methods: { GET: get((c) => accountService(c.view)) } },
  { pattern: exact(PATHS.accounts), methods: { GET: accountsGet, POST: accountCreate } },
  { pattern: member(PATHS.accounts), methods: { GET: accountGet, PATCH: accountPatch, DELETE: accountDelete } },
  { pattern: exact(PATHS.roles), methods: { GET: get(() => rolesCollection()) } },
  { pattern: member(PATHS.roles), methods: { GET: get((c) => role(c.params[0]!)) } },
  { pattern: exact(PATHS.sessionService), methods: { GET: get((c) => sessionService(c.view)) } },
  { pattern: exact(PATHS.sessions), methods: { GET: get((c) => sessionsCollection(c.view.sessions)), POST: login } },
  {
    pattern: member(PATHS.sessions),
    methods: {
      GET: get((c) => {
        const s = c.view.sessions.byId(c.params[0]!)
        return s === undefined ? undefined : session(s)
      }),
      DELETE: logout,
    },
  },
  { pattern: exact(PATHS.registries), methods: { GET: get(() => collection('#MessageRegistryFileCollection.MessageRegistryFileCollection', PATHS.registries, 'Registry File Collection', [])) } },
]

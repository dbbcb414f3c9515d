/**
 * Nodes: list, create, read, merge-patch, delete (DESIGN.md node model), the
 * groups they form, and what a noderange expands to. Reads are viewer,
 * changes admin and audited. Replies go through NodeView: a password or
 * K_G can be written but never read back.
 */
import { Type, type Static } from 'typebox'
import { Compile } from 'typebox/compile'
import { CREDENTIAL_ENV_FIELDS, mayUseRedfish, reservedExecEnvName } from '../../bridge/messages.js'
import { reviveProfile } from '../../bridge/profile.js'
import { checkWatchOverride, DEFAULT_WATCH_PATTERNS, MAX_WATCH_PATTERNS } from '../../bridge/watch.js'
import { checkRegExp, ServiceError } from '../../errors.js'
import type { NodeDoc, NodeRecord, ProfileDoc, WatchOverrideDoc } from '../../store/types.js'
import { normalizeFingerprint } from '../../redfish/transport.js'
import type { ApiContext, ApiInstance } from '../app.js'
import { audit } from '../auth.js'
import { mergePatch } from '../merge-patch.js'
import { loadGroupWatch, nodeWatch, type GroupWatch } from '../node-config.js'
import { MAX_EXPR_CHARS, resolveNoderange } from '../noderange.js'
import { fieldOf } from '../error-handler.js'
import {
  GroupName, NODE_DEFAULTS, REDFISH_DEFAULTS, NodeCreate, NodeDocSchema, NodeParams, NodePatch, NodeView, WatchOverrideSchema, WatchPatternSchema, withErrors, type NodeView as NodeViewT,
} from '../schemas.js'

const checkDoc = Compile(NodeDocSchema)

/** `learned`: the node's stored profile, for an auto node's probed protocol. */
export function toView(n: NodeRecord, learned?: ProfileDoc): NodeViewT {
  const probed = n.bmc.protocol === 'auto' ? reviveProfile(learned).protocol : undefined
  return {
    name: n.name,
    bmc: {
      host: n.bmc.host, port: n.bmc.port, username: n.bmc.username,
      ...(n.bmc.cipherSuite !== undefined ? { cipherSuite: n.bmc.cipherSuite } : {}),
      privilege: n.bmc.privilege,
      ...(n.bmc.workarounds !== undefined ? { workarounds: [...n.bmc.workarounds] } : {}),
      kgSet: n.bmc.kg !== undefined,
      protocol: n.bmc.protocol ?? NODE_DEFAULTS.protocol,
      ...(n.bmc.ipmiPort !== undefined ? { ipmiPort: n.bmc.ipmiPort } : {}),
      ...(probed !== undefined ? { learnedProtocol: probed } : {}),
      ...(n.bmc.tls !== undefined ? { tls: { mode: n.bmc.tls.mode, ...(n.bmc.tls.fingerprint !== undefined ? { fingerprint: n.bmc.tls.fingerprint } : {}), caSet: n.bmc.tls.ca !== undefined } } : {}),
      ...(n.bmc.systemId !== undefined ? { systemId: n.bmc.systemId } : {}),
    },
    console: {
      method: n.console.method,
      ...(n.console.command !== undefined ? { command: n.console.command } : {}),
      ...(n.console.connectedPattern !== undefined ? { connectedPattern: n.console.connectedPattern } : {}),
      ...(n.console.env !== undefined ? { env: { ...n.console.env } } : {}),
      ...sshFields(n.console),
      logging: n.console.logging,
      ...(n.console.watch !== undefined ? { watch: overrideView(n.console.watch) } : {}),
    },
    groups: n.groups,
    revision: n.revision,
    createdAt: n.createdAt,
    updatedAt: n.updatedAt,
  }
}

/** A stored watch override as the API shows it (it was checked before it was stored). */
function overrideView(w: WatchOverrideDoc): Static<typeof WatchOverrideSchema> {
  const o = checkWatchOverride(w, 'console.watch')
  return { ...(o.add !== undefined ? { add: o.add.map((p) => ({ ...p })) } : {}), ...(o.disable !== undefined ? { disable: [...o.disable] } : {}) }
}

function invalid(field: string, message: string): ServiceError {
  return new ServiceError('VALIDATION_FAILED', message, { details: { field } })
}

/** Checks a complete document: the schema, then what a schema cannot say. */
export function checkNode(doc: unknown): NodeDoc {
  if (!checkDoc.Check(doc)) {
    const issue = [...checkDoc.Errors(doc)].find((i) => i.keyword !== 'anyOf') ?? checkDoc.Errors(doc)[0]
    const field = fieldOf('body', issue ?? {})
    throw invalid(field, `${field} ${issue?.message ?? 'is invalid'}`)
  }
  const n = doc as NodeDoc
  checkProtocol(n)
  if (speaksIpmi(n) && Buffer.byteLength(n.bmc.password, 'utf8') > 20) throw invalid('body.bmc.password', 'body.bmc.password is longer than 20 bytes (IPMI 2.0 limit)')
  if (speaksIpmi(n) && Buffer.byteLength(n.bmc.username, 'utf8') > 16) throw invalid('body.bmc.username', 'body.bmc.username is longer than 16 bytes')
  if (n.console.method === 'exec' && n.console.command === undefined) throw invalid('body.console.command', 'an exec console needs body.console.command')
  checkConsoleEnv(n.console)
  checkSshFields(n.console)
  if (n.console.connectedPattern !== undefined) checkRegExp(n.console.connectedPattern, 'body.console.connectedPattern')
  if (n.console.watch !== undefined) checkWatchOverride(n.console.watch, 'body.console.watch')
  return n
}

/**
 * Protocol fields: `tls`, `systemId` and `ipmiPort` are Redfish's (and auto's,
 * which may turn out Redfish), and a fingerprint is stored in one spelling
 * (`AB:CD:...`, as the worker reports a learned one).
 */
/** The node logs in over IPMI at some point (an IPMI or auto node, or SOL beside Redfish), so IPMI's credential limits hold. */
function speaksIpmi(n: NodeDoc): boolean {
  return n.bmc.protocol !== 'redfish' || n.console.method === 'ipmi'
}

function checkProtocol(n: NodeDoc): void {
  if (!mayUseRedfish(n.bmc.protocol)) {
    for (const f of ['tls', 'systemId', 'ipmiPort'] as const) {
      if (n.bmc[f] !== undefined) throw invalid(`body.bmc.${f}`, `body.bmc.${f} is for Redfish nodes (bmc.protocol redfish or auto)`)
    }
    return
  }
  const tls = n.bmc.tls
  if (tls === undefined) return
  if (tls.fingerprint !== undefined) {
    if (tls.mode !== 'pin') throw invalid('body.bmc.tls.fingerprint', 'body.bmc.tls.fingerprint is for tls mode pin')
    tls.fingerprint = normalizeFingerprint(tls.fingerprint)
  }
  if (tls.ca !== undefined && tls.mode !== 'verify') throw invalid('body.bmc.tls.ca', 'body.bmc.tls.ca is for tls mode verify')
}

/** The node's patterns with its groups' overrides fit the bound per node (MAX_WATCH_PATTERNS); else VALIDATION_FAILED naming `field`. */
function checkNodeWatch(n: NodeDoc, groupWatch: GroupWatch, field: string): void {
  try {
    nodeWatch(n, groupWatch)
  } catch (e) {
    if (!(e instanceof ServiceError) || e.code !== 'VALIDATION_FAILED') throw e
    throw new ServiceError('VALIDATION_FAILED', `${field}: node ${n.name} would have more than ${MAX_WATCH_PATTERNS} console watch patterns (defaults, its groups' and its own)`, {
      details: { field, node: n.name },
    })
  }
}

/** The ssh console's own fields, where set. */
function sshFields(c: Pick<NodeDoc['console'], SshField>): Pick<NodeDoc['console'], SshField> {
  const out: Pick<NodeDoc['console'], SshField> = {}
  for (const f of SSH_FIELDS) if (c[f] !== undefined) Object.assign(out, { [f]: c[f] })
  return out
}

const SSH_FIELDS = ['host', 'port', 'hostKey'] as const
type SshField = (typeof SSH_FIELDS)[number]

/** `console.host`, `port`, `hostKey`: ssh only. */
function checkSshFields(c: NodeDoc['console']): void {
  if (c.method === 'ssh') return
  for (const f of SSH_FIELDS) if (c[f] !== undefined) throw invalid(`body.console.${f}`, `body.console.${f} is for ssh consoles only`)
}

/** `console.env`: exec only, names that do not replace what every command gets, one credential per name. */
function checkConsoleEnv(c: NodeDoc['console']): void {
  if (c.env === undefined) return
  if (c.method !== 'exec') throw invalid('body.console.env', 'body.console.env is for exec consoles only')
  const seen = new Set<string>()
  for (const field of CREDENTIAL_ENV_FIELDS) {
    const name = c.env[field]
    if (name === undefined) continue
    const at = `body.console.env.${field}`
    if (reservedExecEnvName(name)) throw invalid(at, `${at}: ${name} is set by the service for every exec console; choose another name`)
    if (seen.has(name)) throw invalid(at, `${at}: ${name} already carries another credential`)
    seen.add(name)
  }
}

/**
 * While exec consoles are off, no node gets a new exec console or a changed
 * command (a stored one keeps reporting exec_disabled; switching it to ipmi,
 * and changing its other fields, stays possible).
 */
function checkExecAllowed(allowed: boolean, next: NodeDoc, prev?: NodeDoc): void {
  if (allowed || next.console.method !== 'exec') return
  const p = prev?.console
  const same = p !== undefined && p.method === 'exec' && p.command === next.console.command && p.connectedPattern === next.console.connectedPattern
    && JSON.stringify(p.env ?? {}) === JSON.stringify(next.console.env ?? {})
  if (same) return
  throw new ServiceError('EXEC_CONSOLES_DISABLED', 'exec consoles are turned off on this server: start it with serve --allow-exec-consoles to run console commands',
    { details: { field: 'body.console.method' } })
}

export function withDefaults(c: NodeCreate): NodeDoc {
  // An auto node gets a Redfish node's defaults (port 443, tls verify, no console); its IPMI port is bmc.ipmiPort.
  const https = mayUseRedfish(c.bmc.protocol)
  return {
    name: c.name,
    bmc: {
      host: c.bmc.host,
      port: c.bmc.port ?? (https ? REDFISH_DEFAULTS.port : NODE_DEFAULTS.port),
      username: c.bmc.username,
      password: c.bmc.password,
      ...(c.bmc.kg !== undefined ? { kg: c.bmc.kg.toLowerCase() } : {}),
      ...(c.bmc.cipherSuite !== undefined ? { cipherSuite: c.bmc.cipherSuite } : {}),
      privilege: c.bmc.privilege ?? NODE_DEFAULTS.privilege,
      ...(c.bmc.protocol !== undefined ? { protocol: c.bmc.protocol } : {}),
      ...(c.bmc.ipmiPort !== undefined ? { ipmiPort: c.bmc.ipmiPort } : {}),
      ...(https ? { tls: { ...(c.bmc.tls ?? REDFISH_DEFAULTS.tls) } } : c.bmc.tls !== undefined ? { tls: { ...c.bmc.tls } } : {}),
      ...(c.bmc.systemId !== undefined ? { systemId: c.bmc.systemId } : {}),
      ...(c.bmc.workarounds !== undefined && c.bmc.workarounds.length > 0 ? { workarounds: [...c.bmc.workarounds] } : {}),
    },
    console: {
      method: c.console?.method ?? (https ? REDFISH_DEFAULTS.console.method : NODE_DEFAULTS.console.method),
      ...(c.console?.command !== undefined ? { command: c.console.command } : {}),
      ...(c.console?.connectedPattern !== undefined ? { connectedPattern: c.console.connectedPattern } : {}),
      ...(c.console?.env !== undefined ? { env: { ...c.console.env } } : {}),
      ...(c.console !== undefined ? sshFields(c.console) : {}),
      logging: c.console?.logging ?? NODE_DEFAULTS.console.logging,
      ...(c.console?.watch !== undefined ? { watch: c.console.watch } : {}),
    },
    groups: c.groups ?? [],
  }
}

function docOf(n: NodeRecord): NodeDoc {
  return { name: n.name, bmc: n.bmc, console: n.console, groups: n.groups }
}

/** What an audit row says about a node change: the fields, never the secrets' values. */
function changeDetail(patch: unknown): Record<string, unknown> {
  return { change: patch }
}

export async function nodeRoutes(app: ApiInstance, { ctx }: { ctx: ApiContext }): Promise<void> {
  const nodes = ctx.store.nodes
  const require = async (name: string): Promise<NodeRecord> => {
    const n = await nodes.get(name)
    if (n === undefined) throw new ServiceError('NODE_NOT_FOUND', `no node named ${name}`, { details: { node: name } })
    return n
  }
  // An auto node's view names what its probe found (its stored profile); other nodes need no profile read.
  const view = async (n: NodeRecord): Promise<NodeViewT> => toView(n, n.bmc.protocol === 'auto' ? (await ctx.store.profiles.get(n.name))?.profile : undefined)

  app.get('/nodes', {
    config: { role: 'viewer' },
    schema: {
      summary: 'List nodes', tags: ['nodes'],
      querystring: Type.Object({ group: Type.Optional(GroupName) }, { additionalProperties: false }),
      response: withErrors({ 200: Type.Object({ nodes: Type.Array(NodeView) }) }),
    },
  }, async (req) => {
    const list = await nodes.list()
    const group = req.query.group
    const shown = group === undefined ? list : list.filter((n) => n.groups.includes(group))
    const learned = shown.some((n) => n.bmc.protocol === 'auto') ? new Map((await ctx.store.profiles.list()).map((p) => [p.node, p.profile])) : undefined
    return { nodes: shown.map((n) => toView(n, learned?.get(n.name))) }
  })

  app.post('/nodes', {
    config: { role: 'admin' },
    schema: { summary: 'Add a node', tags: ['nodes'], body: NodeCreate, response: withErrors({ 201: NodeView }) },
  }, async (req, reply) => {
    const doc = checkNode(withDefaults(req.body))
    checkNodeWatch(doc, await loadGroupWatch(nodes), 'body.console.watch')
    checkExecAllowed(ctx.allowExecConsoles, doc)
    const rec = await nodes.create(doc)
    audit(req, 'node.create', { target: rec.name, outcome: 'ok', change: req.body })
    return reply.code(201).send(toView(rec))
  })

  app.get('/nodes/:node', {
    config: { role: 'viewer' },
    schema: { summary: 'Show a node', tags: ['nodes'], params: NodeParams, response: withErrors({ 200: NodeView }) },
  }, async (req) => view(await require(req.params.node)))

  app.patch('/nodes/:node', {
    config: { role: 'admin' },
    schema: {
      summary: 'Change a node (JSON merge patch: null removes kg, console.command, console.connectedPattern)', tags: ['nodes'],
      params: NodeParams, body: NodePatch, response: withErrors({ 200: NodeView }),
    },
  }, async (req) => {
    const cur = await require(req.params.node)
    if (req.body.name !== undefined && req.body.name !== cur.name) throw invalid('body.name', 'a node cannot be renamed (remove it and add it again)')
    const merged = mergePatch(docOf(cur), req.body) as NodeDoc
    if (typeof merged.bmc?.kg === 'string') merged.bmc.kg = merged.bmc.kg.toLowerCase()
    const next = checkNode(merged)
    checkNodeWatch(next, await loadGroupWatch(nodes), 'body.console.watch')
    checkExecAllowed(ctx.allowExecConsoles, next, docOf(cur))
    const rec = await nodes.replace(next, cur.revision)
    audit(req, 'node.update', { target: rec.name, outcome: 'ok', ...changeDetail(req.body) })
    return view(rec)
  })

  app.delete('/nodes/:node', {
    config: { role: 'admin' },
    schema: { summary: 'Remove a node (its worker closes the BMC session and stops)', tags: ['nodes'], params: NodeParams, response: withErrors({ 204: Type.Null() }) },
  }, async (req, reply) => {
    await nodes.remove(req.params.node)
    audit(req, 'node.delete', { target: req.params.node, outcome: 'ok' })
    return reply.code(204).send(null)
  })

  app.get('/groups', {
    config: { role: 'viewer' },
    schema: {
      summary: 'Groups and their nodes', tags: ['nodes'],
      response: withErrors({ 200: Type.Object({ groups: Type.Array(Type.Object({ name: Type.String(), nodes: Type.Array(Type.String()) })) }) }),
    },
  }, async () => ({ groups: await nodes.groups() }))

  const GroupParams = Type.Object({ group: GroupName }, { additionalProperties: false })
  const GroupWatchView = Type.Object({
    group: Type.String(),
    watch: Type.Union([WatchOverrideSchema, Type.Null()], { description: "The group's override; null: none." }),
    defaults: Type.Array(WatchPatternSchema),
  }, { additionalProperties: false })
  const groupWatchView = async (group: string) => {
    const w = await nodes.groupWatch(group)
    return { group, watch: w === undefined ? null : overrideView(w), defaults: DEFAULT_WATCH_PATTERNS.map((p) => ({ ...p })) }
  }

  app.get('/groups/:group/console/watch', {
    config: { role: 'viewer' },
    schema: {
      summary: "A group's console watch override (patterns its nodes add or turn off) and the defaults", tags: ['nodes'],
      params: GroupParams, response: withErrors({ 200: GroupWatchView }),
    },
  }, async (req) => groupWatchView(req.params.group))

  app.put('/groups/:group/console/watch', {
    config: { role: 'admin' },
    schema: {
      summary: "Set a group's console watch override: its nodes' workers match with the new patterns at once, without reconnecting", tags: ['nodes'],
      params: GroupParams, body: WatchOverrideSchema, response: withErrors({ 200: GroupWatchView }),
    },
  }, async (req) => {
    const { group } = req.params
    checkWatchOverride(req.body, 'body')
    // Every member must still fit the bound with the new override in place of the old one.
    const current = await loadGroupWatch(nodes)
    const next: GroupWatch = (g) => (g === group ? req.body : current(g))
    for (const name of await nodes.inGroup(group)) {
      const n = await nodes.get(name)
      if (n !== undefined) checkNodeWatch(n, next, 'body')
    }
    await nodes.setGroupWatch(group, req.body)
    audit(req, 'group.watch.set', { target: group, outcome: 'ok', change: req.body })
    return groupWatchView(group)
  })

  app.delete('/groups/:group/console/watch', {
    config: { role: 'admin' },
    schema: { summary: "Remove a group's console watch override", tags: ['nodes'], params: GroupParams, response: withErrors({ 204: Type.Null() }) },
  }, async (req, reply) => {
    await nodes.setGroupWatch(req.params.group, undefined)
    audit(req, 'group.watch.delete', { target: req.params.group, outcome: 'ok' })
    return reply.code(204).send(null)
  })

  app.get('/noderange/:expr', {
    config: { role: 'viewer' },
    schema: {
      summary: 'The nodes a noderange expression names (n1,n2  n[01-40]  @group)', tags: ['nodes'],
      params: Type.Object({ expr: Type.String({ minLength: 1, maxLength: MAX_EXPR_CHARS }) }, { additionalProperties: false }),
      response: withErrors({ 200: Type.Object({ nodes: Type.Array(Type.String()), missing: Type.Array(Type.String()) }) }),
    },
  }, async (req) => {
    const { names, known } = await resolveNoderange(req.params.expr, nodes)
    return { nodes: names.filter((n) => known.has(n)), missing: names.filter((n) => !known.has(n)) }
  })
}

/**
 * The out-of-the-box demo, `bmcvisor serve --demo [N]` (what `npm start`
 * runs): N simulated servers from src/sim in this process, on loopback ports
 * the kernel picks, each with a SOL console printing a boot log, power,
 * sensors, FRU and SEL. They are registered as nodes demo01..demoNN in group
 * `demo` before any worker starts, so the service treats them exactly like
 * real BMCs (one worker each, RMCP+ over UDP, consoles logged under --data).
 * Every BMC also serves Redfish over loopback HTTPS on the same state
 * (src/sim/redfish); every fourth node (demo04, demo08, ...)
 * is registered as a Redfish node, its certificate pinned to the fleet's
 * fingerprint, its console SOL over the same BMC's IPMI side (bmc.ipmiPort).
 * The rest are IPMI nodes with SOL consoles. Without openssl(1), which makes the simulator's
 * certificate, the demo is IPMI only and its banner says why.
 *
 * Re-running the demo on the same data directory updates those nodes (the
 * ports change) and removes demo nodes beyond N; a node of the same name that
 * is not in group `demo` is someone's real node and is left alone.
 */
import { startSimFleet, type SimFleetBmc, type SimFleetHandle, type SimFleetOptions } from '../sim/fleet.js'
import type { OpenedStore } from '../store/types.js'
import type { NodeDoc, NodeRecord, NodeRepo } from '../store/types.js'

export const DEMO_GROUP = 'demo'
export const DEMO_DEFAULT_COUNT = 8
/** The simulators share the service's main thread: beyond this, run `bmcvisor sim` in its own process. */
export const DEMO_MAX_COUNT = 200
/** Console bytes per second of each demo host: a readable, scrolling boot log. */
export const DEMO_CONSOLE_RATE = 256
const DEMO_TOKEN_NAME = 'demo'
/** Node i (from 0) is a Redfish node when i % DEMO_REDFISH_EVERY is DEMO_REDFISH_AT: demo04, demo08, ... (a demo of three is IPMI only, with a console each). */
const DEMO_REDFISH_EVERY = 4
const DEMO_REDFISH_AT = 3

/** True for the demo nodes managed over Redfish (by index from 0). */
export function isDemoRedfish(index: number): boolean {
  return index % DEMO_REDFISH_EVERY === DEMO_REDFISH_AT
}

export function demoNodeNames(count: number): string[] {
  const width = Math.max(2, String(count).length)
  return Array.from({ length: count }, (_, i) => `demo${String(i + 1).padStart(width, '0')}`)
}

export interface DemoFleet {
  readonly nodes: readonly string[]
  readonly bmcs: readonly SimFleetBmc[]
  readonly sims: SimFleetHandle
  /** The fleet's Redfish certificate fingerprint (SHA-256, `AB:CD:...`), which the Redfish demo nodes pin; absent: no Redfish. */
  readonly redfishFingerprint?: string | undefined
  /** Why the demo has no Redfish nodes (openssl missing), for the banner. */
  readonly redfishUnavailable?: string | undefined
  close(): Promise<void>
}

export async function startDemoFleet(count: number, opts: { consoleRate?: number } = {}): Promise<DemoFleet> {
  if (!Number.isInteger(count) || count < 1 || count > DEMO_MAX_COUNT) throw new RangeError(`demo size must be 1 to ${DEMO_MAX_COUNT}`)
  const nodes = demoNodeNames(count)
  const base: SimFleetOptions = { count, host: '127.0.0.1', basePort: 0, consoleRate: opts.consoleRate ?? DEMO_CONSOLE_RATE, hostname: (i) => nodes[i]! }
  let sims: SimFleetHandle
  let redfishUnavailable: string | undefined
  try {
    sims = await startSimFleet({ ...base, redfish: {} })
  } catch (e) {
    // The certificate comes from openssl(1): without it the demo still runs, IPMI only, and says so.
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
    redfishUnavailable = 'openssl(1) was not found to make the simulator\'s certificate'
    sims = await startSimFleet(base)
  }
  return {
    nodes, bmcs: sims.bmcs, sims,
    ...(sims.redfishFingerprint !== undefined ? { redfishFingerprint: sims.redfishFingerprint } : {}),
    ...(redfishUnavailable !== undefined ? { redfishUnavailable } : {}),
    close: () => sims.close(),
  }
}

export interface DemoRegistration {
  created: string[]
  updated: string[]
  removed: string[]
  /** Names taken by nodes outside group `demo`: not touched, and not part of the demo. */
  skipped: string[]
}

/** Node `name` on `bmc`: over Redfish (its HTTPS port, the certificate pinned, SOL at its IPMI port) when `fingerprint` is given, else over IPMI with SOL. */
function demoDoc(name: string, bmc: SimFleetBmc, fingerprint: string | undefined): NodeDoc {
  const common = { username: bmc.username, password: bmc.password, cipherSuite: 17, privilege: 'administrator' } as const
  if (bmc.redfish !== undefined && fingerprint !== undefined) {
    return {
      name,
      groups: [DEMO_GROUP],
      bmc: { host: bmc.host, port: bmc.redfish.port, ipmiPort: bmc.port, ...common, protocol: 'redfish', tls: { mode: 'pin', fingerprint } },
      console: { method: 'ipmi', logging: 'full' },
    }
  }
  return {
    name,
    groups: [DEMO_GROUP],
    bmc: { host: bmc.host, port: bmc.port, ...common },
    console: { method: 'ipmi', logging: 'full' },
  }
}

function sameBmc(a: NodeRecord, b: NodeDoc): boolean {
  return a.bmc.host === b.bmc.host && a.bmc.port === b.bmc.port && a.bmc.username === b.bmc.username &&
    a.bmc.password === b.bmc.password && a.bmc.cipherSuite === b.bmc.cipherSuite && a.bmc.kg === undefined &&
    (a.bmc.protocol ?? 'ipmi') === (b.bmc.protocol ?? 'ipmi') && a.bmc.ipmiPort === b.bmc.ipmiPort && a.bmc.tls?.mode === b.bmc.tls?.mode &&
    a.bmc.tls?.fingerprint === b.bmc.tls?.fingerprint && a.console.method === b.console.method
}

/** Creates or updates the demo's nodes and removes stale ones (group `demo` only). */
export async function registerDemoNodes(nodes: NodeRepo, fleet: Pick<DemoFleet, 'nodes' | 'bmcs' | 'redfishFingerprint'>): Promise<DemoRegistration> {
  const out: DemoRegistration = { created: [], updated: [], removed: [], skipped: [] }
  const wanted = new Set(fleet.nodes)
  for (const [i, name] of fleet.nodes.entries()) {
    const doc = demoDoc(name, fleet.bmcs[i]!, isDemoRedfish(i) ? fleet.redfishFingerprint : undefined)
    const existing = await nodes.get(name)
    if (existing === undefined) {
      await nodes.create(doc)
      out.created.push(name)
    } else if (!existing.groups.includes(DEMO_GROUP)) {
      out.skipped.push(name)
    } else if (!sameBmc(existing, doc)) {
      // Keep what the operator changed (console logging, extra groups); the BMC address, protocol and console method are the demo's.
      await nodes.replace({ ...doc, groups: existing.groups, console: { ...existing.console, method: doc.console.method } })
      out.updated.push(name)
    }
  }
  for (const name of await nodes.inGroup(DEMO_GROUP)) {
    if (wanted.has(name)) continue
    await nodes.remove(name)
    out.removed.push(name)
  }
  return out
}

/**
 * A token to print in the demo's banner: the first-start admin token when
 * there is one, else a fresh admin token named `demo` (earlier `demo` tokens
 * are revoked, so restarts do not pile them up). Audited like `token create`.
 */
export async function demoToken(store: OpenedStore, initial: string | undefined): Promise<string> {
  if (initial !== undefined) return initial
  for (const t of await store.tokens.list()) {
    if (t.name !== DEMO_TOKEN_NAME) continue
    await store.tokens.revoke(t.id)
    await store.audit.append({ actor: 'serve --demo', tokenId: null, action: 'token.revoke', target: t.id, detail: null, outcome: 'ok' })
  }
  const { token, info } = await store.tokens.create({ name: DEMO_TOKEN_NAME, role: 'admin' })
  await store.audit.append({ actor: 'serve --demo', tokenId: null, action: 'token.create', target: info.id, detail: { role: info.role, name: info.name }, outcome: 'ok' })
  return token
}

/** The banner: where, which token, and three things to try. */
export function demoBanner(o: { url: string; token: string | undefined; fleet: Pick<DemoFleet, 'nodes' | 'bmcs' | 'redfishFingerprint' | 'redfishUnavailable'>; registration: DemoRegistration; dataDir: string }): string {
  const nodes = o.fleet.nodes.filter((n) => !o.registration.skipped.includes(n))
  const redfish = o.fleet.redfishFingerprint === undefined ? [] : o.fleet.nodes.filter((n, i) => isDemoRedfish(i) && nodes.includes(n))
  const first = nodes[0] ?? 'demo01'
  const second = nodes[1] ?? first
  const last = nodes[nodes.length - 1] ?? first
  const ports = o.fleet.bmcs.map((b) => b.port)
  const tokenLine = o.token === undefined ? '(the one in BMCVISOR_ADMIN_TOKEN)' : o.token
  const lines = [
    '',
    `bmcvisor demo: ${nodes.length} simulated BMCs registered as nodes ${first}..${last} (group @${DEMO_GROUP}), consoles printing a boot log`,
    `  URL    ${o.url}   (OpenAPI: ${o.url}/docs; data: ${o.dataDir})`,
    `  token  ${tokenLine}   (admin)`,
    `  BMCs   127.0.0.1 UDP ports ${Math.min(...ports)}-${Math.max(...ports)}, user admin, password password (ipmitool -I lanplus works too)`,
    ...(redfish.length > 0
      ? [`  Redfish  ${redfish.join(', ')} managed over Redfish (HTTPS, certificate pinned to ${o.fleet.redfishFingerprint ?? ''}), console SOL over the same BMC's IPMI; every BMC serves both on one state`]
      : []),
    ...(o.fleet.redfishUnavailable !== undefined ? [`  Redfish  none in this demo: ${o.fleet.redfishUnavailable}`] : []),
    '',
    'Three things to try, in another terminal of this directory:',
    `  export BMCVISOR_URL=${o.url} BMCVISOR_TOKEN=${o.token ?? '$BMCVISOR_ADMIN_TOKEN'}`,
    `  1. attach a console:  npx bmcvisor console ${first}          (type help at the prompt; Ctrl-E c . leaves)`,
    `  2. power a node:      npx bmcvisor power ${second} off; npx bmcvisor power '@${DEMO_GROUP}' status`,
    `  3. read the metrics:  curl -s ${o.url}/metrics | grep -E '^bmcvisor_(bmc_up|console_state|node_protocol)'`,
    ...(redfish.length > 0 ? [`  and over Redfish:    npx bmcvisor power ${redfish[0] ?? ''} status; npx bmcvisor power '@${DEMO_GROUP}' status answers for both kinds`] : []),
    '',
    `For real use, run without the demo: npx bmcvisor serve (or npm start -- --no-demo); npx bmcvisor node rm NAME removes a demo node.`,
  ]
  if (o.registration.skipped.length > 0) lines.push(`Not part of the demo (names taken by your own nodes): ${o.registration.skipped.join(', ')}`)
  return lines.join('\n') + '\n'
}

/**
 * A multi-process cluster lab: one PostgreSQL (test/lab/postgres.ts) and N
 * `bmcvisor serve` processes on it, each a separate OS process with its own
 * data directory, `--cluster-id`, short leases (`--cluster-lease`,
 * `--cluster-lease-margin`) and its own event loop (an in-process cluster
 * shares one loop, and under load one instance's missed renewal is every
 * instance's). An instance may run inside a network namespace
 * (cluster-netns.ts), reaching PostgreSQL and the BMCs over a veth pair.
 *
 * Each process runs under test/lab/ipmi-sim/supervise.sh, which kills it
 * when this process goes away (even by SIGKILL); stop() is SIGTERM (serve
 * stops every BMC session, then leaves the cluster), kill() is SIGKILL.
 * Ready means serve logged "bmcvisor listening", which it does only after
 * the instance has joined the cluster.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { LOOPBACK, waitUntil } from './net.js'
import { startPostgres, type PostgresLab, type StartPostgresOptions } from './postgres.js'
import { KEY_A } from './store-contract.js'
import type { Netns } from './cluster-netns.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const CLI = join(ROOT, 'src', 'cli', 'main.ts')
const SUPERVISE = join(ROOT, 'test', 'lab', 'ipmi-sim', 'supervise.sh')
/** The admin token every instance accepts (BMCVISOR_ADMIN_TOKEN). */
export const CLUSTER_TOKEN = 'cluster-lab-admin-token-0123456789'
/** How long a serve process may take to join and listen (tsx compiles the sources first). */
const READY_TIMEOUT_MS = 60_000
const STOP_TIMEOUT_MS = 30_000
/** How long waitSettled() waits by default: a first start of several processes (tsx compiles) and dozens of consoles. */
const SETTLE_TIMEOUT_MS = 90_000
const SETTLE_POLL_MS = 500
/** Log lines kept per instance, for the message of a failing test. */
const LOG_TAIL_LINES = 5000
const DEBUG_LINE_CHARS = 600

export interface ClusterTiming {
  /** --cluster-lease, seconds. */
  leaseS: number
  /** --cluster-lease-margin, seconds. */
  marginS: number
}

/**
 * Short leases, in the shipped ratios (9 s and 2 s): failover in a few
 * seconds, while a renewal every third of the lease still has two spare
 * chances on a loaded two-core machine.
 */
export const LAB_TIMING: ClusterTiming = { leaseS: 6, marginS: 1.5 }

export interface ClusterInstance {
  readonly id: string
  /** Its REST URL (also its --cluster-address). */
  readonly url: string
  readonly pid: number
  readonly dataDir: string
  /** The namespace it runs in, or undefined (the host's). */
  readonly netns: Netns | undefined
  readonly exited: boolean
  /** Resolves with the exit status (128 + signal when killed). */
  readonly exit: Promise<number>
  /** The last log lines (JSON), newest last. */
  log(): string[]
}

interface Running extends ClusterInstance {
  child: ChildProcessWithoutNullStreams
}

export interface StartInstanceOptions {
  /** Run inside this network namespace; the store and BMC addresses must be reachable from it. */
  netns?: Netns
  /** Not a member: SQLite in its data directory, so it runs every node it has (the checker's control: a second owner). */
  standalone?: boolean
}

export interface ClusterLab {
  readonly pg: PostgresLab
  /** The store URL instances on the host use. */
  readonly storeUrl: string
  readonly timing: ClusterTiming
  /** The running (or last) process of `id`. */
  instance(id: string): ClusterInstance
  /** The instances that are running now. */
  running(): ClusterInstance[]
  /** Starts `id` (again, on the same data directory, when it ran before) and resolves once it has joined and listens. */
  start(id: string, o?: StartInstanceOptions): Promise<ClusterInstance>
  /** SIGKILL, then waits for the exit. */
  kill(id: string): Promise<void>
  /** SIGTERM (serve stops its BMC sessions and leaves), then waits for the exit. */
  stop(id: string): Promise<void>
  /** REST against one instance, with the admin token. */
  api(id: string, method: string, path: string, body?: unknown): Promise<Response>
  close(): Promise<void>
}

export interface ClusterLabOptions {
  timing?: ClusterTiming
  postgres?: StartPostgresOptions
  /** Rewrites the store URL for an instance in a namespace (the database's address on the host side of its veth). */
  storeHost?: (netns: Netns) => string
}

export async function startClusterLab(o: ClusterLabOptions = {}): Promise<ClusterLab> {
  const timing = o.timing ?? LAB_TIMING
  const pg = await startPostgres(o.postgres)
  let storeUrl: string
  try {
    storeUrl = await pg.database()
  } catch (e) {
    await pg.stop()
    throw e
  }
  const instances = new Map<string, Running>()
  const dataDirs = new Map<string, string>()

  const start = async (id: string, so: StartInstanceOptions = {}): Promise<ClusterInstance> => {
    const prev = instances.get(id)
    if (prev !== undefined && !prev.exited) throw new Error(`cluster lab: ${id} is still running (pid ${prev.pid})`)
    let dataDir = dataDirs.get(id)
    if (dataDir === undefined) {
      dataDir = mkdtempSync(join(tmpdir(), `bmcvisor-cluster-${id}-`))
      dataDirs.set(id, dataDir)
    }
    const host = so.netns?.inside ?? LOOPBACK
    let url = storeUrl
    if (so.netns !== undefined) {
      const u = new URL(storeUrl)
      u.hostname = o.storeHost?.(so.netns) ?? so.netns.outside
      url = u.href
    }
    const member = so.standalone === true ? [] : ['--cluster-id', id, '--cluster-lease', String(timing.leaseS), '--cluster-lease-margin', String(timing.marginS)]
    const serve = [process.execPath, '--import', 'tsx', CLI, 'serve', '--listen', `${host}:0`, '--data', dataDir, ...member, '--log-format', 'json', '--log-level', 'info']
    const argv = so.netns === undefined ? serve : ['ip', 'netns', 'exec', so.netns.name, ...serve]
    const child = spawn(SUPERVISE, argv, {
      cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...(so.standalone === true ? {} : { BMCVISOR_STORE: url }), BMCVISOR_ADMIN_TOKEN: CLUSTER_TOKEN, BMCVISOR_SECRET_KEY: KEY_A },
    })
    child.stdin.on('error', () => undefined)
    const lines: string[] = []
    let resolveExit: (status: number) => void = () => undefined
    const exit = new Promise<number>((r) => (resolveExit = r))
    let pid = 0
    let listening: ((url: string) => void) | undefined
    const ready = new Promise<string>((r) => (listening = r))
    let exited = false
    createInterface({ input: child.stderr }).on('line', (line) => {
      lines.push(line)
      if (lines.length > LOG_TAIL_LINES) lines.shift()
      if (line.includes('"bmcvisor listening"')) {
        try {
          listening?.((JSON.parse(line) as { url: string }).url)
        } catch {
          // not the line it looked like
        }
      }
    })
    const pidKnown = new Promise<void>((res, rej) => {
      createInterface({ input: child.stdout }).on('line', (line) => {
        const [word, num] = line.split(' ')
        if (word === 'pid') {
          pid = Number(num)
          res()
        } else if (word === 'exit') {
          exited = true
          resolveExit(Number(num))
        }
      })
      child.on('error', rej)
    })
    child.on('exit', (code) => {
      if (!exited) {
        exited = true
        resolveExit(code ?? 1)
      }
    })
    await pidKnown
    const inst: Running = {
      id, dataDir, netns: so.netns, child, exit,
      get pid() {
        return pid
      },
      get exited() {
        return exited
      },
      url: '',
      log: () => [...lines],
    }
    instances.set(id, inst)
    let timer: NodeJS.Timeout | undefined
    const listened = await Promise.race([
      ready,
      exit.then((s) => { throw new Error(`cluster lab: ${id} exited (${s}) before listening:\n${lines.slice(-30).join('\n')}`) }),
      new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error(`cluster lab: ${id} did not listen within ${READY_TIMEOUT_MS} ms:\n${lines.slice(-30).join('\n')}`)), READY_TIMEOUT_MS))),
    ]).finally(() => clearTimeout(timer))
    ;(inst as { url: string }).url = listened
    return inst
  }

  const signal = async (id: string, sig: NodeJS.Signals): Promise<void> => {
    const inst = instances.get(id)
    if (inst === undefined || inst.exited) return
    process.kill(inst.pid, sig)
    let timer: NodeJS.Timeout | undefined
    await Promise.race([inst.exit, new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error(`cluster lab: ${id} did not exit within ${STOP_TIMEOUT_MS} ms of ${sig}`)), STOP_TIMEOUT_MS)))])
      .finally(() => clearTimeout(timer))
    inst.child.stdin.end()
  }

  const get = (id: string): Running => {
    const inst = instances.get(id)
    if (inst === undefined) throw new Error(`cluster lab: no instance ${id}`)
    return inst
  }

  return {
    pg, storeUrl, timing,
    instance: get,
    running: () => [...instances.values()].filter((i) => !i.exited),
    start,
    kill: (id) => signal(id, 'SIGKILL'),
    stop: (id) => signal(id, 'SIGTERM'),
    api: (id, method, path, body) => fetch(`${get(id).url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${CLUSTER_TOKEN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    }),
    async close() {
      // CLUSTER_LAB_DEBUG=1: every instance's warnings and errors on stderr, to see why a test failed.
      if (process.env.CLUSTER_LAB_DEBUG !== undefined) {
        for (const inst of instances.values()) for (const l of inst.log()) if (/"level":[456]\d/.test(l) || !l.startsWith('{')) process.stderr.write(`${inst.id}: ${l.slice(0, DEBUG_LINE_CHARS)}\n`)
      }
      for (const inst of instances.values()) {
        if (!inst.exited) {
          try {
            process.kill(inst.pid, 'SIGKILL')
          } catch {
            // gone already
          }
          await inst.exit
        }
        inst.child.stdin.end()
      }
      await pg.stop()
      for (const d of dataDirs.values()) rmSync(d, { recursive: true, force: true })
    },
  }
}

/** GET /api/v1/cluster as the lab reads it. */
export interface ClusterView {
  self: string
  held: boolean
  members: { id: string; epoch: number; address: string; nodes: number; draining: boolean; drained: boolean }[]
  owners: Record<string, string>
}

/** GET /api/v1/fleet's rows as the lab reads them. */
export interface FleetRow {
  name: string
  console: { state: string; reason: string | null; message: string | null }
  worker: { state: string }
}

export async function clusterView(lab: ClusterLab, id: string): Promise<ClusterView> {
  const r = await lab.api(id, 'GET', '/cluster')
  if (r.status !== 200) throw new Error(`GET /cluster on ${id}: ${r.status} ${await r.text()}`)
  return (await r.json()) as ClusterView
}

/** The nodes whose console is connected on instance `id`. */
export async function connectedConsoles(lab: ClusterLab, id: string): Promise<Set<string>> {
  return new Set((await localRows(lab, id)).filter((n) => n.console.state === 'connected').map((n) => n.name))
}

/**
 * What instance `id` itself runs: its supervisor's workers (GET /workers), each with its console's state.
 * Not GET /fleet: through any instance, the fleet page shows every node as its owner sees it (forwarding).
 */
async function localRows(lab: ClusterLab, id: string): Promise<FleetRow[]> {
  const r = await lab.api(id, 'GET', '/workers')
  if (r.status !== 200) throw new Error(`GET /workers on ${id}: ${r.status} ${await r.text()}`)
  const workers = ((await r.json()) as { workers: { node: string; state: string; console: { state: string; reason?: string } | null }[] }).workers
  return workers.map((w) => ({ name: w.node, console: { state: w.console?.state ?? 'none', reason: w.console?.reason ?? null, message: null }, worker: { state: w.state } }))
}

/**
 * The map every running instance (or each of `members`) agrees on, once each owner runs exactly its
 * nodes with their consoles connected there (and no other instance has them
 * connected); undefined until then.
 */
export async function settled(lab: ClusterLab, nodes: readonly string[], members?: readonly string[]): Promise<Record<string, string> | undefined> {
  const ids = [...(members ?? lab.running().map((i) => i.id))].sort()
  const views = await Promise.all(ids.map((id) => clusterView(lab, id)))
  const first = JSON.stringify(views[0]?.owners)
  const disagree = views.find((v) => !v.held || JSON.stringify(v.owners) !== first || JSON.stringify(v.members.map((m) => m.id)) !== JSON.stringify(ids))
  if (disagree !== undefined) return unsettled(`${disagree.self} holds ${String(disagree.held)}, sees ${disagree.members.map((m) => m.id).join(',')}`)
  const owners = views[0]!.owners
  const unowned = nodes.filter((n) => !ids.includes(owners[n] ?? ''))
  if (unowned.length > 0) return unsettled(`not owned by ${ids.join(',')}: ${unowned.join(',')}`)
  const rows = await Promise.all(ids.map((id) => localRows(lab, id)))
  for (const [i, id] of ids.entries()) {
    const wrong = rows[i]!.filter((r) => nodes.includes(r.name) && (owners[r.name] === id) !== (r.console.state === 'connected'))
    if (wrong.length > 0) {
      const workers = ((await (await lab.api(id, 'GET', '/workers')).json()) as { workers: { node: string; lastExit: unknown }[] }).workers
      const exit = (n: string) => JSON.stringify(workers.find((w) => w.node === n)?.lastExit ?? null)
      return unsettled(`on ${id}: ${wrong.map((r) => `${r.name} (owner ${owners[r.name]}) console ${r.console.state} ${r.console.reason ?? ''} ${r.console.message ?? ''}, worker ${r.worker.state}, last exit ${exit(r.name)}`).join('; ')}`)
    }
  }
  lastUnsettled = ''
  return owners
}

let lastUnsettled = ''

function unsettled(why: string): undefined {
  lastUnsettled = why
  return undefined
}

/** Waits for settled(); a timeout says what was still wrong. */
export async function waitSettled(lab: ClusterLab, nodes: readonly string[], what: string, members?: readonly string[], timeoutMs = SETTLE_TIMEOUT_MS): Promise<Record<string, string>> {
  try {
    return await waitUntil(() => settled(lab, nodes, members), { timeoutMs, intervalMs: SETTLE_POLL_MS, what })
  } catch (e) {
    throw new Error(`${(e as Error).message}: ${lastUnsettled}`, { cause: e })
  }
}

/**
 * The never-two-sessions checker of the cluster lab: polls every BMC's
 * sessions throughout a test and records each moment one BMC had sessions
 * of two live bmcvisor instances (or its SOL went back to a session that had
 * lost it, which only two live owners taking it from each other do).
 *
 * - Our simulator (in this process): its session table. Each active
 *   session's console address (Reply.peer) is matched to the instance
 *   process that holds that UDP port now (/proc/PID/fd and
 *   /proc/PID/net/udp, read in the instance's own network namespace), so a
 *   session a killed instance left behind (its port is gone) is not counted,
 *   and two live instances on one BMC are named. A session stays bound to
 *   the socket (inode) its address was first seen on: a leftover session
 *   whose port number a new socket got since is counted in `leftovers`, not
 *   given to the new socket's instance.
 * - ipmi_sim (an implementation we did not write): through ipmitool, as the
 *   lab's `user` account (bmcvisor logs in as `admin`), Get Session Info
 *   (active sessions) and Get Payload Instance Info (the session that holds
 *   SOL instance 1), in one ipmitool session per sample. ipmi_sim gives no
 *   console address, so it counts (a) SOL returning to a session that lost
 *   it and (b) two bmcvisor sessions lasting longer than ipmi_sim keeps a
 *   dead client's session (IPMI_SIM_SESSION_TIMEOUT_MS: a session a killed
 *   instance left is gone by then, a live one is renewed by keepalives).
 */
import { execFile } from 'node:child_process'
import { readdirSync, readFileSync, readlinkSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { SimBmc } from '../../src/sim/sim-bmc.js'
import type { ClusterInstance } from './cluster.js'
import type { IpmiSim } from './sim.js'
import { LAB_USERS } from './tools.js'

/** Our simulator's session tables are read this often (in-process, cheap). */
const SIM_POLL_MS = 100
/** ipmi_sim is asked this often at most (one ipmitool process per BMC per round). */
const IPMI_SIM_POLL_MS = 250
const IPMITOOL_TIMEOUT_MS = 10_000
/**
 * How long ipmi_sim keeps the session of a client that vanished: measured
 * here (a SIGKILLed `ipmitool sol activate`'s session was listed for 26.5 s
 * and gone at 28.6 s), rounded up.
 */
export const IPMI_SIM_SESSION_TIMEOUT_MS = 32_000
/** /proc/net/udp columns: local address (hex ip:port) and inode. */
const UDP_LOCAL = 1
const UDP_INODE = 9

export type CheckedBmc = { node: string; kind: 'sim'; bmc: SimBmc } | { node: string; kind: 'ipmi_sim'; sim: IpmiSim }

export interface DoubleSession {
  at: number
  node: string
  /** The instances (ids) seen, or ipmi_sim's session ids. */
  holders: string[]
  how: string
}

/** The UDP ports process `pid` holds sockets on, each with its socket's inode (its own network namespace's table). */
export function udpPortsOf(pid: number): Map<number, string> {
  const inodes = new Set<string>()
  let fds: string[]
  try {
    fds = readdirSync(`/proc/${pid}/fd`)
  } catch {
    return new Map()
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))
      if (m !== null) inodes.add(m[1]!)
    } catch {
      // closed meanwhile
    }
  }
  const ports = new Map<number, string>()
  for (const table of ['udp', 'udp6']) {
    let text: string
    try {
      text = readFileSync(`/proc/${pid}/net/${table}`, 'utf8')
    } catch {
      continue
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/)
      if (cols.length <= UDP_INODE || !inodes.has(cols[UDP_INODE]!)) continue
      ports.set(parseInt(cols[UDP_LOCAL]!.split(':').pop()!, 16), cols[UDP_INODE]!)
    }
  }
  return ports
}

interface IpmiSimTrack {
  /** Session ids that held SOL, in order. */
  holders: number[]
  /** Since when ipmi_sim has listed two or more bmcvisor sessions without a break. */
  twoSince: number | undefined
  recorded: boolean
}

export class NeverTwoChecker {
  readonly doubles: DoubleSession[] = []
  /** Samples taken, per node. */
  readonly samples = new Map<string, number>()
  /** When each instance (id) was last seen holding an active session on one of our simulator's BMCs. */
  readonly lastSeen = new Map<string, number>()
  /** Errors of ipmitool rounds (a BMC that did not answer a sample is not proof either way). */
  readonly errors: string[] = []
  /** Samples of a session whose first socket is gone while another socket holds its port number (not counted as a holder). */
  leftovers = 0
  /** Each of our simulator's sessions: the console address and socket (inode) it was first seen with. */
  readonly #bound = new WeakMap<object, { peer: string; inode: string }>()
  readonly #bmcs: readonly CheckedBmc[]
  readonly #instances: () => ClusterInstance[]
  readonly #tracks = new Map<string, IpmiSimTrack>()
  #timer: NodeJS.Timeout | undefined
  #ipmiLoop: Promise<void> | undefined
  #stopped = false
  readonly #dir = mkdtempSync(join(tmpdir(), 'bmcvisor-checker-'))
  readonly #script: string

  constructor(bmcs: readonly CheckedBmc[], instances: () => ClusterInstance[]) {
    this.#bmcs = bmcs
    this.#instances = instances
    this.#script = join(this.#dir, 'sample.ipmitool')
    // Get Session Info of our own session (the count is the BMC's), then Get Payload Instance Info (SOL, instance 1).
    writeFileSync(this.#script, 'session info active\nraw 0x06 0x4b 0x01 0x01\n')
  }

  start(): void {
    this.#timer = setInterval(() => this.#sampleSims(), SIM_POLL_MS)
    const ipmi = this.#bmcs.filter((b): b is Extract<CheckedBmc, { kind: 'ipmi_sim' }> => b.kind === 'ipmi_sim')
    if (ipmi.length > 0) this.#ipmiLoop = this.#loopIpmiSims(ipmi)
  }

  async stop(): Promise<void> {
    this.#stopped = true
    clearInterval(this.#timer)
    await this.#ipmiLoop
    rmSync(this.#dir, { recursive: true, force: true })
  }

  /** One line per double, for an assertion message. */
  report(): string {
    return this.doubles.map((d) => `${new Date(d.at).toISOString()} ${d.node}: ${d.how} (${d.holders.join(', ')})`).join('\n')
  }

  #count(node: string): void {
    this.samples.set(node, (this.samples.get(node) ?? 0) + 1)
  }

  #sampleSims(): void {
    const live = this.#instances().filter((i) => !i.exited)
    if (live.length === 0) return
    const ports = live.map((i) => ({ i, ports: udpPortsOf(i.pid) }))
    const insides = new Set(live.map((i) => i.netns?.inside).filter((a) => a !== undefined))
    /** The live instance holding `peer`'s port now, and the socket (inode) it holds it with. */
    const ownerOf = (peer: string): { id: string; inode: string } | undefined => {
      const cut = peer.lastIndexOf(':')
      const addr = peer.slice(0, cut)
      const port = Number(peer.slice(cut + 1))
      const found = ports.find(({ i, ports: p }) => p.has(port) && (i.netns !== undefined ? addr === i.netns.inside : !insides.has(addr)))
      return found === undefined ? undefined : { id: found.i.id, inode: found.ports.get(port)! }
    }
    for (const b of this.#bmcs) {
      if (b.kind !== 'sim') continue
      const holders = new Set<string>()
      const seen: string[] = []
      const now = b.bmc.nowMs()
      for (const s of b.bmc.activeSessions()) {
        const peer = s.reply?.peer
        const holder = peer === undefined ? undefined : ownerOf(peer)
        if (peer === undefined || holder === undefined) continue
        // A session belongs to the socket its console address was first seen on: when that socket closed
        // (its instance stopped or terminated the worker without a Close Session) and another socket got
        // the same port number, the session is a leftover, not the new socket's.
        const bound = this.#bound.get(s)
        if (bound === undefined || bound.peer !== peer) this.#bound.set(s, { peer, inode: holder.inode })
        else if (bound.inode !== holder.inode) {
          this.leftovers++
          continue
        }
        const owner = holder.id
        holders.add(owner)
        seen.push(`${owner} at ${peer} age ${now - s.createdAtMs} ms idle ${now - s.lastActivityMs} ms`)
        this.lastSeen.set(owner, Date.now())
      }
      this.#count(b.node)
      if (holders.size > 1) this.doubles.push({ at: Date.now(), node: b.node, holders: [...holders].sort(), how: `active sessions of two live instances: ${seen.join('; ')}` })
    }
  }

  async #loopIpmiSims(bmcs: readonly Extract<CheckedBmc, { kind: 'ipmi_sim' }>[]): Promise<void> {
    while (!this.#stopped) {
      const round = Date.now()
      await Promise.all(bmcs.map((b) => this.#sampleIpmiSim(b)))
      const wait = IPMI_SIM_POLL_MS - (Date.now() - round)
      if (wait > 0 && !this.#stopped) await new Promise((r) => setTimeout(r, wait))
    }
  }

  async #sampleIpmiSim(b: Extract<CheckedBmc, { kind: 'ipmi_sim' }>): Promise<void> {
    let out: string
    try {
      out = await new Promise<string>((resolve, reject) => {
        execFile('ipmitool', ['-I', 'lanplus', '-H', b.sim.host, '-p', String(b.sim.port), '-U', LAB_USERS.user.user, '-P', LAB_USERS.user.password,
          '-L', LAB_USERS.user.privilege, '-C', '3', 'exec', this.#script], { timeout: IPMITOOL_TIMEOUT_MS, encoding: 'utf8' }, (err, stdout, stderr) => {
          if (err) reject(new Error(`${err.message.split('\n')[0]} ${stderr}`))
          else resolve(stdout)
        })
      })
    } catch (e) {
      this.errors.push(`${b.node}: ${(e as Error).message}`)
      return
    }
    const count = /active sessions\s*:\s*(\d+)/.exec(out)
    // The raw reply: the holder's session id (4 bytes, least significant first), then 8 bytes of payload data.
    const raw = out.split('\n').filter((l) => /^\s*([0-9a-f]{2}\s+){3,}[0-9a-f]{2}\s*$/i.test(l)).join(' ').trim().split(/\s+/)
    if (count === null || raw.length < 4) {
      this.errors.push(`${b.node}: unreadable sample: ${out.trim()}`)
      return
    }
    this.#count(b.node)
    const now = Date.now()
    const t = this.#tracks.get(b.node) ?? { holders: [], twoSince: undefined, recorded: false }
    this.#tracks.set(b.node, t)
    const holder = Buffer.from(raw.slice(0, 4).map((h) => parseInt(h, 16))).readUInt32LE(0)
    if (holder !== 0 && t.holders.at(-1) !== holder) {
      if (t.holders.includes(holder)) this.doubles.push({ at: now, node: b.node, holders: [...t.holders, holder].map((h) => h.toString(16)), how: 'SOL went back to a session that had lost it' })
      t.holders.push(holder)
    }
    const bmcvisorSessions = Number(count[1]) - 1 // ours is one of them
    if (bmcvisorSessions < 2) {
      t.twoSince = undefined
      t.recorded = false
    } else {
      t.twoSince ??= now
      if (!t.recorded && now - t.twoSince > IPMI_SIM_SESSION_TIMEOUT_MS) {
        t.recorded = true
        this.doubles.push({ at: now, node: b.node, holders: [String(bmcvisorSessions)], how: `two bmcvisor sessions for longer than ipmi_sim keeps a dead client's (${IPMI_SIM_SESSION_TIMEOUT_MS} ms)` })
      }
    }
  }
}

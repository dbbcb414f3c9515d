// A fleet of ipmi_sim BMCs under one Supervisor, with helpers to wait on
// supervisor events and to check console streams for gaps.
import { Supervisor, type SupervisorOptions } from '../../../src/supervisor/supervisor.js'
import type { BmcConfig } from '../../../src/bridge/messages.js'
import { ipmitool, startIpmiSim, type IpmiSim } from '../../lab/sim.js'

/** Sessions open on an ipmi_sim, not counting the ipmitool session that asks. */
export async function bmcSessions(sim: IpmiSim): Promise<number> {
  const out = await ipmitool(sim, ['session', 'info', 'active'])
  const m = /active sessions\s+:\s+(\d+)/.exec(out)
  if (m === null) throw new Error(`no session count in: ${out}`)
  return Number(m[1]) - 1
}

export interface Fleet {
  sims: IpmiSim[]
  sup: Supervisor
  names: string[]
  config(i: number, over?: Partial<BmcConfig>): BmcConfig
  stop(): Promise<void>
}

export function bmcConfig(sim: { host: string; port: number }, over: Partial<BmcConfig> = {}): BmcConfig {
  return {
    host: sim.host,
    port: sim.port,
    credentials: { username: 'admin', password: 'password' },
    cipherSuite: 3,
    console: true,
    reconnect: { initialMs: 100, maxMs: 1000 },
    timing: { retransmitMs: 250, backoffMs: 100, retries: 3, connectTimeoutMs: 3000 },
    consoleLivenessMs: 3000,
    ...over,
  }
}

export async function startFleet(n: number, opts: SupervisorOptions = {}, over: Partial<BmcConfig> = {}): Promise<Fleet> {
  const sims: IpmiSim[] = []
  for (let i = 0; i < n; i++) sims.push(await startIpmiSim({ powerOn: true }))
  const sup = new Supervisor({ heartbeatMs: 250, heartbeatTimeoutMs: 3000, restart: { baseDelayMs: 50, maxDelayMs: 500, intensity: 50 }, startConcurrency: 4, ...opts })
  const names = sims.map((_, i) => `n${String(i).padStart(2, '0')}`)
  const config = (i: number, o: Partial<BmcConfig> = {}) => bmcConfig(sims[i]!, { ...over, ...o })
  names.forEach((name, i) => sup.add(name, config(i)))
  return {
    sims, sup, names, config,
    async stop() {
      await sup.shutdown(3000)
      await Promise.all(sims.map((s) => s.stop()))
    },
  }
}

/** Resolves when `pred` holds for an event; rejects after timeoutMs. */
export function waitEvent<K extends 'worker:state' | 'session:state' | 'console:state' | 'worker:exited'>(
  sup: Supervisor, event: K, pred: (...args: Parameters<Parameters<Supervisor['on']>[1]>) => boolean, timeoutMs = 20_000,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sup.off(event, on as never)
      reject(new Error(`timed out waiting for ${event}`))
    }, timeoutMs)
    const on = (...args: unknown[]) => {
      if (!(pred as (...a: unknown[]) => boolean)(...args)) return
      clearTimeout(timer)
      sup.off(event, on as never)
      resolve()
    }
    sup.on(event, on as never)
  })
}

/** Waits until every named node's console is connected. */
export async function allConsolesConnected(sup: Supervisor, names: string[], timeoutMs = 60_000): Promise<void> {
  const deadline = performance.now() + timeoutMs
  const pending = () => names.filter((n) => sup.status(n)[0]?.console?.state !== 'connected')
  const describe = (n: string) => {
    const s = sup.status(n)[0]
    const part = (p: { state: string; reason?: string | undefined } | null | undefined) => (p ? `${p.state}${p.reason ? `/${p.reason}` : ''}` : 'none')
    return `${n} (worker ${s?.state ?? 'none'}, session ${part(s?.session)}, console ${part(s?.console)})`
  }
  while (pending().length > 0) {
    if (performance.now() > deadline) throw new Error(`consoles not connected: ${pending().map(describe).join(', ')}`)
    await new Promise<void>((resolve) => {
      const onState = () => {
        clearTimeout(t)
        resolve()
      }
      const t = setTimeout(() => {
        sup.off('console:state', onState)
        resolve()
      }, 500)
      sup.once('console:state', onState)
    })
  }
}

/**
 * Console stream checker: each simulator's host writes numbered lines
 * "<node>:<seq>\n"; the checker reassembles lines per node and records any
 * jump in sequence (a gap) together with the time it was seen.
 */
export class StreamChecker {
  private readonly partial = new Map<string, string>()
  readonly last = new Map<string, number>()
  readonly gaps: { node: string; after: number; got: number }[] = []
  readonly lines = new Map<string, number>()

  feed(node: string, data: Uint8Array): void {
    const text = (this.partial.get(node) ?? '') + Buffer.from(data).toString('latin1')
    const parts = text.split('\n')
    this.partial.set(node, parts.pop() ?? '')
    for (const line of parts) {
      const m = /([a-z0-9]+):(\d+)\r?$/.exec(line)
      if (m === null || m[1] !== node) continue
      const seq = Number(m[2])
      const prev = this.last.get(node)
      if (prev !== undefined && seq !== prev + 1) this.gaps.push({ node, after: prev, got: seq })
      this.last.set(node, seq)
      this.lines.set(node, (this.lines.get(node) ?? 0) + 1)
    }
  }

  /** Forget a node's position (its console reconnected, so a jump is expected there). */
  reset(node: string): void {
    this.last.delete(node)
    this.partial.delete(node)
  }
}

/** Writes numbered lines into each host's serial line every `everyMs`, until stopped. */
export function hostWriters(sims: IpmiSim[], names: string[], everyMs = 25): () => void {
  let stopped = false
  const seq = names.map(() => 0)
  const tick = async (i: number): Promise<void> => {
    while (!stopped) {
      await sims[i]!.solBackend.write(`${names[i]}:${seq[i]!++}\n`)
      await new Promise((r) => setTimeout(r, everyMs))
    }
  }
  names.forEach((_, i) => void tick(i).catch(() => undefined))
  return () => {
    stopped = true
  }
}

/** Steady command traffic to a fleet: one loop per node, each waiting for its last answer. */
export interface CommandLoops {
  /** Error codes per node, in order. */
  readonly failures: Map<string, string[]>
  /** Commands answered per node. */
  readonly done: Map<string, number>
  /** Ends every loop (after its command in flight) and resolves when all have ended. Idempotent. */
  stop(): Promise<void>
}

/**
 * A failed command pauses its loop this long before the next: a node whose
 * worker is gone answers at once, and a loop that never waits would starve
 * the event loop (and with it every timer, the test's own timeout included).
 */
const PAUSE_AFTER_FAILURE_MS = 50

/**
 * Runs `power.status` on every node over and over (`pauseMs` apart) until
 * stopped. Call stop()
 * in a `finally` (or t.after): a test that fails halfway must not leave loops
 * running into the fleet's shutdown.
 */
export function commandLoops(sup: Supervisor, names: string[], opts: { timeoutMs?: number; pauseMs?: number } = {}): CommandLoops {
  const { timeoutMs = 10_000, pauseMs = 0 } = opts
  let running = true
  const failures = new Map<string, string[]>()
  const done = new Map<string, number>()
  const loops = names.map(async (node) => {
    while (running) {
      try {
        await sup.run(node, 'power.status', {}, { timeoutMs })
        done.set(node, (done.get(node) ?? 0) + 1)
        if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs))
      } catch (e) {
        const list = failures.get(node) ?? []
        list.push((e as { code?: string }).code ?? String(e))
        failures.set(node, list)
        await new Promise((r) => setTimeout(r, PAUSE_AFTER_FAILURE_MS))
      }
    }
  })
  return {
    failures, done,
    async stop() {
      running = false
      await Promise.all(loops)
    },
  }
}
